"""CSV reading: delimiters, encodings, row numbers a person sees, text kept as text, refusals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from backend.errors import ErrorCode, IngestError
from backend.formats import FileFormat, ReadLimits, TabularFile, open_tabular
from backend.formats.csv_dialect import sniff_delimiter
from backend.formats.tabular import streamed_batches


def _limits(batch_rows: int = 1000) -> ReadLimits:
    return ReadLimits(
        batch_rows=batch_rows,
        max_spreadsheet_cells=1_000_000,
        max_spreadsheet_inflated_bytes=100_000_000,
        max_spreadsheet_ratio=100,
    )


def _open(tmp_path: Path, content: bytes, batch_rows: int = 1000) -> TabularFile:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    return open_tabular(path, FileFormat.csv, _limits(batch_rows))


def _read_all(table: TabularFile) -> pl.DataFrame:
    wanted = {name: name.strip().lower() for name in table.columns}
    return pl.concat(table.batches(wanted))


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ('"x,y";b;c\n"1,2";3;4\n', ";"),  # commas inside quotes do not count
        ('a,"b;c;d"\n1,"2;3;4"\n', ","),
        ("only\n1\n2\n", ","),
        ("a;b\n1;2\n3;4\n5;", ";"),  # a record cut at the end of the sample
        ('Size;Name\n5" screen;TV\n', ";"),  # a stray quote every candidate sees
    ],
)
def test_sniffs_delimiter_from_header_and_first_records(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


def test_semicolon_file_with_bom_and_crlf(tmp_path: Path) -> None:
    with _open(tmp_path, b"\xef\xbb\xbfID;Name\r\n1;Ann\r\n2;Bob\r\n") as table:
        assert table.columns == ["ID", "Name"]
        frame = _read_all(table)
    assert frame.to_dicts() == [
        {"__row": 2, "id": "1", "name": "Ann"},
        {"__row": 3, "id": "2", "name": "Bob"},
    ]


def test_every_value_stays_text(tmp_path: Path) -> None:
    with _open(tmp_path, b"Region,Code,Qty,Note\nNA,007,1e3,\nN/A,,2.50,null\n") as table:
        frame = _read_all(table)
    assert frame.schema == pl.Schema(
        {"__row": pl.Int64, "region": pl.String, "code": pl.String, "qty": pl.String, "note": pl.String}
    )
    assert frame.rows() == [(2, "NA", "007", "1e3", None), (3, "N/A", None, "2.50", "null")]


def test_quoted_line_breaks_stay_in_one_record_and_rows_follow_records(tmp_path: Path) -> None:
    content = b'id,comment\r\n1,"first line\r\nsecond line"\r\n2,"a, b"\r\n3,"say ""hi"""\r\n'
    with _open(tmp_path, content) as table:
        frame = _read_all(table)
    assert frame.rows() == [
        (2, "1", "first line\r\nsecond line"),
        (3, "2", "a, b"),
        (4, "3", 'say "hi"'),
    ]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    with _open(tmp_path, b"\n\nid,v\n1,a\n\n2,b\n,\n3,c\n") as table:
        frame = _read_all(table)
        assert table.blank_rows_skipped == 2
    # The header is on line 3; the blank line and the ",," line are rows 5 and 7.
    assert frame.rows() == [(4, "1", "a"), (6, "2", "b"), (8, "3", "c")]


def test_batches_respect_batch_rows_and_rows_continue(tmp_path: Path) -> None:
    content = b"id\n" + b"".join(f"{i}\n".encode() for i in range(1, 8))
    with _open(tmp_path, content, batch_rows=3) as table:
        batches = list(table.batches({"id": "ID"}))
    assert [batch.height for batch in batches] == [3, 3, 1]
    assert pl.concat(batches).get_column("__row").to_list() == [2, 3, 4, 5, 6, 7, 8]
    assert batches[1].columns == ["__row", "ID"]


def test_only_wanted_columns_renamed_to_schema_names(tmp_path: Path) -> None:
    with _open(tmp_path, b" quantity ,extra,UNITPRICE\n2,x,3.5\n") as table:
        (batch,) = table.batches({" quantity ": "Quantity", "UNITPRICE": "UnitPrice"})
    assert batch.to_dicts() == [{"__row": 2, "Quantity": "2", "UnitPrice": "3.5"}]


