"""The Druid `index_parallel` task spec for a job's staged rows, as a pure function of its inputs.

Staged input (backend.pipeline.staging) is CSV with a header row or newline-delimited JSON, UTF-8, told apart
by the object's extension: the schema's columns (plus any extra string columns the stager adds), timestamps
ISO-8601 UTC with `Z`. The Druid 25 facts behind these choices are in /work/shared/reference/druid-local.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.schema.declaration import DRUID_DIMENSION_TYPE, DatasourceSchema, SegmentGranularity
from backend.schema.layout import Partitioning, PartitionType, Rollup

# Druid's own defaults are 75 for realtime tasks, 50 for batch ingestion and 25 for compaction. MEDIUM keeps
# the batch default; HIGH can take time-chunk locks from default batch and compaction tasks; LOW yields to
# every other batch job (and ties with compaction, so it waits rather than preempts it).
_PRIORITIES = {"HIGH": 75, "MEDIUM": 50, "LOW": 25}


# Both are in Druid's core. Druid's CSV reader (opencsv's RFC 4180 parser) handles quoted commas and doubled
# quotes but splits records at every line break, which is why the stager falls back to NDJSON for such values.
_INPUT_FORMATS: dict[str, dict[str, Any]] = {
    ".csv": {"type": "csv", "findColumnsFromHeader": True},
    ".json": {"type": "json"},
}

# Druid's default rows per dynamic segment.
DEFAULT_DYNAMIC_ROWS = 5_000_000
# Longer ids hang the Overlord's POST for minutes (its metadata column), so refuse them here.
_MAX_TASK_ID_LENGTH = 255


def priority_for(priority_name: str) -> int:
    """The Druid task priority for a job priority name (HIGH, MEDIUM, LOW; any case)."""
    try:
        return _PRIORITIES[priority_name.upper()]
    except KeyError:
        raise ValueError(f"unknown priority {priority_name!r}; expected one of {', '.join(_PRIORITIES)}") from None


def dimensions_spec(schema: DatasourceSchema, extra_string_dimensions: Sequence[str] = ()) -> dict[str, Any]:
    """Typed dimensions in schema order; the timestamp column is Druid's __time and rollup's metrics are metrics,
    not dimensions."""
    dimensions: list[dict[str, str]] = [
        {"type": DRUID_DIMENSION_TYPE[c.type], "name": c.name} for c in schema.dimension_columns
    ]
    dimensions += [{"type": "string", "name": name} for name in extra_string_dimensions]
    return {"dimensions": dimensions}


def metrics_spec(rollup: Rollup) -> list[dict[str, str]]:
    """With rollup, the row count first (the receipt sums it), then each metric under its column's name."""
    if not rollup.enabled:
        return []
    return [{"type": "count", "name": rollup.count_metric}] + [
        {"type": m.aggregator.value, "name": m.column, "fieldName": m.column} for m in rollup.metrics]


def partitions_spec(partitioning: Partitioning, *, appending: bool) -> dict[str, Any]:
    """Druid's partitionsSpec. Druid cannot shuffle rows into hashed or range partitions while appending (it would
    have to rewrite the segments already there), so an append writes dynamic segments next to them, up to the
    same target, and compaction partitions the chunk as declared."""
    target = partitioning.target_rows_per_segment
    if partitioning.type is PartitionType.dynamic or appending:
        return {"type": "dynamic", "maxRowsPerSegment": target or DEFAULT_DYNAMIC_ROWS}
    spec: dict[str, Any] = {"type": partitioning.type.value, "partitionDimensions": list(partitioning.dimensions)}
    if partitioning.num_shards is not None:
        spec["numShards"] = partitioning.num_shards
    else:
        spec["targetRowsPerSegment"] = target
    return spec


