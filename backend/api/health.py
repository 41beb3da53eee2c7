"""Liveness and readiness."""

from __future__ import annotations

import logging
import threading
import time

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.access.permissions import PUBLIC, requires
from backend.api.access.principal import Principal
from backend.api.deps import SettingsDep, StoreDep
from backend.api.schemas import DruidQueueStage, Health, QueueProgressOut, QueueStage, Readiness
from backend.db.session import session_scope
from backend.db.stats_repository import QueueProgress, StageLoad, active_jobs, ping, probe_session, queue_progress
from backend.druid.overlord import OverlordClient

router = APIRouter(tags=["health"])
log = logging.getLogger("backend.api")

# After Postgres failed to answer, /health skips it for this long: a liveness probe stays cheap while it is down.
_DB_RETRY_AFTER_S = 5.0


class _DatabaseBackoff:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed_at: float | None = None

    def should_try(self) -> bool:
        with self._lock:
            return self._failed_at is None or time.monotonic() - self._failed_at >= _DB_RETRY_AFTER_S

    def record(self, ok: bool) -> None:
        with self._lock:
            self._failed_at = None if ok else time.monotonic()


_backoff = _DatabaseBackoff()


@router.get(
    "/health",
    response_model=Health,
    summary="The process is alive (200 even when Postgres is not); job counts when Postgres answers",
)
def health(caller: Principal | None = requires(PUBLIC)) -> Health:
    if not _backoff.should_try():
        return Health(status="ok")
    try:
        with probe_session() as session:
            active = active_jobs(session)
            queue = queue_progress(session)
    except Exception as exc:
        _backoff.record(ok=False)
        log.warning("health: job counts unavailable", extra={"error": str(exc)[:300]})
        return Health(status="ok")
    _backoff.record(ok=True)
    return Health(status="ok", active_jobs=active.in_progress, queue_depth=active.queued,
                  queue=queue_progress_out(queue))


def queue_progress_out(progress: QueueProgress) -> QueueProgressOut:
    """The queue's stages as /health renders them."""

    def stage(load: StageLoad) -> QueueStage:
        return QueueStage(jobs=load.jobs, oldest_wait_s=_rounded(load.oldest_wait_s))

    return QueueProgressOut(
        waiting_validation=stage(progress.waiting_validation),
        validating=stage(progress.validating),
        waiting_druid=stage(progress.waiting_druid),
        in_druid=DruidQueueStage(jobs=progress.in_druid.jobs, druid_tasks=progress.druid_tasks,
                                 oldest_wait_s=_rounded(progress.in_druid.oldest_wait_s)),
    )


def _rounded(seconds: float | None) -> float | None:
    # Milliseconds are plenty for a wait read by people and probes.
    return None if seconds is None else round(seconds, 3)


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}},
            summary="Postgres, S3 and the Druid Overlord are reachable")
def ready(settings: SettingsDep, store: StoreDep, caller: Principal | None = requires(PUBLIC)) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with session_scope() as session:
            ping(session)
        checks["postgres"] = "ok"
    except Exception as exc:
        checks["postgres"] = f"unreachable: {type(exc).__name__}"
    try:
        store.check_reachable()
        checks["s3"] = "ok"
    except Exception as exc:
        checks["s3"] = f"unreachable: {type(exc).__name__}"
    try:
        OverlordClient(settings.druid_overlord_url, timeout_s=3).check_leader()
        checks["druid_overlord"] = "ok"
    except Exception as exc:
        checks["druid_overlord"] = f"unreachable: {exc}"[:200]
    ok = all(value == "ok" for value in checks.values())
    body = Readiness(status="ready" if ok else "not_ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
