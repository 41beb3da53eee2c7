"""Automatic compaction of one datasource, on or off: written to the Druid Coordinator's compaction config (built
from the datasource's current schema version: its partitioning, target rows and segment granularity) and always
answered as read back from the Coordinator, so what the page shows is what Druid will do."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from backend.db.session import session_scope
from backend.druid.coordinator import CoordinatorClient
from backend.druid.spec import auto_compaction_config
from backend.errors import IngestError, first_line
from backend.pipeline.datasources import job_datasource
from backend.pipeline.registry import existing_datasource, live_datasource
from backend.schema.declaration import DatasourceSchema
from backend.settings import get_settings

log = logging.getLogger("backend.auto_compaction")


@dataclass(frozen=True)
class AutoCompaction:
    datasource: str
    druid_datasource: str
    enabled: bool
    skip_offset_from_latest: str | None
    partitions_spec: dict[str, Any] | None
    coordinator_config: dict[str, Any] | None


def _client() -> CoordinatorClient:
    settings = get_settings()
    return CoordinatorClient(settings.druid_coordinator_url, settings.druid_request_timeout_s)


def read_auto_compaction(name: str) -> AutoCompaction:
    with session_scope() as session:
        druid_datasource = existing_datasource(session, name).druid_datasource
    return _as_read(name, druid_datasource, _client().compaction_config(druid_datasource))


def set_auto_compaction(name: str, *, enabled: bool, skip_offset_hours: int) -> AutoCompaction:
    """On: the Coordinator compacts chunks older than `skip_offset_hours` before the newest data. Off: its config is
    removed (a deleted datasource's too; turning one on is refused for it: 409 datasource_deleted)."""
    with session_scope() as session:
        row = live_datasource(session, name) if enabled else existing_datasource(session, name)
        druid_datasource, version = row.druid_datasource, row.current_schema_version
    client = _client()
    if enabled:
        schema = job_datasource(name, version).schema
        client.set_compaction_config(auto_compaction_config(schema, druid_datasource, skip_offset_hours))
    else:
        client.remove_compaction_config(druid_datasource)
    return _as_read(name, druid_datasource, client.compaction_config(druid_datasource))


def follow_new_version(druid_datasource: str, schema: DatasourceSchema) -> bool:
    """After a new schema version: automatic compaction that is on is rewritten from it (its partitioning, target
    and segment granularity), keeping its skip offset, so Druid compacts as the datasource now declares. False when
    it is off. A Coordinator that cannot be reached leaves the old config (logged): the version stands."""
    client = _client()
    try:
        held = client.compaction_config(druid_datasource)
        if held is None:
            return False
        hours = _skip_hours(str(held.get("skipOffsetFromLatest") or ""))
        client.set_compaction_config(auto_compaction_config(schema, druid_datasource, hours))
    except IngestError as exc:
        log.warning("automatic compaction not rewritten for the new schema version: the Coordinator did not answer",
                    extra={"datasource": druid_datasource, "error": first_line(exc.message)})
        return False
    return True


def _skip_hours(period: str) -> int:
    """PT48H -> 48 (the form this service writes); Druid's default P1D for anything else."""
    match = re.fullmatch(r"PT(\d+)H", period)
    if match:
        return int(match.group(1))
    return 24


def _as_read(name: str, druid_datasource: str, config: dict[str, Any] | None) -> AutoCompaction:
    tuning = (config or {}).get("tuningConfig") or {}
    return AutoCompaction(name, druid_datasource, config is not None,
                          (config or {}).get("skipOffsetFromLatest"), tuning.get("partitionsSpec"), config)
