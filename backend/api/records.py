"""POST /api/v1/datasources/{name}/records: JSON records from programs, through the same job pipeline as files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from backend.api.access.actor import actor_of
from backend.api.access.permissions import on_datasource, requires
from backend.api.access.principal import Principal
from backend.api.deps import SettingsDep, StoreDep
from backend.api.params import DATASOURCE_NAME_MAX, NO_CONTROL_CHARACTERS
from backend.api.schemas import ErrorBody, PriorityName, UploadAccepted, render_accepted
from backend.errors import ErrorCode, IngestError
from backend.pipeline.intake import accept_records
from backend.pipeline.upload_options import MAX_SCHEMA_VERSION, UploadOptions
from backend.vocabulary import Mode, OnInvalid, Priority, Role

router = APIRouter(prefix="/api/v1/datasources", tags=["records"])

# The body is read by the route itself (kept with the job, or streamed to storage), so FastAPI cannot see it:
# declared here. Its records are checked as data by the job (a record that is not an object rejects it); the
# request is refused only when the body is no JSON object or array at all.
_BODY: dict[str, object] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "title": "Records",
                    "description": "One record (an object) or an array of records.",
                    "anyOf": [{"type": "object"}, {"type": "array"}],
                }
            }
        },
    }
}


def is_json_media_type(content_type: str) -> bool:
    """application/json or a structured `+json` type (RFC 6839), with any parameters, in any letter case."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or (subtype.endswith("+json") and len(subtype) > 5))


@router.post(
    "/{name}/records",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UploadAccepted,
    responses={code: {"model": ErrorBody} for code in (404, 409, 413, 415, 422)},
    summary="Send JSON records (one object or an array of objects) to be validated and ingested as a job",
    description=(
        "The body (application/json) becomes a job: up to INGEST_RECORDS_INLINE_MAX_BYTES (64 KiB by default) "
        "it is kept with the job in PostgreSQL and accepted in milliseconds; a larger one is streamed to object "
        "storage like a file upload. Row numbers in its errors are the records' 1-based positions. A body of "
        "another media type (or none declared) is refused with 415 `unsupported_media_type`."
    ),
    openapi_extra=_BODY,
)
async def post_records(
    name: Annotated[str, Path(max_length=DATASOURCE_NAME_MAX, pattern=NO_CONTROL_CHARACTERS)],
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    on_invalid: Annotated[OnInvalid, Query()] = OnInvalid.reject,
    mode: Annotated[Mode, Query()] = Mode.APPEND,
    priority: Annotated[PriorityName, Query()] = "MEDIUM",
    force: Annotated[bool, Query()] = False,
    schema_version: Annotated[int | None, Query(ge=1, le=MAX_SCHEMA_VERSION,
                                                description="Validate against this older schema version")] = None,
    caller: Principal | None = requires(on_datasource(Role.upload), action="job.records"),
) -> UploadAccepted:
    # Only JSON is read as JSON: bytes labelled as something else (an image, a form) are refused before a byte is
    # stored. A request that declares no Content-Type is refused too: its bytes are not labelled JSON, and
    # every client of this endpoint (curl -H, requests' json=, the page) can say so.
    content_type = request.headers.get("content-type", "")
    if not is_json_media_type(content_type):
        raise IngestError(
            ErrorCode.unsupported_media_type,
            f"The records body must be sent as application/json (or an application/*+json type); got "
            f"{content_type[:100]!r}." if content_type else
            "The records body must be sent as application/json (or an application/*+json type); the request "
            "declared no Content-Type.",
            {"content_type": content_type[:100]},
        )
    options = UploadOptions(name, on_invalid, mode, Priority[priority], force, schema_version)
    accepted = await accept_records(request.stream(), options, store, max_bytes=settings.max_records_bytes,
                                    inline_max_bytes=settings.records_inline_max_bytes,
                                    actor=actor_of(request, caller), pool=request.app.state.status_pool)
    return render_accepted(accepted)
