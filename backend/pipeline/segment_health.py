"""How healthy a datasource's segments are, per time chunk: count, rows, bytes, shard types and a verdict.

A chunk is `fragmented` when compaction would leave at least two fewer segments than it has (many small segments
make every query over it open and merge more files); `oversized` when its segments average more than twice the
target rows or more than 1 GiB (Druid's guidance: a few million rows, some hundreds of MB per segment); else `ok`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from backend.db.session import session_scope
from backend.druid.period_rows import segments_text
from backend.druid.segments import Segment, served_segments
from backend.druid.sql import BrokerSqlClient
from backend.errors import ErrorCode, IngestError
from backend.pipeline.datasources import job_datasource
from backend.pipeline.registry import existing_datasource
from backend.settings import get_settings

# Druid's own default for maxRowsPerSegment / compaction's target: the size a segment is meant to have.
TARGET_ROWS_PER_SEGMENT = 5_000_000
_OVERSIZED_BYTES = 1024**3
# Beyond this many segments in the window the answer would be slow to build and to draw: ask for a narrower one.
MAX_SEGMENTS = 50_000


@dataclass(frozen=True)
class ChunkHealth:
    start: str
    end: str
    segments: int
    rows: int
    bytes: int
    shard_types: list[str]
    verdict: str  # ok | fragmented | oversized

    @property
    def average_rows(self) -> float:
        return self.rows / self.segments if self.segments else 0.0


@dataclass(frozen=True)
class SegmentHealth:
    datasource: str
    druid_datasource: str
    target_rows_per_segment: int
    chunks: list[ChunkHealth]


def verdict(segments: int, rows: int, size: int, target_rows: int = TARGET_ROWS_PER_SEGMENT,
            shards: int | None = None) -> str:
    """`shards`: a hashed layout declared by shard count leaves that many segments per chunk, whatever its rows."""
    if segments == 0:
        return "ok"
    if rows / segments > 2 * target_rows or size / segments > _OVERSIZED_BYTES:
        return "oversized"
    after_compaction = shards or max(1, math.ceil(rows / target_rows))
    return "fragmented" if segments >= after_compaction + 2 else "ok"


def by_chunk(segments: list[Segment], target_rows: int = TARGET_ROWS_PER_SEGMENT,
             shards: int | None = None) -> list[ChunkHealth]:
    """Segments grouped by their time chunk, oldest first."""
    chunks: dict[tuple[str, str], list[Segment]] = {}
    for segment in segments:
        chunks.setdefault((segment.start, segment.end), []).append(segment)
    out = []
    for (start, end), members in sorted(chunks.items()):
        rows = sum(s.rows for s in members)
        size = sum(s.bytes for s in members)
        out.append(ChunkHealth(start, end, len(members), rows, size, sorted({s.shard_type for s in members}),
                               verdict(len(members), rows, size, target_rows, shards)))
    return out


def segment_health(name: str, start: datetime | None, end: datetime | None,
                   target_rows_per_segment: int | None = None) -> SegmentHealth:
    """The datasource's segments in [start, end) (all of them by default); a deleted datasource's too (its rows
    stay in Druid). Chunks are judged against `target_rows_per_segment` when given (a compaction's own)."""
    with session_scope() as session:
        row = existing_datasource(session, name)
        # The target the current version declares (its partitioning's, or Druid's default for hashed by shard count).
        layout = job_datasource(name, row.current_schema_version).schema.partitioning
        druid_datasource = row.druid_datasource
    target_rows = target_rows_per_segment or layout.target_rows_per_segment or TARGET_ROWS_PER_SEGMENT
    shards = None if target_rows_per_segment else layout.num_shards
    if start is not None and end is not None and start >= end:
        raise IngestError(ErrorCode.invalid_field, "`from` must be before `to`.", {"field": "from"})
    settings = get_settings()
    client = BrokerSqlClient(settings.druid_broker_url, settings.druid_request_timeout_s)
    segments = served_segments(client, druid_datasource, _iso(start, "1000-01-01T00:00:00.000Z"),
                               _iso(end, "9999-12-31T00:00:00.000Z"), MAX_SEGMENTS + 1)
    if len(segments) > MAX_SEGMENTS:
        raise IngestError(ErrorCode.invalid_field,
                          f"More than {MAX_SEGMENTS:,} segments in this window: ask for a narrower one with "
                          "`from` and `to`.", {"field": "from"})
    return SegmentHealth(name, druid_datasource, target_rows, by_chunk(segments, target_rows, shards))


def _iso(at: datetime | None, default: str) -> str:
    if at is None:
        return default
    return segments_text(at if at.tzinfo is not None else at.replace(tzinfo=UTC))
