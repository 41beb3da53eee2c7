"""A fault injector in front of the real Overlord, for faults real Druid cannot produce on demand.

Every request is forwarded to the real Overlord unchanged, except what the current mode changes:
- `fail_submissions`: task submissions are answered 503, as an Overlord that is not (yet) the leader answers;
- `pending`: status answers say the task is still waiting for a slot (`runnerStatusCode: PENDING`), the way the
  Overlord reports a task no worker has picked up;
- `accept_then_hang`: a task submission reaches the real Overlord, which accepts it, but its answer never comes
  back (a network that dies at that moment), so the submitter cannot know it succeeded.
It speaks Druid's wire format because it is the real Overlord's answers, only edited.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import requests


class OverlordDouble:
    def __init__(self, real_url: str) -> None:
        self.real_url = real_url.rstrip("/")
        self.mode = "pass"
        self.released = threading.Event()  # ends the hang of `accept_then_hang`
        self.seen: list[tuple[str, str]] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            hop_headers: ClassVar[set[str]] = {"connection", "transfer-encoding", "content-length", "keep-alive"}

            def log_message(self, *_: object) -> None:
                return

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                double.seen.append((method, self.path))
                if double.mode == "fail_submissions" and method == "POST" and self.path == "/druid/indexer/v1/task":
                    self._answer(503, b'{"error":"Service Unavailable: the Overlord is not the leader"}')
                    return
                headers = {"Content-Type": self.headers["Content-Type"]} if self.headers.get("Content-Type") else {}
                upstream = requests.request(method, double.real_url + self.path, data=body, timeout=30,
                                            headers=headers)
                if double.mode == "accept_then_hang" and method == "POST" and self.path == "/druid/indexer/v1/task":
                    double.released.wait(600)
                    return
                content = upstream.content
                if double.mode == "pending" and self.path.endswith("/status") and upstream.status_code == 200:
                    answer = upstream.json()
                    answer["status"].update(status="RUNNING", statusCode="RUNNING", runnerStatusCode="PENDING")
                    content = json.dumps(answer).encode()
                self._answer(upstream.status_code, content, upstream.headers.get("Content-Type", "application/json"))

            def _answer(self, status: int, content: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OverlordDouble:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
