"""The schema registry as the rest of the service sees it: which datasources exist and the exact schema version a
job validates against.

Built-in schemas are declared in code (backend.schema.builtins) and seeded on start: registered once, then owned
by the registry like any other datasource (backend.pipeline.registry). Every job validates against the exact
version it was accepted with; versions never change once stored, so a parsed version is cached per process by
(datasource, version).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from backend.db import datasources_repository
from backend.db.datasources_repository import StoredVersion
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError, first_line
from backend.pipeline.registry import live_datasource, unknown_datasource
from backend.pipeline.retry import is_transient
from backend.schema.builtins import BUILTIN_SCHEMAS
from backend.schema.codec import schema_from_json, schema_to_json
from backend.schema.declaration import DatasourceSchema
from backend.schema.evolution import assign_column_ids

log = logging.getLogger("backend.datasources")


@dataclass(frozen=True)
class RegisteredDatasource:
    name: str
    druid_datasource: str
    version: int
    schema: DatasourceSchema


def register_builtin_datasources() -> None:
    """Seed each built-in datasource that the registry does not hold yet (deleted ones stay deleted)."""
    with session_scope() as session:
        datasources_repository.lock_registry(session)
        for schema in BUILTIN_SCHEMAS:
            if datasources_repository.get_datasource(session, schema.name) is None:
                datasources_repository.create_datasource(
                    session, name=schema.name, druid_datasource=schema.druid_datasource, description=schema.description,
                    compatibility="BACKWARD", definition=schema_to_json(assign_column_ids(schema, None, 0)),
                    created_by="built-in",
                )
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
                        extra={"error": first_line(exc), "retry_in_s": delay})
        else:
            return True
        if stop.wait(delay):
            return False
        delay = min(delay * 2, max_delay_s)


def load_datasource(session: Session, name: str, version: int | None = None) -> RegisteredDatasource:
    """The datasource and its schema: the current version, or the exact `version` a job was accepted with."""
    stored = datasources_repository.find_version(session, name, version)
    if stored is None:
        if datasources_repository.get_datasource(session, name) is not None:
            raise IngestError(ErrorCode.internal_error,
                              f"Schema version {version or 'current'} of `{name}` is missing.")
        raise unknown_datasource(session, name)
    return _registered(stored)


def datasource_for_intake(session: Session, name: str, version: int | None) -> RegisteredDatasource:
    """The version a new job validates against: the current one, or an older one a producer pins. Refuses a
    deleted or unknown datasource, and a version it does not have."""
    row = live_datasource(session, name)
    if version is not None and not 1 <= version <= row.current_schema_version:
        raise IngestError(
            ErrorCode.invalid_field,
            f"Datasource `{name}` has schema versions 1 to {row.current_schema_version}; got schema_version={version}.",
            {"field": "schema_version", "datasource": name, "current_version": row.current_schema_version},
        )
    return load_datasource(session, name, version)


@lru_cache(maxsize=256)
def job_datasource(name: str, version: int) -> RegisteredDatasource:
    """The exact schema version a job was accepted with, read and parsed once per process (versions are
    immutable), however many steps and attempts of however many jobs ask for it."""
    with session_scope() as session:
        return load_datasource(session, name, version)


def _registered(stored: StoredVersion) -> RegisteredDatasource:
    return RegisteredDatasource(stored.datasource, stored.druid_datasource, stored.version,
                                schema_from_json(stored.definition, name=stored.datasource,
                                                 druid_datasource=stored.druid_datasource))
