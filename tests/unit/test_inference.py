"""infer_schema: a schema proposed from a sample of a file, for CSV, XLSX, Parquet and NDJSON alike; a proposal
the service accepts as a declaration and whose validation accepts the very file it came from."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from backend.errors import ErrorCode, IngestError
from backend.formats import FileFormat, ReadLimits, detect_format, read_head
from backend.pipeline.inference import infer_schema
from backend.pipeline.validate_file import OutputFiles, validate_to_files
from backend.schema.codec import schema_from_json
from backend.schema.declaration import DatasourceSchema

NOW = dt.datetime.now(dt.UTC)
HEADER = ["event_time", "user_id", "page", "duration_ms", "score", "country", "referrer"]
# A day of web events: 15 rows, three pages five times each, four countries, a referrer in ten rows.
EVENTS: list[tuple[str, str, str, int, float, str, str | None]] = [
    ("2025-01-02T10:00:00Z", "u01", "/", 1200, 0.5, "US", "google"),
    ("2025-01-02T10:01:30Z", "u02", "/cart", 300, 1.25, "DE", None),
    ("2025-01-02T10:03:00Z", "u03", "/checkout", 4500, 0.0, "FR", "newsletter"),
    ("2025-01-02T10:04:10Z", "u04", "/", 1200, 2.75, "US", "google"),
    ("2025-01-02T10:05:00Z", "u05", "/cart", 0, 0.5, "JP", None),
    ("2025-01-02T11:00:00Z", "u06", "/checkout", 300, 3.5, "DE", "google"),
    ("2025-01-02T11:30:00Z", "u07", "/", 800, 1.0, "US", None),
    ("2025-01-02T12:00:00Z", "u08", "/cart", 1200, 0.25, "FR", "newsletter"),
    ("2025-01-02T12:15:00Z", "u09", "/checkout", 950, 4.0, "US", "google"),
    ("2025-01-02T13:00:00Z", "u10", "/", 300, 0.75, "DE", None),
    ("2025-01-02T13:45:00Z", "u11", "/cart", 2100, 1.5, "US", "google"),
    ("2025-01-02T14:00:00Z", "u12", "/checkout", 800, 2.0, "JP", "newsletter"),
    ("2025-01-02T15:20:00Z", "u13", "/", 60, 0.5, "FR", "google"),
    ("2025-01-02T16:00:00Z", "u14", "/cart", 1200, 5.0, "US", None),
    ("2025-01-02T17:59:59Z", "u15", "/checkout", 450, 1.25, "DE", "google"),
]

MIN_0 = {"kind": "min", "bound": 0, "inclusive": True}
DEFINITION: dict[str, Any] = {
    "time_column": "event_time",
    "columns": [
        {"name": "event_time", "type": "timestamp", "required": True, "rules": [{"kind": "not_in_future"}]},
        {"name": "user_id", "type": "string", "required": True, "rules": [
            {"kind": "not_blank"},
            {"kind": "unique"},
            {"kind": "pattern", "regex": "[a-z][0-9]{2}", "meaning": "one lower-case letter, then two digits"},
        ]},
        {"name": "page", "type": "string", "required": True, "rules": [
            {"kind": "not_blank"}, {"kind": "one_of", "values": ["/", "/cart", "/checkout"]},
        ]},
        {"name": "duration_ms", "type": "long", "required": True, "rules": [MIN_0]},
        {"name": "score", "type": "double", "required": True, "rules": [MIN_0]},
        {"name": "country", "type": "string", "required": True, "rules": [
            {"kind": "not_blank"}, {"kind": "pattern", "regex": "[A-Z]{2}", "meaning": "two upper-case letters"},
        ]},
        {"name": "referrer", "type": "string", "required": False, "rules": [
            {"kind": "one_of", "values": ["google", "newsletter"]},
        ]},
    ],
    "row_checks": [],
    "granularity": {"segment": "DAY", "query": "NONE"},
}
STATS = {
    "event_time": {"count": 15, "nulls": 0, "distinct": 15, "min": "2025-01-02T10:00:00.000Z",
                   "max": "2025-01-02T17:59:59.000Z",
                   "examples": ["2025-01-02T10:00:00.000Z", "2025-01-02T10:01:30.000Z", "2025-01-02T10:03:00.000Z"]},
    "user_id": {"count": 15, "nulls": 0, "distinct": 15, "min": "u01", "max": "u15", "examples": ["u01", "u02", "u03"]},
    "page": {"count": 15, "nulls": 0, "distinct": 3, "min": "/", "max": "/checkout",
             "examples": ["/", "/cart", "/checkout"]},
    "duration_ms": {"count": 15, "nulls": 0, "distinct": 9, "min": 0, "max": 4500, "examples": [1200, 300, 4500]},
    "score": {"count": 15, "nulls": 0, "distinct": 12, "min": 0.0, "max": 5.0, "examples": [0.5, 1.25, 0.0]},
    "country": {"count": 15, "nulls": 0, "distinct": 4, "min": "DE", "max": "US", "examples": ["US", "DE", "FR"]},
    "referrer": {"count": 10, "nulls": 5, "distinct": 2, "min": "google", "max": "newsletter",
                 "examples": ["google", "newsletter"]},
}
FIRST_ROW = {"event_time": "2025-01-02T10:00:00.000Z", "user_id": "u01", "page": "/", "duration_ms": 1200,
             "score": 0.5, "country": "US", "referrer": "google"}
ISO_WITH_OFFSET = "ISO-8601 date-time with offset (Z or +hh:mm)"


def _limits(batch_rows: int = 1000) -> ReadLimits:
    return ReadLimits(batch_rows, 1_000_000, 100_000_000, 100)


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _events_csv(path: Path) -> Path:
    rows = [[str(v) if v is not None else "" for v in row] for row in EVENTS]
    return _write_csv(path, HEADER, rows)


def _events_xlsx(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for event_time, *rest in EVENTS:  # date cells, as Excel keeps a typed-in date and time
        sheet.append([_instant(event_time).replace(tzinfo=None), *rest])
    workbook.save(path)
    return path


def _events_parquet(path: Path) -> Path:
    columns = list(zip(*EVENTS, strict=True))
    pl.DataFrame(
        {
            "event_time": [_instant(text) for text in columns[0]],
            **{name: list(values) for name, values in zip(HEADER[1:], columns[1:], strict=True)},
        },
        schema={"event_time": pl.Datetime("us", "UTC"), "user_id": pl.String, "page": pl.String,
                "duration_ms": pl.Int64, "score": pl.Float64, "country": pl.String, "referrer": pl.String},
    ).write_parquet(path)
    return path


def _events_ndjson(path: Path) -> Path:
    records = [{k: v for k, v in zip(HEADER, row, strict=True) if v is not None or k != "referrer" or row[1] == "u02"}
               for row in EVENTS]  # a missing referrer: null in one record, no key at all in the others
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


WRITERS = {
    FileFormat.csv: (_events_csv, [ISO_WITH_OFFSET]),
    FileFormat.xlsx: (_events_xlsx, ["Excel date cell"]),
    FileFormat.parquet: (_events_parquet, ["Parquet timestamp with time zone"]),
    FileFormat.ndjson: (_events_ndjson, [ISO_WITH_OFFSET]),
}


def _infer(path: Path, **options: Any) -> dict[str, Any]:
    return infer_schema(path, detect_format(read_head(path)), _limits(options.pop("batch_rows", 1000)), **options)


def _declared(definition: dict[str, Any]) -> DatasourceSchema:
    """The definition as the registry reads one sent to it."""
    return schema_from_json(definition, name="x", druid_datasource="x")


def _column(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(column for column in result["columns"] if column["name"] == name)


def _accepted_by_validation(path: Path, definition: dict[str, Any]) -> int:
    """How many rows of `path` the proposed schema refuses, validated exactly as an upload is."""
    out = OutputFiles.in_folder(path.parent)
    tally = validate_to_files(path, detect_format(read_head(path)), _declared(definition), _limits(), out,
                              lineage_id="job", now=NOW, error_sample_limit=5)
    assert tally.error_sample == []
    return tally.rows_invalid


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_web_events_give_the_same_definition_in_every_format(tmp_path: Path, fmt: FileFormat) -> None:
    write, formats = WRITERS[fmt]
    path = write(tmp_path / "events.bin")
    assert detect_format(read_head(path)) is fmt

    result = _infer(path)

    assert result["definition"] == DEFINITION
    assert result["time_column"] == "event_time"
    assert (result["rows_read"], result["truncated"], result["warnings"]) == (15, False, [])
    for column, spec in zip(result["columns"], DEFINITION["columns"], strict=True):
        assert column["name"] == column["source_name"] == spec["name"]
        assert (column["type"], column["required"], column["suggested_rules"]) == (
            spec["type"], spec["required"], spec["rules"]
        )
        assert column["stats"] == STATS[spec["name"]]
        assert column["formats"] == (formats if spec["type"] == "timestamp" else [])
    assert len(result["sample_rows"]) == 15
    assert result["sample_rows"][0] == FIRST_ROW
    assert result["sample_rows"][1]["referrer"] is None
    json.dumps(result)  # JSON-ready as it is
    assert _declared(result["definition"]).timestamp_column == "event_time"
    assert _accepted_by_validation(path, result["definition"]) == 0


def test_a_time_column_can_be_chosen_and_is_then_required(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "orders.csv", ["order_id", "sent", "received_date"], [
        ["1", "2025-03-01 08:00:00", "2025-03-02"],
        ["2", "", "2025-03-03"],
        ["3", "2025-03-02 09:30:00.250", "2025-03-04"],
    ])
    detected = _infer(path)
    # Two timestamp columns: the one named like a time wins over the first.
    assert detected["time_column"] == detected["definition"]["time_column"] == "received_date"
    assert _column(detected, "received_date")["formats"] == ["ISO-8601 date (taken as midnight UTC)"]
    assert _column(detected, "sent")["formats"] == ["ISO-8601 date-time without offset (taken as UTC)"]

    chosen = _infer(path, time_column="sent")
    assert chosen["time_column"] == chosen["definition"]["time_column"] == "sent"
    sent = _column(chosen, "sent")
    assert (sent["type"], sent["required"], sent["stats"]["nulls"]) == ("timestamp", False, 1)
    assert chosen["definition"]["columns"][1] == {
        "name": "sent", "type": "timestamp", "required": True, "rules": [{"kind": "not_in_future"}]
    }
    assert chosen["warnings"] == [{
        "column": "sent",
        "message": "1 row(s) of the sample have no value in the time column; Druid needs one in every row, so the "
                   "time column is required and such rows will be refused.",
    }]
    assert _declared(chosen["definition"]).timestamp_column == "sent"
    # Matched as uploads match headers: trimmed, case-insensitive.
    assert _infer(path, time_column=" SENT ")["time_column"] == "sent"


@pytest.mark.parametrize(
    ("time_column", "message"),
    [
        ("shipped", "time_column 'shipped' is not a column of the file; its columns are 'order_id', 'sent', "
                    "'received_date'."),
        ("order_id", "time_column 'order_id' cannot be the time column: its values are not timestamps the service "
                     "reads (ISO-8601 dates or date-times, or date cells), e.g. '1'."),
        ("received_date", "time_column 'received_date' cannot be the time column: its values are not timestamps "
                          "the service reads (ISO-8601 dates or date-times, or date cells), e.g. '03/03/2025'."),
    ],
)
def test_a_bad_time_column_is_an_invalid_field(tmp_path: Path, time_column: str, message: str) -> None:
    path = _write_csv(tmp_path / "orders.csv", ["order_id", "sent", "received_date"], [
        ["1", "2025-03-01 08:00:00", "2025-03-02"],
        ["2", "2025-03-01 09:00:00", "03/03/2025"],
    ])
    with pytest.raises(IngestError) as raised:
        _infer(path, time_column=time_column)
    assert (raised.value.code, raised.value.message, raised.value.details) == (
        ErrorCode.invalid_field, message, {"field": "time_column"}
    )


def test_reserved_empty_and_repeated_headers_are_renamed_with_a_warning(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "raw.csv",
        ["__time", "errors", "time", "", "Errors ", "errors_1", "ingest_job_id", "time"],
        [["2025-01-02T10:00:00Z", "0", "a", "x", "1", "b", "j1", "c"],
         ["2025-01-02T11:00:00+01:00", "2", "a", "y", "2", "b", "j2", "d"]],
    )
    result = _infer(path)

    names = [(c["source_name"], c["name"]) for c in result["columns"]]
    assert names == [("__time", "time_1"), ("errors", "errors_2"), ("time", "time"), ("", "column_4"),
                     ("Errors ", "Errors_3"), ("errors_1", "errors_1"), ("ingest_job_id", "ingest_job_id_1"),
                     ("time", "time_2")]
    reserved = "is reserved, in any letter case (the service or Druid uses __row, __time, errors, ingest_job_id)"
    match = "rename the header in the file to that name for uploads to match."
    assert result["warnings"] == [
        {"column": "__time", "message": f"The column name '__time' {reserved}. It is proposed as 'time_1': {match}"},
        {"column": "errors", "message": f"The column name 'errors' {reserved}. It is proposed as 'errors_2': {match}"},
        {"column": "", "message": "The column name '' is empty: Druid needs a name for every column. It is "
                                  f"proposed as 'column_4': {match}"},
        {"column": "Errors ", "message": "The header 'Errors ' differs from 'errors' only in case or surrounding "
                                         "spaces, which uploads do not tell apart. It is proposed as 'Errors_3': "
                                         f"{match}"},
        {"column": "ingest_job_id", "message": f"The column name 'ingest_job_id' {reserved}. It is proposed as "
                                               f"'ingest_job_id_1': {match}"},
        {"column": "time", "message": "The header 'time' appears more than once; only the first column of that "
                                      f"name can be read. It is proposed as 'time_2': {match} Its values could not "
                                      "be read, so it is proposed as an optional string."},
    ]
    # The renamed `__time` holds the timestamps and is the time column under its new name.
    assert result["time_column"] == "time_1"
    assert _column(result, "time_1")["stats"]["max"] == "2025-01-02T10:00:00.000Z"
    assert _column(result, "time_2") == {"name": "time_2", "source_name": "time", "type": "string", "formats": [],
                                         "required": False, "suggested_rules": [], "stats": None}
    assert result["sample_rows"][0] == {
        "time_1": "2025-01-02T10:00:00.000Z", "errors_2": 0, "time": "a", "column_4": "x", "Errors_3": 1,
        "errors_1": "b", "ingest_job_id_1": "j1", "time_2": None,
    }
    assert _infer(path, time_column="__time")["time_column"] == "time_1"  # the file's name or the proposed one
    schema = _declared(result["definition"])
    assert schema.column_names == ["time_1", "errors_2", "time", "column_4", "Errors_3", "errors_1",
                                   "ingest_job_id_1", "time_2"]


def test_reading_stops_after_max_rows(tmp_path: Path) -> None:
    rows = [[f"2025-01-{day:02d}", str(day % 3)] for day in range(1, 26)]
    path = _write_csv(tmp_path / "days.csv", ["day", "n"], rows)

    result = _infer(path, max_rows=10, batch_rows=4)

    assert (result["rows_read"], result["truncated"]) == (10, True)
    assert _column(result, "day")["stats"]["max"] == "2025-01-10T00:00:00.000Z"
    assert _column(result, "n")["stats"] == {"count": 10, "nulls": 0, "distinct": 3, "min": 0, "max": 2,
                                             "examples": [1, 2, 0]}
    assert [row["day"] for row in result["sample_rows"]][-1] == "2025-01-10T00:00:00.000Z"
    assert result["warnings"] == [{"column": None, "message": "Only the first 10 rows were read; the proposal rests "
                                                              "on them, and later rows may not fit its rules."}]
    # Exactly max_rows rows: nothing left unread.
    assert _infer(path, max_rows=25, batch_rows=4)["truncated"] is False
    assert len(_infer(path, max_rows=100)["sample_rows"]) == 20


@pytest.mark.parametrize("fmt", [FileFormat.csv, FileFormat.ndjson])
def test_a_column_without_values_is_an_optional_string(tmp_path: Path, fmt: FileFormat) -> None:
    if fmt is FileFormat.csv:
        path = _write_csv(tmp_path / "f", ["at", "note", "qty"], [["2025-01-01", "", "1"], ["2025-01-02", " ", ""]])
    else:
        path = tmp_path / "f"
        path.write_text('{"at": "2025-01-01", "note": null, "qty": 1}\n'
                        '{"at": "2025-01-02", "note": " ", "qty": null}\n')
    result = _infer(path)

    note = _column(result, "note")
    assert (note["type"], note["required"], note["suggested_rules"]) == ("string", False, [])
    assert note["stats"] == {"count": 1, "nulls": 1, "distinct": 1, "min": " ", "max": " ", "examples": [" "]}
    qty = _column(result, "qty")
    assert (qty["type"], qty["required"], qty["suggested_rules"]) == ("long", False, [MIN_0])
    assert result["warnings"] == [
        {"column": "note", "message": "The column has no values in the sample, so it is proposed as an optional "
                                      "string."}
    ]
    assert _accepted_by_validation(path, result["definition"]) == 0


def test_types_follow_the_validators_conversion(tmp_path: Path) -> None:
    header = ["whole", "decimal", "huge", "not_a_number", "when", "code", "sku", "label", "zip", "flag", "order_id"]
    rows = [
        ["1", "1", "12345678901234567890", "1.5", "2025-01-02", "AB-1234", "x1", "Hello", "02134", "true", "7"],
        [" 2 ", "2.5", "1", "NaN", "2025-01-02 10:00:00", "CD-5678", "x22", "hi", "10001", "false", "8"],
        ["3.0", "-1e3", "2", "3", "2025-01-02T10:00:00+02:00", "EF-9012", "y3", "Hey", "94105", "true", "9"],
    ]
    result = _infer(_write_csv(tmp_path / "types.csv", header, rows))

    def typed(name: str) -> tuple[str, list[dict[str, Any]]]:
        column = _column(result, name)
        return column["type"], column["suggested_rules"]

    # " 2 " and "3.0" are longs to the validator, 12345678901234567890 does not fit one, NaN is refused.
    # A long column is suggested unique only when its name says it is an identifier.
    assert typed("whole") == ("long", [MIN_0])
    assert typed("order_id") == ("long", [{"kind": "unique"}, MIN_0])
    assert typed("decimal") == ("double", [])
    assert typed("huge") == ("double", [MIN_0])
    assert typed("not_a_number") == ("string", [{"kind": "not_blank"}, {"kind": "unique"}])
    assert typed("when") == ("timestamp", [{"kind": "not_in_future"}])
    assert _column(result, "when")["formats"] == [
        ISO_WITH_OFFSET, "ISO-8601 date-time without offset (taken as UTC)", "ISO-8601 date (taken as midnight UTC)"
    ]
    assert typed("code") == ("string", [{"kind": "not_blank"}, {"kind": "unique"}, {
        "kind": "pattern", "regex": "[A-Z]{2}\\-[0-9]{4}",
        "meaning": "two upper-case letters, then '-', then four digits",
    }])
    # Shapes differ in length (x1, x22) or case (Hello, hi): no pattern.
    assert typed("sku") == ("string", [{"kind": "not_blank"}, {"kind": "unique"}])
    assert typed("label") == ("string", [{"kind": "not_blank"}, {"kind": "unique"}])
    assert typed("zip") == ("long", [MIN_0])
    assert typed("flag") == ("string", [{"kind": "not_blank"}])
    assert {"column": "zip", "message": "Values such as '02134' have leading zeros, which a long column drops: "
                                        "declare the column a string if they are codes rather than numbers."} in (
        result["warnings"]
    )
    assert result["time_column"] == "when"
    assert _accepted_by_validation(tmp_path / "types.csv", result["definition"]) == 0


def test_future_times_get_no_not_in_future_and_no_timestamp_means_no_time_column(tmp_path: Path) -> None:
    later = _infer(_write_csv(tmp_path / "later.csv", ["due"], [["2025-01-01"], ["2999-01-01"]]))
    assert later["definition"]["columns"] == [{"name": "due", "type": "timestamp", "required": True, "rules": []}]

    result = _infer(_write_csv(tmp_path / "plain.csv", ["name", "n"], [["a", "1"], ["b", "2"]]))
    assert result["time_column"] is None
    assert result["definition"]["time_column"] is None
    assert result["warnings"][-1] == {
        "column": None,
        "message": "No column holds timestamps the service reads (ISO-8601 dates or date-times such as "
                   "2025-01-31T13:45:00Z, or date cells), and a datasource needs one: add such a column to the file.",
    }


def test_a_definition_holds_at_most_max_columns_the_time_column_among_them(tmp_path: Path) -> None:
    header = [f"n{i}" for i in range(1000)] + ["at"]
    path = _write_csv(tmp_path / "wide.csv", header, [[*("1" * 1000), "2025-01-01"], [*("2" * 1000), "2025-01-02"]])
    result = _infer(path)
    assert len(result["columns"]) == 1001
    assert [c["name"] for c in result["definition"]["columns"]] == [*header[:999], "at"]
    assert result["warnings"] == [{
        "column": None,
        "message": "The file has 1,001 columns and a datasource at most 1,000: the definition holds the first of "
                   "them (and the time column); uploads ignore the others.",
    }]
    assert _declared(result["definition"]).timestamp_column == "at"


def test_unreadable_files_raise_the_readers_errors(tmp_path: Path) -> None:
    header_only = _write_csv(tmp_path / "h.csv", ["a", "b"], [])
    with pytest.raises(IngestError) as raised:
        _infer(header_only)
    assert raised.value.code is ErrorCode.no_data_rows
    cut = tmp_path / "cut.parquet"
    _events_parquet(cut)
    cut.write_bytes(cut.read_bytes()[:200])
    with pytest.raises(IngestError) as raised:
        infer_schema(cut, FileFormat.parquet, _limits())
    assert raised.value.code is ErrorCode.malformed_file
    with pytest.raises(ValueError, match="max_rows"):
        infer_schema(header_only, FileFormat.csv, _limits(), max_rows=0)


def test_no_pattern_for_ids_whose_shape_is_an_accident_of_the_sample(tmp_path: Path) -> None:
    rows = [["2025-01-02", f"d1f60a6e-u{i:06d}", f"AB-{1000 + i}"] for i in range(6)]
    result = _infer(_write_csv(tmp_path / "ids.csv", ["at", "user_id", "code"], rows))
    assert [r["kind"] for r in _column(result, "user_id")["suggested_rules"]] == ["not_blank", "unique"]
    assert _column(result, "code")["suggested_rules"][-1]["regex"] == "[A-Z]{2}\\-[0-9]{4}"
