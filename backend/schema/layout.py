"""How Druid lays out a datasource's rows: rollup (dimensions, metrics and their aggregators) and partitioning
within each time chunk. Part of the schema version, beside the granularity, so a change is versioned, diffed
and can be rolled back, and every job's Druid spec follows from the version it was validated against.

Pure declarations and their checks; backend.druid.spec turns them into Druid's metricsSpec and partitionsSpec.
Column types are compared by name ("long", "double", ...), so this module sits below backend.schema.declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

# Druid's own default for dynamic partitioning and its recommendation for hashed and range.
DEFAULT_TARGET_ROWS = 5_000_000
MIN_TARGET_ROWS = 100
MAX_TARGET_ROWS = 100_000_000
MAX_SHARDS = 1_000
MAX_PARTITION_DIMENSIONS = 10
DEFAULT_COUNT_METRIC = "count"


class Aggregator(StrEnum):
    """How rolled-up rows combine a metric column's values (Druid's aggregator types)."""

    longSum = "longSum"
    doubleSum = "doubleSum"
    longMin = "longMin"
    longMax = "longMax"
    doubleMin = "doubleMin"
    doubleMax = "doubleMax"


# The column types each aggregator reads: long aggregators would truncate doubles, so they take longs only.
AGGREGATOR_COLUMN_TYPES: dict[Aggregator, frozenset[str]] = {
    Aggregator.longSum: frozenset({"long"}),
    Aggregator.longMin: frozenset({"long"}),
    Aggregator.longMax: frozenset({"long"}),
    Aggregator.doubleSum: frozenset({"long", "double"}),
    Aggregator.doubleMin: frozenset({"long", "double"}),
    Aggregator.doubleMax: frozenset({"long", "double"}),
}


def metric_druid_type(aggregator: Aggregator) -> str:
    """The type Druid stores a metric as."""
    return "long" if aggregator.value.startswith("long") else "double"


@dataclass(frozen=True)
class Metric:
    """A column stored as a metric (under its own name) rather than as a dimension."""

    column: str
    aggregator: Aggregator


@dataclass(frozen=True)
class Rollup:
    """Off: every valid row is a Druid row. On: rows with equal dimensions and equal time (truncated to the query
    granularity) become one, their metrics aggregated, and `count_metric` counts the rows each one stands for
    (the receipt sums it)."""

    enabled: bool = False
    metrics: tuple[Metric, ...] = ()
    count_metric: str = DEFAULT_COUNT_METRIC

    @property
    def metric_columns(self) -> frozenset[str]:
        return frozenset(m.column for m in self.metrics) if self.enabled else frozenset()


class PartitionType(StrEnum):
    dynamic = "dynamic"  # fill segments up to a row count, in arrival order; the only one appends can use
    hashed = "hashed"  # rows spread over shards by a hash of some dimensions (perfect rollup)
    range = "range"  # rows sorted by some string dimensions and cut into ranges (perfect rollup, pruning)


@dataclass(frozen=True)
class Partitioning:
    """Segments within one time chunk. hashed takes `num_shards` or `target_rows_per_segment`; the others the
    target. Compaction also aims at `target_rows_per_segment`."""

    type: PartitionType = PartitionType.dynamic
    target_rows_per_segment: int | None = DEFAULT_TARGET_ROWS
    dimensions: tuple[str, ...] = ()
    num_shards: int | None = None

    @property
    def guarantees_rollup(self) -> bool:
        """Hashed and range run Druid's shuffle phases and need it to replace what it writes (no appending)."""
        return self.type is not PartitionType.dynamic


def layout_problems(
    rollup: Rollup, partitioning: Partitioning, *, time_column: str, column_types: Mapping[str, str]
) -> list[tuple[str, str]]:
    """What is wrong with a layout for these columns, as (path in the definition, message) pairs."""
    return _rollup_problems(rollup, time_column, column_types) + _partitioning_problems(
        partitioning, rollup, time_column, column_types)


