"""The segments Druid serves for a datasource, from the broker's `sys.segments` table."""

from __future__ import annotations

import json
from dataclasses import dataclass

from backend.druid.sql import BrokerSqlClient

# Published, not overshadowed: what queries read (a replaced or compacted segment lingers overshadowed until the
# coordinator drops it, and counts for nothing).
_SQL = ('SELECT "start", "end", "num_rows", "size", "shard_spec" FROM sys.segments '
        'WHERE datasource = ? AND is_published = 1 AND is_overshadowed = 0 AND "end" > ? AND "start" < ? '
        'ORDER BY "start" LIMIT ?')


@dataclass(frozen=True)
class Segment:
    start: str  # ISO-8601, as Druid writes it (2025-01-01T00:00:00.000Z)
    end: str
    rows: int
    bytes: int
    shard_type: str  # numbered, hashed, range, single, linear, ... ("unknown" when Druid did not say)


def served_segments(client: BrokerSqlClient, druid_datasource: str, start: str, end: str, limit: int) -> list[Segment]:
    """At most `limit` segments overlapping [start, end), oldest chunk first."""
    rows = client.query(_SQL, [druid_datasource, start, end, limit])
    return [Segment(str(row["start"]), str(row["end"]), int(row.get("num_rows") or 0), int(row.get("size") or 0),
                    _shard_type(row.get("shard_spec"))) for row in rows]


def _shard_type(spec: object) -> str:
    try:
        parsed = json.loads(spec) if isinstance(spec, str) else spec
    except ValueError:
        return "unknown"
    kind = parsed.get("type") if isinstance(parsed, dict) else None
    return str(kind) if kind else "unknown"
