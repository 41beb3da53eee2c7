"""What one GraphQL request's resolvers share: who is asking (and so which datasources they may read), and the
batch loaders that turn every job's `events` or `errors` in a query into one SQL statement each."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from backend.api.access.permissions import readable_by
from backend.api.access.principal import Principal
from backend.db import graph_reads_repository as reads
from backend.db.models import JobError, JobEvent, SchemaVersion
from backend.db.session import session_scope

T = TypeVar("T")
ErrorsKey = tuple[uuid.UUID, int, tuple[int, int] | None]  # job, page size (+1 to know of a next), after


async def read(query: Callable[..., T], *args: object) -> T:
    """A read in a session of its own, off the event loop (the database driver blocks)."""
    def run() -> T:
        with session_scope() as session:
            return query(session, *args)

    return await run_in_threadpool(run)


async def _events(job_ids: list[uuid.UUID]) -> list[list[JobEvent]]:
    found = await read(reads.events_of, job_ids)
    return [found.get(job_id, []) for job_id in job_ids]


async def _errors(keys: list[ErrorsKey]) -> list[list[JobError]]:
    pages: dict[ErrorsKey, list[JobError]] = {}
    groups: dict[tuple[int, tuple[int, int] | None], list[uuid.UUID]] = defaultdict(list)
    for job_id, limit, after in keys:
        groups[(limit, after)].append(job_id)
    for (limit, after), job_ids in groups.items():  # one statement per distinct page asked for (usually one)
        found = await read(reads.errors_of, job_ids, limit, after)
        for job_id in job_ids:
            pages[(job_id, limit, after)] = found.get(job_id, [])
    return [pages[key] for key in keys]


async def _versions(names: list[str]) -> list[list[SchemaVersion]]:
    found = await read(reads.versions_of, names)
    return [found.get(name, []) for name in names]


@dataclass
class GraphContext:
    principal: Principal | None
    events: DataLoader[uuid.UUID, list[JobEvent]] = field(default_factory=lambda: DataLoader(load_fn=_events))
    errors: DataLoader[ErrorsKey, list[JobError]] = field(default_factory=lambda: DataLoader(load_fn=_errors))
    versions: DataLoader[str, list[SchemaVersion]] = field(default_factory=lambda: DataLoader(load_fn=_versions))

    @property
    def readable(self) -> frozenset[str] | None:
        """The datasources the caller may read; None: every one (an admin, or access control off)."""
        return readable_by(self.principal)

    def may_read(self, datasource: str) -> bool:
        readable = self.readable
        return readable is None or datasource in readable
