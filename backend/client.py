"""A small HTTP client for the API, used by the command line: streamed uploads and waiting on jobs; and the API key
the CLI sends (--api-key, INGEST_API_KEY, or the one `druid-ingest login` stored, 0600)."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from backend.vocabulary import TERMINAL_STATES


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('message')}")
        self.status = status
        self.body = body


class IngestClient:
    def __init__(self, base_url: str, timeout_s: float = 30.0, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = requests.Session()
        if api_key:
            self.http.headers["Authorization"] = f"Bearer {api_key}"

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {"code": "http_error", "message": response.text[:500]}
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        assert isinstance(body, dict)
        return body

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> dict[str, Any]:
        """One JSON request to the API (`path` starts with /api/v1); an error answer raises ApiError."""
        return self._json(self.http.request(method, f"{self.base_url}{path}", json=body, params=params or None,
                                             timeout=self.timeout_s))

    def upload(
        self, path: Path, fields: dict[str, str], progress: Callable[[int, int], None] | None = None,
        endpoint: str = "/api/v1/uploads",
    ) -> dict[str, Any]:
        """Stream the file as multipart/form-data without reading it whole (requests would)."""
        boundary = f"druid-ingest-{uuid.uuid4().hex}"
        preamble = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        )
        preamble += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{_form_quoted(path.name)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        closing = f"\r\n--{boundary}--\r\n".encode()
        body = _MultipartBody(preamble, path, closing, progress)
        response = self.http.post(
            f"{self.base_url}{endpoint}",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))},
            timeout=None,
        )
        return self._json(response)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json(self.http.get(f"{self.base_url}/api/v1/jobs/{job_id}", timeout=self.timeout_s))

    def jobs(self, **params: Any) -> dict[str, Any]:
        return self._json(self.http.get(f"{self.base_url}/api/v1/jobs", params=params, timeout=self.timeout_s))

    def errors(self, job_id: str, limit: int = 20) -> dict[str, Any]:
        return self._json(
            self.http.get(f"{self.base_url}/api/v1/jobs/{job_id}/errors", params={"limit": limit},
                          timeout=self.timeout_s)
        )

    def wait(
        self, job_id: str, timeout_s: float, on_event: Callable[[dict[str, Any]], None] | None = None
    ) -> dict[str, Any]:
        """Poll the job until it ends (or the deadline passes), reporting each new event once."""
        deadline = time.monotonic() + timeout_s
        shown = 0
        while True:
            job = self.job(job_id)
            events = job.get("events", [])
            if on_event:
                for event in events[shown:]:
                    on_event(event)
            shown = len(events)
            if job["state"] in TERMINAL_STATES:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['state']} after {timeout_s:.0f} s")
            time.sleep(0.5)  # polling interval of a client, not a synchronisation


def _form_quoted(name: str) -> str:
    """A filename as browsers write it into a form part's header (the HTML standard's multipart/form-data
    encoding): a quote or a line break would end the header early, so they travel percent-encoded."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class _MultipartBody:
    """A file-like body of known length, read piece by piece: requests then sends a Content-Length (the server
    can refuse an oversized upload before reading it) and never holds the file in memory."""

    def __init__(
        self, preamble: bytes, path: Path, closing: bytes, progress: Callable[[int, int], None] | None
    ) -> None:
        self.size = path.stat().st_size
        self.parts: Iterator[bytes] = self._parts(preamble, path, closing)
        self.progress = progress
        self.length = len(preamble) + self.size + len(closing)
        self.pending = b""

    def _parts(self, preamble: bytes, path: Path, closing: bytes) -> Iterator[bytes]:
        yield preamble
        sent = 0
        with path.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                sent += len(chunk)
                if self.progress:
                    self.progress(sent, self.size)
                yield chunk
        yield closing

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.pending) < size:
            piece = next(self.parts, None)
            if piece is None:
                break
            self.pending += piece
        if size < 0:
            size = len(self.pending)
        out, self.pending = self.pending[:size], self.pending[size:]
        return out


# --- the CLI's stored key ---------------------------------------------------------------------------------------

def credentials_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "druid-ingest" / "credentials.json"


def _stored() -> dict[str, Any]:
    path = credentials_file()
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def store_key(api_url: str, username: str, key: str) -> Path:
    """Keep the key for this API, in a file created 0600 (never readable by others, not even for a moment)."""
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = _stored()
    stored[api_url] = {"username": username, "api_key": key}
    descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(stored, out, indent=2)
    path.with_suffix(".tmp").replace(path)
    path.chmod(0o600)
    return path


def api_key_for(explicit: str | None, api_url: str) -> str | None:
    """The key to send: `explicit` (--api-key), else INGEST_API_KEY, else the one stored for this API."""
    if explicit:
        return explicit
    if os.environ.get("INGEST_API_KEY"):
        return os.environ["INGEST_API_KEY"]
    entry = _stored().get(api_url)
    return str(entry["api_key"]) if isinstance(entry, dict) and entry.get("api_key") else None
