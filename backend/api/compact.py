"""Compaction of a datasource's fragmented time chunks, as a tracked job."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from backend.api.access.actor import actor_of
from backend.api.access.permissions import on_datasource, requires
from backend.api.access.principal import Principal
from backend.api.datasources import NameParam
from backend.api.deps import SessionDep
from backend.api.jobs import summary
from backend.api.params import RFC3339_ONLY
from backend.api.schemas import ErrorBody, JobSummary
from backend.pipeline.operations_intake import request_compaction
from backend.schema.layout import MAX_TARGET_ROWS, MIN_TARGET_ROWS
from backend.vocabulary import Role

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422, 503)}
_Instant = Annotated[datetime | None, RFC3339_ONLY]


class CompactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: _Instant = Field(None, alias="from", description="Chunks ending after this instant (RFC 3339)")
    end: _Instant = Field(None, alias="to", description="Chunks starting before this instant (RFC 3339)")
    target_rows_per_segment: StrictInt | None = Field(
        None, ge=MIN_TARGET_ROWS, le=MAX_TARGET_ROWS,
        description="Rows per segment to compact to; the schema version's partitioning target by default")

    @model_validator(mode="after")
    def _ordered(self) -> CompactIn:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("`from` must be before `to`")
        return self


@router.post(
    "/{name}/compact", response_model=JobSummary, status_code=202, responses=_ERRORS,
    summary="Compact the datasource's fragmented time chunks, as a job of kind `compaction`",
    description=(
        "Finds the fragmented chunks in the window (as `GET .../segments` judges them, against the target given or "
        "the schema version's), and starts a job that submits one Druid `compact` task from the first of them to the "
        "end of the last, laid out as the schema version declares. The job succeeds once Druid serves the period "
        "from the new segments with the same rows; its `operation` holds the segment count before and after. 409 "
        "when no chunk is fragmented, or while another compaction or retraction of the datasource is unfinished."),
)
def compact(request: Request, session: SessionDep, name: NameParam, body: CompactIn | None = None,
            caller: Principal | None = requires(on_datasource(Role.manage), action="datasource.compact")
            ) -> JobSummary:
    wanted = body or CompactIn()
    job = request_compaction(session, name, wanted.start, wanted.end, wanted.target_rows_per_segment,
                             actor_of(request, caller))
    return summary(job)
