"""How a datasource's schema changed between two versions, and whether the change keeps the versions compatible.

The schema registry calls `diff` to list the changes of a new version, `check_compatibility` to refuse a version
that breaks the datasource's compatibility mode (the modes of Confluent's Schema Registry), `assign_column_ids`
to give columns their stable ids (as Iceberg does: a column dropped and added again is a new column), and
`druid_changes` to say what Druid's dimensions will look like afterwards. Pure: no I/O.

Compatibility is defined by valid rows. BACKWARD: every row valid under the old version is valid under the new
one (old files can be sent again, old data stays acceptable). FORWARD: every row valid under the new version is
valid under the old one (producers and readers still on the old version accept new rows). FULL: both.
BACKWARD_TRANSITIVE: BACKWARD against every earlier version, not just the latest. NONE: anything goes. Each
change is judged on its own ("ok" keeps the mode, "breaks" is a violation):

| Change                                          | BACKWARD | BACKWARD_TRANSITIVE | FORWARD | FULL   | NONE |
|-------------------------------------------------|----------|---------------------|---------|--------|------|
| ADD_COLUMN, optional                            | ok       | ok                  | ok      | ok     | ok   |
| ADD_COLUMN, required                            | breaks   | breaks              | ok      | breaks | ok   |
| DROP_COLUMN, was optional                       | ok       | ok                  | ok      | ok     | ok   |
| DROP_COLUMN, was required                       | ok       | ok                  | breaks  | breaks | ok   |
| CHANGE_TYPE                                     | breaks   | breaks              | breaks  | breaks | ok   |
| MAKE_REQUIRED                                   | breaks   | breaks              | ok      | breaks | ok   |
| MAKE_OPTIONAL                                   | ok       | ok                  | breaks  | breaks | ok   |
| ADD_RULE, ADD_ROW_CHECK (tightening)            | breaks   | breaks              | ok      | breaks | ok   |
| REMOVE_RULE, REMOVE_ROW_CHECK (loosening)       | ok       | ok                  | breaks  | breaks | ok   |
| CHANGE_RULE, tightening                         | breaks   | breaks              | ok      | breaks | ok   |
| CHANGE_RULE, loosening                          | ok       | ok                  | breaks  | breaks | ok   |
| CHANGE_RULE, both ways                          | breaks   | breaks              | breaks  | breaks | ok   |
| CHANGE_RULE, neither way (a pattern's meaning)  | ok       | ok                  | ok      | ok     | ok   |
| CHANGE_TIME_COLUMN                              | breaks   | breaks              | breaks  | breaks | ok   |
| CHANGE_GRANULARITY                              | ok       | ok                  | ok      | ok     | ok   |
| CHANGE_ROLLUP, CHANGE_PARTITIONING              | ok       | ok                  | ok      | ok     | ok   |

Notes on the table:
- The old version ignores columns it does not declare, so adding a column never breaks FORWARD.
- CHANGE_TYPE breaks every mode but NONE because Druid would hold two types under one column name.
- A CHANGE_RULE's direction: one_of allowing more values loosens, fewer tightens, some of each is both ways;
  min with a lower bound (or the same bound, now inclusive) loosens, a higher one tightens, and max the mirror
  of that; too_old with an earlier `earliest` loosens, a later one tightens; a pattern with another regex is
  both ways (two regexes cannot be compared), one whose `meaning` alone changed is neither.
- A row check whose parameters changed is reported as REMOVE_ROW_CHECK + ADD_ROW_CHECK, so it breaks both ways.
- CHANGE_TIME_COLUMN breaks every mode but NONE: Druid partitions and replaces rows by their time.
- CHANGE_GRANULARITY, CHANGE_ROLLUP and CHANGE_PARTITIONING are how Druid lays the rows out, not which rows are
  valid, so every mode allows them (a metric whose Druid type changes is still refused as a retype by the
  registry, which knows every earlier version).
- Datasource name, Druid datasource name and description are not part of the diff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from backend.schema.codec import partitioning_to_json, rollup_to_json, row_check_to_json, rule_to_json
from backend.schema.declaration import (
    DRUID_DIMENSION_TYPE,
    ColumnRule,
    ColumnSpec,
    DatasourceSchema,
    RowCheck,
    RuleKind,
    parse_instant,
)


class CompatibilityMode(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FULL = "FULL"
    NONE = "NONE"


class ChangeKind(StrEnum):
    ADD_COLUMN = "ADD_COLUMN"
    DROP_COLUMN = "DROP_COLUMN"
    CHANGE_TYPE = "CHANGE_TYPE"
    MAKE_REQUIRED = "MAKE_REQUIRED"
    MAKE_OPTIONAL = "MAKE_OPTIONAL"
    ADD_RULE = "ADD_RULE"
    REMOVE_RULE = "REMOVE_RULE"
    CHANGE_RULE = "CHANGE_RULE"
    ADD_ROW_CHECK = "ADD_ROW_CHECK"
    REMOVE_ROW_CHECK = "REMOVE_ROW_CHECK"
    CHANGE_TIME_COLUMN = "CHANGE_TIME_COLUMN"
    CHANGE_GRANULARITY = "CHANGE_GRANULARITY"
    CHANGE_ROLLUP = "CHANGE_ROLLUP"
    CHANGE_PARTITIONING = "CHANGE_PARTITIONING"


@dataclass(frozen=True)
class Change:
    """One change between two versions. `before`/`after` are JSON-ready: the column (ADD/DROP_COLUMN), the type
    name, the `required` flag, the rule, the row check, the time column's name, or the granularity."""

    kind: ChangeKind
    column: str | None  # the column's name; for a row check its `column`; None for granularity
    column_id: int | None  # the column's id (0 while unassigned); None where the change is not a column's
    description: str  # one short sentence for a person
    before: Any = None
    after: Any = None
    rule: str | None = None  # the rule kind (ADD/REMOVE/CHANGE_RULE) or the row check's name (ADD/REMOVE_ROW_CHECK)


