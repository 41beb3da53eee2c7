"""Druid compaction of a datasource: a compaction job on request, and automatic compaction on or off (the
Coordinator's config, read back)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from starlette.concurrency import run_in_threadpool

from backend.api.access.actor import actor_of
from backend.api.access.permissions import on_datasource, requires
from backend.api.access.principal import Principal
from backend.api.datasources import NameParam
from backend.api.deps import SessionDep
from backend.api.jobs import summary
from backend.api.params import RFC3339_ONLY, JsonInt
from backend.api.schemas import ErrorBody, JobSummary
from backend.pipeline.auto_compaction import AutoCompaction, read_auto_compaction, set_auto_compaction
from backend.pipeline.operations_intake import request_compaction
from backend.schema.layout import MAX_TARGET_ROWS, MIN_TARGET_ROWS
from backend.vocabulary import Role

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 422, 503)}
_PUT_ERRORS: dict[int | str, dict[str, object]] = {**_ERRORS, 409: {"model": ErrorBody}}
_Instant = Annotated[datetime | None, RFC3339_ONLY]


class CompactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: _Instant = Field(None, alias="from", description="Chunks ending after this instant (RFC 3339)")
    end: _Instant = Field(None, alias="to", description="Chunks starting before this instant (RFC 3339)")
    target_rows_per_segment: JsonInt | None = Field(
        None, ge=MIN_TARGET_ROWS, le=MAX_TARGET_ROWS,
        description="Rows per segment to compact to; the schema version's partitioning target by default")

    @model_validator(mode="after")
    def _ordered(self) -> CompactIn:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("`from` must be before `to`")
        return self


class AutoCompactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool
    skip_offset_hours: JsonInt = Field(default=24, ge=0, le=8760, description="Leave the newest hours of data alone "
                                   "(late uploads still land there); Druid compacts what lies before them")


class AutoCompactionOut(BaseModel):
    datasource: str
    druid_datasource: str
    enabled: bool = Field(description="Whether the Coordinator holds a compaction config for it")
    skip_offset_from_latest: str | None = Field(description="ISO-8601 period, as the Coordinator holds it")
    partitions_spec: dict[str, Any] | None = Field(description="The partitioning compaction writes, from the "
                                                   "datasource's current schema version")
    coordinator_config: dict[str, Any] | None = Field(description="The Coordinator's whole config, as read back")


def _out(state: AutoCompaction) -> AutoCompactionOut:
    return AutoCompactionOut(datasource=state.datasource, druid_datasource=state.druid_datasource,
                             enabled=state.enabled, skip_offset_from_latest=state.skip_offset_from_latest,
                             partitions_spec=state.partitions_spec, coordinator_config=state.coordinator_config)


@router.get("/{name}/auto-compaction", response_model=AutoCompactionOut, responses=_ERRORS,
            summary="Whether Druid compacts this datasource automatically, as the Coordinator says")
async def get_auto_compaction(name: NameParam,
                              caller: Principal | None = requires(on_datasource(Role.read))) -> AutoCompactionOut:
    return _out(await run_in_threadpool(read_auto_compaction, name))


@router.put("/{name}/auto-compaction", response_model=AutoCompactionOut, responses=_PUT_ERRORS,
            summary="Turn Druid's automatic compaction of this datasource on or off (the Coordinator's config)")
async def put_auto_compaction(
    name: NameParam, body: AutoCompactionIn,
    caller: Principal | None = requires(on_datasource(Role.manage), action="datasource.auto_compaction"),
) -> AutoCompactionOut:
    return _out(await run_in_threadpool(set_auto_compaction, name, enabled=body.enabled,
                                        skip_offset_hours=body.skip_offset_hours))


@router.post(
    "/{name}/compact", response_model=JobSummary, status_code=202, responses=_PUT_ERRORS,
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
