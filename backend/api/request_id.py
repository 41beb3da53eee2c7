"""Request ids: the caller's X-Request-ID (or a new one) on every log line of the request and on the response,
and one JSON access line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.logging_setup import current_request_id

access_log = logging.getLogger("backend.access")

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is kept when it is plain visible ASCII of sane length; anything else is replaced, so a header can
# neither forge log structure nor grow the logs without bound.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode()


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID or makes one, exposes it to logs for the request's duration, returns it in
    the response header and logs one JSON line per request (method, path, status, duration_ms)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id_of(scope)
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        header = (_HEADER_KEY, request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # Unhandled: Starlette's outermost handler answers 500 (unless an answer had started) and logs the error
            # after this frame, so the request id stays set (the request's task ends with it) for that line too.
            _log_request(scope, status, started)
            raise
        _log_request(scope, status, started)
        current_request_id.reset(token)


def _request_id_of(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == _HEADER_KEY:
            candidate: str = value.decode("latin-1")
            if _ACCEPTABLE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _log_request(scope: Scope, status: int, started: float) -> None:
    access_log.info(
        "request",
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
