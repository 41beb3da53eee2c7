"""Response bodies of the HTTP API: the public contract that scripts and the web page rely on."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from backend.pipeline.intake import AcceptedUpload
from backend.vocabulary import JobKind, JobState, Mode, OnInvalid

# The names of backend.vocabulary.Priority, highest first (a unit test holds the two together): what clients send
# and see, and what the jobs table stores.
PriorityName = Literal["HIGH", "MEDIUM", "LOW"]


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable reason, e.g. file_too_large")
    message: str = Field(description="What went wrong and what to do about it")
    details: dict[str, Any] = Field(default_factory=dict)


class JobOptions(BaseModel):
    on_invalid: OnInvalid
    mode: Mode


class UploadAccepted(BaseModel):
    job_id: uuid.UUID
    state: JobState
    datasource: str
    schema_version: int = Field(description="The schema version the job validates against")
    filename: str
    format: str | None
    size_bytes: int
    sha256: str
    priority: PriorityName
    options: JobOptions
    links: dict[str, str]


def render_accepted(accepted: AcceptedUpload) -> UploadAccepted:
    """The 202 answer to an upload or a records body."""
    job_id, options = accepted.job_id, accepted.options
    return UploadAccepted(
        job_id=job_id,
        state=JobState.queued,
        datasource=options.datasource,
        schema_version=accepted.schema_version,
        filename=accepted.filename,
        format=accepted.format.value,
        size_bytes=accepted.size_bytes,
        sha256=accepted.sha256,
        priority=options.priority.name,
        options=JobOptions(on_invalid=options.on_invalid, mode=options.mode),
        links={"self": f"/api/v1/jobs/{job_id}", "errors": f"/api/v1/jobs/{job_id}/errors"},
    )


class JobEventOut(BaseModel):
    state: JobState
    at: datetime
    message: str
    details: dict[str, Any]


class JobSummary(BaseModel):
    job_id: uuid.UUID
    kind: JobKind = Field(description="ingest (a file's rows into Druid), compaction or retraction (operations on "
                                      "rows already in Druid)")
    state: JobState
    code: str | None
    message: str | None
    datasource: str
    schema_version: int = Field(description="The schema version the job validates against")
    filename: str
    format: str | None
    size_bytes: int
    sha256: str
    priority: PriorityName
    options: JobOptions
    rows_total: int | None
    rows_valid: int | None
    rows_invalid: int | None
    progress: int = Field(ge=0, le=100)
    druid_task_id: str | None
    druid_row_stats: dict[str, Any] | None
    druid_rows: int | None = Field(description="The receipt: rows Druid SQL returns for this job")
    attempt: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    retraction_of: uuid.UUID | None = Field(description="A retraction's ingest job")
    retracted_by: uuid.UUID | None = Field(description="On an ingest job: the retraction that removed its rows")
    operation: dict[str, Any] | None = Field(
        description="A compaction's or retraction's parameters and what it measured: the interval, rows and "
                    "segments before and after (compaction), the target's and the other rows (retraction)")


class JobDetail(JobSummary):
    events: list[JobEventOut]


class JobList(BaseModel):
    total: int
    items: list[JobSummary]


class RowErrorOut(BaseModel):
    row: int
    column: str
    rule: str
    value: str | None
    message: str


class ErrorList(BaseModel):
    total: int
    items: list[RowErrorOut]


class QueueStage(BaseModel):
    jobs: int = Field(description="Jobs in this stage now")
    oldest_wait_s: float | None = Field(
        description="Seconds the longest-waiting job of this stage has been in it; null when the stage is empty"
    )


class DruidQueueStage(QueueStage):
    druid_tasks: int = Field(description="Druid tasks these jobs ride in: coalesced jobs share one")


class QueueProgressOut(BaseModel):
    """Unfinished jobs by where they are in the pipeline."""

    waiting_validation: QueueStage = Field(description="Queued: waiting for a worker to validate them")
    validating: QueueStage = Field(description="Being validated or staged by a worker")
    waiting_druid: QueueStage = Field(
        description="Staged, waiting for a Druid task (a free slot, or the window in which small jobs coalesce)"
    )
    in_druid: DruidQueueStage = Field(description="Submitted: a Druid task is ingesting their rows")


class Health(BaseModel):
    status: Literal["ok"]
    active_jobs: int | None = Field(default=None, description="Jobs a worker is on; null if Postgres did not answer")
    queue_depth: dict[PriorityName, int] | None = Field(
        default=None, description="Queued jobs by priority; null if Postgres did not answer"
    )
    queue: QueueProgressOut | None = Field(
        default=None, description="Jobs waiting and in progress by stage, with the oldest wait; null if Postgres did "
        "not answer"
    )


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]