def test_repeated_and_empty_header_names_are_kept_as_found(tmp_path: Path) -> None:
    with _open(tmp_path, b"a,,a\n1,2,3\n") as table:
        assert table.columns == ["a", "", "a"]
        (batch,) = table.batches({"a": "A", "": "Blank"})
    assert batch.rows() == [(2, "1", "2")]


def test_windows_1252_is_transcoded_and_the_copy_removed(tmp_path: Path) -> None:
    table = _open(tmp_path, "Name;Ort;Preis\nMüller;Köln;5 €\n".encode("cp1252"))
    with table:
        assert table.columns == ["Name", "Ort", "Preis"]
        assert _read_all(table).rows() == [(2, "Müller", "Köln", "5 €")]
        assert len(list(tmp_path.iterdir())) == 2
    assert [path.name for path in tmp_path.iterdir()] == ["upload.csv"]


def test_utf8_with_a_stray_bad_byte_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as raised:
        _open(tmp_path, "name\nJosé\nAnn\nbad \xff here\n".encode("latin-1").replace(b"Jos\xe9", "José".encode()))
    assert raised.value.code is ErrorCode.encoding_error
    assert raised.value.details["line"] == 4


def test_bytes_meaningless_in_cp1252_are_an_encoding_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as raised:
        _open(tmp_path, b"name\nok\n\x81\x8d\n")
    assert raised.value.code is ErrorCode.encoding_error
    assert raised.value.details["line"] == 3
    assert [path.name for path in tmp_path.iterdir()] == ["upload.csv"]


def test_row_with_too_many_fields_is_malformed_with_its_row(tmp_path: Path) -> None:
    with _open(tmp_path, b'a,b\n1,2\n"x\ny",3\n4,5,6\n7,8\n') as table, pytest.raises(IngestError) as raised:
        _read_all(table)
    assert raised.value.code is ErrorCode.malformed_file
    assert raised.value.details["row"] == 4
    assert "3 fields but the header has 2" in raised.value.message


def test_short_rows_are_padded_with_nulls(tmp_path: Path) -> None:
    with _open(tmp_path, b"a,b,c\n1,2\n") as table:
        assert _read_all(table).rows() == [(2, "1", "2", None)]


def test_unclosed_quote_is_malformed(tmp_path: Path) -> None:
    with _open(tmp_path, b'a,b\n1,"2\n3,4\n') as table, pytest.raises(IngestError) as raised:
        _read_all(table)
    assert raised.value.code is ErrorCode.malformed_file
    assert raised.value.details["row"] == 2


def test_header_only_raises_no_data_rows(tmp_path: Path) -> None:
    with _open(tmp_path, b"id;name\r\n\r\n") as table, pytest.raises(IngestError) as raised:
        _read_all(table)
    assert raised.value.code is ErrorCode.no_data_rows
    assert "2 columns (semicolon-separated)" in raised.value.message


def test_read_column_covers_the_whole_file_in_row_order(tmp_path: Path) -> None:
    with _open(tmp_path, b"id,v\nA,1\nB,2\n\nA,3\n", batch_rows=2) as table:
        assert table.read_column_rows("id").get_column("id").to_list() == ["A", "B", None, "A"]
        rows = table.read_column_rows("id")
    assert rows.schema == pl.Schema({"__row": pl.Int64, "id": pl.String})
    assert rows.filter(pl.col("id").is_duplicated()).get_column("__row").to_list() == [2, 5]


def test_map_column_runs_one_query_over_the_whole_column(tmp_path: Path) -> None:
    with _open(tmp_path, b"id,v\nA,1\nB,2\n\nA,3\n", batch_rows=2) as table:
        mapped = table.map_column("id", lambda rows: rows.filter(pl.col("id").is_not_null()))
        assert mapped.to_dict(as_series=False) == {"__row": [2, 3, 5], "id": ["A", "B", "A"]}
        lengths = table.map_column("v", lambda rows: rows.select(pl.col("v").str.len_bytes()))
        assert lengths.get_column("v").to_list() == [1, 1, None, 1]
        with pytest.raises(KeyError):
            table.map_column("nope", lambda rows: rows)


