"""The rejects download for people: formula cells quoted and prefixed with `'`, in any chunking of the stream."""

from __future__ import annotations

import csv
import io
import random

import polars as pl
import pytest

from backend.api.csv_download import NUMBER_LOOKAHEAD, spreadsheet_safe

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBERS = ("-5", "+3", "-0.25", "-1e3", "+.5", "-12.", "-1E-7")


def expected(cell: str) -> str:
    """OWASP's rule, with plain numbers (an optional sign, digits, a decimal point, an exponent) left alone."""
    if cell.startswith(FORMULA_STARTS) and cell not in PLAIN_NUMBERS and not _is_number(cell):
        return "'" + cell
    return cell


def _is_number(cell: str) -> bool:
    import re

    return len(cell.encode()) <= NUMBER_LOOKAHEAD and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", cell) \
        is not None


def neutralised(data: bytes, sizes: list[int]) -> bytes:
    """The output when `data` arrives in chunks of the given sizes (cycled)."""
    chunks, at, i = [], 0, 0
    while at < len(data):
        size = sizes[i % len(sizes)]
        chunks.append(data[at:at + size])
        at += size
        i += 1
    return b"".join(spreadsheet_safe(chunks))


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


CHUNKINGS = [[1], [2], [3], [7, 1, 64], [NUMBER_LOOKAHEAD], [NUMBER_LOOKAHEAD + 1], [1000], [10**9]]


@pytest.mark.parametrize("sizes", CHUNKINGS, ids=str)
def test_owasp_examples(sizes: list[int]) -> None:
    frame = pl.DataFrame({
        "__row": ["2", "3", "4", "5"],
        "ProductName": ['=HYPERLINK("http://evil","x")', "\t=1+1", "line one\n=not a cell start", "plain"],
        "CustomerID": ["+cmd|' /C calc'!A0", "\r=1+1", "=1+1\nsecond line", "-"],
        "Quantity": ["-5", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "+3.5"],
        "errors": ["Quantity: must be >= 1", "a, b", "", '"quoted"'],
    })
    data = frame.write_csv().encode()
    out = neutralised(data, sizes)
    assert rows_of(out)[1:] == [
        ["2", "'=HYPERLINK(\"http://evil\",\"x\")", "'+cmd|' /C calc'!A0", "-5", "Quantity: must be >= 1"],
        ["3", "'\t=1+1", "'\r=1+1", "'-2+3+cmd|' /C calc'!A0", "a, b"],
        ["4", "line one\n=not a cell start", "'=1+1\nsecond line", "'@SUM(1)", ""],
        ["5", "plain", "'-", "+3.5", '"quoted"'],
    ]
    # In the bytes: quoted and prefixed, so the cell is text whatever program reads it.
    assert b'"\'=HYPERLINK(""http://evil"",""x"")"' in out
    assert b"\"'+cmd|' /C calc'!A0\"" in out


@pytest.mark.parametrize("sizes", CHUNKINGS, ids=str)
def test_a_file_without_formula_cells_passes_unchanged(sizes: list[int]) -> None:
    data = b'__row,a,b\n2,x,"y, with a comma"\n3,"multi\nline ""quoted""",5\n4,-7,+2\n'
    assert neutralised(data, sizes) == data


FRAGMENTS = ["=", "+", "-", "@", "\t", "\r", "\n", "\r\n", ",", '"', "-5", "+3.25", "1e3", "abc", "é売", " ",
             "=SUM(A1)", "x" * 80, "-" + "9" * 70, ""]


@pytest.mark.parametrize("seed", range(12))
def test_random_files_in_random_chunks_match_the_rule_cell_by_cell(seed: int) -> None:
    rng = random.Random(seed)
    rows = [[rng.choice(["", "x"]) + "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(0, 4)))
             if rng.random() < 0.3 else "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(0, 4)))
             for _ in range(rng.randrange(1, 6))] for _ in range(40)]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=rng.choice(["\n", "\r\n"])).writerows(rows)
    data = buffer.getvalue().encode()
    # csv.writer leaves a row of one empty cell as an empty line, which readers skip: compare what a reader sees.
    original = rows_of(data)
    for sizes in ([rng.randrange(1, 100) for _ in range(5)], [1], [len(data) or 1]):
        out = neutralised(data, sizes)
        assert rows_of(out) == [[expected(cell) for cell in row] for row in original], sizes


def test_a_long_unquoted_formula_cell_split_across_chunks() -> None:
    cell = "=" + "A" * 500
    data = f"a,{cell},b\n".encode()
    out = neutralised(data, [10])
    assert out == f"a,\"'{cell}\",b\n".encode()
    ended = neutralised(f"a,{cell}".encode(), [10])  # the last cell of a file without a final line break
    assert ended == f"a,\"'{cell}\"".encode()


def test_the_last_cell_without_a_line_break() -> None:
    assert b"".join(spreadsheet_safe([b"a,-5"])) == b"a,-5"
    assert b"".join(spreadsheet_safe([b"a,=1"])) == b"a,\"'=1\""
    assert b"".join(spreadsheet_safe([b'a,"=1"'])) == b"a,\"'=1\""
    assert b"".join(spreadsheet_safe([b'a,"-5"'])) == b'a,"-5"'
    assert b"".join(spreadsheet_safe([])) == b""
