"""The GraphQL schema: its queries (no mutations: REST stays the API that changes things) and the limits every
query must keep, checked before anything runs."""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import Info

from backend.api.graph.context import GraphContext, read
from backend.api.graph.cursors import job_cursor, read_job_cursor
from backend.api.graph.errors import bad_input, from_ingest_error
from backend.api.graph.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, CostLimiter
from backend.api.graph.types import (
    Grant,
    Job,
    JobConnection,
    JobEdge,
    JobKindEnum,
    JobStateEnum,
    Me,
    PageInfo,
    SchemaChange,
    SchemaVersion,
    SegmentChunk,
    SegmentHealth,
    check_page,
    job_of,
    schema_version,
    uuid_or_none,
)
from backend.db import graph_reads_repository as reads
from backend.db.models import Datasource as DatasourceRow
from backend.db.session import session_scope
from backend.errors import IngestError
from backend.pipeline import registry
from backend.pipeline.segment_health import segment_health

DEFAULT_JOBS = 50


@strawberry.input
class JobFilter:
    state: JobStateEnum | None = None  # type: ignore[valid-type]
    kind: JobKindEnum | None = None  # type: ignore[valid-type]
    datasource: str | None = None


async def _jobs(info: Info[GraphContext, None], wanted: reads.JobFilter, first: int, after: str | None
                ) -> JobConnection:
    check_page(first)
    position = read_job_cursor(after) if after is not None else None
    readable = info.context.readable
    rows = await read(reads.jobs_page, readable, wanted, first + 1, position)
    page = rows[:first]
    edges = [JobEdge(cursor=job_cursor(row.created_at, row.id), node=job_of(row)) for row in page]

    async def total() -> int:
        return await read(reads.jobs_total, readable, wanted)

    return JobConnection(edges=edges, total=total,
                         page_info=PageInfo(has_next_page=len(rows) > first,
                                            end_cursor=edges[-1].cursor if edges else None))


def _name(name: str | None) -> str | None:
    """A datasource name as a query may carry it: PostgreSQL refuses NUL in text, and no name holds a control
    character (REST's rule, backend.api.params)."""
    if name is not None and re.search(r"[\x00-\x1f\x7f]", name):
        raise bad_input("A datasource name must not contain control characters (such as NUL).")
    return name


def _filter(given: JobFilter | None, datasource: str | None = None) -> reads.JobFilter:
    if given is None:
        return reads.JobFilter(datasource=datasource)
    return reads.JobFilter(state=given.state, kind=given.kind, datasource=datasource or _name(given.datasource))


@strawberry.type
class Datasource:
    row: strawberry.Private[DatasourceRow]

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def druid_datasource(self) -> str:
        return self.row.druid_datasource

    @strawberry.field
    def description(self) -> str:
        return self.row.description

    @strawberry.field
    def compatibility(self) -> str:
        return self.row.compatibility

    @strawberry.field
    def deleted(self) -> bool:
        return self.row.deleted_at is not None

    @strawberry.field
    def current_version(self) -> int:
        return self.row.current_schema_version

    @strawberry.field(description="Every schema version, newest first, each with what changed from the one before")
    async def versions(self, info: Info[GraphContext, None]) -> list[SchemaVersion]:
        return [schema_version(row) for row in await info.context.versions.load(self.row.name)]

    @strawberry.field(description="The changes from version `from` to version `to`")
    async def diff(self, from_: Annotated[int, strawberry.argument(name="from")], to: int) -> list[SchemaChange]:
        def changes() -> list[SchemaChange]:
            with session_scope() as session:
                found = registry.diff_versions(session, self.row.name, from_, to)
            return [SchemaChange(kind=c.kind.value, column=c.column, description=c.description) for c in found]

        try:
            return await run_in_threadpool(changes)
        except IngestError as error:
            raise from_ingest_error(error) from None

    @strawberry.field(description="Segments per time chunk in [from, to), from Druid's sys.segments")
    async def segments(self, from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
                       to: datetime | None = None) -> SegmentHealth:
        try:
            health = await run_in_threadpool(segment_health, self.row.name, from_, to)
        except IngestError as error:
            raise from_ingest_error(error) from None
        return SegmentHealth(target_rows_per_segment=health.target_rows_per_segment, chunks=[
            SegmentChunk(start=c.start, end=c.end, segments=c.segments, rows=c.rows, bytes=c.bytes,
                         shard_types=c.shard_types, verdict=c.verdict) for c in health.chunks])

    @strawberry.field(description="The datasource's jobs, newest first")
    async def jobs(self, info: Info[GraphContext, None], filter: JobFilter | None = None,
                   first: int = DEFAULT_JOBS, after: str | None = None) -> JobConnection:
        return await _jobs(info, _filter(filter, self.row.name), first, after)


@strawberry.type
class Query:
    @strawberry.field(description="Who is asking, and what they may read")
    def me(self, info: Info[GraphContext, None]) -> Me:
        principal = info.context.principal
        if principal is None:  # access control is off: everyone may do everything
            return Me(username="anonymous", via="none", is_admin=True, grants=[])
        grants = [Grant(datasource=name, role=str(role)) for name in sorted(principal.grants)
                  if (role := principal.role_on(name)) is not None]
        return Me(username=principal.username, via=principal.via.value, is_admin=principal.acts_as_admin,
                  grants=grants)

    @strawberry.field(description="The datasources the caller may read, by name")
    async def datasources(self, info: Info[GraphContext, None], include_deleted: bool = False) -> list[Datasource]:
        rows = await read(reads.datasources, info.context.readable, include_deleted)
        return [Datasource(row=row) for row in rows]

    @strawberry.field(description="One datasource; null when there is none by that name the caller may read")
    async def datasource(self, info: Info[GraphContext, None], name: str) -> Datasource | None:
        if not info.context.may_read(_name(name) or ""):
            return None
        rows = await read(reads.datasources, frozenset({name}), True)
        return Datasource(row=rows[0]) if rows else None

    @strawberry.field(description="Jobs the caller may read, newest first, a page at a time")
    async def jobs(self, info: Info[GraphContext, None], filter: JobFilter | None = None,
                   first: int = DEFAULT_JOBS, after: str | None = None) -> JobConnection:
        return await _jobs(info, _filter(filter), first, after)

    @strawberry.field(description="One job; null when there is none by that id the caller may read")
    async def job(self, info: Info[GraphContext, None], id: strawberry.ID) -> Job | None:
        job_id = uuid_or_none(str(id))
        if job_id is None:
            return None
        found = (await read(reads.jobs_by_id, [job_id])).get(job_id)
        if found is None or not info.context.may_read(found.datasource):
            return None
        return job_of(found)

schema = strawberry.Schema(
    query=Query,
    extensions=[
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        CostLimiter,
    ],
)
