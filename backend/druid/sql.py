"""Druid SQL through the broker: used for the receipt (the rows Druid returns for a job)."""

from __future__ import annotations

from typing import Any

import requests

from backend.errors import ErrorCode, IngestError


class BrokerSqlClient:
    def __init__(self, base_url: str, timeout_s: float, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = session or requests.Session()

    def query(self, sql: str, parameters: list[Any] | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"query": sql, "resultFormat": "object"}
        if parameters:
            body["parameters"] = [_sql_parameter(value) for value in parameters]
        try:
            response = self.http.post(f"{self.base_url}/druid/v2/sql", json=body, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise IngestError(ErrorCode.druid_unavailable, f"Druid broker unreachable: {exc}") from exc
        if response.status_code != 200:
            raise IngestError(
                ErrorCode.druid_unavailable,
                f"Druid SQL answered {response.status_code}: {response.text[:300]}",
                {"status": response.status_code},
            )
        rows = response.json()
        return rows if isinstance(rows, list) else []


def _sql_parameter(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"type": "BOOLEAN", "value": value}
    if isinstance(value, int):
        return {"type": "BIGINT", "value": value}
    if isinstance(value, float):
        return {"type": "DOUBLE", "value": value}
    return {"type": "VARCHAR", "value": str(value)}


def quoted_identifier(name: str) -> str:
    """`name` as a Druid SQL identifier: in double quotes, a double quote inside doubled."""
    return '"' + name.replace('"', '""') + '"'
