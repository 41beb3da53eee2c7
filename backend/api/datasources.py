"""The datasources and their schema registry: declare, read, evolve (checked against the compatibility mode), diff,
restore, soft-delete; and infer a definition from a sample file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from backend.api.access.actor import actor_of, audit_target
from backend.api.access.permissions import ADMIN, SIGNED_IN, on_datasource, readable_by, requires
from backend.api.access.principal import Principal
from backend.api.datasource_schemas import (
    ChangeOut,
    CompatibilityCheck,
    DatasourceColumn,
    DatasourceDetail,
    DatasourceIn,
    DatasourceList,
    DatasourceOut,
    DatasourcePatch,
    DruidChanges,
    JobCountsOut,
    RegisteredVersion,
    SchemaDefinitionIn,
    SchemaDefinitionOut,
    SchemaDiff,
    SchemaVersionList,
    SchemaVersionOut,
    SchemaVersionSummary,
    ViolationOut,
)
from backend.api.deps import SessionDep
from backend.api.params import DATASOURCE_NAME_MAX, NO_CONTROL_CHARACTERS
from backend.api.schemas import ErrorBody
from backend.db import datasources_repository as repo
from backend.db.datasources_repository import JobCounts, StoredVersion
from backend.db.models import Datasource
from backend.pipeline import registry
from backend.pipeline.auto_compaction import follow_new_version
from backend.pipeline.upload_options import MAX_SCHEMA_VERSION
from backend.schema.codec import schema_from_json, schema_to_json
from backend.schema.evolution import ChangeKind, CompatibilityMode, change_to_json, violation_to_json
from backend.vocabulary import Role

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])

NameParam = Annotated[str, Path(max_length=DATASOURCE_NAME_MAX, pattern=NO_CONTROL_CHARACTERS)]
VersionParam = Annotated[int, Path(ge=1, le=MAX_SCHEMA_VERSION)]
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (404, 409, 413, 422)}
# What automatic compaction's config is built from (backend.druid.spec.auto_compaction_config).
_LAYOUT_CHANGES = frozenset({ChangeKind.CHANGE_GRANULARITY, ChangeKind.CHANGE_PARTITIONING})

_IDENTICAL: dict[str, object] = {"model": RegisteredVersion,
                                 "description": "Identical to the current version: no new version, the current one"}


@router.get("", response_model=DatasourceList, summary="Datasources with their current schema, settings and jobs")
def list_datasources(
    session: SessionDep,
    include_deleted: Annotated[bool, Query(description="Also list soft-deleted datasources")] = False,
    caller: Principal | None = requires(SIGNED_IN),
) -> DatasourceList:
    counts = repo.job_counts(session)
    readable = readable_by(caller)
    return DatasourceList(items=[
        _render(session, row, counts.get(row.name))
        for row in repo.list_datasources(session, include_deleted=include_deleted)
        if readable is None or row.name in readable
    ])


@router.post("", response_model=DatasourceDetail, status_code=status.HTTP_201_CREATED, responses=_ERRORS,
             summary="Declare a new datasource; its definition becomes schema version 1")
def create_datasource(
    request: Request, session: SessionDep, body: DatasourceIn,
    caller: Principal | None = requires(ADMIN, action="datasource.create"),
) -> DatasourceDetail:
    audit_target(request, body.name)
    registry.create_datasource(
        session,
        registry.NewDatasource(name=body.name, definition=body.as_definition(), description=body.description,
                               druid_datasource=body.druid_datasource, compatibility=body.compatibility),
        actor=actor_of(request, caller),
    )
    return _detail(session, body.name)


@router.get("/{name}", response_model=DatasourceDetail, responses=_ERRORS,
            summary="A datasource: its current schema version whole, settings and job counts")
def get_datasource(session: SessionDep, name: NameParam,
                   caller: Principal | None = requires(on_datasource(Role.read))) -> DatasourceDetail:
    return _detail(session, name)


@router.patch("/{name}", response_model=DatasourceDetail, responses=_ERRORS,
              summary="Change a datasource's description or compatibility mode")
def patch_datasource(
    request: Request, session: SessionDep, name: NameParam, body: DatasourcePatch,
    caller: Principal | None = requires(on_datasource(Role.manage), action="datasource.update"),
) -> DatasourceDetail:
    registry.update_settings(session, name, description=body.description, compatibility=body.compatibility,
                             actor=actor_of(request, caller))
    return _detail(session, name)


@router.delete("/{name}", response_model=DatasourceDetail, responses=_ERRORS,
               summary="Soft-delete: refuse uploads from now on; jobs, history and Druid's data stay")
def delete_datasource(
    request: Request, session: SessionDep, name: NameParam,
    caller: Principal | None = requires(on_datasource(Role.manage), action="datasource.delete"),
) -> DatasourceDetail:
    registry.soft_delete(session, name, actor=actor_of(request, caller))
    return _detail(session, name)


@router.get("/{name}/schemas", response_model=SchemaVersionList, responses=_ERRORS,
            summary="The schema versions, newest first, each with who, when and what changed")
def list_versions(session: SessionDep, name: NameParam,
                  caller: Principal | None = requires(on_datasource(Role.read))) -> SchemaVersionList:
    row = _row(session, name)
    return SchemaVersionList(datasource=name, current_version=row.current_schema_version, items=[
        SchemaVersionSummary(version=v.version, created_at=v.created_at, created_by=v.created_by, summary=v.summary,
                             restored_from=v.restored_from)
        for v in repo.list_versions(session, name)
    ])


@router.post("/{name}/schemas", response_model=RegisteredVersion, status_code=status.HTTP_201_CREATED,
             responses={**_ERRORS, 200: _IDENTICAL},
             summary="Register a new schema version, if it is compatible under the datasource's mode")
def register_version(
    request: Request, session: SessionDep, response: Response, name: NameParam, body: SchemaDefinitionIn,
    caller: Principal | None = requires(on_datasource(Role.manage), action="schema.register"),
) -> RegisteredVersion:
    registration = registry.register_version(session, name, body.as_definition(), actor=actor_of(request, caller))
    return _registered(session, name, registration, response)


@router.post("/{name}/schemas/check", response_model=CompatibilityCheck, responses=_ERRORS,
             summary="Dry run: what registering this definition would change, and whether the mode allows it")
def check_version(session: SessionDep, name: NameParam, body: SchemaDefinitionIn,
                  caller: Principal | None = requires(on_datasource(Role.manage))) -> CompatibilityCheck:
    result = registry.check_version(session, name, body.as_definition())
    row = _row(session, name)
    return CompatibilityCheck(
        compatible=result.compatible,
        compatibility=CompatibilityMode(row.compatibility),
        current_version=row.current_schema_version,
        changes=[ChangeOut(**change_to_json(c)) for c in result.changes],
        violations=[ViolationOut(**violation_to_json(v)) for v in result.violations],
        druid=DruidChanges.model_validate(result.druid),
    )


@router.get("/{name}/schemas/{version:int}", response_model=SchemaVersionOut, responses=_ERRORS,
            summary="One schema version, whole")
def get_version(session: SessionDep, name: NameParam, version: VersionParam,
                caller: Principal | None = requires(on_datasource(Role.read))) -> SchemaVersionOut:
    return _version(session, name, version)


@router.get("/{name}/schemas/{a:int}/diff/{b:int}", response_model=SchemaDiff, responses=_ERRORS,
            summary="The changes from version a to version b")
def diff_versions(
    session: SessionDep, name: NameParam,
    a: Annotated[int, Path(ge=1, le=MAX_SCHEMA_VERSION)], b: Annotated[int, Path(ge=1, le=MAX_SCHEMA_VERSION)],
    caller: Principal | None = requires(on_datasource(Role.read)),
) -> SchemaDiff:
    changes = registry.diff_versions(session, name, a, b)
    return SchemaDiff(datasource=name, from_version=a, to_version=b,
                      changes=[ChangeOut(**change_to_json(c)) for c in changes])


@router.post("/{name}/schemas/{version:int}/restore", response_model=RegisteredVersion,
             status_code=status.HTTP_201_CREATED, responses={**_ERRORS, 200: _IDENTICAL},
             summary="Roll back: register that version's definition as the next version (checked like any other)")
def restore_version(
    request: Request, session: SessionDep, response: Response, name: NameParam, version: VersionParam,
    caller: Principal | None = requires(on_datasource(Role.manage), action="schema.restore"),
) -> RegisteredVersion:
    registration = registry.restore_version(session, name, version, actor=actor_of(request, caller))
    return _registered(session, name, registration, response)


def _row(session: Session, name: str) -> Datasource:
    row = repo.get_datasource(session, name)
    if row is None:
        raise registry.unknown_datasource(session, name)
    return row


def _detail(session: Session, name: str) -> DatasourceDetail:
    row = _row(session, name)
    out = _render(session, row, repo.job_counts(session, name).get(name))
    return DatasourceDetail(**out.model_dump(), schema=_version(session, name, row.current_schema_version))


def _render(session: Session, row: Datasource, counts: JobCounts | None) -> DatasourceOut:
    current = registry.version_schema(session, row.name, row.current_schema_version)
    by_state = counts.by_state if counts else {}
    return DatasourceOut(
        name=row.name, description=row.description, druid_datasource=row.druid_datasource,
        schema_version=row.current_schema_version, version=row.current_schema_version,
        compatibility=CompatibilityMode(row.compatibility), time_column=current.timestamp_column,
        columns=[DatasourceColumn(name=c.name, type=c.type.value, required=c.required) for c in current.columns],
        jobs=JobCountsOut(total=sum(by_state.values()), by_state=by_state),
        last_ingest_at=counts.last_ingest_at if counts else None,
        created_at=row.created_at, updated_at=row.updated_at, deleted=row.deleted_at is not None,
        deleted_at=row.deleted_at,
    )


def _version(session: Session, name: str, version: int) -> SchemaVersionOut:
    return _render_version(registry.stored_version(session, name, version))


def _render_version(stored: StoredVersion) -> SchemaVersionOut:
    schema = schema_from_json(stored.definition, name=stored.datasource, druid_datasource=stored.druid_datasource)
    return SchemaVersionOut(
        datasource=stored.datasource, version=stored.version, created_at=stored.created_at,
        created_by=stored.created_by, summary=stored.summary, restored_from=stored.restored_from,
        changes=[ChangeOut(**c) for c in stored.changes],
        definition=SchemaDefinitionOut.model_validate(schema_to_json(schema)),
    )


def _registered(
    session: Session, name: str, registration: registry.Registration, response: Response
) -> RegisteredVersion:
    if not registration.created:
        response.status_code = status.HTTP_200_OK
    elif any(change.kind in _LAYOUT_CHANGES for change in registration.changes):
        # Automatic compaction, if on, compacts as the new version lays the rows out.
        follow_new_version(_row(session, name).druid_datasource,
                           registry.version_schema(session, name, registration.version))
    out = _version(session, name, registration.version)
    return RegisteredVersion(**out.model_dump(), created=registration.created)
