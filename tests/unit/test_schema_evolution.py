"""Schema evolution: the diff between two versions, compatibility modes, column ids, summaries and Druid's view."""

from __future__ import annotations

from typing import Any

import pytest

from backend.schema.declaration import (
    ColumnRule,
    ColumnSpec,
    ColumnType,
    DatasourceSchema,
    Granularity,
    QueryGranularity,
    RowCheck,
    RuleKind,
    SegmentGranularity,
)
from backend.schema.evolution import (
    Change,
    ChangeKind,
    CompatibilityMode,
    Violation,
    assign_column_ids,
    change_to_json,
    check_compatibility,
    diff,
    druid_changes,
    summarize,
    violation_to_json,
    violations,
)
from backend.schema.layout import Aggregator, Metric, Partitioning, PartitionType, Rollup

STRING, LONG, DOUBLE, TIMESTAMP = ColumnType.string, ColumnType.long, ColumnType.double, ColumnType.timestamp
TS = ColumnSpec("ts", TIMESTAMP, id=1)
# Numeric columns for row checks: r == q x p.
Q, P, R = ColumnSpec("q", LONG, id=3), ColumnSpec("p", DOUBLE, id=4), ColumnSpec("r", DOUBLE, id=5)
CHECK = RowCheck("r_matches", "r", ("q", "p"))
CHECK_JSON = {"kind": "product_equals", "rule": "r_matches", "column": "r", "factors": ["q", "p"], "discounts": [],
              "tolerance": 0.0}


DAILY = Granularity()
ROLLUP_Q = Rollup(True, (Metric("q", Aggregator.longSum),))
HASHED_X = Partitioning(PartitionType.hashed, None, ("x",), 4)
NO_ROLLUP, DYNAMIC = Rollup(), Partitioning()


def schema(*columns: ColumnSpec, time: str = "ts", row_checks: tuple[RowCheck, ...] = (),
           granularity: Granularity = DAILY, rollup: Rollup = NO_ROLLUP,
           partitioning: Partitioning = DYNAMIC) -> DatasourceSchema:
    """A datasource with the time column `ts` (id 1) first, then `columns`."""
    return DatasourceSchema("events", "events", time, (TS, *columns), row_checks, granularity, rollup, partitioning)


def x(type_: ColumnType = STRING, *rules: ColumnRule, required: bool = False, id_: int = 2) -> ColumnSpec:
    return ColumnSpec("x", type_, required, rules, id_)


def col_json(id_: int, name: str, type_: str, required: bool, rules: list[dict[str, Any]] | None = None) -> dict[
        str, Any]:
    return {"id": id_, "name": name, "type": type_, "required": required, "rules": rules or []}


# --- diff: one case per change kind -------------------------------------------------------------------------------