@dataclass(frozen=True)
class Violation:
    kind: ChangeKind
    column: str | None
    reason: str  # for a person: the mode, the column and the versions
    against_version: int | None = None  # the earlier version this breaks compatibility with, when known


# --- diff ---------------------------------------------------------------------------------------------------------


def diff(old: DatasourceSchema, new: DatasourceSchema) -> list[Change]:
    """The changes from `old` to `new`, in this order: the time column, the granularity, then the columns in
    `new`'s order (each column's type, then required, then its rules in `new`'s order, then its removed rules),
    then the dropped columns in `old`'s order, then the removed row checks in `old`'s order and the added ones in
    `new`'s order.

    Columns are matched by id when every column of both versions has a distinct non-zero id, otherwise by name.
    Matched by id, a column whose name differs is reported as dropped and added (the registry never renames),
    and so is a name dropped and added again under a new id.
    """
    changes: list[Change] = []
    old_time, new_time = old.column(old.timestamp_column), new.column(new.timestamp_column)
    by_id = _has_ids(old) and _has_ids(new)
    if old_time.name != new_time.name or (by_id and old_time.id != new_time.id):
        text = (f"changed the time column from `{old_time.name}` to `{new_time.name}`" if old_time.name !=
                new_time.name else f"the time column `{new_time.name}` is a new column (id {new_time.id})")
        changes.append(Change(ChangeKind.CHANGE_TIME_COLUMN, new_time.name, new_time.id, text, old_time.name,
                              new_time.name))
    if old.granularity != new.granularity:
        before, after = _granularity_json(old), _granularity_json(new)
        changes.append(Change(ChangeKind.CHANGE_GRANULARITY, None, None,
                              f"changed granularity from {_say_granularity(before)} to {_say_granularity(after)}",
                              before, after))
    if old.rollup != new.rollup:
        before, after = rollup_to_json(old.rollup), rollup_to_json(new.rollup)
        changes.append(Change(ChangeKind.CHANGE_ROLLUP, None, None,
                              f"changed rollup from {_say_rollup(before)} to {_say_rollup(after)}", before, after))
    if old.partitioning != new.partitioning:
        before, after = partitioning_to_json(old.partitioning), partitioning_to_json(new.partitioning)
        changes.append(Change(ChangeKind.CHANGE_PARTITIONING, None, None,
                              f"changed partitioning from {_say_partitioning(before)} to {_say_partitioning(after)}",
                              before, after))

    def key(c: ColumnSpec) -> int | str:
        return c.id if by_id else c.name

    old_by_key = {key(c): c for c in old.columns}
    old_by_name = {c.name: c for c in old.columns}
    matched: set[int | str] = set()
    for column in new.columns:
        previous = old_by_key.get(key(column))
        if previous is not None and previous.name == column.name:
            matched.add(key(column))
            changes += _column_changes(previous, column)
        else:
            changes.append(_added(column, old_by_name.get(column.name)))
    changes += [_dropped(c) for c in old.columns if key(c) not in matched]

    new_checks = {check.rule: check for check in new.row_checks}
    old_checks = {check.rule: check for check in old.row_checks}
    changes += [_row_check_change(ChangeKind.REMOVE_ROW_CHECK, check) for check in old.row_checks
                if not _same_check(check, new_checks.get(check.rule))]
    changes += [_row_check_change(ChangeKind.ADD_ROW_CHECK, check) for check in new.row_checks
                if not _same_check(check, old_checks.get(check.rule))]
    return changes


