"""The schema registry's decisions: create a datasource, register a new schema version only when it is compatible
under the datasource's mode, check one as a dry run, restore an old one, change settings, soft-delete.

Versions are immutable and numbered one after another per datasource: a registration holds the datasource's row
until it commits, so concurrent registrations take turns and never share a number. Column ids follow
backend.schema.evolution.assign_column_ids, so a name dropped and added again is a new column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.db import audit_repository as audit
from backend.db import datasources_repository as repo
from backend.db.datasources_repository import StoredVersion
from backend.db.models import Datasource
from backend.errors import ErrorCode, IngestError
from backend.schema.codec import Problem, invalid_schema, schema_from_json, schema_to_json, without_ids
from backend.schema.declaration import DatasourceSchema, text_problem
from backend.schema.evolution import (
    Change,
    ChangeKind,
    CompatibilityMode,
    Violation,
    assign_column_ids,
    change_to_json,
    check_compatibility,
    diff,
    druid_changes,
    summarize,
    violation_to_json,
)
from backend.vocabulary import Actor

# Names travel in URL paths and become Druid datasource names: letters, digits, `_` and `-`, starting with a
# letter or digit (a subset of what Druid accepts, so a datasource's default Druid name is always valid).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
_NAME = re.compile(NAME_PATTERN)
# What Druid refuses in a datasource name (IdUtils.validateId): empty, a leading dot, `/`, whitespace but space.
_DRUID_REFUSES = re.compile(r"^\.|/|[^\S ]|[\x00-\x1f\x7f]")
# Also refused here: a double quote, which Druid SQL would need escaped in every query that names the datasource.
_QUOTE = '"'
DRUID_NAME_MAX = 255


@dataclass(frozen=True)
class NewDatasource:
    name: str
    definition: Any
    description: str = ""
    druid_datasource: str | None = None
    compatibility: CompatibilityMode = CompatibilityMode.BACKWARD


@dataclass(frozen=True)
class Registration:
    version: int
    created: bool  # False: the definition was identical to the current version, which is the answer
    changes: list[Change]


@dataclass(frozen=True)
class CheckResult:
    compatible: bool
    changes: list[Change]
    violations: list[Violation]
    druid: dict[str, list[dict[str, str]]]


def create_datasource(session: Session, request: NewDatasource, *, actor: Actor) -> None:
    # Creations take turns (the registry's lock, held until commit): two of one name, or of one Druid datasource,
    # cannot both pass the checks below.
    repo.lock_registry(session)
    problems = _name_problems(request)
    druid_name = request.druid_datasource or request.name
    if problems:
        raise invalid_schema(problems)
    schema = schema_from_json(request.definition, name=request.name, druid_datasource=druid_name)
    existing = repo.get_datasource(session, request.name)
    if existing is not None:
        deleted = " (deleted; its jobs and history are kept under that name)" if existing.deleted_at else ""
        raise IngestError(ErrorCode.datasource_exists, f"A datasource named `{request.name}` already exists{deleted}.",
                          {"field": "name", "datasource": request.name})
    holder = repo.datasource_using_druid_name(session, druid_name)
    if holder is not None:
        raise IngestError(ErrorCode.datasource_exists,
                          f"Druid datasource `{druid_name}` already receives the rows of datasource `{holder}`; "
                          "pick another `druid_datasource`.",
                          {"field": "druid_datasource", "datasource": holder})
    numbered = assign_column_ids(schema, None, 0)
    repo.create_datasource(session, name=request.name, druid_datasource=druid_name, description=request.description,
                           compatibility=request.compatibility.value, definition=schema_to_json(numbered),
                           created_by=_by(actor))
    audit.add(session, actor, "datasource.create", request.name, details={"druid_datasource": druid_name})


def _by(actor: Actor) -> str:
    """Who registered a version, as its history shows it."""
    return actor.username or "anonymous"


def register_version(
    session: Session, name: str, definition: Any, *, actor: Actor, restored_from: int | None = None
) -> Registration:
    """`definition` as the datasource's next version if it is compatible; the current version if it is identical;
    409 incompatible_schema with every violation otherwise."""
    row = live_datasource(session, name, for_update=True)
    history = _history(session, row)
    new, changes, violations = _compare(row, history, definition)
    current_version, _ = history[-1]
    if not changes:  # the same definition, perhaps with rules or allowed values in another order
        return Registration(current_version, False, [])
    if violations:
        raise IngestError(
            ErrorCode.incompatible_schema,
            f"This schema is not compatible with `{name}`: "
            + "; ".join(v.reason for v in violations[:5]) + ("" if len(violations) <= 5 else " ...")
            + ". Change the definition, or the datasource's compatibility mode (PATCH), and try again.",
            {"compatibility": row.compatibility, "violations": [violation_to_json(v) for v in violations],
             "changes": [change_to_json(c) for c in changes]},
        )
    version = repo.add_version(session, row, definition=schema_to_json(new), created_by=_by(actor),
                               summary=summarize(changes), changes=[change_to_json(c) for c in changes],
                               restored_from=restored_from)
    audit.add(session, actor, "schema.restore" if restored_from else "schema.register", f"{name}/v{version}",
              details={"version": version, **({"restored_from": restored_from} if restored_from else {})})
    return Registration(version, True, changes)


def check_version(session: Session, name: str, definition: Any) -> CheckResult:
    """What registering `definition` would do, without doing it."""
    row = live_datasource(session, name)
    history = _history(session, row)
    new, changes, violations = _compare(row, history, definition)
    return CheckResult(not violations, changes, violations, druid_changes(history[-1][1], new))


def restore_version(session: Session, name: str, version: int, *, actor: Actor) -> Registration:
    stored = stored_version(session, name, version)
    return register_version(session, name, without_ids(stored.definition), actor=actor, restored_from=version)


def diff_versions(session: Session, name: str, a: int, b: int) -> list[Change]:
    return diff(version_schema(session, name, a), version_schema(session, name, b))


def stored_version(session: Session, name: str, version: int) -> StoredVersion:
    """A version as stored; 404 unknown_datasource or not_found if there is no such datasource or version."""
    stored = repo.find_version(session, name, version)
    if stored is None:
        raise _unknown_version(session, name, version)
    return stored


def version_schema(session: Session, name: str, version: int) -> DatasourceSchema:
    stored = stored_version(session, name, version)
    return schema_from_json(stored.definition, name=name, druid_datasource=stored.druid_datasource)


def update_settings(
    session: Session, name: str, *, description: str | None, compatibility: CompatibilityMode | None, actor: Actor
) -> None:
    if description is not None and (problem := text_problem(description)) is not None:
        raise invalid_schema([Problem("description", problem)])
    row = live_datasource(session, name, for_update=True)
    if description is not None:
        row.description = description
    if compatibility is not None:
        row.compatibility = compatibility.value
    row.updated_at = datetime.now(UTC)
    audit.add(session, actor, "datasource.update", name,
              details={"changed": [field for field, value in (("description", description),
                                                              ("compatibility", compatibility)) if value is not None]})


def soft_delete(session: Session, name: str, *, actor: Actor) -> None:
    """Uploads and records are refused from now on; jobs, versions and Druid's data stay."""
    row = live_datasource(session, name, for_update=True)
    row.deleted_at = datetime.now(UTC)
    row.updated_at = row.deleted_at
    audit.add(session, actor, "datasource.delete", name)


