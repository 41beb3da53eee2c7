"""POST /api/v1/uploads: the file is streamed to S3 as it arrives, then the job is recorded."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from backend.api.deps import SettingsDep, StoreDep
from backend.api.schemas import ErrorBody, JobOptions, UploadAccepted
from backend.api.upload_stream import stream_form_to_store
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError
from backend.pipeline.intake import (
    StoredUpload,
    UploadOptions,
    create_job,
    parse_flag,
    parse_option,
    refuse_duplicate,
)
from backend.pipeline.sniff import sniff_upload
from backend.storage import keys

router = APIRouter(prefix="/api/v1", tags=["uploads"])

_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (404, 409, 413, 415, 422)
}


@router.post(
    "/uploads",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UploadAccepted,
    responses=_ERRORS,
    summary="Upload a file (multipart/form-data) and queue its ingestion",
    description=(
        "Form fields: `file` (required), `datasource` (default `sales`), `on_invalid` (`reject` | `skip`), "
        "`mode` (`append` | `replace`), `priority` (`HIGH` | `MEDIUM` | `LOW`), `force` (`true` accepts bytes "
        "this datasource already has; otherwise 409 names the earlier job). The body is streamed to object "
        "storage as it arrives; the answer comes once the object is stored and the job is recorded."
    ),
)
async def upload(request: Request, settings: SettingsDep, store: StoreDep) -> UploadAccepted:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes + 64 * 1024:
        raise IngestError(
            ErrorCode.file_too_large,
            f"The upload is larger than the limit of {settings.max_upload_bytes} bytes.",
            {"limit_bytes": settings.max_upload_bytes},
        )
    job_id = uuid.uuid4()
    options = UploadOptions()

    force = False

    def on_field(name: str, value: str) -> None:
        nonlocal options, force
        if name == "force":
            force = parse_flag(name, value)
        options = parse_option(options, name, value)

    form, writer = await stream_form_to_store(
        request.stream(),
        request.headers.get("content-type", ""),
        lambda filename: store.start_upload(keys.raw_key(job_id, filename)),
        max_file_bytes=settings.max_upload_bytes,
        on_field=on_field,
    )
    filename = form.filename or "upload"
    try:
        detected = sniff_upload(form.head, form.size_bytes)
        stored = StoredUpload(job_id, filename, writer.key, form.size_bytes, form.sha256, detected)
        await run_in_threadpool(_record, stored, options, force)
    except BaseException:
        # Nothing half-recorded: the job was not committed, so the stored object goes too.
        await run_in_threadpool(store.delete, writer.key)
        raise
    return UploadAccepted(
        job_id=job_id,
        state="queued",
        datasource=options.datasource,
        filename=filename,
        format=detected,
        size_bytes=form.size_bytes,
        sha256=form.sha256,
        priority=options.priority.name,
        options=JobOptions(on_invalid=options.on_invalid.value, mode=options.mode.value),
        links={"self": f"/api/v1/jobs/{job_id}", "errors": f"/api/v1/jobs/{job_id}/errors"},
    )


def _record(stored: StoredUpload, options: UploadOptions, force: bool) -> None:
    with session_scope() as session:
        if not force:
            refuse_duplicate(session, options.datasource, stored.sha256)
        create_job(session, stored, options)
