"""Segment health of a datasource, per time chunk, from Druid's sys.segments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from backend.api.access.permissions import on_datasource, requires
from backend.api.access.principal import Principal
from backend.api.datasources import NameParam
from backend.api.params import RFC3339_ONLY
from backend.api.schemas import ErrorBody
from backend.pipeline.segment_health import segment_health
from backend.vocabulary import Role

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 422, 503)}
_Instant = Annotated[datetime | None, RFC3339_ONLY]


class ChunkOut(BaseModel):
    start: str = Field(description="The time chunk's start (ISO-8601 UTC, as Druid writes it)")
    end: str
    segments: int
    rows: int = Field(description="Rows in its segments; a segment loaded moments ago counts 0 until the broker has "
                                  "read its metadata")
    bytes: int
    average_rows_per_segment: float
    shard_types: list[str] = Field(description="The chunk's shard spec types: numbered (dynamic), hashed, range, ...")
    verdict: str = Field(description="ok | fragmented (compaction would leave at least two fewer segments) | "
                                     "oversized (segments average more than twice the target rows, or over 1 GiB)")


class SegmentsTotals(BaseModel):
    chunks: int
    segments: int
    rows: int
    bytes: int
    fragmented: int
    oversized: int


class SegmentsOut(BaseModel):
    datasource: str
    druid_datasource: str
    target_rows_per_segment: int
    totals: SegmentsTotals
    chunks: list[ChunkOut]


@router.get("/{name}/segments", response_model=SegmentsOut, responses=_ERRORS,
            summary="Segments per time chunk (count, rows, bytes, shard types) with a verdict on each chunk")
async def list_segments(
    name: NameParam,
    start: Annotated[_Instant, Query(alias="from", description="Chunks ending after this instant (RFC 3339)")] = None,
    end: Annotated[_Instant, Query(alias="to", description="Chunks starting before this instant (RFC 3339)")] = None,
    caller: Principal | None = requires(on_datasource(Role.read)),
) -> SegmentsOut:
    health = await run_in_threadpool(segment_health, name, start, end)
    chunks = [ChunkOut(start=c.start, end=c.end, segments=c.segments, rows=c.rows, bytes=c.bytes,
                       average_rows_per_segment=round(c.average_rows, 1), shard_types=c.shard_types,
                       verdict=c.verdict) for c in health.chunks]
    totals = SegmentsTotals(chunks=len(chunks), segments=sum(c.segments for c in chunks),
                            rows=sum(c.rows for c in chunks), bytes=sum(c.bytes for c in chunks),
                            fragmented=sum(c.verdict == "fragmented" for c in chunks),
                            oversized=sum(c.verdict == "oversized" for c in chunks))
    return SegmentsOut(datasource=health.datasource, druid_datasource=health.druid_datasource,
                       target_rows_per_segment=health.target_rows_per_segment, totals=totals, chunks=chunks)
