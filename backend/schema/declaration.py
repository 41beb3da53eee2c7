"""A datasource's schema declared as data: columns, their types and rules, and checks across columns.

The Pandera schema (backend.validation.pandera_schema) and Druid's dimensionsSpec (backend.druid.spec) are both
built from this declaration, and the schema registry stores it as JSON (backend.schema.codec). It sits below the
packages that read it, so none of them imports another to learn a schema. Nothing here imports pandera: the
declaration is independent of how it is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import polars as pl

from backend.schema.layout import Partitioning, Rollup, layout_problems, metric_druid_type

# Names the validator and the stager add to frames (and Druid's own row time, and the lineage column every staged
# row carries); a schema column with one of them would be overwritten.
RESERVED_COLUMN_NAMES = frozenset({"__row", "__time", "errors", "ingest_job_id"})
# Past these, a declaration is a mistake rather than a schema (and a one_of list belongs in a lookup table).
MAX_COLUMNS = 1000
MAX_ONE_OF_VALUES = 10_000
MAX_NAME_CHARS = 255


class ColumnType(StrEnum):
    """The logical type of a column: what the validator converts to and what Druid stores."""

    string = "string"
    timestamp = "timestamp"
    long = "long"
    double = "double"


# The Druid dimension type each column type is stored as (backend.druid.spec): a timestamp that is not the row
# time is staged as ISO-8601 text.
DRUID_DIMENSION_TYPE: dict[ColumnType, str] = {
    ColumnType.string: "string",
    ColumnType.long: "long",
    ColumnType.double: "double",
    ColumnType.timestamp: "string",
}


class SegmentGranularity(StrEnum):
    """How Druid partitions a datasource's rows by time: one segment interval per HOUR, DAY, ..."""

    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class QueryGranularity(StrEnum):
    """How far Druid truncates each row's time when storing it (NONE keeps milliseconds)."""

    NONE = "NONE"
    SECOND = "SECOND"
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"


@dataclass(frozen=True)
class Granularity:
    segment: SegmentGranularity = SegmentGranularity.DAY
    query: QueryGranularity = QueryGranularity.NONE


class RuleKind(StrEnum):
    """A value rule. The value is also the `rule` a failing row reports, so these names are stable."""

    not_blank = "not_blank"
    unique = "unique"
    one_of = "one_of"
    pattern = "pattern"
    min = "min"
    max = "max"
    not_in_future = "not_in_future"
    too_old = "too_old"


# Which rules make sense for which column type; anything else is a mistake in the declaration.
RULES_FOR_TYPE: dict[ColumnType, frozenset[RuleKind]] = {
    ColumnType.string: frozenset({RuleKind.not_blank, RuleKind.unique, RuleKind.one_of, RuleKind.pattern}),
    ColumnType.long: frozenset({RuleKind.unique, RuleKind.min, RuleKind.max}),
    ColumnType.double: frozenset({RuleKind.min, RuleKind.max}),
    ColumnType.timestamp: frozenset({RuleKind.not_in_future, RuleKind.too_old}),
}


@dataclass(frozen=True)
class ColumnRule:
    """One rule on a column's values; which fields matter depends on `kind`. Build with the class methods."""

    kind: RuleKind
    values: tuple[str, ...] = ()  # one_of: the allowed values, case-sensitive
    regex: str | None = None  # pattern: the whole value must match
    meaning: str | None = None  # pattern: the regex said for a person ("two upper-case letters")
    bound: float | None = None  # min / max
    inclusive: bool = True  # min / max: whether the bound itself is allowed
    earliest: str | None = None  # too_old: ISO-8601 instant (UTC when no offset) before which values are refused

    def __post_init__(self) -> None:
        kind = self.kind
        if kind is RuleKind.one_of and not self.values:
            raise ValueError("a one_of rule needs at least one allowed value")
        if kind is RuleKind.one_of and len(self.values) > MAX_ONE_OF_VALUES:
            raise ValueError(f"a one_of rule allows at most {MAX_ONE_OF_VALUES:,} values, got {len(self.values):,}")
        if kind is RuleKind.pattern:
            if not self.regex:
                raise ValueError("a pattern rule needs a regex")
            problem = check_regex(self.regex)
            if problem is not None:
                raise ValueError(f"pattern {self.regex!r} {problem}")
        if kind in (RuleKind.min, RuleKind.max) and self.bound is None:
            raise ValueError(f"a {kind} rule needs a bound")
        if kind is RuleKind.too_old:
            if self.earliest is None:
                raise ValueError("a too_old rule needs `earliest`")
            parse_instant(self.earliest)

    @classmethod
    def not_blank(cls) -> ColumnRule:
        return cls(RuleKind.not_blank)

    @classmethod
    def unique(cls) -> ColumnRule:
        """Unique within the whole file (checked against a file-wide pre-pass, not per batch)."""
        return cls(RuleKind.unique)

    @classmethod
    def one_of(cls, *values: str) -> ColumnRule:
        return cls(RuleKind.one_of, values=values)

    @classmethod
    def matches(cls, regex: str, meaning: str | None = None) -> ColumnRule:
        return cls(RuleKind.pattern, regex=regex, meaning=meaning)

    @classmethod
    def at_least(cls, bound: float) -> ColumnRule:
        return cls(RuleKind.min, bound=bound, inclusive=True)

    @classmethod
    def greater_than(cls, bound: float) -> ColumnRule:
        return cls(RuleKind.min, bound=bound, inclusive=False)

    @classmethod
    def less_than(cls, bound: float) -> ColumnRule:
        return cls(RuleKind.max, bound=bound, inclusive=False)

    @classmethod
    def not_in_future(cls) -> ColumnRule:
        """Not after the `now` the validator is given (one `now` per job, so a job's batches agree)."""
        return cls(RuleKind.not_in_future)

    @classmethod
    def not_before(cls, earliest: str) -> ColumnRule:
        return cls(RuleKind.too_old, earliest=earliest)


