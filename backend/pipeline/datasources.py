"""The schema registry: datasources and the versions of their schema, kept in Postgres.

Built-in schemas are declared in code (backend.validation.schema) and registered on start; a changed declaration
becomes a new version, so every job validates against the exact version it was accepted with.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend.db.models import Datasource, SchemaVersion
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError
from backend.pipeline.retry import is_transient
from backend.validation.schema import SALES_SCHEMA, DatasourceSchema, schema_from_json, schema_to_json

log = logging.getLogger("backend.datasources")

_REGISTRY_LOCK = 0x72656769  # "regi": shared by every process
BUILTIN_SCHEMAS: tuple[DatasourceSchema, ...] = (SALES_SCHEMA,)


@dataclass(frozen=True)
class RegisteredDatasource:
    name: str
    druid_datasource: str
    version: int
    schema: DatasourceSchema


def ensure_builtin_datasources(session: Session) -> None:
    """Register each built-in schema, adding a version when its declaration changed."""
    # API processes and workers all do this on start: one at a time, or two would insert the same row.
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REGISTRY_LOCK})
    for schema in BUILTIN_SCHEMAS:
        definition = schema_to_json(schema)
        row = session.get(Datasource, schema.name, with_for_update=True)
        if row is None:
            session.add(Datasource(name=schema.name, druid_datasource=schema.druid_datasource,
                                   current_schema_version=1))
            session.flush()
            session.add(SchemaVersion(datasource=schema.name, version=1, definition=definition))
            continue
        current = _version(session, schema.name, row.current_schema_version)
        if current is None or current.definition != definition:
            row.current_schema_version += 1
            session.add(SchemaVersion(datasource=schema.name, version=row.current_schema_version,
                                      definition=definition))


def register_builtin_datasources() -> None:
    with session_scope() as session:
        ensure_builtin_datasources(session)
    log.info("built-in datasources registered")


def keep_registering(stop: threading.Event, *, first_delay_s: float = 1.0, max_delay_s: float = 10.0) -> bool:
    """Register the built-in schemas, trying again while PostgreSQL is unreachable, until done (True) or `stop`
    is set (False). A process started while the database is down (a restart, a host reboot) must come up and
    wait for it, not exit: an API process that exits at start takes its siblings under uvicorn down with it."""
    delay = first_delay_s
    while True:
        try:
            register_builtin_datasources()
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("database unreachable: the built-in datasources are not registered yet; trying again",
                        extra={"error": str(exc).splitlines()[0], "retry_in_s": delay})
        else:
            return True
        if stop.wait(delay):
            return False
        delay = min(delay * 2, max_delay_s)


def _version(session: Session, name: str, version: int) -> SchemaVersion | None:
    return session.scalars(
        select(SchemaVersion).where(SchemaVersion.datasource == name, SchemaVersion.version == version)
    ).first()


def load_datasource(session: Session, name: str, version: int | None = None) -> RegisteredDatasource:
    """The datasource and its schema (the current version unless one is asked for)."""
    row = session.get(Datasource, name)
    if row is None:
        known = ", ".join(session.scalars(select(Datasource.name).order_by(Datasource.name)))
        raise IngestError(
            ErrorCode.unknown_datasource,
            f"Unknown datasource `{name}`. Known datasources: {known or 'none'}.",
            {"field": "datasource", "datasource": name},
        )
    wanted = version or row.current_schema_version
    stored = _version(session, name, wanted)
    if stored is None:
        raise IngestError(ErrorCode.internal_error, f"Schema version {wanted} of `{name}` is missing.")
    return RegisteredDatasource(name, row.druid_datasource, wanted, schema_from_json(stored.definition))


def list_datasources(session: Session) -> list[RegisteredDatasource]:
    names = session.scalars(select(Datasource.name).order_by(Datasource.name)).all()
    return [load_datasource(session, name) for name in names]
