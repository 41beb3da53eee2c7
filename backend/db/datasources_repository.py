"""The schema registry's tables: datasources and the immutable versions of their schema definitions (JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.db.models import Datasource, SchemaVersion

_REGISTRY_LOCK = 0x72656769  # "regi": shared by every process


@dataclass(frozen=True)
class StoredVersion:
    datasource: str
    druid_datasource: str
    version: int
    definition: dict[str, Any]


def lock_registry(session: Session) -> None:
    """Registration runs one process at a time (API processes and workers all register on start); held until
    the transaction ends."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REGISTRY_LOCK})


def register_definition(session: Session, name: str, druid_datasource: str, definition: dict[str, Any]) -> None:
    """Make `definition` the datasource's current version: version 1 of a new datasource, a new version when it
    differs from the current one, nothing when it is the same."""
    row = session.get(Datasource, name, with_for_update=True)
    if row is None:
        session.add(Datasource(name=name, druid_datasource=druid_datasource, current_schema_version=1))
        session.flush()
        session.add(SchemaVersion(datasource=name, version=1, definition=definition))
        return
    current = _version_row(session, name, row.current_schema_version)
    if current is None or current.definition != definition:
        row.current_schema_version += 1
        session.add(SchemaVersion(datasource=name, version=row.current_schema_version, definition=definition))


def find_version(session: Session, name: str, version: int | None = None) -> StoredVersion | None:
    """A version of the datasource's schema (its current one unless `version` is given); None if either is
    unknown."""
    row = session.get(Datasource, name)
    if row is None:
        return None
    wanted = row.current_schema_version if version is None else version
    stored = _version_row(session, name, wanted)
    if stored is None:
        return None
    return StoredVersion(name, row.druid_datasource, wanted, stored.definition)


def datasource_names(session: Session) -> Sequence[str]:
    return session.scalars(select(Datasource.name).order_by(Datasource.name)).all()


def _version_row(session: Session, name: str, version: int) -> SchemaVersion | None:
    return session.scalars(
        select(SchemaVersion).where(SchemaVersion.datasource == name, SchemaVersion.version == version)
    ).first()
