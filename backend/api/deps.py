"""Request-scoped dependencies as Annotated aliases: one session per request, committed or rolled back here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from backend.db.session import session_scope
from backend.settings import Settings, get_settings
from backend.storage.object_store import ObjectStore, get_object_store


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# scope="function": the transaction ends before the response is sent. FastAPI's default ends a `yield`
# dependency after sending, so a client could be told "cancelled" or "queued", read the job at once and still see
# the old state (or be told of a change whose commit then failed).
SessionDep = Annotated[Session, Depends(_session, scope="function")]


async def _settings() -> Settings:
    return get_settings()


async def _store() -> ObjectStore:
    if get_object_store.cache_info().currsize:
        return get_object_store()
    return await run_in_threadpool(get_object_store)  # the first time: building a boto3 client takes a while


# Async: FastAPI runs a plain function dependency in its thread pool, and a thread hop per request for what is a
# cached object cost the hottest endpoints (records at any rate: issue 14) more than their own work.
SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[ObjectStore, Depends(_store)]