DIFF_CASES: list[tuple[str, DatasourceSchema, DatasourceSchema, list[Change]]] = [
    ("add optional column", schema(), schema(ColumnSpec("country", STRING, required=False, id=2)), [
        Change(ChangeKind.ADD_COLUMN, "country", 2, "added optional column `country` (string)",
               None, col_json(2, "country", "string", False)),
    ]),
    ("add required column", schema(), schema(ColumnSpec("score", LONG, rules=(ColumnRule.at_least(0),), id=2)), [
        Change(ChangeKind.ADD_COLUMN, "score", 2, "added required column `score` (long)",
               None, col_json(2, "score", "long", True, [{"kind": "min", "bound": 0, "inclusive": True}])),
    ]),
    ("drop column", schema(x(LONG, required=True)), schema(), [
        Change(ChangeKind.DROP_COLUMN, "x", 2, "dropped required column `x` (long)", col_json(2, "x", "long", True)),
    ]),
    # A name dropped earlier and added again has a new id: a new column, not the old one's values.
    ("re-add a name as a new column", schema(x(LONG, required=True)), schema(x(STRING, id_=7)), [
        Change(ChangeKind.ADD_COLUMN, "x", 7, "added optional column `x` (string), a new column: the values stored "
               "under `x` before (id 2, long) are not its values", None, col_json(7, "x", "string", False)),
        Change(ChangeKind.DROP_COLUMN, "x", 2, "dropped required column `x` (long)", col_json(2, "x", "long", True)),
    ]),
    # Same id under another name (the registry never does this): a drop and an add.
    ("same id, other name", schema(x()), schema(ColumnSpec("y", STRING, False, id=2)), [
        Change(ChangeKind.ADD_COLUMN, "y", 2, "added optional column `y` (string)", None,
               col_json(2, "y", "string", False)),
        Change(ChangeKind.DROP_COLUMN, "x", 2, "dropped optional column `x` (string)",
               col_json(2, "x", "string", False)),
    ]),
    ("change type", schema(x(LONG)), schema(x(DOUBLE)), [
        Change(ChangeKind.CHANGE_TYPE, "x", 2, "changed the type of `x` from long to double", "long", "double"),
    ]),
    ("make required", schema(x()), schema(x(required=True)), [
        Change(ChangeKind.MAKE_REQUIRED, "x", 2, "made `x` required", False, True),
    ]),
    ("make optional", schema(x(required=True)), schema(x()), [
        Change(ChangeKind.MAKE_OPTIONAL, "x", 2, "made `x` optional", True, False),
    ]),
    ("add rule", schema(x(LONG)), schema(x(LONG, ColumnRule.greater_than(0))), [
        Change(ChangeKind.ADD_RULE, "x", 2, "added rule min (> 0) to `x`", None,
               {"kind": "min", "bound": 0, "inclusive": False}, "min"),
    ]),
    ("remove rule", schema(x(STRING, ColumnRule.matches("[A-Z]{2}", "two capitals"))), schema(x()), [
        Change(ChangeKind.REMOVE_RULE, "x", 2, "removed rule pattern (matches [A-Z]{2} (two capitals)) from `x`",
               {"kind": "pattern", "regex": "[A-Z]{2}", "meaning": "two capitals"}, None, "pattern"),
    ]),
    ("change rule", schema(x(STRING, ColumnRule.one_of("a", "b"))),
     schema(x(STRING, ColumnRule.one_of("a", "b", "c"))), [
        Change(ChangeKind.CHANGE_RULE, "x", 2, "changed rule one_of on `x` from one of a, b to one of a, b, c",
               {"kind": "one_of", "values": ["a", "b"]}, {"kind": "one_of", "values": ["a", "b", "c"]}, "one_of"),
    ]),
    ("add row check", schema(Q, P, R), schema(Q, P, R, row_checks=(CHECK,)), [
        Change(ChangeKind.ADD_ROW_CHECK, "r", None, "added row check `r_matches` (r = q x p)", None, CHECK_JSON,
               "r_matches"),
    ]),
    ("remove row check", schema(Q, P, R, row_checks=(CHECK,)), schema(Q, P, R), [
        Change(ChangeKind.REMOVE_ROW_CHECK, "r", None, "removed row check `r_matches` (r = q x p)", CHECK_JSON, None,
               "r_matches"),
    ]),
    # A same-named check with other parameters: removed, then added.
    ("change row check", schema(Q, P, R, row_checks=(CHECK,)),
     schema(Q, P, R, row_checks=(RowCheck("r_matches", "r", ("q", "p"), tolerance=0.5),)), [
        Change(ChangeKind.REMOVE_ROW_CHECK, "r", None, "removed row check `r_matches` (r = q x p)", CHECK_JSON, None,
               "r_matches"),
        Change(ChangeKind.ADD_ROW_CHECK, "r", None, "added row check `r_matches` (r = q x p)", None,
               {**CHECK_JSON, "tolerance": 0.5}, "r_matches"),
    ]),
    ("change time column", schema(ColumnSpec("ts2", TIMESTAMP, id=2)),
     schema(ColumnSpec("ts2", TIMESTAMP, id=2), time="ts2"), [
        Change(ChangeKind.CHANGE_TIME_COLUMN, "ts2", 2, "changed the time column from `ts` to `ts2`", "ts", "ts2"),
    ]),
    ("change granularity", schema(),
     schema(granularity=Granularity(SegmentGranularity.HOUR, QueryGranularity.MINUTE)), [
        Change(ChangeKind.CHANGE_GRANULARITY, None, None,
               "changed granularity from segment DAY / query NONE to segment HOUR / query MINUTE",
               {"segment": "DAY", "query": "NONE"}, {"segment": "HOUR", "query": "MINUTE"}),
    ]),
    ("turn rollup on", schema(Q), schema(Q, rollup=ROLLUP_Q), [
        Change(ChangeKind.CHANGE_ROLLUP, None, None, "changed rollup from off to on (longSum(q))",
               {"enabled": False, "metrics": [], "count_metric": "count"},
               {"enabled": True, "metrics": [{"column": "q", "aggregator": "longSum"}], "count_metric": "count"}),
    ]),
    ("hash partitioning", schema(x()), schema(x(), partitioning=HASHED_X), [
        Change(ChangeKind.CHANGE_PARTITIONING, None, None,
               "changed partitioning from dynamic, 5,000,000 rows per segment to hashed by x, 4 shards",
               {"type": "dynamic", "target_rows_per_segment": 5_000_000},
               {"type": "hashed", "dimensions": ["x"], "num_shards": 4}),
    ]),
]


