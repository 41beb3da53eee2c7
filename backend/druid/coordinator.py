"""The Druid Coordinator's automatic-compaction config, per datasource: read, write, remove."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from backend.errors import ErrorCode, IngestError

_PATH = "/druid/coordinator/v1/config/compaction"


class CoordinatorClient:
    def __init__(self, base_url: str, timeout_s: float, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = session or requests.Session()

    def _request(self, method: str, path: str, what: str, ok: set[int], **kwargs: Any) -> requests.Response:
        try:
            response = self.http.request(method, f"{self.base_url}{path}", timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise IngestError(ErrorCode.druid_unavailable, f"Druid Coordinator unreachable: {exc}") from exc
        if response.status_code not in ok:
            raise IngestError(ErrorCode.druid_unavailable,
                              f"Druid Coordinator answered {response.status_code} to {what}",
                              {"status": response.status_code, "body": response.text[:2000]})
        return response

    def compaction_config(self, druid_datasource: str) -> dict[str, Any] | None:
        """The datasource's automatic-compaction config as the Coordinator holds it, or None when it has none."""
        response = self._request("GET", f"{_PATH}/{quote(druid_datasource, safe='')}", "a compaction config read",
                                 {200, 404})
        if response.status_code == 404:
            return None
        body: dict[str, Any] = response.json()
        return body

    def set_compaction_config(self, config: dict[str, Any]) -> None:
        self._request("POST", _PATH, "a compaction config write", {200}, json=config)

    def remove_compaction_config(self, druid_datasource: str) -> None:
        self._request("DELETE", f"{_PATH}/{quote(druid_datasource, safe='')}", "a compaction config removal",
                      {200, 404})