def _rollup_problems(rollup: Rollup, time_column: str, column_types: Mapping[str, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not rollup.enabled:
        if rollup.metrics:
            problems.append(("rollup.metrics", "apply only with rollup on: set `rollup.enabled` to true, or leave "
                             "the metrics out"))
        return problems
    if not rollup.metrics:
        problems.append(("rollup.metrics", "is empty: rollup needs at least one metric column (with its aggregator) "
                         "to combine; without one, turn rollup off"))
    seen: set[str] = set()
    for i, metric in enumerate(rollup.metrics):
        path = f"rollup.metrics[{i}]"
        column_type = column_types.get(metric.column)
        if column_type is None:
            problems.append((f"{path}.column", f"`{metric.column[:80]}` is not one of the declared columns"))
        elif metric.column == time_column:
            problems.append((f"{path}.column", f"`{metric.column}` is the time column, which Druid stores as __time"))
        elif column_type not in AGGREGATOR_COLUMN_TYPES[metric.aggregator]:
            takes = " or ".join(sorted(AGGREGATOR_COLUMN_TYPES[metric.aggregator]))
            textual = column_type in ("string", "timestamp")
            hint = " (a metric is a number: keep text columns as dimensions)" if textual else ""
            problems.append((f"{path}.aggregator", f"{metric.aggregator} needs a {takes} column; `{metric.column}` "
                             f"is a {column_type} column{hint}"))
        if metric.column in seen:
            problems.append((f"{path}.column", f"`{metric.column}` is a metric twice; one aggregator per column"))
        seen.add(metric.column)
    if rollup.count_metric in column_types:
        problems.append(("rollup.count_metric", f"`{rollup.count_metric}` is also a column's name; the row-count "
                         "metric needs a name of its own"))
    elif not rollup.count_metric or rollup.count_metric.startswith("__") or len(rollup.count_metric) > 255:
        problems.append(("rollup.count_metric", "must be 1-255 characters, not starting with `__`"))
    return problems


def _partitioning_problems(
    partitioning: Partitioning, rollup: Rollup, time_column: str, column_types: Mapping[str, str]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    kind = partitioning.type
    target, shards = partitioning.target_rows_per_segment, partitioning.num_shards
    if target is not None and not MIN_TARGET_ROWS <= target <= MAX_TARGET_ROWS:
        problems.append(("partitioning.target_rows_per_segment",
                         f"must be {MIN_TARGET_ROWS:,} to {MAX_TARGET_ROWS:,}; got {target:,}"))
    if shards is not None and kind is not PartitionType.hashed:
        problems.append(("partitioning.num_shards", f"applies to hashed partitioning only, not {kind}"))
    elif shards is not None and not 1 <= shards <= MAX_SHARDS:
        problems.append(("partitioning.num_shards", f"must be 1 to {MAX_SHARDS:,}; got {shards:,}"))
    if kind is PartitionType.hashed and (target is None) == (shards is None):
        problems.append(("partitioning", "hashed partitioning takes exactly one of `target_rows_per_segment` and "
                         "`num_shards`"))
    if kind is not PartitionType.hashed and target is None:
        problems.append(("partitioning.target_rows_per_segment", f"is required for {kind} partitioning"))
    if kind is PartitionType.dynamic:
        if partitioning.dimensions:
            problems.append(("partitioning.dimensions", "apply to hashed and range partitioning only; dynamic "
                             "partitioning fills segments in arrival order"))
        return problems
    if not partitioning.dimensions:
        problems.append(("partitioning.dimensions", f"{kind} partitioning needs at least one dimension to "
                         f"{'hash' if kind is PartitionType.hashed else 'sort and cut ranges'} by"))
    if len(partitioning.dimensions) > MAX_PARTITION_DIMENSIONS:
        # Said once, without checking each name: a hostile list of a million names must not cost a million checks.
        problems.append(("partitioning.dimensions", f"at most {MAX_PARTITION_DIMENSIONS} dimensions; got "
                         f"{len(partitioning.dimensions):,}"))
        return problems
    for i, name in enumerate(partitioning.dimensions):
        path = f"partitioning.dimensions[{i}]"
        column_type = column_types.get(name)
        if column_type is None or name == time_column or name in rollup.metric_columns:
            what = ("is not one of the declared columns" if column_type is None else
                    "is the time column (__time), not a dimension" if name == time_column else
                    "is a rollup metric, not a dimension")
            problems.append((path, f"`{name[:80]}` {what}"))
        elif kind is PartitionType.range and column_type not in ("string", "timestamp"):
            problems.append((path, f"`{name}` is a {column_type} column; Druid's range partitioning sorts string "
                             "dimensions only (use hashed for numbers)"))
        if name in partitioning.dimensions[:i]:
            problems.append((path, f"`{name}` is named twice"))
    return problems
