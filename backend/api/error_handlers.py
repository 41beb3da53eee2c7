"""One shape for every error body: {"code", "message", "details"}; one place mapping errors to HTTP status."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import psycopg_pool
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from backend.api.access.permissions import refusal_before_validation
from backend.api.allowed_methods import methods_serving
from backend.api.params import NO_CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS_RULE
from backend.errors import ErrorCode, IngestError

log = logging.getLogger("backend.api")


def _body(code: str, message: str, details: dict[str, object] | None = None) -> dict[str, object]:
    return {"code": code, "message": message, "details": details or {}}


async def _ingest_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IngestError)
    headers: dict[str, str] = {}
    if exc.code == ErrorCode.not_authenticated:
        headers["WWW-Authenticate"] = 'Bearer realm="druid-ingest"'
    if exc.code == ErrorCode.too_many_attempts:
        headers["Retry-After"] = str(exc.details.get("retry_after_s", 60))
    return JSONResponse(_body(exc.code.value, exc.message, exc.details), status_code=exc.http_status,
                        headers=headers)


def _problem(error: Any) -> str:
    if error.get("type") == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == (
        NO_CONTROL_CHARACTERS
    ):
        return NO_CONTROL_CHARACTERS_RULE
    message = str(error.get("msg", "is invalid"))
    # Follows the field's name ("`bound` input should be ..."); only its first letter is lowered, since the rest
    # may quote values whose case matters ('BACKWARD').
    return message[:1].lower() + message[1:]


def field_path(location: tuple[int | str, ...]) -> str:
    """Pydantic's location as a person writes it: `columns[3].rules[0].regex`."""
    path = ""
    for part in location:
        if part in {"query", "path", "body"} and not path:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "request"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    refused = await refusal_before_validation(request)
    if refused is not None:
        return await _ingest_error(request, refused)
    problems = [{"path": field_path(error.get("loc", ())), "message": _problem(error)} for error in exc.errors()]
    message = "Invalid request: " + "; ".join(f"`{p['path']}` {p['message']}" for p in problems) + "."
    details = {"fields": [p["path"] for p in problems], "problems": problems}
    return JSONResponse(_body(ErrorCode.invalid_field.value, message, details), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 409: "conflict"}.get(exc.status_code, "http_error")
    message = str(exc.detail)
    headers = dict(exc.headers or {})
    serving = methods_serving(request) if exc.status_code == 405 else set()
    if serving:
        # The router's own 405 names only the first route of the path; every route of it counts.
        headers["Allow"] = ", ".join(sorted(serving))
    if exc.status_code == 400 and message == "There was an error parsing the body":
        refused = await refusal_before_validation(request)
        if refused is not None:
            return await _ingest_error(request, refused)
        # FastAPI's answer to a JSON body it cannot decode (bytes that are not UTF-8): the client's mistake, said
        # like every other body problem.
        return JSONResponse(_body(ErrorCode.invalid_field.value, "The request body is not valid JSON (UTF-8).",
                                  {"fields": ["body"], "problems": [{"path": "body", "message": "is not valid JSON"}]}),
                            status_code=422)
    allowed = headers.get("Allow")
    if exc.status_code == 405 and allowed:
        message = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}."
    return JSONResponse(_body(code, message), status_code=exc.status_code, headers=headers)


async def _client_disconnect(_: Request, __: Exception) -> JSONResponse:
    # Nobody is listening any more; the partial upload has been aborted already.
    return JSONResponse(_body("client_disconnected", "The client closed the connection."), status_code=400)


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable", extra={"error": (str(exc) or type(exc).__name__).splitlines()[0]})
    message = "The job database (PostgreSQL) cannot be reached; try again shortly."
    return JSONResponse(_body(ErrorCode.database_unavailable.value, message), status_code=503)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"path": request.url.path})
    return JSONResponse(
        _body(ErrorCode.internal_error.value, "Unexpected server error; it has been logged."), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IngestError, _ingest_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnect)
    # Connection-level failures only (refused, dropped, no pool connection in time), never a bad query.
    for error in (sqlalchemy.exc.OperationalError, psycopg.OperationalError, psycopg_pool.PoolTimeout):
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