@pytest.mark.parametrize(("old", "new", "expected"), [c[1:] for c in DIFF_CASES], ids=[c[0] for c in DIFF_CASES])
def test_diff_each_change_kind(old: DatasourceSchema, new: DatasourceSchema, expected: list[Change]) -> None:
    assert diff(old, new) == expected


def test_diff_cases_cover_every_change_kind() -> None:
    assert {change.kind for case in DIFF_CASES for change in case[3]} == set(ChangeKind)


def test_diff_of_equal_schemas_is_empty_and_one_of_order_does_not_matter() -> None:
    assert diff(schema(Q, P, R, row_checks=(CHECK,)), schema(Q, P, R, row_checks=(CHECK,))) == []
    assert diff(schema(x(STRING, ColumnRule.one_of("a", "b"))), schema(x(STRING, ColumnRule.one_of("b", "a")))) == []


def test_diff_matches_by_name_without_ids() -> None:
    old = DatasourceSchema("e", "e", "ts", (ColumnSpec("ts", TIMESTAMP), ColumnSpec("x", LONG)))
    new = DatasourceSchema("e", "e", "ts", (ColumnSpec("ts", TIMESTAMP), ColumnSpec("x", DOUBLE, id=9)))
    assert diff(old, new) == [
        Change(ChangeKind.CHANGE_TYPE, "x", 9, "changed the type of `x` from long to double", "long", "double"),
    ]


def test_diff_order_time_granularity_columns_drops_row_checks() -> None:
    old = schema(ColumnSpec("ts2", TIMESTAMP, id=2), ColumnSpec("gone", STRING, id=6), Q, P, R,
                 x(LONG, ColumnRule.at_least(0), ColumnRule.less_than(9), id_=7), row_checks=(CHECK,))
    new = schema(x(DOUBLE, ColumnRule.less_than(10), required=True, id_=7), Q, P, R,
                 ColumnSpec("ts2", TIMESTAMP, id=2), ColumnSpec("added", STRING, False, id=8), time="ts2",
                 granularity=Granularity(SegmentGranularity.HOUR))
    assert [(c.kind, c.column, c.rule) for c in diff(old, new)] == [
        (ChangeKind.CHANGE_TIME_COLUMN, "ts2", None),
        (ChangeKind.CHANGE_GRANULARITY, None, None),
        (ChangeKind.CHANGE_TYPE, "x", None),
        (ChangeKind.MAKE_REQUIRED, "x", None),
        (ChangeKind.CHANGE_RULE, "x", "max"),
        (ChangeKind.REMOVE_RULE, "x", "min"),
        (ChangeKind.ADD_COLUMN, "added", None),
        (ChangeKind.DROP_COLUMN, "gone", None),
        (ChangeKind.REMOVE_ROW_CHECK, "r", "r_matches"),
    ]


# --- compatibility: every mode x every change -----------------------------------------------------------------------

SEEN = "seen"  # a timestamp column that is not the time column


def seen(*rules: ColumnRule) -> ColumnSpec:
    return ColumnSpec(SEEN, TIMESTAMP, False, rules, 2)