def tuning_config(partitioning: Partitioning, *, appending: bool, max_num_concurrent_subtasks: int) -> dict[str, Any]:
    """The tuningConfig for a layout: hashed and range need Druid's perfect-rollup mode (forceGuaranteedRollup), and
    range runs only in parallel mode, so it gets at least two subtasks (its shuffle's phases run as subtasks)."""
    partitions = partitions_spec(partitioning, appending=appending)
    shuffled = partitions["type"] != "dynamic"
    subtasks = max(max_num_concurrent_subtasks, 2) if partitions["type"] == "range" else max_num_concurrent_subtasks
    config: dict[str, Any] = {
        "type": "index_parallel",
        # Staged rows were validated: one Druid parse error means a bug, so the task must fail loudly.
        "maxParseExceptions": 0,
        "maxSavedParseExceptions": 10,
        "maxNumConcurrentSubTasks": subtasks,
        "partitionsSpec": partitions,
    }
    if shuffled:
        config["forceGuaranteedRollup"] = True
    return config


def day_intervals(min_ts: datetime, max_ts: datetime) -> list[str]:
    """The whole UTC days from min_ts's day to max_ts's day, as one interval."""
    return replace_intervals(min_ts, max_ts, SegmentGranularity.DAY)


def replace_intervals(min_ts: datetime, max_ts: datetime, segment: SegmentGranularity) -> list[str]:
    """The whole segment periods (UTC hours, days, ISO weeks, months or years) from min_ts's to max_ts's, as one
    interval aligned to the datasource's segment granularity (Druid replaces whole segments).

    One contiguous interval, not one per period with rows: replacing it empties the periods in between that have
    no new rows. That is what "replace this period" means, and it keeps the spec small for long ranges.
    """
    if min_ts.tzinfo is None or max_ts.tzinfo is None:
        raise ValueError("replace_intervals needs timezone-aware datetimes")
    if min_ts > max_ts:
        raise ValueError(f"min_ts {min_ts.isoformat()} is after max_ts {max_ts.isoformat()}")
    start = _period_start(min_ts, segment)
    end = _next_period(_period_start(max_ts, segment), segment)
    return [f"{_iso(start)}/{_iso(end)}"]


# Compaction's own default priority in Druid: below every ingestion, so it never holds up an upload.
COMPACTION_PRIORITY = 25


def auto_compaction_config(schema: DatasourceSchema, druid_datasource: str, skip_offset_hours: int) -> dict[str, Any]:
    """The Coordinator's compaction config for a datasource: compact every chunk older than the skip offset into the
    declared partitioning and segment granularity (hashed and range with at least two subtasks, as ingestion)."""
    tuning = tuning_config(schema.partitioning, appending=False, max_num_concurrent_subtasks=1)
    return {
        "dataSource": druid_datasource,
        "taskPriority": COMPACTION_PRIORITY,
        "skipOffsetFromLatest": f"PT{skip_offset_hours}H",
        "tuningConfig": {"partitionsSpec": tuning["partitionsSpec"],
                         "maxNumConcurrentSubTasks": tuning["maxNumConcurrentSubTasks"]},
        "granularitySpec": {"segmentGranularity": schema.granularity.segment.value},
    }


