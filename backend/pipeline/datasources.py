"""The schema registry as the rest of the service sees it: which datasources exist and the exact schema version a
job validates against.

Built-in schemas are declared in code (backend.schema.builtins) and registered on start; a changed declaration
becomes a new version, so every job validates against the exact version it was accepted with. Versions never
change once stored, so a parsed version is cached per process by (datasource, version).
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
from backend.pipeline.retry import is_transient
from backend.schema.builtins import BUILTIN_SCHEMAS
from backend.schema.codec import schema_from_json, schema_to_json
from backend.schema.declaration import DatasourceSchema

log = logging.getLogger("backend.datasources")


@dataclass(frozen=True)
class RegisteredDatasource:
    name: str
    druid_datasource: str
    version: int
    schema: DatasourceSchema


def register_builtin_datasources() -> None:
    """Register each built-in schema, adding a version when its declaration changed."""
    with session_scope() as session:
        datasources_repository.lock_registry(session)
        for schema in BUILTIN_SCHEMAS:
            datasources_repository.register_definition(
                session, schema.name, schema.druid_datasource, schema_to_json(schema)
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
        names = datasources_repository.datasource_names(session)
        if name in names:
            raise IngestError(ErrorCode.internal_error,
                              f"Schema version {version or 'current'} of `{name}` is missing.")
        known = ", ".join(names)
        raise IngestError(
            ErrorCode.unknown_datasource,
            f"Unknown datasource `{name}`. Known datasources: {known or 'none'}.",
            {"field": "datasource", "datasource": name},
        )
    return _registered(stored)


@lru_cache(maxsize=256)
def job_datasource(name: str, version: int) -> RegisteredDatasource:
    """The exact schema version a job was accepted with, read and parsed once per process (versions are
    immutable), however many steps and attempts of however many jobs ask for it."""
    with session_scope() as session:
        return load_datasource(session, name, version)


def list_datasources(session: Session) -> list[RegisteredDatasource]:
    return [load_datasource(session, name) for name in datasources_repository.datasource_names(session)]


def _registered(stored: StoredVersion) -> RegisteredDatasource:
    return RegisteredDatasource(stored.datasource, stored.druid_datasource, stored.version,
                                schema_from_json(stored.definition))