@dataclass(frozen=True)
class ColumnSpec:
    """A column: its name in files and in Druid, its type, whether a value is required, and its rules.

    `id` is the column's identity across schema versions (the registry assigns it; 0 until then): a column
    dropped and later added again under the same name is a new column with a new id.
    """

    name: str
    type: ColumnType
    required: bool = True
    rules: tuple[ColumnRule, ...] = ()
    id: int = 0

    def rule(self, kind: RuleKind) -> ColumnRule | None:
        return next((r for r in self.rules if r.kind is kind), None)


class RowCheckKind(StrEnum):
    product_equals = "product_equals"


@dataclass(frozen=True)
class RowCheck:
    """A check across columns of one row, reported on `column` under the rule name `rule`.

    product_equals: column == product(factors) x product(1 - d for d in discounts), within `tolerance`.
    """

    rule: str
    column: str
    factors: tuple[str, ...]
    discounts: tuple[str, ...] = ()
    tolerance: float = 0.0
    kind: RowCheckKind = RowCheckKind.product_equals

    @property
    def inputs(self) -> tuple[str, ...]:
        return (*self.factors, *self.discounts)

    def formula(self) -> str:
        """The expected value said for a person: "Quantity x UnitPrice x (1 - Discount)"."""
        return " x ".join([*self.factors, *(f"(1 - {d})" for d in self.discounts)])


@dataclass(frozen=True)
class DatasourceSchema:
    """Everything the validator and the spec builder need to know about one datasource."""

    name: str
    druid_datasource: str
    timestamp_column: str
    columns: tuple[ColumnSpec, ...]
    row_checks: tuple[RowCheck, ...] = ()
    granularity: Granularity = Granularity()
    rollup: Rollup = Rollup()  # noqa: RUF009 (frozen: one shared default is safe)
    partitioning: Partitioning = Partitioning()  # noqa: RUF009 (frozen)
    description: str = ""  # seeds only (backend.schema.builtins); the registry keeps a datasource's description

    def __post_init__(self) -> None:
        _check_declaration(self)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def dimension_columns(self) -> list[ColumnSpec]:
        """The columns Druid stores as dimensions: all but the time column and rollup's metrics."""
        metrics = self.rollup.metric_columns
        return [c for c in self.columns if c.name != self.timestamp_column and c.name not in metrics]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def unique_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.rule(RuleKind.unique) is not None]

    def druid_types(self) -> dict[str, str]:
        """The type Druid stores each column but the time column as: a dimension's type, or a metric's (long for
        the long aggregators, double for the double ones)."""
        rollup = self.rollup
        metrics = {m.column: metric_druid_type(m.aggregator) for m in rollup.metrics} if rollup.enabled else {}
        return {c.name: metrics.get(c.name, DRUID_DIMENSION_TYPE[c.type])
                for c in self.columns if c.name != self.timestamp_column}

    def column(self, name: str) -> ColumnSpec:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(name)


