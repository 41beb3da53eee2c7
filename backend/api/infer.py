"""POST /api/v1/datasources/infer: a definition proposed from a sample file; nothing is stored."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backend.api.access.permissions import SIGNED_IN, requires
from backend.api.access.principal import Principal
from backend.api.datasource_schemas import InferProposal
from backend.api.deps import SettingsDep
from backend.api.schemas import ErrorBody
from backend.pipeline.sample_intake import DEFAULT_MAX_ROWS, infer_from_form
from backend.pipeline.validate_step import read_limits

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])

# The form is read by the route itself (streamed to a temporary file), so FastAPI cannot see it: declared here.
_FORM: dict[str, object] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "title": "Sample",
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "A sample of the data"},
                        "time_column": {"type": "string", "maxLength": 255,
                                        "description": "The time column (default: detected)"},
                        "max_rows": {"type": "integer", "minimum": 1, "default": DEFAULT_MAX_ROWS,
                                     "description": "Rows to read at most (INGEST_MAX_INFER_ROWS bounds it)"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/infer",
    response_model=InferProposal,
    responses={code: {"model": ErrorBody} for code in (413, 415, 422)},
    summary="Propose a schema definition from a sample file (CSV, XLSX, XLS, Parquet, NDJSON, JSON)",
    description=(
        "Reads the sample with the same readers, limits and format detection as uploads and answers each column's "
        "type, whether it is required, suggested rules, statistics and example values, the detected time column, "
        "and the first rows as parsed. Nothing is stored."
    ),
    openapi_extra=_FORM,
)
async def infer(request: Request, settings: SettingsDep,
                caller: Principal | None = requires(SIGNED_IN)) -> InferProposal:
    proposal = await infer_from_form(
        request.stream(), request.headers.get("content-type", ""), workdir=settings.var_dir / "work",
        limits=read_limits(settings), max_file_bytes=settings.max_infer_bytes, max_rows_limit=settings.max_infer_rows,
    )
    return InferProposal.model_validate(proposal)