def _has_ids(schema: DatasourceSchema) -> bool:
    ids = [c.id for c in schema.columns]
    return all(ids) and len(set(ids)) == len(ids)


def _added(column: ColumnSpec, same_name: ColumnSpec | None) -> Change:
    text = f"added {_say_required(column)} column `{column.name}` ({column.type})"
    if same_name is not None:
        # Only reached when matching by id: the name is back as another column, so the values stored under it
        # before belong to the old column.
        text += (f", a new column: the values stored under `{column.name}` before (id {same_name.id}, "
                 f"{same_name.type}) are not its values")
    return Change(ChangeKind.ADD_COLUMN, column.name, column.id, text, after=_column_json(column))


def _dropped(column: ColumnSpec) -> Change:
    return Change(ChangeKind.DROP_COLUMN, column.name, column.id,
                  f"dropped {_say_required(column)} column `{column.name}` ({column.type})",
                  before=_column_json(column))


def _column_changes(old: ColumnSpec, new: ColumnSpec) -> list[Change]:
    name, cid = new.name, new.id
    out: list[Change] = []
    if old.type is not new.type:
        out.append(Change(ChangeKind.CHANGE_TYPE, name, cid, f"changed the type of `{name}` from {old.type} to "
                          f"{new.type}", old.type.value, new.type.value))
    if old.required != new.required:
        kind = ChangeKind.MAKE_REQUIRED if new.required else ChangeKind.MAKE_OPTIONAL
        out.append(Change(kind, name, cid, f"made `{name}` {_say_required(new)}", old.required, new.required))
    for rule in new.rules:
        before = old.rule(rule.kind)
        if before is None:
            out.append(Change(ChangeKind.ADD_RULE, name, cid, f"added rule {rule.kind} ({_say_rule(rule)}) to "
                              f"`{name}`", after=rule_to_json(rule), rule=rule.kind.value))
        elif not _same_rule(before, rule):
            out.append(Change(ChangeKind.CHANGE_RULE, name, cid, f"changed rule {rule.kind} on `{name}` from "
                              f"{_say_rule(before)} to {_say_rule(rule)}", rule_to_json(before), rule_to_json(rule),
                              rule.kind.value))
    out += [Change(ChangeKind.REMOVE_RULE, name, cid, f"removed rule {rule.kind} ({_say_rule(rule)}) from `{name}`",
                   before=rule_to_json(rule), rule=rule.kind.value)
            for rule in old.rules if new.rule(rule.kind) is None]
    return out