MAX_REGEX_CHARS = 1000
# The coarseness of each granularity name, finest first: Druid refuses a query granularity coarser than the
# segment granularity.
_COARSENESS = ["NONE", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR"]


def check_regex(regex: str) -> str | None:
    """Why `regex` cannot be a pattern rule, or None.

    Patterns run in polars, whose Rust regex engine takes linear time in the input (no backtracking), so a pattern
    like `(a+)+$` cannot hang a worker; the engine refuses look-around and back-references, which is said here
    when the schema is declared, not on every batch of every job.
    """
    if len(regex) > MAX_REGEX_CHARS:
        return f"is longer than {MAX_REGEX_CHARS} characters"
    try:
        pl.select(pl.lit("").str.contains(regex))
    except pl.exceptions.PolarsError as exc:
        detail = " ".join(str(exc).split("This error occurred")[0].split())[:300]
        return f"is not a valid regular expression (Rust regex syntax; no look-around or back-references): {detail}"
    return None


def granularity_problem(granularity: Granularity) -> str | None:
    if _COARSENESS.index(granularity.query.value) > _COARSENESS.index(granularity.segment.value):
        return (f"{granularity.query} is coarser than the segment granularity {granularity.segment}; "
                "Druid needs the query granularity to be finer or equal")
    return None


def parse_instant(text: str) -> datetime:
    """An ISO-8601 date or date-time as an aware UTC datetime; no offset means UTC. ValueError if it is none, or
    if it lies outside the years 1-9999 once in UTC."""
    value = datetime.fromisoformat(text)
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} lies outside the years 1-9999 in UTC") from None


_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
# Bidirectional controls make a name read as another ("abc<U+202E>txt"), zero-width ones make two names look alike.
_HIDDEN_CHARACTERS = re.compile("[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Why PostgreSQL could not store `text` (a NUL, half of a UTF-16 pair), or None."""
    if "\x00" in text:
        return "holds a NUL character"
    if _SURROGATES.search(text):
        return "holds an unpaired UTF-16 surrogate (not a character)"
    return None


def column_key(name: str) -> str:
    """How uploads match a header to a column: trimmed, case-insensitively (backend.formats.columns)."""
    return name.strip().casefold()


def column_name_problem(name: str) -> str | None:
    """Why Druid or the service would refuse `name` as a column name, or None if it is fine."""
    if not name or not name.strip():
        return "is empty: Druid needs a name for every column"
    if len(name) > MAX_NAME_CHARS:
        return f"is longer than {MAX_NAME_CHARS} characters"
    if _CONTROL_CHARACTERS.search(name) or text_problem(name) is not None:
        return "holds a control character (such as a tab, a newline or a NUL)"
    if _HIDDEN_CHARACTERS.search(name):
        return "holds an invisible or direction-changing character (such as U+200B or U+202E)"
    if name != name.strip():
        return "starts or ends with spaces (headers are matched trimmed, so the file could never name it)"
    if column_key(name) in {column_key(reserved) for reserved in RESERVED_COLUMN_NAMES}:
        return (f"is reserved, in any letter case (the service or Druid uses "
                f"{', '.join(sorted(RESERVED_COLUMN_NAMES))})")
    if name.startswith("__"):
        return "starts with `__`, which Druid reserves for its own columns"
    return None


def _check_declaration(schema: DatasourceSchema) -> None:
    names = schema.column_names
    if not names:
        raise ValueError(f"schema {schema.name!r} declares no columns")
    if len(names) > MAX_COLUMNS:
        raise ValueError(f"schema {schema.name!r} declares {len(names):,} columns; at most {MAX_COLUMNS:,} are allowed")
    problem = granularity_problem(schema.granularity)
    if problem:
        raise ValueError(f"granularity: {problem}")
    for name in names:
        problem = column_name_problem(name)
        if problem:
            raise ValueError(f"column name {name!r} {problem}")
    if len({column_key(n) for n in names}) != len(names):
        raise ValueError(f"schema {schema.name!r} declares a column twice (names are matched case-insensitively)")
    reserved = RESERVED_COLUMN_NAMES.intersection(names)
    if reserved:
        raise ValueError(f"column name(s) {sorted(reserved)} are reserved")
    by_name = {c.name: c for c in schema.columns}
    ts = by_name.get(schema.timestamp_column)
    if ts is None or ts.type is not ColumnType.timestamp or not ts.required:
        raise ValueError(f"timestamp column {schema.timestamp_column!r} must be a declared, required timestamp")
    for column in schema.columns:
        kinds = [r.kind for r in column.rules]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"column {column.name!r} repeats a rule kind")
        wrong = set(kinds) - RULES_FOR_TYPE[column.type]
        if wrong:
            raise ValueError(f"column {column.name!r} ({column.type}) cannot have rule(s) {sorted(wrong)}")
    numeric = {ColumnType.long, ColumnType.double}
    for check in schema.row_checks:
        for name in (check.column, *check.inputs):
            if name not in by_name or by_name[name].type not in numeric:
                raise ValueError(f"row check {check.rule!r} needs numeric column {name!r}")
        if check.rule in {k.value for k in RuleKind} or check.rule in {"type", "required"}:
            raise ValueError(f"row check name {check.rule!r} is already a column rule name")
    layout = layout_problems(schema.rollup, schema.partitioning, time_column=schema.timestamp_column,
                             column_types={c.name: c.type.value for c in schema.columns})
    if layout:
        raise ValueError("; ".join(f"{path}: {message}" for path, message in layout))
