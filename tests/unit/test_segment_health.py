"""Segment health verdicts and per-chunk grouping (backend.pipeline.segment_health), and reading sys.segments rows
(backend.druid.segments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from backend.druid.segments import Segment, _shard_type
from backend.pipeline.segment_health import _iso, by_chunk, verdict

DAY1 = ("2025-01-01T00:00:00.000Z", "2025-01-02T00:00:00.000Z")
DAY2 = ("2025-01-02T00:00:00.000Z", "2025-01-03T00:00:00.000Z")


def test_verdicts() -> None:
    assert verdict(1, 1_000, 10_000, target_rows=5_000_000) == "ok"
    assert verdict(2, 2_000, 20_000, target_rows=5_000_000) == "ok"  # one more than compaction leaves: normal
    assert verdict(3, 3_000, 30_000, target_rows=5_000_000) == "fragmented"  # compaction would leave 1 of 3
    assert verdict(3, 12_000_000, 10**9, target_rows=5_000_000) == "ok"  # 3 well-filled segments: 3 needed anyway
    assert verdict(1, 11_000_000, 10**9, target_rows=5_000_000) == "oversized"  # over twice the target rows
    assert verdict(1, 1_000, 2 * 1024**3, target_rows=5_000_000) == "oversized"  # over 1 GiB
    assert verdict(0, 0, 0) == "ok"
    # Hashed by shard count: that many segments per chunk is the layout, not fragmentation.
    assert verdict(3, 3_000, 30_000, target_rows=5_000_000, shards=3) == "ok"
    assert verdict(5, 3_000, 30_000, target_rows=5_000_000, shards=3) == "fragmented"


def test_segments_grouped_by_chunk_oldest_first() -> None:
    segments = [Segment(*DAY2, 10, 100, "numbered"), Segment(*DAY1, 5, 50, "hashed"),
                *[Segment(*DAY1, 7, 70, "numbered") for _ in range(3)]]
    chunks = by_chunk(segments)
    assert [(c.start, c.segments, c.rows, c.bytes, c.shard_types, c.verdict) for c in chunks] == [
        (DAY1[0], 4, 26, 260, ["hashed", "numbered"], "fragmented"),
        (DAY2[0], 1, 10, 100, ["numbered"], "ok"),
    ]
    assert chunks[0].average_rows == 6.5


def test_shard_spec_types_as_druid_writes_them() -> None:
    assert _shard_type('{"type":"numbered","partitionNum":0,"partitions":1}') == "numbered"
    assert _shard_type('{"type":"range","dimensions":["Region"]}') == "range"
    assert _shard_type("not json") == "unknown"
    assert _shard_type(None) == "unknown"
    assert _shard_type('["a list"]') == "unknown"


def test_bounds_are_written_as_sys_segments_holds_them() -> None:
    assert _iso(datetime(2025, 1, 1, tzinfo=UTC), "x") == "2025-01-01T00:00:00.000Z"
    plus_two = timezone(timedelta(hours=2))
    assert _iso(datetime(2025, 1, 1, 2, 0, 0, 123456, tzinfo=plus_two), "x") == "2025-01-01T00:00:00.123Z"
    assert _iso(None, "default") == "default"
    assert _iso(datetime(999, 1, 1, tzinfo=UTC), "x") == "0999-01-01T00:00:00.000Z"  # sorts before 2025 as text