def _same_rule(a: ColumnRule, b: ColumnRule) -> bool:
    if a.kind is RuleKind.one_of:  # the order of allowed values means nothing
        return set(a.values) == set(b.values)
    return rule_to_json(a) == rule_to_json(b)


def _same_check(a: RowCheck, b: RowCheck | None) -> bool:
    # A product does not depend on the order of its factors (or discounts).
    return b is not None and (a.kind, a.column, sorted(a.factors), sorted(a.discounts), a.tolerance) == (
        b.kind, b.column, sorted(b.factors), sorted(b.discounts), b.tolerance)


def _row_check_change(kind: ChangeKind, check: RowCheck) -> Change:
    verb = "added" if kind is ChangeKind.ADD_ROW_CHECK else "removed"
    data = row_check_to_json(check)
    return Change(kind, check.column, None, f"{verb} row check `{check.rule}` ({check.column} = {check.formula()})",
                  None if kind is ChangeKind.ADD_ROW_CHECK else data,
                  data if kind is ChangeKind.ADD_ROW_CHECK else None, check.rule)


def _column_json(column: ColumnSpec) -> dict[str, Any]:
    return {"id": column.id, "name": column.name, "type": column.type.value, "required": column.required,
            "rules": [rule_to_json(r) for r in column.rules]}


def _granularity_json(schema: DatasourceSchema) -> dict[str, str]:
    return {"segment": schema.granularity.segment.value, "query": schema.granularity.query.value}


def _say_granularity(g: dict[str, str]) -> str:
    return f"segment {g['segment']} / query {g['query']}"


def _say_rollup(rollup: dict[str, Any]) -> str:
    if not rollup["enabled"]:
        return "off"
    return "on (" + ", ".join(f"{m['aggregator']}({m['column']})" for m in rollup["metrics"]) + ")"


def _say_partitioning(p: dict[str, Any]) -> str:
    by = f" by {', '.join(p['dimensions'])}" if p.get("dimensions") else ""
    size = (f"{p['num_shards']} shards" if "num_shards" in p else f"{p['target_rows_per_segment']:,} rows per segment")
    return f"{p['type']}{by}, {size}"


def _say_required(column: ColumnSpec) -> str:
    return "required" if column.required else "optional"


def _say_rule(rule: ColumnRule) -> str:
    if rule.kind is RuleKind.one_of:
        shown = ", ".join(rule.values[:5])
        return f"one of {shown}" + (f" and {len(rule.values) - 5} more" if len(rule.values) > 5 else "")
    if rule.kind is RuleKind.pattern:
        return f"matches {rule.regex}" + (f" ({rule.meaning})" if rule.meaning else "")
    if rule.kind in (RuleKind.min, RuleKind.max):
        sign = (">" if rule.kind is RuleKind.min else "<") + ("=" if rule.inclusive else "")
        return f"{sign} {rule.bound:g}" if rule.bound is not None else sign
    if rule.kind is RuleKind.too_old:
        return f"not before {rule.earliest}"
    return rule.kind.value.replace("_", " ")


# --- compatibility ------------------------------------------------------------------------------------------------

_BACKWARD, _FORWARD = "backward", "forward"
_DIRECTIONS = {
    CompatibilityMode.BACKWARD: {_BACKWARD},
    CompatibilityMode.BACKWARD_TRANSITIVE: {_BACKWARD},
    CompatibilityMode.FORWARD: {_FORWARD},
    CompatibilityMode.FULL: {_BACKWARD, _FORWARD},
    CompatibilityMode.NONE: set(),
}


