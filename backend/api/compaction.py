"""Druid compaction of a datasource: automatic compaction on or off (the Coordinator's config, read back)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.concurrency import run_in_threadpool

from backend.api.access.permissions import on_datasource, requires
from backend.api.access.principal import Principal
from backend.api.datasources import NameParam
from backend.api.params import JsonInt
from backend.api.schemas import ErrorBody
from backend.pipeline.auto_compaction import AutoCompaction, read_auto_compaction, set_auto_compaction
from backend.vocabulary import Role

router = APIRouter(prefix="/api/v1/datasources", tags=["datasources"])
_ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 422, 503)}
_PUT_ERRORS: dict[int | str, dict[str, object]] = {**_ERRORS, 409: {"model": ErrorBody}}


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
