"""Accepting a request to operate on rows already in Druid: a compaction of a datasource's fragmented chunks, or
the retraction of one ingest job's rows. Each becomes a job (its kind says which) that waits for a Druid slot
like any staged upload; backend.pipeline.druid_operations runs it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from backend.db import audit_repository as audit
from backend.db import jobs_repository
from backend.db.models import Job
from backend.druid.period_rows import chunk_span, job_span
from backend.druid.spec import replace_intervals
from backend.druid.sql import BrokerSqlClient
from backend.errors import ErrorCode, IngestError
from backend.pipeline.datasources import job_datasource
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.pipeline.registry import live_datasource
from backend.pipeline.segment_health import segment_health
from backend.vocabulary import Actor, JobKind, JobState, Mode, OnInvalid, Priority


def request_compaction(
    session: Session, name: str, start: datetime | None, end: datetime | None, target_rows_per_segment: int | None,
    actor: Actor,
) -> Job:
    """A compaction job for the fragmented chunks of [start, end): one Druid `compact` task over the interval
    from the first of them to the end of the last. 409 when none is fragmented, or another operation on the
    datasource has not ended."""
    live_datasource(session, name)  # unknown or deleted: refused before asking Druid anything
    health = segment_health(name, start, end, target_rows_per_segment)
    fragmented = [chunk for chunk in health.chunks if chunk.verdict == "fragmented"]
    if not fragmented:
        raise IngestError(
            ErrorCode.conflict,
            f"No time chunk of `{name}` in this window is fragmented (of {len(health.chunks)} chunks, judged "
            f"against {health.target_rows_per_segment:,} rows per segment): nothing to compact.",
            {"datasource": name, "chunks": len(health.chunks),
             "target_rows_per_segment": health.target_rows_per_segment})
    # Locked only now, for the checks and the insert: a lock held while Druid answers would hold up every upload
    # to the datasource (a new job's foreign key waits for it).
    row = live_datasource(session, name, for_update=True)
    refuse_while_rewritten(session, name, replaces_too=False)
    registered = job_datasource(name, row.current_schema_version)
    # Whole periods of the granularity the compaction writes: Druid 25 compacts an interval that splits one of its
    # new segments, and the new segment would then overshadow the rest of its period.
    interval = replace_intervals(_instant(fragmented[0].start), _instant(fragmented[-1].end) - _LAST_MOMENT,
                                 registered.schema.granularity.segment)[0]
    operation: dict[str, Any] = {"interval": interval, "target_rows_per_segment": target_rows_per_segment,
                                 "fragmented_chunks": len(fragmented),
                                 "fragmented_segments": sum(chunk.segments for chunk in fragmented)}
    job = _operation_job(JobKind.compaction, name, row.current_schema_version, f"compaction of {interval}",
                         Priority.LOW, operation)
    jobs_repository.add_job(
        session, job,
        f"Compaction requested: {len(fragmented)} fragmented chunk{'s' if len(fragmented) != 1 else ''} "
        f"({operation['fragmented_segments']} segments) in {interval}; waiting for a Druid slot", operation)
    audit.add(session, actor, "datasource.compact", name, details={"job_id": str(job.id), "interval": interval})
    return job


def request_retraction(session: Session, job_id: uuid.UUID, actor: Actor, broker: BrokerSqlClient) -> Job:
    """A retraction job for an ingest job's rows: the periods they span (whole segment periods) are reindexed
    from Druid without them. 409 when the job cannot be retracted (not a succeeded ingest job, retracted or being
    retracted already, its rows gone), or while another job rewrites the datasource's periods."""
    target = jobs_repository.get_job(session, job_id, for_update=True)
    if target is None:
        raise IngestError(ErrorCode.not_found, f"No job with id {job_id}.", {"job_id": str(job_id)})
    refuse_unretractable(session, target)
    current = live_datasource(session, target.datasource).current_schema_version
    registered = job_datasource(target.datasource, current)
    span = job_span(broker, registered.druid_datasource, LINEAGE_COLUMN, str(target.id))
    if span is None:
        raise IngestError(
            ErrorCode.conflict,
            f"Druid holds no rows of job {target.id} any more (a later replace of its periods removed them): "
            "nothing to retract.", {"job_id": str(target.id)})
    # The chunks of the segments holding them, whole (a compaction rewrites whole segments, each keeping its own
    # granularity, which may not be the one the schema declares now).
    interval = (chunk_span(broker, registered.druid_datasource, span[0], span[1] + _LAST_MOMENT)
                or replace_intervals(span[0], span[1], registered.schema.granularity.segment)[0])
    row = live_datasource(session, target.datasource, for_update=True)
    refuse_while_rewritten(session, target.datasource, replaces_too=True)
    operation: dict[str, Any] = {"interval": interval, "target_job_id": str(target.id)}
    job = _operation_job(JobKind.retraction, target.datasource, row.current_schema_version,
                         f"retraction of {target.filename}", Priority.MEDIUM, operation)
    job.target_job_id = target.id
    jobs_repository.add_job(session, job, f"Retraction of job {target.id} requested: {interval} will be rewritten "
                                          "without its rows; waiting for a Druid slot", operation)
    audit.add(session, actor, "job.retract", str(target.id), details={"job_id": str(job.id), "interval": interval})
    return job


_LAST_MOMENT = timedelta(milliseconds=1)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def refuse_unretractable(session: Session, target: Job, *, retrying: uuid.UUID | None = None) -> None:
    def refuse(why: str, **details: Any) -> IngestError:
        return IngestError(ErrorCode.conflict, f"Job {target.id} cannot be retracted: {why}",
                           {"job_id": str(target.id), "state": target.state, **details})

    if target.kind is not JobKind.ingest:
        raise refuse(f"it is a {target.kind} job; only an ingest job's rows can be retracted.")
    if target.retracted_by is not None:
        raise refuse(f"it was retracted already, by job {target.retracted_by}.",
                     retracted_by=str(target.retracted_by))
    if target.state != JobState.succeeded:
        raise refuse(f"it is {target.state}; only a succeeded job has rows in Druid.")
    pending = jobs_repository.pending_retraction(session, target.id)
    if pending is not None and pending.id != retrying:
        raise refuse(f"retraction {pending.id} of it is {pending.state}.", retraction=str(pending.id))


def refuse_while_rewritten(session: Session, datasource: str, *, replaces_too: bool,
                           retrying: uuid.UUID | None = None) -> None:
    other = jobs_repository.unfinished_rewrite(session, datasource, replaces_too=replaces_too, exclude=retrying)
    if other is not None:
        what = "replace upload" if other.kind is JobKind.ingest else other.kind.value
        raise IngestError(
            ErrorCode.conflict,
            f"Job {other.id} ({what}, {other.state}) is rewriting periods of `{datasource}`; try again once it "
            "has ended.", {"datasource": datasource, "job_id": str(other.id), "kind": other.kind})


def _operation_job(kind: JobKind, datasource: str, version: int, name: str, priority: Priority,
                   operation: dict[str, Any]) -> Job:
    """A job with nothing to validate: it starts waiting for a Druid slot, in a task of its own."""
    return Job(
        id=uuid.uuid4(), kind=kind, datasource=datasource, schema_version=version, filename=name, format=None,
        size_bytes=0, sha256="", raw_key="", priority=priority, on_invalid=OnInvalid.reject, mode=Mode.REPLACE,
        state=JobState.submitting, attempt=1, progress=0, druid_solo=True, ready_at=func.now(), operation=operation,
    )