MAX_10 = ColumnRule(RuleKind.max, bound=10)
COMPAT_CASES: dict[str, tuple[DatasourceSchema, DatasourceSchema, list[ChangeKind]]] = {
    "add optional column": (schema(), schema(x()), [ChangeKind.ADD_COLUMN]),
    "add required column": (schema(), schema(x(required=True)), [ChangeKind.ADD_COLUMN]),
    "drop optional column": (schema(x()), schema(), [ChangeKind.DROP_COLUMN]),
    "drop required column": (schema(x(required=True)), schema(), [ChangeKind.DROP_COLUMN]),
    "change type": (schema(x(LONG)), schema(x(DOUBLE)), [ChangeKind.CHANGE_TYPE]),
    "make required": (schema(x()), schema(x(required=True)), [ChangeKind.MAKE_REQUIRED]),
    "make optional": (schema(x(required=True)), schema(x()), [ChangeKind.MAKE_OPTIONAL]),
    "add rule": (schema(x()), schema(x(STRING, ColumnRule.not_blank())), [ChangeKind.ADD_RULE]),
    "remove rule": (schema(x(STRING, ColumnRule.unique())), schema(x()), [ChangeKind.REMOVE_RULE]),
    "one_of loosened": (schema(x(STRING, ColumnRule.one_of("a", "b"))),
                        schema(x(STRING, ColumnRule.one_of("a", "b", "c"))), [ChangeKind.CHANGE_RULE]),
    "one_of tightened": (schema(x(STRING, ColumnRule.one_of("a", "b", "c"))),
                         schema(x(STRING, ColumnRule.one_of("a", "b"))), [ChangeKind.CHANGE_RULE]),
    "one_of both ways": (schema(x(STRING, ColumnRule.one_of("a", "b"))),
                         schema(x(STRING, ColumnRule.one_of("b", "c"))), [ChangeKind.CHANGE_RULE]),
    "min lowered": (schema(x(LONG, ColumnRule.at_least(0))), schema(x(LONG, ColumnRule.at_least(-10))),
                    [ChangeKind.CHANGE_RULE]),
    "min raised": (schema(x(LONG, ColumnRule.at_least(0))), schema(x(LONG, ColumnRule.at_least(5))),
                   [ChangeKind.CHANGE_RULE]),
    "min made inclusive": (schema(x(DOUBLE, ColumnRule.greater_than(0))), schema(x(DOUBLE, ColumnRule.at_least(0))),
                           [ChangeKind.CHANGE_RULE]),
    "min made exclusive": (schema(x(DOUBLE, ColumnRule.at_least(0))), schema(x(DOUBLE, ColumnRule.greater_than(0))),
                           [ChangeKind.CHANGE_RULE]),
    "max raised": (schema(x(LONG, MAX_10)), schema(x(LONG, ColumnRule(RuleKind.max, bound=20))),
                   [ChangeKind.CHANGE_RULE]),
    "max lowered": (schema(x(LONG, MAX_10)), schema(x(LONG, ColumnRule(RuleKind.max, bound=5))),
                    [ChangeKind.CHANGE_RULE]),
    "max made exclusive": (schema(x(LONG, MAX_10)), schema(x(LONG, ColumnRule.less_than(10))),
                           [ChangeKind.CHANGE_RULE]),
    "too_old earlier": (schema(seen(ColumnRule.not_before("2020-01-01"))),
                        schema(seen(ColumnRule.not_before("2010-01-01"))), [ChangeKind.CHANGE_RULE]),
    "too_old later": (schema(seen(ColumnRule.not_before("2020-01-01"))),
                      schema(seen(ColumnRule.not_before("2021-01-01"))), [ChangeKind.CHANGE_RULE]),
    "too_old same instant": (schema(seen(ColumnRule.not_before("2020-01-01"))),
                             schema(seen(ColumnRule.not_before("2020-01-01T00:00:00Z"))), [ChangeKind.CHANGE_RULE]),
    "pattern regex": (schema(x(STRING, ColumnRule.matches("[A-Z]{2}"))),
                      schema(x(STRING, ColumnRule.matches("[A-Z]{2,3}"))), [ChangeKind.CHANGE_RULE]),
    "pattern meaning only": (schema(x(STRING, ColumnRule.matches("[A-Z]{2}"))),
                             schema(x(STRING, ColumnRule.matches("[A-Z]{2}", "country code"))),
                             [ChangeKind.CHANGE_RULE]),
    "add row check": (schema(Q, P, R), schema(Q, P, R, row_checks=(CHECK,)), [ChangeKind.ADD_ROW_CHECK]),
    "remove row check": (schema(Q, P, R, row_checks=(CHECK,)), schema(Q, P, R), [ChangeKind.REMOVE_ROW_CHECK]),
    "change row check": (schema(Q, P, R, row_checks=(CHECK,)),
                         schema(Q, P, R, row_checks=(RowCheck("r_matches", "r", ("q", "p"), tolerance=0.5),)),
                         [ChangeKind.REMOVE_ROW_CHECK, ChangeKind.ADD_ROW_CHECK]),
    "change time column": (schema(seen()), schema(ColumnSpec(SEEN, TIMESTAMP, id=2), time=SEEN),
                           [ChangeKind.CHANGE_TIME_COLUMN, ChangeKind.MAKE_REQUIRED]),
    "change granularity": (schema(), schema(granularity=Granularity(SegmentGranularity.MONTH)),
                           [ChangeKind.CHANGE_GRANULARITY]),
    "change rollup": (schema(Q), schema(Q, rollup=ROLLUP_Q), [ChangeKind.CHANGE_ROLLUP]),
    "change partitioning": (schema(x()), schema(x(), partitioning=HASHED_X), [ChangeKind.CHANGE_PARTITIONING]),
}

