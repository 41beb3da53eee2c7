"""A schema definition to and from JSON: the form people send, the HTTP API shows and the registry stores.

    {"time_column": "event_time",
     "columns": [{"id": 1, "name": "event_time", "type": "timestamp", "required": true, "rules": [...]}, ...],
     "row_checks": [...],
     "granularity": {"segment": "DAY", "query": "NONE"},
     "rollup": {"enabled": true, "metrics": [{"column": "revenue", "aggregator": "doubleSum"}],
                "count_metric": "count"},
     "partitioning": {"type": "range", "dimensions": ["country"], "target_rows_per_segment": 5000000}}

Reading checks everything a person can get wrong and names the exact place of each problem
(`columns[3].rules[0].regex`), so one answer lists every fix. Definitions stored before version 5 of the database
(`timestamp_column`, no ids, no granularity) read as they always meant: ids by position, daily segments; those
without `rollup` or `partitioning` (before version 13) as no rollup and dynamic partitioning.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.errors import ErrorCode, IngestError
from backend.schema.declaration import (
    MAX_COLUMNS,
    MAX_ONE_OF_VALUES,
    RULES_FOR_TYPE,
    ColumnRule,
    ColumnSpec,
    ColumnType,
    DatasourceSchema,
    Granularity,
    QueryGranularity,
    RowCheck,
    RowCheckKind,
    RuleKind,
    SegmentGranularity,
    check_regex,
    column_key,
    column_name_problem,
    granularity_problem,
    parse_instant,
    text_problem,
)
from backend.schema.layout import (
    DEFAULT_COUNT_METRIC,
    DEFAULT_TARGET_ROWS,
    Aggregator,
    Metric,
    Partitioning,
    PartitionType,
    Rollup,
    layout_problems,
)

MAX_VALUE_CHARS = 1000  # of a one_of value or a pattern's meaning

# JSON: plain dicts and lists only (no tuples), so a definition read back from Postgres compares equal to a
# freshly serialized one.

_RULE_KEYS: dict[RuleKind, frozenset[str]] = {
    RuleKind.not_blank: frozenset(),
    RuleKind.unique: frozenset(),
    RuleKind.not_in_future: frozenset(),
    RuleKind.one_of: frozenset({"values"}),
    RuleKind.pattern: frozenset({"regex", "meaning"}),
    RuleKind.min: frozenset({"bound", "inclusive"}),
    RuleKind.max: frozenset({"bound", "inclusive"}),
    RuleKind.too_old: frozenset({"earliest"}),
}
_ROW_CHECK_KEYS = frozenset({"kind", "rule", "column", "factors", "discounts", "tolerance"})
_COLUMN_KEYS = frozenset({"id", "name", "type", "required", "rules"})
_DEFINITION_KEYS = frozenset({"time_column", "columns", "row_checks", "granularity", "rollup", "partitioning"})
_ROLLUP_KEYS = frozenset({"enabled", "metrics", "count_metric"})
_METRIC_KEYS = frozenset({"column", "aggregator"})
_PARTITIONING_KEYS = frozenset({"type", "target_rows_per_segment", "dimensions", "num_shards"})
# Keys of definitions stored before the registry took requests (version 5 of the database).
_LEGACY_KEYS = frozenset({"name", "druid_datasource", "timestamp_column"})


def schema_to_json(schema: DatasourceSchema) -> dict[str, Any]:
    """The definition as JSON-ready data: what the registry stores and the API shows."""
    return {
        "time_column": schema.timestamp_column,
        "columns": [
            {"id": c.id, "name": c.name, "type": c.type.value, "required": c.required,
             "rules": [rule_to_json(r) for r in c.rules]}
            for c in schema.columns
        ],
        "row_checks": [row_check_to_json(check) for check in schema.row_checks],
        "granularity": {"segment": schema.granularity.segment.value, "query": schema.granularity.query.value},
        "rollup": rollup_to_json(schema.rollup),
        "partitioning": partitioning_to_json(schema.partitioning),
    }


def rollup_to_json(rollup: Rollup) -> dict[str, Any]:
    return {"enabled": rollup.enabled,
            "metrics": [{"column": m.column, "aggregator": m.aggregator.value} for m in rollup.metrics],
            "count_metric": rollup.count_metric}


def partitioning_to_json(partitioning: Partitioning) -> dict[str, Any]:
    """Only the fields its type takes: dynamic {type, target}, hashed {type, dimensions, target or num_shards},
    range {type, dimensions, target}."""
    out: dict[str, Any] = {"type": partitioning.type.value}
    if partitioning.type is not PartitionType.dynamic:
        out["dimensions"] = list(partitioning.dimensions)
    if partitioning.num_shards is not None:
        out["num_shards"] = partitioning.num_shards
    else:
        out["target_rows_per_segment"] = partitioning.target_rows_per_segment
    return out


def rule_to_json(rule: ColumnRule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind.value}
    if rule.kind is RuleKind.one_of:
        out["values"] = list(rule.values)
    elif rule.kind is RuleKind.pattern:
        out["regex"] = rule.regex
        if rule.meaning is not None:
            out["meaning"] = rule.meaning
    elif rule.kind in (RuleKind.min, RuleKind.max):
        out["bound"] = rule.bound
        out["inclusive"] = rule.inclusive
    elif rule.kind is RuleKind.too_old:
        out["earliest"] = rule.earliest
    return out


def row_check_to_json(check: RowCheck) -> dict[str, Any]:
    return {"kind": check.kind.value, "rule": check.rule, "column": check.column, "factors": list(check.factors),
            "discounts": list(check.discounts), "tolerance": check.tolerance}


def without_ids(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition with its column ids removed: two definitions that say the same thing compare equal."""
    return {**definition, "columns": [{k: v for k, v in c.items() if k != "id"} for c in definition["columns"]]}


