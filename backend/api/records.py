"""POST /api/v1/datasources/{name}/records: JSON records from programs, through the same job pipeline as files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from backend.api.deps import SettingsDep, StoreDep
from backend.api.schemas import ErrorBody, PriorityName, UploadAccepted, render_accepted
from backend.pipeline.intake import accept_records
from backend.pipeline.upload_options import UploadOptions
from backend.vocabulary import Mode, OnInvalid, Priority

router = APIRouter(prefix="/api/v1/datasources", tags=["records"])


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
    options = UploadOptions(name, on_invalid, mode, Priority[priority], force)
    accepted = await accept_records(request.stream(), options, store, max_bytes=settings.max_records_bytes)
    return render_accepted(accepted)