B, BT, F, FULL, NONE = (CompatibilityMode.BACKWARD, CompatibilityMode.BACKWARD_TRANSITIVE, CompatibilityMode.FORWARD,
                        CompatibilityMode.FULL, CompatibilityMode.NONE)
MODES = (B, BT, F, FULL, NONE)
# Whether each mode allows the change: True = compatible.
VERDICTS: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    #                         BACKWARD  B_TRANS  FORWARD  FULL   NONE
    "add optional column":   (True,     True,    True,    True,  True),
    "add required column":   (False,    False,   True,    False, True),
    "drop optional column":  (True,     True,    True,    True,  True),
    "drop required column":  (True,     True,    False,   False, True),
    "change type":           (False,    False,   False,   False, True),
    "make required":         (False,    False,   True,    False, True),
    "make optional":         (True,     True,    False,   False, True),
    "add rule":              (False,    False,   True,    False, True),
    "remove rule":           (True,     True,    False,   False, True),
    "one_of loosened":       (True,     True,    False,   False, True),
    "one_of tightened":      (False,    False,   True,    False, True),
    "one_of both ways":      (False,    False,   False,   False, True),
    "min lowered":           (True,     True,    False,   False, True),
    "min raised":            (False,    False,   True,    False, True),
    "min made inclusive":    (True,     True,    False,   False, True),
    "min made exclusive":    (False,    False,   True,    False, True),
    "max raised":            (True,     True,    False,   False, True),
    "max lowered":           (False,    False,   True,    False, True),
    "max made exclusive":    (False,    False,   True,    False, True),
    "too_old earlier":       (True,     True,    False,   False, True),
    "too_old later":         (False,    False,   True,    False, True),
    "too_old same instant":  (True,     True,    True,    True,  True),
    "pattern regex":         (False,    False,   False,   False, True),
    "pattern meaning only":  (True,     True,    True,    True,  True),
    "add row check":         (False,    False,   True,    False, True),
    "remove row check":      (True,     True,    False,   False, True),
    "change row check":      (False,    False,   False,   False, True),
    # The time column's change alone breaks every mode (the MAKE_REQUIRED with it only BACKWARD).
    "change time column":    (False,    False,   False,   False, True),
    "change granularity":    (True,     True,    True,    True,  True),
    "change rollup":         (True,     True,    True,    True,  True),
    "change partitioning":   (True,     True,    True,    True,  True),
}
VERDICT_TABLE = [(case, mode, verdict) for case, verdicts in VERDICTS.items() for mode, verdict in zip(MODES, verdicts,
                                                                                                        strict=True)]


def test_verdict_table_covers_every_case_and_change_kind() -> None:
    assert VERDICTS.keys() == COMPAT_CASES.keys()
    assert {kind for _, _, kinds in COMPAT_CASES.values() for kind in kinds} == set(ChangeKind)


@pytest.mark.parametrize("case", COMPAT_CASES)
def test_compat_case_is_the_change_it_names(case: str) -> None:
    old, new, kinds = COMPAT_CASES[case]
    assert [c.kind for c in diff(old, new)] == kinds


@pytest.mark.parametrize(("case", "mode", "compatible"), VERDICT_TABLE, ids=[f"{c}-{m}" for c, m, _ in VERDICT_TABLE])
def test_every_mode_against_every_change(case: str, mode: CompatibilityMode, compatible: bool) -> None:
    old, new, _ = COMPAT_CASES[case]
    found = check_compatibility([(4, old)], new, mode)
    assert (found == []) is compatible
    assert found == violations(diff(old, new), mode, old_version=4, new_version=5)
    assert all(v.against_version == 4 and v.reason.startswith(f"{mode}: ") for v in found)