def violations(changes: Sequence[Change], mode: CompatibilityMode, *, old_version: int | None = None,
               new_version: int | None = None) -> list[Violation]:
    """The changes between one pair of versions that `mode` forbids, one Violation per change (a pair is never
    transitive, so BACKWARD_TRANSITIVE judges like BACKWARD here). The version numbers only name the versions in
    the reasons and set `against_version`."""
    wanted = _DIRECTIONS[mode]
    old = f"version {old_version}" if old_version is not None else "the old version"
    new = f"version {new_version}" if new_version is not None else "the new version"
    out: list[Violation] = []
    for change in changes:
        reasons = [text for direction, text in _breaks(change, old, new).items() if direction in wanted]
        if reasons:
            # A change that breaks both ways for one reason (a type, the time column) says it once.
            out.append(Violation(change.kind, change.column, f"{mode}: " + "; and ".join(dict.fromkeys(reasons)),
                                 old_version))
    return out


def _breaks(change: Change, old: str, new: str) -> dict[str, str]:
    """Which directions `change` breaks ("backward": an old row may be invalid under the new version;
    "forward": a new row may be invalid under the old one), each with the reason for a person."""
    col, kind, rule = change.column, change.kind, change.rule
    if kind is ChangeKind.ADD_COLUMN and change.after["required"]:
        return {_BACKWARD: f"rows stored under {old} have no value in `{col}`, which {new} requires"}
    if kind is ChangeKind.DROP_COLUMN and change.before["required"]:
        return {_FORWARD: f"rows written under {new} have no value in `{col}`, which {old} requires"}
    if kind is ChangeKind.CHANGE_TYPE:
        text = (f"`{col}` is {change.before} in {old} and {change.after} in {new}; Druid would hold two types "
                "under one column name")
        return {_BACKWARD: text, _FORWARD: text}
    if kind is ChangeKind.MAKE_REQUIRED:
        return {_BACKWARD: f"rows stored under {old} may leave `{col}` empty, which {new} refuses"}
    if kind is ChangeKind.MAKE_OPTIONAL:
        return {_FORWARD: f"rows written under {new} may leave `{col}` empty, which {old} refuses"}
    if kind is ChangeKind.ADD_RULE:
        return {_BACKWARD: f"{new} adds rule {rule} to `{col}`, which rows valid under {old} may fail"}
    if kind is ChangeKind.REMOVE_RULE:
        return {_FORWARD: f"{new} removes rule {rule} from `{col}`, so its rows may hold values {old} refuses"}
    if kind is ChangeKind.CHANGE_RULE:
        loosens, tightens = _rule_direction(change.before, change.after)
        out: dict[str, str] = {}
        if tightens:
            out[_BACKWARD] = (f"{new}'s rule {rule} on `{col}` refuses values {old} accepts"
                              f"{_which_values(change.before, change.after)}")
        if loosens:
            out[_FORWARD] = (f"{new}'s rule {rule} on `{col}` accepts values {old} refuses"
                             f"{_which_values(change.after, change.before)}")
        return out
    if kind is ChangeKind.ADD_ROW_CHECK:
        return {_BACKWARD: f"{new} adds row check `{rule}` on `{col}`, which rows valid under {old} may fail"}
    if kind is ChangeKind.REMOVE_ROW_CHECK:
        return {_FORWARD: f"{new} removes row check `{rule}` on `{col}`, so its rows may fail that check of {old}"}
    if kind is ChangeKind.CHANGE_TIME_COLUMN:
        what = (f"the time column is `{change.before}` in {old} and `{change.after}` in {new}"
                if change.before != change.after else f"the time column `{change.after}` of {new} is not {old}'s")
        text = f"{what}; Druid partitions and replaces rows by their time, so the versions would disagree on it"
        return {_BACKWARD: text, _FORWARD: text}
    return {}  # optional ADD/DROP_COLUMN, CHANGE_GRANULARITY


