"""Job status, history, row-level errors and the rejects file."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from backend.api.access.actor import actor_of
from backend.api.access.permissions import SIGNED_IN, on_job, readable_by, requires
from backend.api.access.principal import Principal
from backend.api.csv_download import spreadsheet_safe
from backend.api.deps import SessionDep, SettingsDep, StoreDep
from backend.api.params import DATASOURCE_NAME_MAX, MAX_OFFSET, NO_CONTROL_CHARACTERS
from backend.api.schemas import (
    ErrorBody,
    ErrorList,
    JobDetail,
    JobList,
    JobOptions,
    JobSummary,
    RowErrorOut,
)
from backend.db import jobs_repository, row_errors_repository
from backend.db.job_document import INTERNAL_OPERATION_KEY, fetch_job_document
from backend.db.models import Job
from backend.druid.overlord import OverlordClient
from backend.druid.sql import BrokerSqlClient
from backend.errors import ErrorCode, IngestError
from backend.pipeline.job_actions import cancel_job, retry_job
from backend.pipeline.operations_intake import request_retraction
from backend.storage import keys
from backend.vocabulary import JobKind, JobState, Role

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
_NOT_FOUND: dict[int | str, dict[str, object]] = {404: {"model": ErrorBody}}


def summary(job: Job) -> JobSummary:
    return JobSummary(
        job_id=job.id,
        kind=job.kind,
        state=job.state,
        code=job.code,
        message=job.message,
        datasource=job.datasource,
        schema_version=job.schema_version,
        filename=job.filename,
        format=job.format,
        size_bytes=job.size_bytes,
        sha256=job.sha256,
        priority=job.priority.name,
        options=JobOptions(on_invalid=job.on_invalid, mode=job.mode),
        rows_total=job.rows_total,
        rows_valid=job.rows_valid,
        rows_invalid=job.rows_invalid,
        progress=job.progress,
        druid_task_id=job.druid_task_id,
        druid_row_stats=job.druid_row_stats,
        druid_rows=job.druid_rows,
        attempt=job.attempt,
        created_at=job.created_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
        retraction_of=job.target_job_id,
        retracted_by=job.retracted_by,
        operation=None if job.operation is None else {
            key: value for key, value in job.operation.items() if key != INTERNAL_OPERATION_KEY},
    )


def _job_or_404(session: SessionDep, job_id: uuid.UUID) -> Job:
    job = jobs_repository.get_job(session, job_id)
    if job is None:
        raise IngestError(ErrorCode.not_found, f"No job with id {job_id}.", {"job_id": str(job_id)})
    return job


@router.get("", response_model=JobList, summary="List jobs, newest first")
def list_jobs(
    session: SessionDep,
    state: Annotated[JobState | None, Query()] = None,
    kind: Annotated[JobKind | None, Query(description="Only jobs of this kind")] = None,
    datasource: Annotated[
        str | None, Query(max_length=DATASOURCE_NAME_MAX, pattern=NO_CONTROL_CHARACTERS)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    caller: Principal | None = requires(SIGNED_IN),
) -> JobList:
    total, jobs = jobs_repository.list_jobs(session, state=state, datasource=datasource, limit=limit, offset=offset,
                                            readable=readable_by(caller), kind=kind)
    return JobList(total=total, items=[summary(job) for job in jobs])


@router.get("/{job_id}", response_model=JobDetail, responses=_NOT_FOUND, summary="A job with its step history")
async def get_job(request: Request, job_id: uuid.UUID,
                  caller: Principal | None = requires(on_job(Role.read))) -> Response:
    # Async, and rendered by PostgreSQL (backend.db.job_document): the endpoint every client polls costs the
    # API one round trip and no thread hand-off.
    document = await fetch_job_document(request.app.state.status_pool, job_id)
    if document is None:
        raise IngestError(ErrorCode.not_found, f"No job with id {job_id}.", {"job_id": str(job_id)})
    return Response(document, media_type="application/json")


@router.post(
    "/{job_id}/cancel", response_model=JobSummary, responses={**_NOT_FOUND, 409: {"model": ErrorBody}},
    summary="Cancel an unfinished job (its Druid task is shut down); 409 if it already ended",
)
def cancel(request: Request, session: SessionDep, settings: SettingsDep, job_id: uuid.UUID,
           caller: Principal | None = requires(on_job(Role.upload), action="job.cancel")) -> JobSummary:
    overlord = OverlordClient(settings.druid_overlord_url, settings.druid_request_timeout_s)
    return summary(cancel_job(session, job_id, overlord, actor_of(request, caller)))


@router.post(
    "/{job_id}/retry", response_model=JobSummary, responses={**_NOT_FOUND, 409: {"model": ErrorBody}},
    summary="Run a failed job again from its stored upload, as a new attempt; 409 unless it failed",
)
def retry(request: Request, session: SessionDep, job_id: uuid.UUID,
          caller: Principal | None = requires(on_job(Role.upload), action="job.retry")) -> JobSummary:
    return summary(retry_job(session, job_id, actor_of(request, caller)))


@router.post(
    "/{job_id}/retract", response_model=JobSummary, status_code=202,
    responses={**_NOT_FOUND, 409: {"model": ErrorBody}},
    summary="Remove exactly this ingest job's rows from Druid, as a retraction job; 409 if it cannot be retracted",
    description=(
        "Starts a job of kind `retraction` that reindexes the periods the job's rows span from Druid itself without "
        "them, and succeeds only when Druid SQL counts 0 rows of the job there and every other row still there. "
        "The ingest job is then marked `retracted_by` it. 409 when the job is not a succeeded ingest job, was "
        "retracted (or is being retracted) already, has no rows left in Druid (a later replace removed them), or "
        "while another job rewrites periods of its datasource (a compaction, a retraction, a replace upload)."),
)
def retract(request: Request, session: SessionDep, settings: SettingsDep, job_id: uuid.UUID,
            caller: Principal | None = requires(on_job(Role.manage), action="job.retract")) -> JobSummary:
    broker = BrokerSqlClient(settings.druid_broker_url, settings.druid_request_timeout_s)
    return summary(request_retraction(session, job_id, actor_of(request, caller), broker))


@router.get(
    "/{job_id}/errors", response_model=ErrorList, responses=_NOT_FOUND, summary="Row-level errors, by row"
)
def get_errors(
    session: SessionDep,
    job_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    caller: Principal | None = requires(on_job(Role.read)),
) -> ErrorList:
    job = _job_or_404(session, job_id)
    rows = row_errors_repository.list_errors(session, job_id, limit, offset)
    return ErrorList(
        total=job.errors_total or 0,
        items=[
            RowErrorOut(row=e.row_number, column=e.column, rule=e.rule, value=e.value, message=e.message)
            for e in rows
        ],
    )


@router.get(
    "/{job_id}/rejects",
    responses={**_NOT_FOUND, 200: {"content": {"text/csv": {}}}},
    response_class=StreamingResponse,
    summary="The invalid rows as CSV, with an `errors` column",
    description=(
        "For people: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return (and is no plain "
        "number such as `-5`) is quoted and prefixed with `'`, so a spreadsheet shows it as text instead of running "
        "it as a formula. The object in S3 (`reports/<job>/rejects.csv`) keeps the exact values for programs."
    ),
)
def get_rejects(session: SessionDep, store: StoreDep, job_id: uuid.UUID,
                caller: Principal | None = requires(on_job(Role.read))) -> StreamingResponse:
    job = _job_or_404(session, job_id)
    key = keys.rejects_key(job.id)
    if not job.rows_invalid or not store.exists(key):
        raise IngestError(ErrorCode.not_found, "This job has no rejected rows.", {"job_id": str(job_id)})
    # safe_filename: ASCII letters, digits and `._-` only, so no control character or quote reaches the header
    # (the recorded name may hold anything a client sent, backend.display).
    filename = f"{keys.safe_filename(job.filename).rsplit('.', 1)[0]}-rejects.csv"
    return StreamingResponse(
        spreadsheet_safe(store.iter_object(key)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
