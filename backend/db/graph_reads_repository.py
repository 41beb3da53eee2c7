"""The reads behind the GraphQL API (backend.api.graphql): pages of jobs by keyset, and what a page's jobs or
datasources hold, fetched for many at once (one statement per kind of thing, however many jobs a query asks for)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from backend.db.models import Datasource, Job, JobError, JobEvent, SchemaVersion
from backend.vocabulary import JobKind, JobState


@dataclass(frozen=True)
class JobFilter:
    state: JobState | None = None
    kind: JobKind | None = None
    datasource: str | None = None


def _filtered(query: Select[tuple[Job]], readable: frozenset[str] | None, wanted: JobFilter) -> Select[tuple[Job]]:
    if readable is not None:
        query = query.where(Job.datasource.in_(sorted(readable)))
    if wanted.state is not None:
        query = query.where(Job.state == wanted.state)
    if wanted.kind is not None:
        query = query.where(Job.kind == wanted.kind)
    if wanted.datasource is not None:
        query = query.where(Job.datasource == wanted.datasource)
    return query


def jobs_page(session: Session, readable: frozenset[str] | None, wanted: JobFilter, limit: int,
              after: tuple[datetime, uuid.UUID] | None) -> list[Job]:
    """Up to `limit` jobs, newest first (created_at, then id, both descending), after the cursor's job."""
    query = _filtered(select(Job), readable, wanted)
    if after is not None:
        query = query.where(tuple_(Job.created_at, Job.id) < tuple_(*after))
    return list(session.scalars(query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)))


def jobs_total(session: Session, readable: frozenset[str] | None, wanted: JobFilter) -> int:
    query = _filtered(select(Job), readable, wanted)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def jobs_by_id(session: Session, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Job]:
    return {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(list(job_ids))))}


def events_of(session: Session, job_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[JobEvent]]:
    """Every event of each job, in the order they happened."""
    found: dict[uuid.UUID, list[JobEvent]] = defaultdict(list)
    for event in session.scalars(select(JobEvent).where(JobEvent.job_id.in_(list(job_ids)))
                                 .order_by(JobEvent.job_id, JobEvent.id)):
        found[event.job_id].append(event)
    return found


def errors_of(session: Session, job_ids: Sequence[uuid.UUID], limit: int, after: tuple[int, int] | None
              ) -> dict[uuid.UUID, list[JobError]]:
    """Each job's first `limit` row errors (by row, then id) after the cursor's, in one statement: numbered per job
    by a window function, so the page size does not multiply the statements by the jobs."""
    ranked = select(JobError, func.row_number().over(partition_by=JobError.job_id,
                                                     order_by=(JobError.row_number, JobError.id)).label("rank"))
    ranked = ranked.where(JobError.job_id.in_(list(job_ids)))
    if after is not None:
        ranked = ranked.where(tuple_(JobError.row_number, JobError.id) > tuple_(*after))
    numbered = ranked.subquery()
    rows = session.execute(select(numbered).where(numbered.c.rank <= limit)
                           .order_by(numbered.c.job_id, numbered.c.rank)).all()
    found: dict[uuid.UUID, list[JobError]] = defaultdict(list)
    for row in rows:
        found[row.job_id].append(JobError(id=row.id, job_id=row.job_id, row_number=row.row_number,
                                          column=row.column, rule=row.rule, value=row.value, message=row.message))
    return found


def datasources(session: Session, readable: frozenset[str] | None, include_deleted: bool) -> list[Datasource]:
    query = select(Datasource).order_by(Datasource.name)
    if readable is not None:
        query = query.where(Datasource.name.in_(sorted(readable)))
    if not include_deleted:
        query = query.where(Datasource.deleted_at.is_(None))
    return list(session.scalars(query))


def versions_of(session: Session, names: Sequence[str]) -> dict[str, list[SchemaVersion]]:
    """Every schema version of each datasource, newest first."""
    found: dict[str, list[SchemaVersion]] = defaultdict(list)
    for version in session.scalars(select(SchemaVersion).where(SchemaVersion.datasource.in_(list(names)))
                                   .order_by(SchemaVersion.datasource, SchemaVersion.version.desc())):
        found[version.datasource].append(version)
    return found