def live_datasource(session: Session, name: str, *, for_update: bool = False) -> Datasource:
    row = repo.get_datasource(session, name, for_update=for_update)
    if row is None:
        raise unknown_datasource(session, name)
    if row.deleted_at is not None:
        raise IngestError(ErrorCode.datasource_deleted,
                          f"Datasource `{name}` was deleted on {row.deleted_at:%Y-%m-%d %H:%M} UTC: it takes no "
                          "uploads, records or new schema versions. Its jobs and history stay readable.",
                          {"datasource": name})
    return row


def existing_datasource(session: Session, name: str) -> Datasource:
    """The datasource, deleted or not (its jobs, history and rows in Druid stay readable)."""
    row = repo.get_datasource(session, name)
    if row is None:
        raise unknown_datasource(session, name)
    return row


def unknown_datasource(session: Session, name: str) -> IngestError:
    """Names no other datasource: a caller with a role on a datasource that does not exist (an SSO claim may name
    any) must not learn the names of those it may not read."""
    return IngestError(ErrorCode.unknown_datasource,
                       f"Unknown datasource `{name[:128]}`. GET /api/v1/datasources lists the datasources you may use.",
                       {"field": "datasource", "datasource": name[:128]})


def _history(session: Session, row: Datasource) -> list[tuple[int, DatasourceSchema]]:
    return [
        (v.version, schema_from_json(v.definition, name=row.name, druid_datasource=row.druid_datasource))
        for v in reversed(repo.list_versions(session, row.name))
    ]