def test_change_time_column_alone_breaks_every_mode_but_none() -> None:
    change = Change(ChangeKind.CHANGE_TIME_COLUMN, "b", 3, "changed the time column from `a` to `b`", "a", "b")
    reason = ("the time column is `a` in the old version and `b` in the new version; Druid partitions and replaces "
              "rows by their time, so the versions would disagree on it")
    for mode in (B, BT, F, FULL):
        assert violations([change], mode) == [Violation(ChangeKind.CHANGE_TIME_COLUMN, "b", f"{mode}: {reason}")]
    assert violations([change], NONE) == []


def test_a_time_column_re_added_under_its_name_is_a_change_of_time_column() -> None:
    # v1 partitions by `a`; v2 moved to `b` and dropped `a`; v3 partitions by a new `a` again.
    v1 = DatasourceSchema("e", "e", "a", (ColumnSpec("a", TIMESTAMP, id=1), ColumnSpec("b", TIMESTAMP, id=2)))
    v2 = DatasourceSchema("e", "e", "b", (ColumnSpec("b", TIMESTAMP, id=2),))
    v3 = DatasourceSchema("e", "e", "a", (ColumnSpec("a", TIMESTAMP, id=3), ColumnSpec("b", TIMESTAMP, id=2)))
    assert diff(v1, v3)[0] == Change(ChangeKind.CHANGE_TIME_COLUMN, "a", 3,
                                     "the time column `a` is a new column (id 3)", "a", "a")
    assert [v.reason for v in check_compatibility([(1, v1), (2, v2)], v3, BT) if v.against_version == 1] == [
        "BACKWARD_TRANSITIVE: the time column `a` of version 3 is not version 1's; Druid partitions and replaces rows "
        "by their time, so the versions would disagree on it",
        "BACKWARD_TRANSITIVE: rows stored under version 1 have no value in `a`, which version 3 requires",
    ]


def test_reasons_name_the_column_and_the_versions() -> None:
    def reasons(case: str, mode: CompatibilityMode) -> list[str]:
        old, new, _ = COMPAT_CASES[case]
        return [v.reason for v in check_compatibility([(2, old)], new, mode)]

    assert reasons("add required column", B) == [
        "BACKWARD: rows stored under version 2 have no value in `x`, which version 3 requires"]
    assert reasons("drop required column", F) == [
        "FORWARD: rows written under version 3 have no value in `x`, which version 2 requires"]
    assert reasons("change type", FULL) == [
        "FULL: `x` is long in version 2 and double in version 3; Druid would hold two types under one column name"]
    assert reasons("make optional", FULL) == [
        "FULL: rows written under version 3 may leave `x` empty, which version 2 refuses"]
    assert reasons("one_of both ways", FULL) == [
        "FULL: version 3's rule one_of on `x` refuses values version 2 accepts (a); and version 3's rule one_of on "
        "`x` accepts values version 2 refuses (c)"]
    assert reasons("min raised", B) == ["BACKWARD: version 3's rule min on `x` refuses values version 2 accepts"]
    assert reasons("remove row check", F) == [
        "FORWARD: version 3 removes row check `r_matches` on `r`, so its rows may fail that check of version 2"]


def test_granularity_is_never_a_violation() -> None:
    old, new, _ = COMPAT_CASES["change granularity"]
    assert all(check_compatibility([(1, old)], new, mode) == [] for mode in CompatibilityMode)


# --- BACKWARD_TRANSITIVE --------------------------------------------------------------------------------------------

A_OPT, A_REQ = ColumnSpec("a", STRING, False, id=2), ColumnSpec("a", STRING, True, id=2)


def test_transitive_reports_each_earlier_version_it_breaks() -> None:
    history = [(1, schema()), (2, schema(A_OPT))]
    new = schema(A_REQ)
    assert check_compatibility(history, new, B) == [
        Violation(ChangeKind.MAKE_REQUIRED, "a", "BACKWARD: rows stored under version 2 may leave `a` empty, which "
                  "version 3 refuses", 2),
    ]
    assert check_compatibility(history, new, BT) == [
        Violation(ChangeKind.ADD_COLUMN, "a", "BACKWARD_TRANSITIVE: rows stored under version 1 have no value in "
                  "`a`, which version 3 requires", 1),
        Violation(ChangeKind.MAKE_REQUIRED, "a", "BACKWARD_TRANSITIVE: rows stored under version 2 may leave `a` "
                  "empty, which version 3 refuses", 2),
    ]


