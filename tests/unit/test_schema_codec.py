"""Reading a schema definition: every mistake a person can make is refused with its exact path and what to fix."""

from __future__ import annotations

from typing import Any

import pytest

from backend.errors import ErrorCode, IngestError
from backend.schema.codec import schema_from_json, schema_to_json


def _definition(**overrides: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "time_column": "event_time",
        "columns": [
            {"name": "event_time", "type": "timestamp", "required": True, "rules": []},
            {"name": "user_id", "type": "string", "required": True, "rules": [{"kind": "not_blank"}]},
            {"name": "duration_ms", "type": "long", "required": False, "rules": [{"kind": "min", "bound": 0}]},
            {"name": "country", "type": "string", "required": False,
             "rules": [{"kind": "pattern", "regex": "[A-Z]{2}"}]},
        ],
    }
    definition.update(overrides)
    return definition


def _problems(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(IngestError) as caught:
        schema_from_json(data, name="web", druid_datasource="web")
    assert caught.value.code is ErrorCode.invalid_schema
    assert caught.value.http_status == 422
    return [(p["path"], p["message"]) for p in caught.value.details["problems"]]


def _with_column(i: int, **fields: Any) -> dict[str, Any]:
    definition = _definition()
    definition["columns"][i] = {**definition["columns"][i], **fields}
    return definition


def test_a_good_definition_reads_with_defaults() -> None:
    schema = schema_from_json(_definition(), name="web", druid_datasource="web_events")
    assert schema.druid_datasource == "web_events"
    assert [c.id for c in schema.columns] == [1, 2, 3, 4]
    assert schema_to_json(schema)["granularity"] == {"segment": "DAY", "query": "NONE"}
    assert schema_to_json(schema)["columns"][2] == {
        "id": 3, "name": "duration_ms", "type": "long", "required": False,
        "rules": [{"kind": "min", "bound": 0, "inclusive": True}],
    }


@pytest.mark.parametrize(
    ("data", "path", "says"),
    [
        ([], "", "must be a JSON object"),
        (_definition(time_column=None), "time_column", "is required"),
        (_definition(time_column="nope"), "time_column", "is not one of the declared columns"),
        (_definition(time_column="user_id"), "time_column", "the time column must be a timestamp"),
        (_with_column(0, required=False), "columns[0].required", "every row needs a time"),
        (_definition(columns=[]), "columns", "non-empty list"),
        (_definition(columns=[{"name": f"c{i}", "type": "long"} for i in range(1001)]), "columns",
         "at most 1,000"),
        (_with_column(1, name="__time"), "columns[1].name", "is reserved"),
        (_with_column(1, name="errors"), "columns[1].name", "is reserved"),
        (_with_column(1, name="__secret"), "columns[1].name", "Druid reserves"),
        (_with_column(1, name=""), "columns[1].name", "is empty"),
        (_with_column(1, name="a\tb"), "columns[1].name", "control character"),
        (_with_column(1, name="x" * 256), "columns[1].name", "longer than 255"),
        (_with_column(2, name="user_id"), "columns[2].name", "is declared twice (also columns[1]"),
        (_with_column(1, type="decimal"), "columns[1].type", "must be one of string, timestamp, long, double"),
        (_with_column(1, required="yes"), "columns[1].required", "true or false"),
        (_with_column(1, colour="red"), "columns[1].colour", "is not a known field"),
        (_with_column(2, rules=[{"kind": "one_of", "values": ["a"]}]), "columns[2].rules[0].kind",
         "does not apply to a long column"),
        (_with_column(1, rules=[{"kind": "one_of", "values": [str(i) for i in range(10_001)]}]),
         "columns[1].rules[0].values", "at most 10,000"),
        (_with_column(1, rules=[{"kind": "one_of", "values": []}]), "columns[1].rules[0].values", "non-empty"),
        (_with_column(3, rules=[{"kind": "pattern", "regex": "(?=A)[A-Z]"}]), "columns[3].rules[0].regex",
         "look-around"),
        (_with_column(3, rules=[{"kind": "pattern", "regex": "[A-Z"}]), "columns[3].rules[0].regex",
         "not a valid regular expression"),
        (_with_column(3, rules=[{"kind": "pattern", "regex": "a" * 1001}]), "columns[3].rules[0].regex",
         "longer than 1000"),
        (_with_column(3, rules=[{"kind": "pattern"}]), "columns[3].rules[0].regex", "is required"),
        (_with_column(2, rules=[{"kind": "min", "bound": "0"}]), "columns[2].rules[0].bound", "a finite number"),
        (_with_column(2, rules=[{"kind": "min", "bound": float("inf")}]), "columns[2].rules[0].bound", "finite"),
        (_with_column(2, rules=[{"kind": "min", "bound": 10}, {"kind": "max", "bound": 5}]),
         "columns[2].rules[1].bound", "below the min"),
        (_with_column(2, name="USER_ID"), "columns[2].name", "headers are matched case-insensitively"),
        (_with_column(1, name="Errors"), "columns[1].name", "reserved, in any letter case"),
        (_with_column(1, name="a\u202eb"), "columns[1].name", "direction-changing"),
        (_with_column(1, name="\u200b"), "columns[1].name", "invisible"),
        (_with_column(1, name="\ud800"), "columns[1].name", "control character"),
        (_with_column(1, rules=[{"kind": "one_of", "values": ["a\x00"]}]), "columns[1].rules[0].values[0]", "NUL"),
        (_with_column(3, rules=[{"kind": "pattern", "regex": "a", "meaning": "x" * 1001}]),
         "columns[3].rules[0].meaning", "longer than 1,000"),
        (_with_column(0, rules=[{"kind": "too_old", "earliest": "0001-01-01T00:00:00+01:00"}]),
         "columns[0].rules[0].earliest", "ISO-8601"),
        (_with_column(2, rules=[{"kind": "min", "bound": 0, "regex": "x"}]), "columns[2].rules[0].regex",
         "is not a known field"),
        (_with_column(0, rules=[{"kind": "too_old", "earliest": "last week"}]), "columns[0].rules[0].earliest",
         "ISO-8601"),
        (_with_column(1, rules=[{"kind": "not_blank"}, {"kind": "not_blank"}]), "columns[1].rules[1].kind",
         "appears twice"),
        (_with_column(1, rules=[{"kind": "sparkly"}]), "columns[1].rules[0].kind", "must be one of"),
        (_definition(granularity={"segment": "DECADE"}), "granularity.segment", "must be one of"),
        (_definition(granularity={"segment": "HOUR", "query": "DAY"}), "granularity.query",
         "coarser than the segment granularity"),
        (_definition(row_checks=[{"rule": "total", "column": "duration_ms", "factors": ["user_id"]}]),
         "row_checks[0].factors[0]", "long or double column"),
        (_definition(row_checks=[{"rule": "unique", "column": "duration_ms", "factors": ["duration_ms"]}]),
         "row_checks[0].rule", "already a column rule name"),
        (_definition(extra=1), "extra", "is not a known field"),
        (_definition(row_checks=[{"rule": "self", "column": "duration_ms", "factors": ["duration_ms"]}]),
         "row_checks[0].column", "its own factors"),
    ],
)
def test_each_problem_is_named_at_its_path(data: Any, path: str, says: str) -> None:
    problems = _problems(data)
    assert any(p == path and says in message for p, message in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    data = _definition()
    data["columns"][1]["type"] = "decimal"
    data["columns"][3]["rules"] = [{"kind": "pattern", "regex": "("}]
    data["granularity"] = {"segment": "DECADE"}
    assert [path for path, _ in _problems(data)] == ["columns[1].type", "columns[3].rules[0].regex",
                                                     "granularity.segment"]


def test_the_message_lists_the_paths() -> None:
    with pytest.raises(IngestError) as caught:
        schema_from_json(_with_column(1, name="__time"), name="web", druid_datasource="web")
    assert caught.value.message.startswith("The schema definition has 1 problem(s): `columns[1].name` `__time` is")
