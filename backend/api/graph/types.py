"""The GraphQL object types: what a client may read, shaped like the REST answers (snake_case there, camelCase
here), each built from a row and resolving its lists through the request's batch loaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NewType, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.api.graph.context import GraphContext
from backend.api.graph.cursors import error_cursor, read_error_cursor
from backend.api.graph.errors import bad_input
from backend.db.models import Job as JobRow
from backend.db.models import JobError
from backend.db.models import SchemaVersion as SchemaVersionRow
from backend.vocabulary import JobKind, JobState, Mode, OnInvalid

Long = strawberry.scalar(NewType("Long", int), serialize=int, parse_value=int,
                         description="A whole number that may exceed 32 bits (rows, bytes)")
JobStateEnum = strawberry.enum(JobState, name="JobState")
JobKindEnum = strawberry.enum(JobKind, name="JobKind")
ModeEnum = strawberry.enum(Mode, name="Mode")
OnInvalidEnum = strawberry.enum(OnInvalid, name="OnInvalid")

MAX_PAGE = 100
DEFAULT_ERRORS = 10


def check_page(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise bad_input(f"`first` must be 1 to {MAX_PAGE} (the page size limit); got {first}.")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class JobEvent:
    state: JobStateEnum  # type: ignore[valid-type]
    at: datetime
    message: str
    details: JSON


@strawberry.type
class RowError:
    row: Long  # type: ignore[valid-type]
    column: str
    rule: str
    value: str | None
    message: str


@strawberry.type
class RowErrorEdge:
    cursor: str
    node: RowError


@strawberry.type
class RowErrorConnection:
    edges: list[RowErrorEdge]
    page_info: PageInfo
    total_count: Long = strawberry.field(description="Row errors recorded for the job (a capped sample is kept)")  # type: ignore[valid-type]


@strawberry.type
class Receipt:
    druid_rows: Long | None = strawberry.field(description="Rows Druid SQL returned for the job")  # type: ignore[valid-type]
    rows_valid: Long | None  # type: ignore[valid-type]
    matches: bool | None = strawberry.field(description="Whether they are equal; null until Druid was asked")


@strawberry.type
class Job:
    row: strawberry.Private[JobRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def kind(self) -> JobKindEnum:  # type: ignore[valid-type]
        return self.row.kind

    @strawberry.field
    def state(self) -> JobStateEnum:  # type: ignore[valid-type]
        return self.row.state

    @strawberry.field
    def code(self) -> str | None:
        return self.row.code

    @strawberry.field
    def message(self) -> str | None:
        return self.row.message

    @strawberry.field
    def datasource(self) -> str:
        return self.row.datasource

    @strawberry.field
    def schema_version(self) -> int:
        return self.row.schema_version

    @strawberry.field
    def filename(self) -> str:
        return self.row.filename

    @strawberry.field
    def format(self) -> str | None:
        return self.row.format

    @strawberry.field
    def size_bytes(self) -> Long:  # type: ignore[valid-type]
        return self.row.size_bytes

    @strawberry.field
    def priority(self) -> str:
        return self.row.priority.name

    @strawberry.field
    def mode(self) -> ModeEnum:  # type: ignore[valid-type]
        return self.row.mode

    @strawberry.field
    def on_invalid(self) -> OnInvalidEnum:  # type: ignore[valid-type]
        return self.row.on_invalid

    @strawberry.field
    def rows_total(self) -> Long | None:  # type: ignore[valid-type]
        return self.row.rows_total

    @strawberry.field
    def rows_valid(self) -> Long | None:  # type: ignore[valid-type]
        return self.row.rows_valid

    @strawberry.field
    def rows_invalid(self) -> Long | None:  # type: ignore[valid-type]
        return self.row.rows_invalid

    @strawberry.field
    def progress(self) -> int:
        return self.row.progress

    @strawberry.field
    def attempt(self) -> int:
        return self.row.attempt

    @strawberry.field
    def druid_task_id(self) -> str | None:
        return self.row.druid_task_id

    @strawberry.field(description="Druid's row stats of the job's task (processed, unparseable, thrown away)")
    def druid_row_stats(self) -> JSON | None:
        return cast(JSON | None, self.row.druid_row_stats)

    @strawberry.field
    def receipt(self) -> Receipt:
        job = self.row
        matches = None if job.druid_rows is None else job.druid_rows == job.rows_valid
        return Receipt(druid_rows=job.druid_rows, rows_valid=job.rows_valid, matches=matches)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @strawberry.field
    def finished_at(self) -> datetime | None:
        return self.row.finished_at

    @strawberry.field(description="A retraction's ingest job")
    def retraction_of(self) -> strawberry.ID | None:
        return None if self.row.target_job_id is None else strawberry.ID(str(self.row.target_job_id))

    @strawberry.field(description="On an ingest job: the retraction that removed its rows")
    def retracted_by(self) -> strawberry.ID | None:
        return None if self.row.retracted_by is None else strawberry.ID(str(self.row.retracted_by))

    @strawberry.field(description="A compaction's or retraction's parameters and what it measured")
    def operation(self) -> JSON | None:
        if self.row.operation is None:
            return None
        return cast(JSON, {key: value for key, value in self.row.operation.items() if key != "segment_ids_before"})

    @strawberry.field(description="The job's step history, oldest first")
    async def events(self, info: Info[GraphContext, None]) -> list[JobEvent]:
        rows = await info.context.events.load(self.row.id)
        return [JobEvent(state=e.state, at=e.at, message=e.message, details=cast(JSON, e.details or {})) for e in rows]

    @strawberry.field(description="Row errors by row, a page at a time")
    async def errors(self, info: Info[GraphContext, None], first: int = DEFAULT_ERRORS,
                     after: str | None = None) -> RowErrorConnection:
        check_page(first)
        position = read_error_cursor(after) if after is not None else None
        rows = await info.context.errors.load((self.row.id, first + 1, position))
        page = rows[:first]
        edges = [RowErrorEdge(cursor=error_cursor(e.row_number, e.id), node=_row_error(e)) for e in page]
        return RowErrorConnection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                                  end_cursor=edges[-1].cursor if edges else None),
                                  total_count=self.row.errors_total or 0)


def _row_error(error: JobError) -> RowError:
    return RowError(row=error.row_number, column=error.column, rule=error.rule, value=error.value,
                    message=error.message)


@strawberry.type
class JobEdge:
    cursor: str
    node: Job


@strawberry.type
class JobConnection:
    edges: list[JobEdge]
    page_info: PageInfo
    total: strawberry.Private[Any]

    @strawberry.field(description="Jobs matching the filter that the caller may read")
    async def total_count(self) -> Long:  # type: ignore[valid-type]
        count: int = await self.total()
        return count


@strawberry.type
class SchemaChange:
    kind: str
    column: str | None
    description: str


def changes_of(stored: list[dict[str, Any]]) -> list[SchemaChange]:
    return [SchemaChange(kind=str(c.get("kind")), column=c.get("column"), description=str(c.get("description")))
            for c in stored]


@strawberry.type
class SchemaVersion:
    version: int
    created_at: datetime
    created_by: str
    summary: str
    restored_from: int | None
    changes: list[SchemaChange] = strawberry.field(description="What changed from the version before")
    definition: JSON


def schema_version(row: SchemaVersionRow) -> SchemaVersion:
    return SchemaVersion(version=row.version, created_at=row.created_at, created_by=row.created_by,
                         summary=row.summary, restored_from=row.restored_from, changes=changes_of(row.changes),
                         definition=cast(JSON, row.definition))


@strawberry.type
class SegmentChunk:
    start: str
    end: str
    segments: int
    rows: Long  # type: ignore[valid-type]
    bytes: Long  # type: ignore[valid-type]
    shard_types: list[str]
    verdict: str


@strawberry.type
class SegmentHealth:
    target_rows_per_segment: Long  # type: ignore[valid-type]
    chunks: list[SegmentChunk]


@strawberry.type
class Grant:
    datasource: str
    role: str


@strawberry.type
class Me:
    username: str
    via: str
    is_admin: bool
    grants: list[Grant]


def job_of(row: JobRow) -> Job:
    return Job(row=row)


def uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None

