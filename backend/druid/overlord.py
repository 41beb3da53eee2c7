"""The Druid Overlord's task API: submit, status, reports, shutdown. Answers are parsed into small values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from backend.errors import ErrorCode, IngestError

_REASON_CHARS = 200
_BODY_IN_DETAILS = 2000


def _json_error(response: requests.Response) -> str:
    """Druid's `{"error": "..."}` message, first line, shortened; empty when the body is not that."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, str) or not error.strip():
        return ""
    return error.strip().splitlines()[0][:_REASON_CHARS]


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    status: str  # RUNNING | SUCCESS | FAILED
    runner_status: str | None  # PENDING | RUNNING | WAITING | NONE
    error_message: str | None
    duration_ms: int | None

    @property
    def is_complete(self) -> bool:
        return self.status in {"SUCCESS", "FAILED"}


class OverlordClient:
    def __init__(self, base_url: str, timeout_s: float, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = session or requests.Session()

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.http.request(method, f"{self.base_url}{path}", timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise IngestError(ErrorCode.druid_unavailable, f"Druid Overlord unreachable: {exc}") from exc

    @staticmethod
    def _unavailable(response: requests.Response, what: str) -> IngestError:
        """A short reason for events and people (Druid's own `error` when it sent JSON); the body, capped, in the
        details: a proxy's or Jetty's HTML error page must not become a job's message."""
        reason = _json_error(response)
        return IngestError(
            ErrorCode.druid_unavailable,
            f"Druid Overlord answered {response.status_code} to {what}" + (f": {reason}" if reason else ""),
            {"status": response.status_code, "body": response.text[:_BODY_IN_DETAILS]},
        )

    def submit_task(self, spec: dict[str, Any]) -> str:
        """POST a task spec; returns the task id Druid accepted."""
        response = self._request("POST", "/druid/indexer/v1/task", json=spec)
        if response.status_code == 200:
            return str(response.json()["task"])
        if 400 <= response.status_code < 500:
            raise IngestError(
                ErrorCode.druid_task_failed,
                f"Druid refused the ingestion spec ({response.status_code}): {response.text[:500]}",
                {"status": response.status_code},
            )
        raise self._unavailable(response, "a task submission")

    def task_status(self, task_id: str) -> TaskStatus | None:
        """The task's status, or None if the Overlord does not know the id."""
        response = self._request("GET", f"/druid/indexer/v1/task/{quote(task_id, safe='')}/status")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._unavailable(response, "a status request")
        status = response.json().get("status") or {}
        return TaskStatus(
            task_id=task_id,
            status=str(status.get("status") or status.get("statusCode") or "RUNNING"),
            runner_status=status.get("runnerStatusCode"),
            error_message=status.get("errorMsg"),
            duration_ms=status.get("duration"),
        )

    def task_report(self, task_id: str) -> dict[str, Any] | None:
        """The `ingestionStatsAndErrors` payload once the task is complete, else None."""
        response = self._request("GET", f"/druid/indexer/v1/task/{quote(task_id, safe='')}/reports")
        if response.status_code != 200:
            return None
        try:
            payload = response.json()["ingestionStatsAndErrors"]["payload"]
        except (ValueError, KeyError, TypeError):
            return None
        return payload if isinstance(payload, dict) else None

    def shutdown_task(self, task_id: str) -> None:
        response = self._request("POST", f"/druid/indexer/v1/task/{quote(task_id, safe='')}/shutdown")
        if response.status_code not in {200, 404}:
            raise self._unavailable(response, "a shutdown request")

    def check_leader(self) -> None:
        response = self._request("GET", "/druid/indexer/v1/isLeader")
        if response.status_code != 200 or not response.json().get("leader"):
            raise self._unavailable(response, "the leader check")


def build_segments_stats(report: dict[str, Any]) -> dict[str, int]:
    """Row stats of the build-segments phase, whichever of Druid's two report shapes (parallel/sequential)."""
    row_stats = report.get("rowStats") or {}
    build = (row_stats.get("totals") or row_stats).get("buildSegments") or {}
    return {key: int(build.get(key, 0)) for key in ("processed", "processedWithError", "thrownAway", "unparseable")}
