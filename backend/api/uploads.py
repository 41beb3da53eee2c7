"""POST /api/v1/uploads: the file is streamed to S3 as it arrives, then the job is recorded."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from backend.api.access.actor import actor_of
from backend.api.access.permissions import check_role, forbidden, on_form_datasource, requires
from backend.api.access.principal import Principal
from backend.api.deps import SettingsDep, StoreDep
from backend.api.params import DATASOURCE_NAME_MAX, NO_CONTROL_CHARACTERS
from backend.api.schemas import ErrorBody, UploadAccepted, render_accepted
from backend.errors import ErrorCode, IngestError
from backend.pipeline.intake import accept_form_upload
from backend.pipeline.upload_options import MAX_SCHEMA_VERSION
from backend.vocabulary import Mode, OnInvalid, Role

router = APIRouter(prefix="/api/v1", tags=["uploads"])

_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (404, 409, 413, 415, 422)
}
# The form is read by the route itself (the file streamed to storage as it arrives), so FastAPI cannot see it:
# declared here, with the values backend.pipeline.upload_options accepts (any other field is refused).
_FORM: dict[str, object] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "title": "Upload",
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The file to ingest"},
                        "datasource": {"type": "string", "default": "sales", "minLength": 1,
                                       "maxLength": DATASOURCE_NAME_MAX, "pattern": NO_CONTROL_CHARACTERS},
                        "schema_version": {"type": "integer", "minimum": 1, "maximum": MAX_SCHEMA_VERSION,
                                           "description": "Validate against this older schema version"},
                        "on_invalid": {"type": "string", "enum": [v.value for v in OnInvalid], "default": "reject"},
                        "mode": {"type": "string", "enum": [v.value for v in Mode], "default": "append"},
                        "priority": {"type": "string", "enum": ["HIGH", "MEDIUM", "LOW"], "default": "MEDIUM"},
                        "force": {"type": "boolean", "default": False},
                    },
                }
            }
        },
    }
}
# Multipart framing and the form's small fields around the file.
_FORM_OVERHEAD_BYTES = 64 * 1024


@router.post(
    "/uploads",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UploadAccepted,
    responses=_ERRORS,
    summary="Upload a file (multipart/form-data) and queue its ingestion",
    description=(
        "Form fields: `file` (required), `datasource` (default `sales`), `schema_version` (pin an older "
        "version of the datasource's schema; default: the current one), `on_invalid` (`reject` | `skip`), "
        "`mode` (`append` | `replace`), `priority` (`HIGH` | `MEDIUM` | `LOW`), `force` (`true` accepts bytes "
        "this datasource already has; otherwise 409 names the earlier job). The body is streamed to object "
        "storage as it arrives; the answer comes once the object is stored and the job is recorded."
    ),
    openapi_extra=_FORM,
)
async def upload(
    request: Request, settings: SettingsDep, store: StoreDep,
    caller: Principal | None = requires(on_form_datasource(Role.upload), action="job.upload"),
) -> UploadAccepted:
    if caller is not None and not caller.may_anywhere(Role.upload):
        raise forbidden("upload")  # refused before a byte is stored
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_upload_bytes + _FORM_OVERHEAD_BYTES:
        raise IngestError(
            ErrorCode.file_too_large,
            f"The upload is larger than the limit of {settings.max_upload_bytes} bytes.",
            {"limit_bytes": settings.max_upload_bytes},
        )
    accepted = await accept_form_upload(
        request.stream(), request.headers.get("content-type", ""), store, max_file_bytes=settings.max_upload_bytes,
        actor=actor_of(request, caller),
        before_recording=lambda datasource: None if caller is None else check_role(caller, Role.upload, datasource),
    )
    return render_accepted(accepted)