def _compare(
    row: Datasource, history: list[tuple[int, DatasourceSchema]], definition: Any
) -> tuple[DatasourceSchema, list[Change], list[Violation]]:
    proposed = schema_from_json(definition, name=row.name, druid_datasource=row.druid_datasource)
    last_used_id = max((c.id for _, schema in history for c in schema.columns), default=0)
    new = assign_column_ids(proposed, history[-1][1], last_used_id)
    changes = diff(history[-1][1], new)
    mode = CompatibilityMode(row.compatibility)
    violations = check_compatibility(history, new, mode) if changes else []
    if mode is not CompatibilityMode.NONE:
        retyped = {v.column for v in violations if v.kind is ChangeKind.CHANGE_TYPE}
        violations += [v for v in _druid_retypes(history, new) if v.column not in retyped]
    return new, changes, violations


def _druid_retypes(history: list[tuple[int, DatasourceSchema]], new: DatasourceSchema) -> list[Violation]:
    """A name an earlier version gave another Druid type: Druid knows columns by name, not by id, so old segments
    would hold the old type under it (a column dropped and declared again with another type is still a retype)."""
    found: list[Violation] = []
    wanted = new.druid_types()
    for version, schema in reversed(history):
        stored = schema.druid_types()
        for column in schema.columns:
            before = stored.get(column.name)
            after = wanted.get(column.name)
            if before is None or after is None or after == before:
                continue
            if any(v.column == column.name for v in found):
                continue
            found.append(Violation(ChangeKind.CHANGE_TYPE, column.name,
                                   f"Druid already holds `{column.name}` as {before} (version {version}); the new "
                                   f"version would store it as {after}, and Druid knows columns by name",
                                   version))
    return found


def _name_problems(request: NewDatasource) -> list[Problem]:
    problems = []
    if not _NAME.match(request.name):
        problems.append(Problem("name", "must be 1-128 letters, digits, `_` or `-`, starting with a letter or digit"))
    druid_name = request.druid_datasource
    if druid_name is not None and (not druid_name or len(druid_name) > DRUID_NAME_MAX or _QUOTE in druid_name
                                   or _DRUID_REFUSES.search(druid_name) or text_problem(druid_name)):
        problems.append(Problem("druid_datasource", f"must be 1-{DRUID_NAME_MAX} characters, not starting with `.`, "
                                "without `/`, `\"` and whitespace other than spaces (Druid refuses those)"))
    if (problem := text_problem(request.description)) is not None:
        problems.append(Problem("description", problem))
    return problems


def _unknown_version(session: Session, name: str, version: int) -> IngestError:
    if repo.get_datasource(session, name) is None:
        return unknown_datasource(session, name)
    return IngestError(ErrorCode.not_found, f"Datasource `{name}` has no schema version {version}.",
                       {"datasource": name, "version": version})