def test_map_column_reports_a_malformed_row(tmp_path: Path) -> None:
    with _open(tmp_path, b'a,b\n1,"2\n3,4\n') as table, pytest.raises(IngestError) as raised:
        table.map_column("a", lambda rows: rows)
    assert raised.value.code is ErrorCode.malformed_file
    assert raised.value.details["row"] == 2


def test_quoted_line_breaks_across_read_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny read chunks split records (and quoted line breaks) everywhere; rows must not change.
    monkeypatch.setenv("POLARS_CSV_CHUNK_SIZE", "7")
    content = b'id,note\n' + b'1,"two\nlines"\n2,plain\n3,"a ""quoted"", comma"\n' * 5
    with _open(tmp_path, content, batch_rows=4) as table:
        frame = _read_all(table)
        notes = table.map_column("note", lambda rows: rows)
    assert frame.height == notes.height == 15
    assert frame.get_column("note").to_list()[:3] == ["two\nlines", "plain", 'a "quoted", comma']
    assert frame.get_column("__row").to_list() == notes.get_column("__row").to_list() == list(range(2, 17))


def test_approx_total_rows_is_known(tmp_path: Path) -> None:
    with _open(tmp_path, b"id\n1\n2\n3\n") as table:
        assert table.approx_total_rows == 3


@pytest.mark.parametrize(
    ("tail", "plain"),
    [(b"", True), (b'9,"quoted"\n', False), (b"9,cr\r\n", False), (b"9,x\n", True)],
)
def test_text_is_plain_looks_at_the_whole_file(tmp_path: Path, tail: bytes, plain: bool) -> None:
    # The telling character sits far past the first read buffer (4 MiB).
    content = b"id,v\n" + b"1,abcdefgh\n" * 600_000 + tail
    with _open(tmp_path, content) as table:
        assert table.text_is_plain() is plain


def test_text_is_plain_only_for_comma_separated(tmp_path: Path) -> None:
    with _open(tmp_path, b"id;v\n1;a\n2;b\n") as table:
        assert table.text_is_plain() is False


def test_text_is_plain_leaves_the_file_out_of_the_process_memory(tmp_path: Path) -> None:
    # A mapped file counts in RSS while mapped: scanning a 60 MB file that way raised a job's peak by 60 MB
    # (522 MB on the benchmark's file). Read through a small buffer, the peak moves by a few MB at most.
    clear_refs = Path("/proc/self/clear_refs")
    if not clear_refs.exists():
        pytest.skip("needs Linux's /proc/self/clear_refs to reset the peak RSS")
    content = b"id,v\n" + b"1,abcdefgh\n" * 6_000_000
    with _open(tmp_path, content) as table:
        del content
        clear_refs.write_text("5")  # the peak (VmHWM) starts again from the current RSS
        before = _status_kb("VmRSS")
        assert table.text_is_plain() is True
        assert _status_kb("VmHWM") - before < 20_000


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


@pytest.mark.parametrize(("rows", "batch_rows"), [(23, 5), (23, 13), (10, 10), (3, 100), (0, 4)])
def test_streamed_batches_are_whole_batches_in_order(rows: int, batch_rows: int) -> None:
    # Polars is asked for parts of a fifth of a batch (its read-ahead is then a fifth as large); the parts are
    # joined into batches of exactly batch_rows, the last one shorter.
    scan = pl.LazyFrame({"v": list(range(rows))})
    batches = list(streamed_batches(scan, batch_rows, RuntimeError, engine="streaming"))
    last = [rows % batch_rows] if rows % batch_rows else []
    assert [b.height for b in batches] == [batch_rows] * (rows // batch_rows) + last
    assert [v for b in batches for v in b.get_column("v").to_list()] == list(range(rows))


def test_streamed_batches_translate_a_polars_error() -> None:
    scan = pl.LazyFrame({"v": ["1", "x"]}).select(pl.col("v").cast(pl.Int64, strict=True))
    with pytest.raises(ValueError, match="translated"):
        list(streamed_batches(scan, 1, lambda error: ValueError(f"translated: {error}"), engine="streaming"))