def test_transitive_equals_backward_when_every_step_passed_backward() -> None:
    # Each check is a transitive relation (see check_compatibility): bounds loosened step by step stay loosened.
    history = [(1, schema(x(LONG, ColumnRule.at_least(0)))), (2, schema(x(LONG, ColumnRule.at_least(-10))))]
    new = schema(x(LONG, ColumnRule.at_least(-20)), ColumnSpec("b", STRING, False, id=3))
    assert check_compatibility(history, new, B) == check_compatibility(history, new, BT) == []


def test_transitive_catches_a_step_registered_under_a_weaker_mode() -> None:
    # Version 2 narrowed one_of (allowed under FORWARD or NONE); version 3 passes BACKWARD against version 2, but
    # rows of version 1 with `c` are still refused.
    history = [(1, schema(x(STRING, ColumnRule.one_of("a", "b", "c")))),
               (2, schema(x(STRING, ColumnRule.one_of("a", "b"))))]
    new = schema(x(STRING, ColumnRule.one_of("a", "b")), ColumnSpec("note", STRING, False, id=3))
    assert check_compatibility(history, new, B) == []
    assert check_compatibility(history, new, BT) == [
        Violation(ChangeKind.CHANGE_RULE, "x", "BACKWARD_TRANSITIVE: version 3's rule one_of on `x` refuses values "
                  "version 1 accepts (c)", 1),
    ]


def test_transitive_matches_a_version_without_ids_by_name() -> None:
    # Version 1 predates ids: `x` there is matched by name, so the type of `x` in version 3 differs from it.
    v1 = DatasourceSchema("events", "events", "ts", (ColumnSpec("ts", TIMESTAMP), ColumnSpec("x", STRING, False)))
    history = [(1, v1), (2, schema())]
    new = schema(x(LONG, id_=3))
    assert check_compatibility(history, new, B) == []
    assert [(v.kind, v.against_version) for v in check_compatibility(history, new, BT)] == [
        (ChangeKind.CHANGE_TYPE, 1)]


def test_check_assigns_ids_to_a_new_version_so_a_re_added_name_is_a_new_column() -> None:
    v1 = schema(x(STRING, ColumnRule.one_of("a", "b")))
    history = [(1, v1), (2, schema())]
    new = DatasourceSchema("events", "events", "ts",
                           (ColumnSpec("ts", TIMESTAMP), ColumnSpec("x", STRING, False, (ColumnRule.one_of("a"),))))
    # Matched by name, `x` would look like the old column with a narrower one_of ...
    assert [c.kind for c in diff(v1, new)] == [ChangeKind.CHANGE_RULE]
    # ... but registered, it is a new optional column (id 3), which BACKWARD allows against both versions.
    assert check_compatibility(history, new, BT) == []


def test_none_mode_and_empty_history_allow_anything() -> None:
    assert check_compatibility([], schema(x(required=True)), FULL) == []
    assert check_compatibility([(1, schema(x(LONG)))], schema(x(DOUBLE)), NONE) == []


# --- column ids -----------------------------------------------------------------------------------------------------


def test_first_version_gets_ids_one_to_n_whatever_it_carries() -> None:
    new = schema(ColumnSpec("b", STRING, id=40), ColumnSpec("a", LONG))
    assert [(c.name, c.id) for c in assign_column_ids(new, None, 0).columns] == [("ts", 1), ("b", 2), ("a", 3)]


def test_kept_names_keep_their_ids_and_new_names_get_fresh_ones_in_order() -> None:
    previous = schema(ColumnSpec("a", STRING, id=2), ColumnSpec("b", STRING, id=3))
    new = schema(ColumnSpec("b", STRING), ColumnSpec("c", LONG), ColumnSpec("a", DOUBLE), ColumnSpec("d", STRING))
    assigned = assign_column_ids(new, previous, 5)
    assert [(c.name, c.id) for c in assigned.columns] == [("ts", 1), ("b", 3), ("c", 6), ("a", 2), ("d", 7)]
    assert [c.type for c in assigned.columns] == [TIMESTAMP, STRING, LONG, DOUBLE, STRING]


