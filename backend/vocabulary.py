"""The job vocabulary, declared once at the bottom of the import graph: states and the moves between them,
kinds, priorities, what to do with invalid rows, and append or replace.

Migration 0003 turns these into PostgreSQL enum types (their values in this order; Priority's member names), and
the API's OpenAPI document types the matching fields as enums, so every client sees the exact set.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class JobState(StrEnum):
    queued = "queued"
    validating = "validating"
    staging = "staging"
    submitting = "submitting"
    indexing = "indexing"
    succeeded = "succeeded"
    rejected = "rejected"
    failed = "failed"
    cancelled = "cancelled"


TERMINAL_STATES = frozenset({JobState.succeeded, JobState.rejected, JobState.failed, JobState.cancelled})
ACTIVE_STATES = frozenset(set(JobState) - TERMINAL_STATES)

# Forward steps of the spine; any non-terminal state may also end rejected/failed/cancelled.
_FORWARD: dict[JobState, frozenset[JobState]] = {
    JobState.queued: frozenset({JobState.validating}),
    JobState.validating: frozenset({JobState.staging}),
    JobState.staging: frozenset({JobState.submitting}),
    JobState.submitting: frozenset({JobState.indexing}),
    JobState.indexing: frozenset({JobState.succeeded}),
}
_ENDINGS = frozenset({JobState.rejected, JobState.failed, JobState.cancelled})


def allowed_sources(target: JobState) -> frozenset[JobState]:
    """The states a job may be in for a move to `target` to be legal."""
    sources = {state for state, nexts in _FORWARD.items() if target in nexts}
    if target in _ENDINGS:
        sources |= ACTIVE_STATES
    if target is JobState.queued:
        # A retry puts a failed job back in the queue.
        sources |= {JobState.failed}
    if target is JobState.submitting:
        # A Druid task lost with its indexer is submitted again, as the job's next attempt; a retried operation
        # (compaction, retraction: nothing to validate) goes straight back to waiting for a Druid slot.
        sources |= {JobState.indexing, JobState.failed}
    return frozenset(sources)


class JobKind(StrEnum):
    """What a job does: bring a file's rows into Druid, or an operation on rows already there. Every kind rides the
    same machinery (states, events, cancel, retry, Druid slot limits); the operations start at `submitting`."""

    ingest = "ingest"
    compaction = "compaction"  # rewrite a datasource's fragmented time chunks into fewer segments
    retraction = "retraction"  # remove exactly one ingest job's rows (reindex its days without them)


class Priority(IntEnum):
    """Stored and shown by name; PostgreSQL's job_priority enum orders LOW < MEDIUM < HIGH like these integers, so
    the queue orders by the column directly (bigger first)."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


class OnInvalid(StrEnum):
    reject = "reject"
    skip = "skip"


class Mode(StrEnum):
    # Upper-case member names: a member called `replace` would shadow str.replace.
    APPEND = "append"
    REPLACE = "replace"


class Role(StrEnum):
    """A user's role on one datasource; each includes the ones before it."""

    read = "read"  # its jobs, events, errors, rejects and schema
    upload = "upload"  # + uploads, records, cancel and retry of its jobs
    manage = "manage"  # + schema versions, settings, delete, grants, Druid operations

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


_ROLE_RANK = {Role.read: 1, Role.upload: 2, Role.manage: 3}


class Via(StrEnum):
    """How a request's caller proved who they are."""

    password = "password"  # noqa: S105 - the way of signing in, not a secret
    session = "session"  # the web page's cookie
    key = "key"
    sso = "sso"


@dataclass(frozen=True)
class Actor:
    """Who asked for a change, for the audit log (services record it; they never decide permissions with it)."""

    username: str | None
    via: Via | None
    client_address: str | None = None
    request_id: str | None = None
