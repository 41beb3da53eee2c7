"""POST /api/v1/datasources/{name}/records: JSON records from programs, through the same job pipeline as files."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from backend.api.deps import SettingsDep, StoreDep
from backend.api.schemas import ErrorBody, JobOptions, PriorityName, UploadAccepted
from backend.api.upload_stream import stream_json_records_to_store
from backend.db.session import session_scope
from backend.formats.kinds import FileFormat
from backend.pipeline.datasources import load_datasource
from backend.pipeline.intake import StoredUpload, UploadOptions, create_job, refuse_duplicate
from backend.vocabulary import Mode, OnInvalid, Priority
from backend.storage import keys

router = APIRouter(prefix="/api/v1/datasources", tags=["records"])

RECORDS_FILENAME = "records.json"


@router.post(
    "/{name}/records",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UploadAccepted,
    responses={code: {"model": ErrorBody} for code in (404, 409, 413, 422)},
    summary="Send JSON records (one object or an array of objects) to be validated and ingested as a job",
    description=(
        "The body (application/json) is streamed to object storage like a file upload and becomes a job; "
        "row numbers in its errors are the records' 1-based positions."
    ),
)
async def post_records(
    name: str,
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    on_invalid: Annotated[OnInvalid, Query()] = OnInvalid.reject,
    mode: Annotated[Mode, Query()] = Mode.APPEND,
    priority: Annotated[PriorityName, Query()] = "MEDIUM",
    force: Annotated[bool, Query()] = False,
) -> UploadAccepted:
    # Refuse an unknown datasource before reading a byte of the body.
    await run_in_threadpool(_check_datasource, name)
    job_id = uuid.uuid4()
    writer = store.start_upload(keys.raw_key(job_id, RECORDS_FILENAME), "application/json")
    body = await stream_json_records_to_store(request.stream(), writer, max_bytes=settings.max_records_bytes)
    options = UploadOptions(name, OnInvalid(on_invalid), Mode(mode), Priority[priority])
    stored = StoredUpload(job_id, RECORDS_FILENAME, writer.key, body.size_bytes, body.sha256, FileFormat.json.value)
    try:
        await run_in_threadpool(_record, stored, options, force)
    except BaseException:
        await run_in_threadpool(store.delete, writer.key)
        raise
    return UploadAccepted(
        job_id=job_id, state="queued", datasource=name, filename=RECORDS_FILENAME, format=FileFormat.json.value,
        size_bytes=body.size_bytes, sha256=body.sha256, priority=priority,
        options=JobOptions(on_invalid=on_invalid, mode=mode),
        links={"self": f"/api/v1/jobs/{job_id}", "errors": f"/api/v1/jobs/{job_id}/errors"},
    )


def _check_datasource(name: str) -> None:
    with session_scope() as session:
        load_datasource(session, name)


def _record(stored: StoredUpload, options: UploadOptions, force: bool) -> None:
    with session_scope() as session:
        if not force:
            refuse_duplicate(session, options.datasource, stored.sha256)
        create_job(session, stored, options)