def test_a_name_dropped_then_added_again_gets_a_new_id() -> None:
    v1 = assign_column_ids(schema(ColumnSpec("x", STRING)), None, 0)
    v2 = assign_column_ids(schema(), v1, 2)
    v3 = assign_column_ids(schema(ColumnSpec("x", STRING)), v2, 2)
    assert [(c.name, c.id) for c in v1.columns] == [("ts", 1), ("x", 2)]
    assert [(c.name, c.id) for c in v2.columns] == [("ts", 1)]
    assert [(c.name, c.id) for c in v3.columns] == [("ts", 1), ("x", 3)]
    assert [c.kind for c in diff(v1, v3)] == [ChangeKind.ADD_COLUMN, ChangeKind.DROP_COLUMN]


def test_last_used_id_below_the_previous_ids_is_refused() -> None:
    with pytest.raises(ValueError, match="last_used_id 2 is below"):
        assign_column_ids(schema(), schema(ColumnSpec("b", STRING, id=3)), 2)


# --- summaries, Druid, JSON ---------------------------------------------------------------------------------------


def test_summarize() -> None:
    old = schema(x(LONG, ColumnRule.at_least(0), required=True), Q, P, R, row_checks=(CHECK,))
    new = schema(x(DOUBLE, ColumnRule.at_least(1)), Q, P, R, ColumnSpec("country", STRING, False, id=9),
                 granularity=Granularity(SegmentGranularity.HOUR))
    assert summarize(diff(old, new)) == (
        "changed granularity; changed `x` from long to double; made `x` optional; changed rule min on `x`; "
        "added column `country`; removed row check `r_matches`")
    assert summarize([]) == "no changes"


def test_summarize_caps_the_line_at_about_200_characters() -> None:
    new = schema(*(ColumnSpec(f"c{i:02}", STRING, False, id=i + 1) for i in range(1, 31)))
    line = summarize(diff(schema(), new))
    assert line == ("added column `c01`; added column `c02`; added column `c03`; added column `c04`; "
                    "added column `c05`; added column `c06`; added column `c07`; added column `c08`; "
                    "added column `c09`; and 21 more")
    assert len(line) <= 200


def test_druid_changes_by_name_without_the_time_column() -> None:
    old = schema(ColumnSpec("a", STRING, id=2), ColumnSpec("n", LONG, id=3), ColumnSpec(SEEN, TIMESTAMP, False, id=4))
    new = schema(ColumnSpec("n", DOUBLE, id=3), ColumnSpec(SEEN, TIMESTAMP, False, id=4),
                 ColumnSpec("b", LONG, id=5), ColumnSpec("a", STRING, id=6))
    assert druid_changes(old, new) == {
        "dimensions_added": [{"name": "b", "type": "long"}],
        "dimensions_removed": [],
        "dimensions_retyped": [{"name": "n", "from": "long", "to": "double"}],
    }
    assert druid_changes(None, old) == {
        "dimensions_added": [{"name": "a", "type": "string"}, {"name": "n", "type": "long"},
                             {"name": "seen", "type": "string"}],
        "dimensions_removed": [],
        "dimensions_retyped": [],
    }


def test_druid_changes_when_the_time_column_moves() -> None:
    old = schema(ColumnSpec(SEEN, TIMESTAMP, id=2))
    new = schema(ColumnSpec(SEEN, TIMESTAMP, id=2), time=SEEN)
    assert druid_changes(old, new) == {
        "dimensions_added": [{"name": "ts", "type": "string"}],
        "dimensions_removed": [{"name": "seen", "type": "string"}],
        "dimensions_retyped": [],
    }


def test_change_and_violation_to_json() -> None:
    change = Change(ChangeKind.CHANGE_RULE, "x", 2, "changed rule min on `x` from >= 0 to >= 5",
                    {"kind": "min", "bound": 0, "inclusive": True}, {"kind": "min", "bound": 5, "inclusive": True},
                    "min")
    assert change_to_json(change) == {
        "kind": "CHANGE_RULE", "column": "x", "column_id": 2,
        "description": "changed rule min on `x` from >= 0 to >= 5",
        "before": {"kind": "min", "bound": 0, "inclusive": True},
        "after": {"kind": "min", "bound": 5, "inclusive": True},
        "rule": "min",
    }
    violation = Violation(ChangeKind.CHANGE_RULE, "x", "BACKWARD: ...", 3)
    assert violation_to_json(violation) == {"kind": "CHANGE_RULE", "column": "x", "reason": "BACKWARD: ...",
                                            "against_version": 3}
    assert [m.value for m in CompatibilityMode] == ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FULL", "NONE"]
    assert all(k.value == k.name for k in ChangeKind)