def schema_from_json(data: Any, *, name: str, druid_datasource: str) -> DatasourceSchema:
    """A definition read and checked; every problem found is raised at once as IngestError(invalid_schema) with
    `details.problems`: [{"path": "columns[3].rules[0].regex", "message": "..."}]."""
    reader = _Reader()
    schema = reader.definition(data, name, druid_datasource)
    if reader.problems or schema is None:
        raise invalid_schema(reader.problems or [Problem("", "is not a valid schema definition")])
    return schema


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


def invalid_schema(problems: list[Problem]) -> IngestError:
    shown = "; ".join(f"`{p.path or 'definition'}` {p.message}" for p in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return IngestError(
        ErrorCode.invalid_schema,
        f"The schema definition has {len(problems)} problem(s): {shown}{more}.",
        {"problems": [{"path": p.path, "message": p.message} for p in problems], "fields": [p.path for p in problems]},
    )


@dataclass
class _Reader:
    problems: list[Problem] = field(default_factory=list)

    def bad(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def definition(self, data: Any, name: str, druid_datasource: str) -> DatasourceSchema | None:
        if not isinstance(data, Mapping):
            self.bad("", "must be a JSON object")
            return None
        self._unknown_keys(data, _DEFINITION_KEYS | _LEGACY_KEYS, "")
        time_column = data.get("time_column", data.get("timestamp_column"))
        if not isinstance(time_column, str) or not time_column:
            self.bad("time_column", "is required: the name of the timestamp column Druid partitions rows by")
        columns = self._columns(data.get("columns"))
        granularity = self._granularity(data.get("granularity"))
        if columns and isinstance(time_column, str):
            self._time_column(time_column, columns)
        row_checks = self._row_checks(data.get("row_checks", []), columns)
        rollup = self._rollup(data.get("rollup"))
        partitioning = self._partitioning(data.get("partitioning"))
        if rollup is not None and partitioning is not None and columns and isinstance(time_column, str):
            for path, message in layout_problems(rollup, partitioning, time_column=time_column,
                                                 column_types={c.name: c.type.value for c in columns}):
                self.bad(path, message)
        if self.problems or not isinstance(time_column, str) or rollup is None or partitioning is None:
            return None
        try:
            return DatasourceSchema(name=name, druid_datasource=druid_datasource, timestamp_column=time_column,
                                    columns=tuple(columns), row_checks=tuple(row_checks), granularity=granularity,
                                    rollup=rollup, partitioning=partitioning)
        except ValueError as exc:  # a rule the checks above missed; still the definition's fault
            self.bad("", str(exc))
            return None

    def _columns(self, data: Any) -> list[ColumnSpec]:
        if not isinstance(data, list) or not data:
            self.bad("columns", "must be a non-empty list of columns")
            return []
        if len(data) > MAX_COLUMNS:
            self.bad("columns", f"has {len(data):,} columns; at most {MAX_COLUMNS:,} are allowed")
            return []
        columns: list[ColumnSpec] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(data):
            column = self._column(item, f"columns[{i}]", positional_id=i + 1)
            if column is None:
                continue
            key = column_key(column.name)
            if key in seen:
                first = seen[key]
                self.bad(f"columns[{i}].name", f"`{column.name}` is declared twice (also columns[{first}]; headers "
                         "are matched case-insensitively, so `Foo` and `foo` are one column)")
                continue
            seen[key] = i
            columns.append(column)
        return columns

    def _column(self, data: Any, path: str, positional_id: int) -> ColumnSpec | None:
        if not isinstance(data, Mapping):
            self.bad(path, "must be an object with name, type, required and rules")
            return None
        self._unknown_keys(data, _COLUMN_KEYS, path)
        name = data.get("name")
        ok = True
        if not isinstance(name, str):
            self.bad(f"{path}.name", "is required (text)")
            ok = False
        elif (problem := column_name_problem(name)) is not None:
            self.bad(f"{path}.name", f"`{name[:80]}` {problem}")
            ok = False
        try:
            column_type = ColumnType(str(data.get("type")))
        except ValueError:
            allowed = ", ".join(t.value for t in ColumnType)
            self.bad(f"{path}.type", f"must be one of {allowed}; got {data.get('type')!r}")
            return None
        required = data.get("required", True)
        if not isinstance(required, bool):
            self.bad(f"{path}.required", "must be true or false")
            ok = False
        column_id = data.get("id", 0)
        if isinstance(column_id, bool) or not isinstance(column_id, int) or column_id < 0:
            self.bad(f"{path}.id", "must be a non-negative integer (the registry assigns ids; leave it out)")
            ok = False
        rules = self._rules(data.get("rules", []), column_type, f"{path}.rules")
        if not ok or not isinstance(name, str):
            return None
        return ColumnSpec(name, column_type, bool(required), tuple(rules), id=column_id or positional_id)

    def _rules(self, data: Any, column_type: ColumnType, path: str) -> list[ColumnRule]:
        if not isinstance(data, list):
            self.bad(path, "must be a list of rules")
            return []
        rules: list[ColumnRule] = []
        seen: set[RuleKind] = set()
        for j, item in enumerate(data):
            rule = self._rule(item, column_type, f"{path}[{j}]")
            if rule is None:
                continue
            if rule.kind in seen:
                self.bad(f"{path}[{j}].kind", f"`{rule.kind}` appears twice on this column; merge them into one")
                continue
            seen.add(rule.kind)
            rules.append(rule)
        self._bounds_meet(rules, path)
        return rules

    def _bounds_meet(self, rules: list[ColumnRule], path: str) -> None:
        """A min above the max (or a too_old after now with not_in_future) lets no value through."""
        low = next((r for r in rules if r.kind is RuleKind.min), None)
        high = next((r for r in rules if r.kind is RuleKind.max), None)
        if low is None or high is None or low.bound is None or high.bound is None:
            return
        if low.bound > high.bound or (low.bound == high.bound and not (low.inclusive and high.inclusive)):
            self.bad(f"{path}[{rules.index(high)}].bound", f"is below the min ({low.bound:g}): no value could pass")

    def _rule(self, data: Any, column_type: ColumnType, path: str) -> ColumnRule | None:
        if not isinstance(data, Mapping):
            self.bad(path, "must be an object with a `kind`")
            return None
        try:
            kind = RuleKind(str(data.get("kind")))
        except ValueError:
            allowed = ", ".join(k.value for k in RuleKind)
            self.bad(f"{path}.kind", f"must be one of {allowed}; got {data.get('kind')!r}")
            return None
        if kind not in RULES_FOR_TYPE[column_type]:
            fits = ", ".join(sorted(RULES_FOR_TYPE[column_type]))
            self.bad(f"{path}.kind", f"`{kind}` does not apply to a {column_type} column (it takes {fits})")
            return None
        self._unknown_keys(data, _RULE_KEYS[kind] | {"kind"}, path)
        before = len(self.problems)
        fields: dict[str, Any] = {}
        if kind is RuleKind.one_of:
            values = data.get("values")
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                self.bad(f"{path}.values", "must be a non-empty list of text values")
            elif len(values) > MAX_ONE_OF_VALUES:
                self.bad(f"{path}.values", f"has {len(values):,} values; at most {MAX_ONE_OF_VALUES:,} are allowed")
            elif (bad := _first_bad_text(values, MAX_VALUE_CHARS)) is not None:
                self.bad(f"{path}.values[{bad[0]}]", bad[1])
            else:
                fields["values"] = tuple(values)
        elif kind is RuleKind.pattern:
            fields = self._pattern(data, path)
        elif kind in (RuleKind.min, RuleKind.max):
            bound, inclusive = data.get("bound"), data.get("inclusive", True)
            if not _is_number(bound):
                self.bad(f"{path}.bound", "must be a finite number")
            if not isinstance(inclusive, bool):
                self.bad(f"{path}.inclusive", "must be true or false")
            fields = {"bound": bound, "inclusive": inclusive}
        elif kind is RuleKind.too_old:
            earliest = data.get("earliest")
            if not isinstance(earliest, str) or not _is_instant(earliest):
                self.bad(f"{path}.earliest", "must be an ISO-8601 date or date-time, such as 2000-01-01T00:00:00Z")
            fields = {"earliest": earliest}
        if len(self.problems) > before:
            return None
        try:
            return ColumnRule(kind, **fields)
        except ValueError as exc:
            self.bad(path, str(exc))
            return None

    def _pattern(self, data: Mapping[str, Any], path: str) -> dict[str, Any]:
        regex, meaning = data.get("regex"), data.get("meaning")
        if not isinstance(regex, str) or not regex:
            self.bad(f"{path}.regex", "is required: the regular expression the whole value must match")
        elif (problem := check_regex(regex)) is not None or (problem := text_problem(regex)) is not None:
            self.bad(f"{path}.regex", problem)
        if meaning is not None and not isinstance(meaning, str):
            self.bad(f"{path}.meaning", "must be text (the pattern said for a person)")
        elif meaning is not None and (bad := _first_bad_text([meaning], MAX_VALUE_CHARS)) is not None:
            self.bad(f"{path}.meaning", bad[1])
        return {"regex": regex, "meaning": meaning}

    def _time_column(self, time_column: str, columns: list[ColumnSpec]) -> None:
        position = next((i for i, c in enumerate(columns) if c.name == time_column), None)
        if position is None:
            self.bad("time_column", f"`{time_column[:80]}` is not one of the declared columns")
            return
        column = columns[position]
        if column.type is not ColumnType.timestamp:
            self.bad("time_column", f"`{time_column}` is a {column.type} column; the time column must be a timestamp")
        if not column.required:
            self.bad(f"columns[{position}].required", "must be true: every row needs a time for Druid to store it")

    def _granularity(self, data: Any) -> Granularity:
        if data is None:
            return Granularity()
        if not isinstance(data, Mapping):
            self.bad("granularity", "must be an object: {\"segment\": \"DAY\", \"query\": \"NONE\"}")
            return Granularity()
        self._unknown_keys(data, frozenset({"segment", "query"}), "granularity")
        segment, query = SegmentGranularity.DAY, QueryGranularity.NONE
        try:
            segment = SegmentGranularity(data.get("segment", "DAY"))
        except ValueError:
            self.bad("granularity.segment", f"must be one of {', '.join(SegmentGranularity)}")
        try:
            query = QueryGranularity(data.get("query", "NONE"))
        except ValueError:
            self.bad("granularity.query", f"must be one of {', '.join(QueryGranularity)}")
        granularity = Granularity(segment, query)
        if (problem := granularity_problem(granularity)) is not None:
            self.bad("granularity.query", problem)
        return granularity

    def _rollup(self, data: Any) -> Rollup | None:
        """The rollup block's shape; whether its metrics fit the columns is layout_problems' to say."""
        if data is None:
            return Rollup()
        if not isinstance(data, Mapping):
            self.bad("rollup", 'must be an object: {"enabled": true, "metrics": [{"column": ..., "aggregator": ...}]}')
            return None
        self._unknown_keys(data, _ROLLUP_KEYS, "rollup")
        before = len(self.problems)
        enabled = data.get("enabled", False)
        if not isinstance(enabled, bool):
            self.bad("rollup.enabled", "must be true or false")
        count_metric = data.get("count_metric", DEFAULT_COUNT_METRIC)
        if not isinstance(count_metric, str):
            self.bad("rollup.count_metric", "must be text: the name of the metric counting the rows each Druid row "
                     "stands for")
        elif (problem := column_name_problem(count_metric)) is not None:
            self.bad("rollup.count_metric", f"`{count_metric[:80]}` {problem}")
        items = data.get("metrics", [])
        if not isinstance(items, list):
            self.bad("rollup.metrics", "must be a list of {column, aggregator}")
            items = []
        metrics: list[Metric] = []
        for i, item in enumerate(items):
            path = f"rollup.metrics[{i}]"
            if not isinstance(item, Mapping):
                self.bad(path, "must be an object: {\"column\": ..., \"aggregator\": ...}")
                continue
            self._unknown_keys(item, _METRIC_KEYS, path)
            column = item.get("column")
            if not isinstance(column, str) or not column:
                self.bad(f"{path}.column", "is required: the name of a declared long or double column")
            try:
                aggregator = Aggregator(str(item.get("aggregator")))
            except ValueError:
                self.bad(f"{path}.aggregator",
                         f"must be one of {', '.join(Aggregator)}; got {item.get('aggregator')!r}")
                continue
            if isinstance(column, str) and column:
                metrics.append(Metric(column, aggregator))
        if len(self.problems) > before:
            return None
        return Rollup(bool(enabled), tuple(metrics), str(count_metric))

    def _partitioning(self, data: Any) -> Partitioning | None:
        """The partitioning block's shape; whether it fits the columns and rollup is layout_problems' to say."""
        if data is None:
            return Partitioning()
        if not isinstance(data, Mapping):
            self.bad("partitioning", 'must be an object: {"type": "dynamic", "target_rows_per_segment": 5000000}')
            return None
        self._unknown_keys(data, _PARTITIONING_KEYS, "partitioning")
        before = len(self.problems)
        try:
            kind = PartitionType(str(data.get("type", PartitionType.dynamic.value)))
        except ValueError:
            self.bad("partitioning.type", f"must be one of {', '.join(PartitionType)}; got {data.get('type')!r}")
            return None
        shards = data.get("num_shards")
        default_target = None if kind is PartitionType.hashed and shards is not None else DEFAULT_TARGET_ROWS
        target = data.get("target_rows_per_segment", default_target)
        for key, value in (("target_rows_per_segment", target), ("num_shards", shards)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                self.bad(f"partitioning.{key}", "must be a whole number")
        dimensions = data.get("dimensions", [])
        if not isinstance(dimensions, list) or not all(isinstance(d, str) for d in dimensions):
            self.bad("partitioning.dimensions", "must be a list of column names")
        if len(self.problems) > before:
            return None
        return Partitioning(kind, target, tuple(dimensions), shards)

    def _row_checks(self, data: Any, columns: list[ColumnSpec]) -> list[RowCheck]:
        if not isinstance(data, list):
            self.bad("row_checks", "must be a list")
            return []
        by_name = {c.name: c for c in columns}
        checks: list[RowCheck] = []
        for k, item in enumerate(data):
            path = f"row_checks[{k}]"
            if not isinstance(item, Mapping):
                self.bad(path, "must be an object")
                continue
            self._unknown_keys(item, _ROW_CHECK_KEYS, path)
            before = len(self.problems)
            if item.get("kind", RowCheckKind.product_equals.value) != RowCheckKind.product_equals.value:
                self.bad(f"{path}.kind", f"must be {RowCheckKind.product_equals.value}")
            rule = item.get("rule")
            if not isinstance(rule, str) or not rule:
                self.bad(f"{path}.rule", "is required: the name failing rows report")
            elif rule in {r.value for r in RuleKind} | {"type", "required"}:
                self.bad(f"{path}.rule", f"`{rule}` is already a column rule name; pick another")
            column = item.get("column")
            factors, discounts = item.get("factors"), item.get("discounts", [])
            tolerance = item.get("tolerance", 0.0)
            if not isinstance(factors, list) or not factors:
                self.bad(f"{path}.factors", "must be a non-empty list of column names")
                factors = []
            if not isinstance(discounts, list):
                self.bad(f"{path}.discounts", "must be a list of column names")
                discounts = []
            for where, name in [("column", column)] + [(f"factors[{i}]", f) for i, f in enumerate(factors)] + [
                (f"discounts[{i}]", d) for i, d in enumerate(discounts)
            ]:
                spec = by_name.get(name) if isinstance(name, str) else None
                if spec is None or spec.type not in (ColumnType.long, ColumnType.double):
                    self.bad(f"{path}.{where}", f"must name a declared long or double column; got {name!r}")
            if isinstance(column, str) and column in [*factors, *discounts]:
                self.bad(f"{path}.column", f"`{column}` cannot also be one of its own factors or discounts")
            if not _is_number(tolerance) or tolerance < 0:
                self.bad(f"{path}.tolerance", "must be a finite number >= 0")
            if len(self.problems) == before:
                checks.append(RowCheck(rule=str(rule), column=str(column), factors=tuple(map(str, factors)),
                                       discounts=tuple(map(str, discounts)), tolerance=float(tolerance)))
        names = [c.rule for c in checks]
        for k, name in enumerate(names):
            if name in names[:k]:
                self.bad(f"row_checks[{k}].rule", f"`{name}` is declared twice")
        return checks

    def _unknown_keys(self, data: Mapping[str, Any], allowed: frozenset[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.bad(where, f"is not a known field here (allowed: {', '.join(sorted(allowed))})")


def _is_instant(text: str) -> bool:
    try:
        parse_instant(text)
    except ValueError:
        return False
    return True


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _first_bad_text(values: list[str], limit: int) -> tuple[int, str] | None:
    """The first value PostgreSQL could not store or longer than `limit` characters: (index, problem)."""
    for i, value in enumerate(values):
        problem = text_problem(value) or (f"is longer than {limit:,} characters" if len(value) > limit else None)
        if problem is not None:
            return i, problem
    return None
