"""submitting -> indexing: take a Druid slot, build the index_parallel spec and hand it to the Overlord exactly once."""

from __future__ import annotations

from backend.db.druid_slots_repository import try_take_druid_slot
from backend.db.models import Job
from backend.db.session import session_scope
from backend.druid.spec import build_index_parallel_spec, priority_for
from backend.pipeline.context import LeaseLost, StepContext
from backend.pipeline.datasources import job_datasource
from backend.pipeline.lineage import LINEAGE_COLUMN
from backend.vocabulary import JobState, Mode

PROGRESS_SUBMITTED = 75
_SLOT_POLL_S = 0.5


def druid_task_id(job: Job) -> str:
    """Derived from the job and its attempt: a resumed job finds its task instead of creating a second one."""
    return f"druid-ingest_{job.datasource}_{job.id}_attempt-{job.attempt}"


def submit(ctx: StepContext, job: Job) -> None:
    task_id = druid_task_id(job)
    if job.druid_task_id is None and not _take_slot(ctx, job, task_id):
        return  # still waiting; the worker runs this step again
    # The Overlord refuses a duplicate id with a 400, so ask first: a worker that died after submitting
    # left a task that this attempt must adopt, not repeat.
    existing = ctx.overlord.task_status(task_id)
    if existing is None:
        registered = job_datasource(job.datasource, job.schema_version)
        spec = build_index_parallel_spec(
            registered.schema,
            datasource=registered.druid_datasource,
            task_id=task_id,
            input_uris=[ctx.store.uri(key) for key in job.staged_keys or []],
            append=job.mode == Mode.APPEND,
            replace_intervals=job.replace_intervals if job.mode == Mode.REPLACE else None,
            priority=priority_for(job.priority.name),
            extra_string_dimensions=[LINEAGE_COLUMN],
        )
        ctx.check_lease()
        ctx.overlord.submit_task(spec)
        message = f"Submitted Druid task {task_id}"
    else:
        message = f"Druid task {task_id} was already submitted ({existing.status}); following it"
    try:
        ctx.transition(
            job.id,
            JobState.indexing,
            message,
            {"task_id": task_id, "datasource": job.datasource, "inputs": job.staged_keys},
            druid_task_id=task_id,
            progress=PROGRESS_SUBMITTED,
        )
    except LeaseLost:
        # Cancelled (or taken over) while the task was being submitted: a cancelled job must not land rows.
        if ctx.load_state(job.id) == JobState.cancelled:
            ctx.overlord.shutdown_task(task_id)
        raise


def _take_slot(ctx: StepContext, job: Job, task_id: str) -> bool:
    settings = ctx.settings
    with session_scope() as session:
        decision = try_take_druid_slot(
            session, job.id, task_id, ctx.worker_id,
            max_running=settings.druid_max_running_tasks, min_interval_s=settings.druid_min_submit_interval_s,
        )
    if decision.granted:
        return True
    if job.id not in ctx.waiting_noted:
        ctx.waiting_noted.add(job.id)
        reason = decision.wait_reason
        ctx.add_event(job.id, JobState.submitting, f"Waiting for a Druid slot: {reason}", {"reason": reason})
    ctx.lease_lost.wait(_SLOT_POLL_S)
    ctx.check_lease()
    return False