def build_index_parallel_spec(
    schema: DatasourceSchema,
    *,
    datasource: str,
    task_id: str,
    input_uris: Sequence[str],
    append: bool,
    replace_intervals: Sequence[str] | None,
    priority: int,
    max_num_concurrent_subtasks: int = 1,
    extra_string_dimensions: Sequence[str] = (),
    keep_only: tuple[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The task to POST to the Overlord: ingest the staged objects at `input_uris` into `datasource`.

    append=True adds segments next to existing data. append=False replaces exactly `replace_intervals`
    (required then): existing data there is dropped, staged rows outside them are thrown away by Druid.
    keep_only=(column, values) ingests only the rows whose string `column` holds one of `values` (a staged object
    may carry the rows of jobs that ride other tasks; Druid counts the others as thrown away).
    """
    check_task_id(task_id)
    if not input_uris:
        raise ValueError("input_uris is empty: nothing to ingest")
    not_s3 = [uri for uri in input_uris if not uri.startswith("s3://")]
    if not_s3:
        raise ValueError(f"input uris must be s3:// uris, got {not_s3}")
    if append and replace_intervals:
        raise ValueError("replace_intervals only apply when replacing (append=False)")
    if not append and not replace_intervals:
        raise ValueError("replacing (append=False) needs replace_intervals: the period whose data is replaced")
    input_format = input_format_for(input_uris)
    if max_num_concurrent_subtasks < 1:
        raise ValueError("max_num_concurrent_subtasks must be >= 1")

    granularity: dict[str, Any] = {
        "segmentGranularity": schema.granularity.segment.value,
        "queryGranularity": schema.granularity.query.value,
        "rollup": schema.rollup.enabled,
    }
    if not append:
        assert replace_intervals is not None
        granularity["intervals"] = list(replace_intervals)
    data_schema: dict[str, Any] = {
        "dataSource": datasource,
        "timestampSpec": {"column": schema.timestamp_column, "format": "iso"},
        "dimensionsSpec": dimensions_spec(schema, extra_string_dimensions),
        "granularitySpec": granularity,
    }
    if schema.rollup.enabled:
        data_schema["metricsSpec"] = metrics_spec(schema.rollup)
    if keep_only is not None:
        column, values = keep_only
        if not values:
            raise ValueError("keep_only needs at least one value")
        data_schema["transformSpec"] = {"filter": {"type": "in", "dimension": column, "values": sorted(values)}}
    return {
        "type": "index_parallel",
        "id": task_id,
        "context": {"priority": priority},
        "spec": {
            "dataSchema": data_schema,
            "ioConfig": {
                "type": "index_parallel",
                "inputSource": {"type": "s3", "uris": list(input_uris)},
                "inputFormat": input_format,
                "appendToExisting": append,
                # Druid accepts dropExisting only together with granularitySpec.intervals: replace mode.
                "dropExisting": not append,
            },
            "tuningConfig": tuning_config(schema.partitioning, appending=append,
                                          max_num_concurrent_subtasks=max_num_concurrent_subtasks),
        },
    }


def input_format_for(input_uris: Sequence[str]) -> dict[str, Any]:
    """Druid's inputFormat for staged objects, from their extension (all of them must share one)."""
    extensions = {_extension(uri) for uri in input_uris}
    if len(extensions) != 1 or next(iter(extensions)) not in _INPUT_FORMATS:
        raise ValueError(
            f"staged objects must all end in one of {', '.join(_INPUT_FORMATS)}; got {sorted(input_uris)}"
        )
    return dict(_INPUT_FORMATS[extensions.pop()])


def _extension(uri: str) -> str:
    name = uri.rsplit("/", 1)[-1]
    return name[name.rfind("."):] if "." in name else ""


def check_task_id(task_id: str) -> None:
    if not task_id or "/" in task_id or task_id.startswith(".") or len(task_id) > _MAX_TASK_ID_LENGTH:
        raise ValueError(
            f"Druid task id {task_id!r} must be 1-{_MAX_TASK_ID_LENGTH} characters, without '/', not starting with '.'"
        )


def _period_start(instant: datetime, segment: SegmentGranularity) -> datetime:
    hour = instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if segment is SegmentGranularity.HOUR:
        return hour
    day = hour.replace(hour=0)
    if segment is SegmentGranularity.DAY:
        return day
    if segment is SegmentGranularity.WEEK:  # Druid's weeks are ISO weeks: Monday to Monday, UTC
        return day - timedelta(days=day.weekday())
    if segment is SegmentGranularity.MONTH:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_period(start: datetime, segment: SegmentGranularity) -> datetime:
    if segment is SegmentGranularity.HOUR:
        return start + timedelta(hours=1)
    if segment is SegmentGranularity.DAY:
        return start + timedelta(days=1)
    if segment is SegmentGranularity.WEEK:
        return start + timedelta(weeks=1)
    if segment is SegmentGranularity.MONTH:
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    return start.replace(year=start.year + 1)


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
