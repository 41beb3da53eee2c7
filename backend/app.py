"""create_app(): the FastAPI application with its routers, error handlers and the built web page."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from backend.api import (
    audit,
    auth,
    compaction,
    datasources,
    grants,
    health,
    infer,
    jobs,
    keys,
    metrics,
    records,
    segments,
    uploads,
    users,
)
from backend.api.access.audit_trail import AuditTrailMiddleware
from backend.api.access.permissions import PUBLIC, requires
from backend.api.allowed_methods import METHODS, PAGE_PATH, methods_serving
from backend.api.body_limit import JsonBodyLimit
from backend.api.error_handlers import install_error_handlers
from backend.api.graph import route as graph_route
from backend.api.request_id import RequestIdMiddleware
from backend.db.async_pool import new_pool
from backend.errors import ErrorCode, IngestError
from backend.logging_setup import configure_logging
from backend.pipeline.accounts import ensure_admin
from backend.pipeline.datasources import keep_registering, register_builtin_datasources
from backend.pipeline.retry import is_transient
from backend.settings import REPO_ROOT, get_settings

log = logging.getLogger("backend.api")
FRONTEND_DIST = REPO_ROOT / "frontend" / "dist"
_API_PREFIXES = ("api/", "health", "ready", "metrics", "docs", "openapi.json")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    configure_logging(settings.log_level)
    stop_registering = threading.Event()
    try:
        await run_in_threadpool(register_builtin_datasources)
        if settings.bootstrap_admin_username and settings.bootstrap_admin_password:
            await run_in_threadpool(_bootstrap_admin, settings.bootstrap_admin_username,
                                    settings.bootstrap_admin_password)
    except Exception as exc:
        if not is_transient(exc):
            raise
        # PostgreSQL is down: start anyway (/health answers, /ready and the endpoints say what is missing) and
        # register once it is back (keep_registering logs each try).
        threading.Thread(target=keep_registering, args=(stop_registering,), daemon=True,
                         name="register-datasources").start()
    # Opened without waiting: the API starts (and /health answers) even while PostgreSQL is still coming up.
    app.state.status_pool = new_pool(settings)
    await app.state.status_pool.open(wait=False)
    # Everything loaded so far lives as long as the process: keep it out of the collector's full passes, whose
    # pauses would otherwise grow with the size of the imported libraries and land on random requests.
    gc.freeze()
    try:
        yield
    finally:
        stop_registering.set()
        await app.state.status_pool.close()


def _bootstrap_admin(username: str, password: str) -> None:
    """Containers: INGEST_BOOTSTRAP_ADMIN_* make an admin on the first start, when no active admin exists yet."""
    if ensure_admin(username, password):
        log.info("bootstrap admin created", extra={"username": username})


def create_app() -> FastAPI:
    app = FastAPI(
        title="druid-ingest",
        version="0.1.0",
        description="Upload tabular files, validate every row, land the valid rows in Apache Druid.",
        lifespan=_lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(JsonBodyLimit)
    app.add_middleware(AuditTrailMiddleware)  # inside RequestIdMiddleware: the request id is set when it records
    app.add_middleware(RequestIdMiddleware)
    for module in (uploads, records, jobs, infer, datasources, segments, compaction, grants, health, metrics, auth,
                   users, keys, audit):
        app.include_router(module.router)
    app.include_router(graph_route.router)
    if (FRONTEND_DIST / "index.html").is_file():
        _mount_frontend(app, FRONTEND_DIST)
    return app


def _mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the built page at / with client-side routes falling back to index.html."""
    app.mount("/assets", StaticFiles(directory=dist / "assets", check_dir=False), name="assets")
    index = dist / "index.html"

    # Every method, so that this route (last in order) decides what a request no other route served gets: 405 with
    # Allow for a path another method serves (GET /api/v1/uploads), 404 for an unknown API path, else the page.
    @app.api_route(PAGE_PATH, methods=list(METHODS), include_in_schema=False, dependencies=[requires(PUBLIC)])
    def page(request: Request, path: str) -> FileResponse:
        allowed = methods_serving(request)
        if allowed:
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        if path.startswith(_API_PREFIXES):
            raise IngestError(ErrorCode.not_found, f"No such endpoint: /{path}")
        if request.method not in {"GET", "HEAD"}:
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(index)
