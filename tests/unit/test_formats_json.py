"""NDJSON and JSON arrays: values as text, line and record numbers, malformed records named."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import backend.formats.json_array as json_array
from backend.errors import ErrorCode, IngestError
from backend.formats import FileFormat, ReadLimits, TabularFile, open_tabular


def _limits(batch_rows: int = 1000) -> ReadLimits:
    return ReadLimits(
        batch_rows=batch_rows,
        max_spreadsheet_cells=1_000_000,
        max_spreadsheet_inflated_bytes=100_000_000,
        max_spreadsheet_ratio=100,
    )


def _open(tmp_path: Path, fmt: FileFormat, content: bytes, batch_rows: int = 1000) -> TabularFile:
    path = tmp_path / "upload.json"
    path.write_bytes(content)
    return open_tabular(path, fmt, _limits(batch_rows))


def _read_all(table: TabularFile) -> pl.DataFrame:
    return pl.concat(table.batches({name: name for name in table.columns}))


NDJSON = (
    b'\xef\xbb\xbf{"id": 3, "price": 2.5, "region": "NA", "ok": true}\r\n'
    b"\r\n"
    b'{"id": 12345678901234567890, "price": 1e3, "region": null, "note": "x"}\n'
    b"   \n"
    b'{"price": -0.5, "id": "007"}\n'
)


def test_ndjson_values_are_text_and_rows_are_line_numbers(tmp_path: Path) -> None:
    with _open(tmp_path, FileFormat.ndjson, NDJSON) as table:
        assert table.columns == ["id", "price", "region", "ok", "note"]
        frame = _read_all(table)
    assert frame.schema == pl.Schema({"__row": pl.Int64, **{name: pl.String for name in table.columns}})
    assert frame.rows() == [
        (1, "3", "2.5", "NA", "true", None),
        (3, "12345678901234567890", "1000", None, None, "x"),
        (5, "007", "-0.5", None, None, None),
    ]


def test_ndjson_batches_and_line_numbers_continue(tmp_path: Path) -> None:
    content = b"".join(f'{{"n": {i}}}\n'.encode() + (b"\n" if i == 2 else b"") for i in range(1, 6))
    with _open(tmp_path, FileFormat.ndjson, content, batch_rows=2) as table:
        batches = list(table.batches({"n": "N"}))
    assert [batch.height for batch in batches] == [2, 2, 1]
    assert pl.concat(batches).rows() == [(1, "1"), (2, "2"), (4, "3"), (5, "4"), (6, "5")]


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b'{"a": 1}\n\n[1, 2]\n', 3, "not an object"),
        (b'{"a": 1}\n{"a": 2\n', 2, "not valid JSON"),
        (b'{"a": 1}\n{"a": {"b": 2}}\n', 2, "list or object"),
        (b'{"a": 1}\nnull\n', 2, "null"),
    ],
)
def test_ndjson_malformed_line_is_named(tmp_path: Path, content: bytes, line: int, reason: str) -> None:
    # The error may come while opening (column discovery) or while reading.
    with pytest.raises(IngestError) as raised, _open(tmp_path, FileFormat.ndjson, content) as table:
        _read_all(table)
    assert raised.value.code is ErrorCode.malformed_file
    assert raised.value.details == {"line": line}
    assert reason in raised.value.message


def test_ndjson_keys_only_in_unwanted_fields_do_not_matter(tmp_path: Path) -> None:
    with _open(tmp_path, FileFormat.ndjson, b'{"a": 1, "tags": [1, 2]}\n{"a": 2, "tags": {"x": 1}}\n') as t:
        assert pl.concat(t.batches({"a": "A"})).rows() == [(1, "1"), (2, "2")]


def test_ndjson_read_column(tmp_path: Path) -> None:
    with _open(tmp_path, FileFormat.ndjson, b'{"a": "x"}\n\n{"a": "x"}\n{"b": 1}\n') as table:
        assert table.read_column_rows("a").get_column("a").to_list() == ["x", "x", None]
        assert table.read_column_rows("a").get_column("__row").to_list() == [1, 3, 4]


JSON_ARRAY = b"""\xef\xbb\xbf[
  {
    "id": 1,
    "name": "first\\nline",
    "price": 2.50
  },
  {"id": 2, "name": "NA", "price": null, "extra": false}   ,
  {"id": 3}
]
"""


def test_json_array_records_are_numbered_and_text(tmp_path: Path) -> None:
    with _open(tmp_path, FileFormat.json, JSON_ARRAY) as table:
        assert table.columns == ["id", "name", "price", "extra"]
        frame = _read_all(table)
        assert len(list(tmp_path.iterdir())) == 2  # the NDJSON copy
    assert frame.rows() == [
        (1, "1", "first\nline", "2.5", None),
        (2, "2", "NA", None, "false"),
        (3, "3", None, None, None),
    ]
    assert [path.name for path in tmp_path.iterdir()] == ["upload.json"]


def test_json_array_survives_any_chunk_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _open(tmp_path, FileFormat.json, JSON_ARRAY) as table:
        expected = _read_all(table)
    for chunk in (1, 2, 3, 7, 13):
        monkeypatch.setattr(json_array, "_CHUNK_CHARS", chunk)
        with _open(tmp_path, FileFormat.json, JSON_ARRAY) as table:
            assert _read_all(table).equals(expected), chunk


@pytest.mark.parametrize(
    ("content", "record", "reason"),
    [
        (b'[{"a": 1}, 3]', 2, "not an object"),
        (b'[{"a": 1}, {"a": }]', 2, "not valid JSON"),
        (b'[{"a": 1} {"a": 2}]', 1, "expected ',' or ']'"),
        (b'[{"a": 1},', 2, "ends before the array is closed"),
        (b'[{"a": 1}] [', 1, "more text after"),
        (b'[{"a": "unterminated}]', 1, "not valid JSON"),
    ],
)
def test_json_array_malformed_record_is_named(tmp_path: Path, content: bytes, record: int, reason: str) -> None:
    with pytest.raises(IngestError) as raised:
        _open(tmp_path, FileFormat.json, content)
    assert raised.value.code is ErrorCode.malformed_file
    assert raised.value.details == {"record": record}
    assert reason in raised.value.message
    assert [path.name for path in tmp_path.iterdir()] == ["upload.json"]


def test_empty_json_array_is_empty(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as raised:
        _open(tmp_path, FileFormat.json, b"[ ]\n")
    assert raised.value.code is ErrorCode.empty_file


def test_objects_without_values_raise_no_data_rows(tmp_path: Path) -> None:
    with _open(tmp_path, FileFormat.ndjson, b'{"a": null}\n{"a": null}\n') as table:
        with pytest.raises(IngestError) as raised:
            _read_all(table)
        assert table.blank_rows_skipped == 2
    assert raised.value.code is ErrorCode.no_data_rows
