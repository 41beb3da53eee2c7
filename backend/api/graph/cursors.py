"""Opaque cursors of the connections: a job's (created_at, id) and a row error's (row, id), base64url-encoded."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from backend.api.graph.errors import bad_input


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, kind: str) -> list[str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    prefix, _, rest = text.partition(":")
    if prefix != kind or "|" not in rest:
        raise bad_input("`after` is not a cursor of this list: pass an `endCursor` or `cursor` it gave.")
    return rest.split("|", 1)


def job_cursor(created_at: datetime, job_id: uuid.UUID) -> str:
    return _encode(f"job:{created_at.isoformat()}|{job_id}")


def read_job_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    when, job_id = _decode(cursor, "job")
    try:
        return datetime.fromisoformat(when), uuid.UUID(job_id)
    except ValueError:
        raise bad_input("`after` is not a cursor of this list: pass an `endCursor` or `cursor` it gave.") from None


def error_cursor(row: int, error_id: int) -> str:
    return _encode(f"err:{row}|{error_id}")


def read_error_cursor(cursor: str) -> tuple[int, int]:
    row, error_id = _decode(cursor, "err")
    try:
        return int(row), int(error_id)
    except ValueError:
        raise bad_input("`after` is not a cursor of this list: pass an `endCursor` or `cursor` it gave.") from None
