"""What an operation measures in Druid before and after it runs: the rows of a period (all of them, and one job's),
the period a job's rows span, and the segments that serve a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.druid.sql import BrokerSqlClient, quoted_identifier
from backend.schema.layout import Rollup


@dataclass(frozen=True)
class PeriodRows:
    total: int  # every row of the period (with rollup: the rows ingested, the sum of the count metric)
    of_job: int  # the rows one job brought


@dataclass(frozen=True)
class ServingSegment:
    segment_id: str
    available: bool  # loaded by a historical, so queries read it


def counted(rollup: Rollup) -> str:
    """The SQL aggregate that counts ingested rows: a rolled-up Druid row stands for `count` of them."""
    return f"SUM({quoted_identifier(rollup.count_metric)})" if rollup.enabled else "COUNT(*)"


def split_interval(interval: str) -> tuple[str, str]:
    start, _, end = interval.partition("/")
    return start, end


def period_rows(client: BrokerSqlClient, druid_datasource: str, interval: str, rollup: Rollup,
                lineage_column: str, job_id: str | None) -> PeriodRows:
    start, end = split_interval(interval)
    aggregate = counted(rollup)
    job_filter = f"FILTER (WHERE {quoted_identifier(lineage_column)} = ?)"
    sql = (f'SELECT {aggregate} AS "total", {aggregate} {job_filter} AS "of_job" '
           f"FROM {quoted_identifier(druid_datasource)} WHERE __time >= TIME_PARSE(?) AND __time < TIME_PARSE(?)")
    rows = client.query(sql, [job_id or "", start, end])
    first: dict[str, Any] = rows[0] if rows else {}
    return PeriodRows(int(first.get("total") or 0), int(first.get("of_job") or 0))


def job_span(client: BrokerSqlClient, druid_datasource: str, lineage_column: str, job_id: str
             ) -> tuple[datetime, datetime] | None:
    """The first and last instants of a job's rows in Druid; None when Druid holds none of them."""
    sql = (f'SELECT MIN(__time) AS "first_at", MAX(__time) AS "last_at", COUNT(*) AS "n" '
           f"FROM {quoted_identifier(druid_datasource)} WHERE {quoted_identifier(lineage_column)} = ?")
    rows = client.query(sql, [job_id])
    if not rows or not int(rows[0].get("n") or 0):
        return None
    return _instant(rows[0]["first_at"]), _instant(rows[0]["last_at"])


def chunk_span(client: BrokerSqlClient, druid_datasource: str, first: datetime, end: datetime) -> str | None:
    """The interval from the start of the first to the end of the last chunk served in [first, end); None when no
    segment is served there."""
    # Druid's MIN and MAX take numbers only: the bounds, text, are compared here.
    sql = ('SELECT "start", "end" FROM sys.segments WHERE datasource = ? '
           'AND is_published = 1 AND is_overshadowed = 0 AND "end" > ? AND "start" < ?')
    rows = client.query(sql, [druid_datasource, segments_text(first), segments_text(end)])
    if not rows:
        return None
    return f"{min(str(row['start']) for row in rows)}/{max(str(row['end']) for row in rows)}"


def serving_segments(client: BrokerSqlClient, druid_datasource: str, interval: str) -> list[ServingSegment]:
    """The published, not overshadowed segments overlapping the interval."""
    start, end = (segments_text(_instant(bound)) for bound in split_interval(interval))
    sql = ('SELECT "segment_id", "is_available" FROM sys.segments WHERE datasource = ? AND is_published = 1 '
           'AND is_overshadowed = 0 AND "end" > ? AND "start" < ?')
    rows = client.query(sql, [druid_datasource, start, end])
    return [ServingSegment(str(row["segment_id"]), bool(row.get("is_available"))) for row in rows]


def segments_text(instant: datetime) -> str:
    """An instant as sys.segments writes chunk bounds (compared as text there): UTC, milliseconds, four-digit
    year. Without the milliseconds, `2024-01-02T00:00:00Z` would sort after `2024-01-02T00:00:00.000Z`."""
    utc = instant.astimezone(UTC)
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}."
            f"{utc.microsecond // 1000:03d}Z")


def _instant(value: Any) -> datetime:
    # Druid SQL writes timestamps as ISO-8601 with a Z (2024-01-01T00:00:00.000Z).
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


# Druid's TIME_FLOOR period for each segment granularity (backend.schema.declaration.SegmentGranularity values).
_PERIODS = {"HOUR": "PT1H", "DAY": "P1D", "WEEK": "P1W", "MONTH": "P1M", "YEAR": "P1Y"}


@dataclass(frozen=True)
class PeriodJobRows:
    period: str  # the segment period's start, as Druid SQL writes it
    job: str | None  # the lineage value (None: rows no job of ours brought)
    rows: int


def rows_by_period_and_job(client: BrokerSqlClient, druid_datasource: str, interval: str, rollup: Rollup,
                           lineage_column: str, segment_granularity: str, limit: int) -> list[PeriodJobRows]:
    """How many rows each segment period of the interval holds now, per job that brought them (at most `limit`
    pairs, the largest first)."""
    start, end = split_interval(interval)
    lineage = quoted_identifier(lineage_column)
    # Aliases quoted: PERIOD is a reserved word of Druid's SQL parser.
    sql = (f"SELECT TIME_FLOOR(__time, '{_PERIODS[segment_granularity]}') AS \"period\", {lineage} AS \"job\", "
           f"{counted(rollup)} AS \"n\" FROM {quoted_identifier(druid_datasource)} "
           f"WHERE __time >= TIME_PARSE(?) AND __time < TIME_PARSE(?) GROUP BY 1, 2 ORDER BY 3 DESC LIMIT {int(limit)}")
    return [PeriodJobRows(str(row["period"]), None if row.get("job") in (None, "") else str(row["job"]),
                          int(row.get("n") or 0)) for row in client.query(sql, [start, end])]
