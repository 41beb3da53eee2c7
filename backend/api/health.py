"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from backend.api.deps import SettingsDep, StoreDep
from backend.api.schemas import Health, Readiness
from backend.db.session import session_scope
from backend.druid.overlord import OverlordClient

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="The process is alive")
def health() -> Health:
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}},
            summary="Postgres, S3 and the Druid Overlord are reachable")
def ready(settings: SettingsDep, store: StoreDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
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
