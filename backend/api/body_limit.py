"""A cap on the JSON bodies FastAPI reads whole: a declared Content-Length over it is refused before a byte is read.

FastAPI parses a JSON body before any dependency of the route runs, so the cap must come first. The streamed
endpoints (uploads, records, schema inference) have limits of their own, enforced while they stream.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from backend.errors import ErrorCode

# The largest schema definition: 1,000 columns, or a one_of of 10,000 values of up to 1,000 characters, fit well.
MAX_JSON_BODY_BYTES = 16 * 1024 * 1024
_STREAMED = re.compile(r"^/api/v1/(uploads|datasources/infer|datasources/[^/]+/records)$")


class JsonBodyLimit:
    def __init__(self, app: ASGIApp, limit_bytes: int = MAX_JSON_BODY_BYTES) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _STREAMED.match(scope["path"]):
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit_bytes:
                await self._refuse(send)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({
            "code": ErrorCode.body_too_large.value,
            "message": f"The request body is larger than the limit of {self.limit_bytes // 2**20} MiB.",
            "details": {"limit_bytes": self.limit_bytes},
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
