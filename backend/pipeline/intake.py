"""Accepting an upload: parse the form's options and record the job (queued) with its first event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy.orm import Session

from backend.db import jobs_repository
from backend.db.models import Job
from backend.errors import ErrorCode, IngestError
from backend.pipeline.datasources import load_datasource
from backend.vocabulary import JobState, Mode, OnInvalid, Priority

FORM_FIELDS = ("datasource", "on_invalid", "mode", "priority", "force")
_E = TypeVar("_E", OnInvalid, Mode)


@dataclass(frozen=True)
class UploadOptions:
    datasource: str = "sales"
    on_invalid: OnInvalid = OnInvalid.reject
    mode: Mode = Mode.APPEND
    priority: Priority = Priority.MEDIUM


def parse_option(options: UploadOptions, name: str, value: str) -> UploadOptions:
    """Apply one form field to the options, refusing unknown fields and values with the field named."""
    if name == "datasource":
        if not value:
            raise _bad(name, "must not be empty", value)
        return replace(options, datasource=value)
    if name == "on_invalid":
        return replace(options, on_invalid=_choice(OnInvalid, name, value.lower()))
    if name == "mode":
        return replace(options, mode=_choice(Mode, name, value.lower()))
    if name == "priority":
        try:
            return replace(options, priority=Priority[value.upper()])
        except KeyError:
            raise _bad(name, "must be one of HIGH, MEDIUM, LOW", value) from None
    if name == "force":
        parse_flag(name, value)
        return options
    raise IngestError(
        ErrorCode.invalid_field,
        f"Unknown form field `{name}`. Allowed: file, {', '.join(FORM_FIELDS)}.",
        {"field": name},
    )


def _choice(enum: type[_E], name: str, value: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise _bad(name, f"must be one of {allowed}", value) from None


def parse_flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no", ""}:
        return False
    raise _bad(name, "must be true or false", value)


def refuse_duplicate(session: Session, datasource: str, sha256: str) -> None:
    """The same bytes sent to the same datasource again are refused, naming the earlier job (unless forced)."""
    earlier = jobs_repository.find_by_sha256(session, datasource, sha256)
    if earlier is not None:
        raise IngestError(
            ErrorCode.duplicate_upload,
            f"This file (sha256 {sha256[:12]}...) was already uploaded to `{datasource}` as job {earlier.id} "
            f"({earlier.state}). Send force=true to ingest it again.",
            {"job_id": str(earlier.id), "state": earlier.state, "sha256": sha256},
        )


def _bad(name: str, rule: str, value: str) -> IngestError:
    return IngestError(ErrorCode.invalid_field, f"Field `{name}` {rule}; got {value[:80]!r}.", {"field": name})


@dataclass(frozen=True)
class StoredUpload:
    job_id: uuid.UUID
    filename: str
    raw_key: str
    size_bytes: int
    sha256: str
    detected_format: str | None


def create_job(session: Session, upload: StoredUpload, options: UploadOptions) -> Job:
    """Record a queued job for a stored upload; the job row and its first event commit together."""
    datasource = load_datasource(session, options.datasource)
    job = Job(
        id=upload.job_id,
        datasource=datasource.name,
        schema_version=datasource.version,
        filename=upload.filename,
        format=upload.detected_format,
        size_bytes=upload.size_bytes,
        sha256=upload.sha256,
        raw_key=upload.raw_key,
        priority=int(options.priority),
        on_invalid=options.on_invalid.value,
        mode=options.mode.value,
        state=JobState.queued.value,
        attempt=1,
        progress=0,
    )
    jobs_repository.add_job(
        session,
        job,
        f"Upload stored ({upload.size_bytes} bytes); waiting for a worker",
        {"size_bytes": upload.size_bytes, "sha256": upload.sha256, "raw_key": upload.raw_key,
         "format": upload.detected_format},
    )
    return job