def _rule_direction(before: dict[str, Any], after: dict[str, Any]) -> tuple[bool, bool]:
    """(loosens, tightens): whether the new rule accepts a value the old refused, and refuses one it accepted."""
    kind = before["kind"]
    if kind == RuleKind.one_of:
        old_values, new_values = set(before["values"]), set(after["values"])
        return bool(new_values - old_values), bool(old_values - new_values)
    if kind in (RuleKind.min, RuleKind.max):
        # Order each bound from strictest to loosest: for min a lower bound is looser, and at the same bound an
        # inclusive one is; for max the mirror. (bound, rank) compares lexicographically.
        sign = 1 if kind == RuleKind.min else -1

        def looseness(r: dict[str, Any]) -> tuple[float, int]:
            return -sign * r["bound"], 1 if r["inclusive"] else 0

        return looseness(after) > looseness(before), looseness(after) < looseness(before)
    if kind == RuleKind.too_old:
        old_earliest, new_earliest = parse_instant(before["earliest"]), parse_instant(after["earliest"])
        return new_earliest < old_earliest, new_earliest > old_earliest
    if kind == RuleKind.pattern and before.get("regex") == after.get("regex"):
        return False, False  # only the meaning, said for a person, changed
    return True, True  # another regex: which values either accepts cannot be compared


def _which_values(accepting: dict[str, Any], refusing: dict[str, Any]) -> str:
    """For one_of rules, the values `accepting` allows and `refusing` does not: " (APAC, LATAM)"."""
    if accepting["kind"] != RuleKind.one_of:
        return ""
    refused = set(refusing["values"])
    values = [v for v in accepting["values"] if v not in refused]
    return f" ({', '.join(values[:5])}{f' and {len(values) - 5} more' if len(values) > 5 else ''})"


def check_compatibility(history: Sequence[tuple[int, DatasourceSchema]], new: DatasourceSchema,
                        mode: CompatibilityMode) -> list[Violation]:
    """What `mode` forbids in registering `new` after `history` (version number and schema, oldest first).

    BACKWARD, FORWARD and FULL check against the latest version, BACKWARD_TRANSITIVE against every one (oldest
    first, each Violation naming its version); NONE and an empty history allow anything. The new version is
    numbered the latest + 1 in the reasons. A `new` with unassigned (0) column ids gets them as the registry
    would assign them (`assign_column_ids` after the latest version), so a name dropped and added again is not
    mistaken for the old column.
    """
    # When does BACKWARD_TRANSITIVE find more than BACKWARD? Not in a history where every step passed BACKWARD
    # and every column has an id: each check above is a transitive relation. A column in v1 and v3 under one id
    # was in v2 too (ids are never reused), so its type never changed, it can only have turned optional, and each
    # of its rules kept its kind and loosened at every step (one_of sets grow; bounds and `earliest` move one
    # way; a regex stays), hence loosened overall; whatever v3 requires or checks that v1 did not was added or
    # tightened at some step, which that step refused. So it finds more only in a history registered under a
    # weaker mode (NONE, FORWARD) before the datasource moved to BACKWARD_TRANSITIVE, or with versions whose
    # columns have no ids (matched by name).
    if not history or mode is CompatibilityMode.NONE:
        return []
    latest_version, latest = history[-1]
    if not all(c.id for c in new.columns):
        new = assign_column_ids(new, latest, max(c.id for _, schema in history for c in schema.columns))
    against = history if mode is CompatibilityMode.BACKWARD_TRANSITIVE else history[-1:]
    return [v for version, schema in against
            for v in violations(diff(schema, new), mode, old_version=version, new_version=latest_version + 1)]


# --- ids, summaries, Druid ----------------------------------------------------------------------------------------


def assign_column_ids(new: DatasourceSchema, previous: DatasourceSchema | None, last_used_id: int) -> DatasourceSchema:
    """`new` with column ids: a name `previous` has keeps its id; every other column (any ids `new` carries are
    ignored) gets last_used_id + 1, + 2, ... in declaration order. So a name dropped in an earlier version and
    added again is a new column, provided `last_used_id` is the highest id any version ever used."""
    kept = {c.name: c.id for c in previous.columns if c.id} if previous is not None else {}
    if kept and last_used_id < max(kept.values()):
        raise ValueError(f"last_used_id {last_used_id} is below the ids of the previous version (up to "
                         f"{max(kept.values())}); a new column would take an id already used")
    next_id = last_used_id
    columns = []
    for column in new.columns:
        if column.name in kept:
            columns.append(replace(column, id=kept[column.name]))
        else:
            next_id += 1
            columns.append(replace(column, id=next_id))
    return replace(new, columns=tuple(columns))


