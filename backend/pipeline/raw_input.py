"""Where a job's raw input is: an object in S3 under its raw key, or, for a small records post, its body kept in
PostgreSQL with the job (backend.pipeline.intake). The worker reads it through here, whichever it is."""

from __future__ import annotations

from pathlib import Path

from backend.db import inline_bodies_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.storage.object_store import ObjectStore


def fetch_raw(store: ObjectStore, job: Job, dest: Path) -> None:
    """Write the job's raw input to `dest`: the body kept with the job, else the object at `job.raw_key`."""
    with session_scope() as session:
        body = inline_bodies_repository.inline_body(session, job.id)
    if body is not None:
        dest.write_bytes(body)
        return
    store.download_file(job.raw_key, dest)
