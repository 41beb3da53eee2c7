"""The storage janitor: removes what a process killed mid-write leaves in S3.

- Incomplete multipart uploads (an API killed mid-upload, a worker killed while staging) hold storage forever
  unless aborted; they are aborted once older than INGEST_JANITOR_MIN_AGE_S, long enough that no upload still
  in progress is touched.
- Raw uploads no job holds (stored, then the API died before the job row committed, or a refusal could not
  delete them) are deleted once that old, when INGEST_JANITOR_DELETE_ORPHANS says the bucket belongs to this
  database alone (a job of another database sharing the bucket would look like an orphan here).

Workers run a sweep every INGEST_JANITOR_INTERVAL_S, one at a time across processes; `druid-ingest janitor` runs
one by hand. Every removal is recorded in `storage_sweeps` (the metrics count them).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from backend.db import storage_sweeps_repository
from backend.db.session import session_scope
from backend.storage import keys
from backend.storage.object_store import ObjectStore

log = logging.getLogger("backend.janitor")

INCOMPLETE_UPLOAD = "incomplete_upload"
ORPHANED_RAW_OBJECT = "orphaned_raw_object"
ALL_PREFIXES = (keys.RAW_PREFIX, keys.STAGED_PREFIX, keys.REPORTS_PREFIX)


@dataclass
class SweepResult:
    ran: bool = True  # False when another process was sweeping
    aborted_uploads: list[str] = field(default_factory=list)
    deleted_objects: list[str] = field(default_factory=list)


_JOB_CHECK_BATCH = 1_000  # job ids asked of PostgreSQL at a time


def sweep_storage(
    store: ObjectStore, min_age: timedelta, prefixes: Sequence[str] = ALL_PREFIXES, *, delete_orphans: bool,
    now: datetime | None = None,
) -> SweepResult:
    """Abort incomplete uploads (and, with `delete_orphans`, delete raw objects no job holds) older than `min_age`
    under `prefixes`."""
    cutoff = (now or datetime.now(UTC)) - min_age
    result = SweepResult()
    with session_scope() as session:
        if not storage_sweeps_repository.try_lock_janitor(session):
            return SweepResult(ran=False)
        for prefix in prefixes:
            for upload in store.incomplete_uploads(prefix):
                if upload.initiated < cutoff:
                    store.abort_upload(upload)
                    result.aborted_uploads.append(upload.key)
            if delete_orphans and prefix.startswith(keys.RAW_PREFIX):
                batch: list[str] = []
                for stored in store.objects(prefix):
                    if stored.last_modified < cutoff:
                        batch.append(stored.key)
                    if len(batch) >= _JOB_CHECK_BATCH:
                        result.deleted_objects += _delete_orphans(store, session, batch)
                        batch = []
                result.deleted_objects += _delete_orphans(store, session, batch)
        storage_sweeps_repository.record_removed(session, INCOMPLETE_UPLOAD, result.aborted_uploads)
        storage_sweeps_repository.record_removed(session, ORPHANED_RAW_OBJECT, result.deleted_objects)
    if result.aborted_uploads or result.deleted_objects:
        log.info("storage swept", extra={"aborted_uploads": len(result.aborted_uploads),
                                         "deleted_objects": len(result.deleted_objects)})
    return result


def _delete_orphans(store: ObjectStore, session: Session, stale_keys: list[str]) -> list[str]:
    held = storage_sweeps_repository.existing_job_ids(
        session, [job_id for key in stale_keys if (job_id := keys.job_id_of(key)) is not None])
    orphans = [key for key in stale_keys if keys.job_id_of(key) not in held]
    for key in orphans:
        store.delete(key)
    return orphans


def abort_incomplete_staging(store: ObjectStore, job_id: uuid.UUID) -> None:
    """A resumed job's earlier staging attempt may have died mid-upload: abort what it left, whatever its age."""
    for upload in store.incomplete_uploads(keys.staged_prefix(job_id)):
        store.abort_upload(upload)