_SUMMARY_CHARS = 200


def summarize(changes: Sequence[Change]) -> str:
    """One line for a version list: "added column `country`; made `score` optional", at most about 200
    characters ("...; and 4 more"), or "no changes"."""
    if not changes:
        return "no changes"
    phrases = [_phrase(c) for c in changes]
    shown: list[str] = []
    length = 0
    for i, phrase in enumerate(phrases):
        left = len(phrases) - i - 1
        grown = length + (2 if shown else 0) + len(phrase)
        # If the next phrase is left out, exactly `left` remain: the tail counted here is the one printed.
        if shown and grown + (len(f"; and {left} more") if left else 0) > _SUMMARY_CHARS:
            break
        shown.append(phrase)
        length = grown
    rest = len(phrases) - len(shown)
    return "; ".join(shown) + (f"; and {rest} more" if rest else "")


def _phrase(change: Change) -> str:
    col, kind = change.column, change.kind
    phrases = {
        ChangeKind.ADD_COLUMN: f"added column `{col}`",
        ChangeKind.DROP_COLUMN: f"dropped column `{col}`",
        ChangeKind.CHANGE_TYPE: f"changed `{col}` from {change.before} to {change.after}",
        ChangeKind.MAKE_REQUIRED: f"made `{col}` required",
        ChangeKind.MAKE_OPTIONAL: f"made `{col}` optional",
        ChangeKind.ADD_RULE: f"added rule {change.rule} to `{col}`",
        ChangeKind.REMOVE_RULE: f"removed rule {change.rule} from `{col}`",
        ChangeKind.CHANGE_RULE: f"changed rule {change.rule} on `{col}`",
        ChangeKind.ADD_ROW_CHECK: f"added row check `{change.rule}`",
        ChangeKind.REMOVE_ROW_CHECK: f"removed row check `{change.rule}`",
        ChangeKind.CHANGE_TIME_COLUMN: f"changed the time column to `{change.after}`",
        ChangeKind.CHANGE_GRANULARITY: "changed granularity",
        ChangeKind.CHANGE_ROLLUP: "changed rollup",
        ChangeKind.CHANGE_PARTITIONING: "changed partitioning",
    }
    return phrases[kind]


def druid_changes(old: DatasourceSchema | None, new: DatasourceSchema) -> dict[str, list[dict[str, str]]]:
    """How Druid's dimensions (every column but the time column) change, by name since Druid knows no ids:
    added and retyped in `new`'s order, removed in `old`'s. `old` None: every dimension is added."""
    before = _dimensions(old) if old is not None else {}
    after = _dimensions(new)
    return {
        "dimensions_added": [{"name": n, "type": t} for n, t in after.items() if n not in before],
        "dimensions_removed": [{"name": n, "type": t} for n, t in before.items() if n not in after],
        "dimensions_retyped": [{"name": n, "from": before[n], "to": t} for n, t in after.items()
                               if n in before and before[n] != t],
    }


def _dimensions(schema: DatasourceSchema) -> dict[str, str]:
    return {c.name: DRUID_DIMENSION_TYPE[c.type] for c in schema.dimension_columns}


def change_to_json(change: Change) -> dict[str, Any]:
    return {"kind": change.kind.value, "column": change.column, "column_id": change.column_id,
            "description": change.description, "before": change.before, "after": change.after, "rule": change.rule}


def violation_to_json(v: Violation) -> dict[str, Any]:
    return {"kind": v.kind.value, "column": v.column, "reason": v.reason, "against_version": v.against_version}
