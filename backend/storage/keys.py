"""Where each object of a job lives in the bucket. One place, so the layout is documented by code."""

from __future__ import annotations

import re
import uuid

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(filename: str) -> str:
    """A name safe as the last part of a key: no path, no traversal, no control characters, bounded length."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._") or "upload"
    return cleaned[-120:]


RAW_PREFIX = "raw/"
STAGED_PREFIX = "staged/"
REPORTS_PREFIX = "reports/"


def raw_key(job_id: uuid.UUID, filename: str) -> str:
    return f"{RAW_PREFIX}{job_id}/{safe_filename(filename)}"


def job_id_of(key: str) -> uuid.UUID | None:
    """The job a key belongs to (raw/, staged/ or reports/<job id>/...), or None if it names none."""
    parts = key.split("/", 2)
    if len(parts) < 3:
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


def staged_prefix(job_id: uuid.UUID) -> str:
    return f"{STAGED_PREFIX}{job_id}/"


def staged_key(job_id: uuid.UUID, attempt: int, extension: str) -> str:
    """The staged rows of one attempt; `extension` says their format (backend.pipeline.staging.StagedFormat)."""
    return f"{staged_prefix(job_id)}attempt-{attempt}/rows.{extension}"


def staged_batch_key(batch_id: uuid.UUID, extension: str) -> str:
    """The staged rows of records posts validated together (backend.pipeline.record_batch): one object for all."""
    return f"{STAGED_PREFIX}records-{batch_id}/rows.{extension}"


def rejects_key(job_id: uuid.UUID) -> str:
    return f"reports/{job_id}/rejects.csv"


def errors_key(job_id: uuid.UUID) -> str:
    return f"reports/{job_id}/errors.csv"
