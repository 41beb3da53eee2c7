"""The schema registry's tables: datasources (settings, soft delete) and the immutable versions of their schema
definitions (JSON), with who registered each and what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from backend.db.models import Datasource, Job, SchemaVersion
from backend.vocabulary import JobKind, JobState

_REGISTRY_LOCK = 0x72656769  # "regi": shared by every process


@dataclass(frozen=True)
class StoredVersion:
    datasource: str
    druid_datasource: str
    version: int
    definition: dict[str, Any]
    created_at: datetime
    created_by: str
    summary: str
    changes: list[dict[str, Any]]
    restored_from: int | None


@dataclass(frozen=True)
class JobCounts:
    by_state: dict[str, int]
    last_ingest_at: datetime | None


def lock_registry(session: Session) -> None:
    """Seeding runs one process at a time (API processes and workers all seed on start); held until the
    transaction ends."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REGISTRY_LOCK})


def get_datasource(session: Session, name: str, *, for_update: bool = False) -> Datasource | None:
    """The datasource row, deleted or not. `for_update` holds it until the transaction ends: registrations of
    one datasource take turns, so each gets the next version number."""
    return session.get(Datasource, name, with_for_update=for_update)


def datasource_using_druid_name(session: Session, druid_datasource: str) -> str | None:
    return session.scalars(
        select(Datasource.name).where(Datasource.druid_datasource == druid_datasource).limit(1)
    ).first()


def create_datasource(
    session: Session,
    *,
    name: str,
    druid_datasource: str,
    description: str,
    compatibility: str,
    definition: dict[str, Any],
    created_by: str,
) -> None:
    """A new datasource with its definition as version 1."""
    session.add(Datasource(name=name, druid_datasource=druid_datasource, current_schema_version=1,
                           description=description, compatibility=compatibility))
    session.flush()
    session.add(SchemaVersion(datasource=name, version=1, definition=definition, created_by=created_by,
                              summary="first version", changes=[]))
    session.flush()


def add_version(
    session: Session,
    row: Datasource,
    *,
    definition: dict[str, Any],
    created_by: str,
    summary: str,
    changes: list[dict[str, Any]],
    restored_from: int | None = None,
) -> int:
    """Register `definition` as the datasource's next version (the row must be held FOR UPDATE)."""
    row.current_schema_version += 1
    row.updated_at = func.now()
    session.add(SchemaVersion(datasource=row.name, version=row.current_schema_version, definition=definition,
                              created_by=created_by, summary=summary, changes=changes, restored_from=restored_from))
    session.flush()
    return row.current_schema_version


def find_version(session: Session, name: str, version: int | None = None) -> StoredVersion | None:
    """A version of the datasource's schema (its current one unless `version` is given); None if either is
    unknown."""
    row = session.get(Datasource, name)
    if row is None:
        return None
    wanted = row.current_schema_version if version is None else version
    stored = session.scalars(
        select(SchemaVersion).where(SchemaVersion.datasource == name, SchemaVersion.version == wanted)
    ).first()
    return None if stored is None else _stored(row, stored)


def list_versions(session: Session, name: str) -> list[StoredVersion]:
    """Every version of the datasource, newest first."""
    row = session.get(Datasource, name)
    if row is None:
        return []
    versions = session.scalars(
        select(SchemaVersion).where(SchemaVersion.datasource == name).order_by(SchemaVersion.version.desc())
    ).all()
    return [_stored(row, v) for v in versions]


def list_datasources(session: Session, *, include_deleted: bool) -> Sequence[Datasource]:
    query = select(Datasource).order_by(Datasource.name)
    if not include_deleted:
        query = query.where(Datasource.deleted_at.is_(None))
    return session.scalars(query).all()


def datasource_names(session: Session) -> Sequence[str]:
    return session.scalars(select(Datasource.name).order_by(Datasource.name)).all()


def job_counts(session: Session, name: str | None = None) -> dict[str, JobCounts]:
    """Jobs per datasource by state, and when its last successful ingest finished (an upload's, not an operation's)."""
    query = (
        select(Job.datasource, Job.state, func.count(),
               func.max(Job.finished_at).filter(Job.kind == JobKind.ingest))
        .group_by(Job.datasource, Job.state)
    )
    if name is not None:
        query = query.where(Job.datasource == name)
    counts: dict[str, JobCounts] = {}
    for datasource, state, count, finished in session.execute(query).all():
        entry = counts.setdefault(datasource, JobCounts({}, None))
        entry.by_state[state.value] = count
        if state is JobState.succeeded and finished is not None:
            counts[datasource] = JobCounts(entry.by_state, finished)
    return counts


def _stored(row: Datasource, version: SchemaVersion) -> StoredVersion:
    return StoredVersion(row.name, row.druid_datasource, version.version, version.definition, version.created_at,
                         version.created_by, version.summary, version.changes, version.restored_from)
