"""Accepting an upload or a records body: stream it to storage, look at its first bytes, refuse a duplicate, and
record the queued job with its first event. Either the job is recorded or nothing is: a refusal after the bytes
were stored deletes them again.

A records body that ends within INGEST_RECORDS_INLINE_MAX_BYTES is not put in S3: it is kept in PostgreSQL in the
transaction that records its job and first event (one round of statements, one commit), so a program posting one
record at a time is answered in milliseconds. The job still names its raw key; nothing is stored under it
(backend.pipeline.raw_input reads either)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from anyio.to_thread import run_sync
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.orm import Session

from backend.db import audit_repository as audit
from backend.db import inline_bodies_repository, jobs_repository
from backend.db.inline_bodies_repository import QueuedInlineJob
from backend.db.models import Job
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError
from backend.formats.detect import HEAD_BYTES, detect_format
from backend.formats.file_format import FileFormat
from backend.pipeline.registry import live_datasource
from backend.pipeline.upload_options import UploadOptions, parse_option
from backend.storage import keys
from backend.storage.object_store import ObjectStore
from backend.storage.upload_stream import (
    StreamedBody,
    frame_json_records,
    stream_form_to_store,
    stream_json_records_to_store,
)
from backend.vocabulary import Actor, JobState

RECORDS_FILENAME = "records.json"
# The longest filename a job records, in characters: what common file systems allow, and plenty for a person.
MAX_FILENAME_CHARS = 255
_MAX_EXTENSION_CHARS = 16


@dataclass(frozen=True)
class AcceptedUpload:
    """What was stored and queued: the answer to the client."""

    job_id: uuid.UUID
    filename: str
    format: FileFormat
    size_bytes: int
    sha256: str
    options: UploadOptions
    schema_version: int = 0  # the version the job validates against, once recorded
    records: bool = False  # sent to the records endpoint (not as a file upload)


async def accept_form_upload(
    body: AsyncIterator[bytes], content_type: str, store: ObjectStore, *, max_file_bytes: int, actor: Actor,
    before_recording: Callable[[str], None] = lambda datasource: None,
) -> AcceptedUpload:
    """A multipart/form-data upload: the `file` part streamed to storage, the other fields its options.
    `before_recording(datasource)` runs once the form is read (its datasource field may follow the file): the
    route's permission check, which refuses by raising, and the stored bytes are deleted again."""
    job_id = uuid.uuid4()
    options = UploadOptions()

    def on_field(name: str, value: str) -> None:
        nonlocal options
        options = parse_option(options, name, value)

    form, writer = await stream_form_to_store(
        body, content_type, lambda filename: store.start_upload(keys.raw_key(job_id, filename)),
        max_file_bytes=max_file_bytes, head_bytes=HEAD_BYTES, on_field=on_field,
    )
    filename = recorded_filename(form.filename or "upload")

    async def record() -> AcceptedUpload:
        before_recording(options.datasource)
        accepted = AcceptedUpload(job_id, filename, sniff_format(form.head, form.size_bytes), form.size_bytes,
                                  form.sha256, options)
        version = await run_sync(_record_job, accepted, writer.key, actor)
        return replace(accepted, schema_version=version)

    return await _or_delete(store, writer.key, record)


async def accept_records(
    body: AsyncIterator[bytes], options: UploadOptions, store: ObjectStore, *, max_bytes: int, inline_max_bytes: int,
    actor: Actor, pool: AsyncConnectionPool | None = None,
) -> AcceptedUpload:
    """JSON records (one object or an array of objects), stored as a JSON array and ingested like a file: kept with
    the job in PostgreSQL when the body ends within `inline_max_bytes` (through `pool` when given: one statement,
    no thread), else streamed to S3."""
    job_id = uuid.uuid4()
    raw_key = keys.raw_key(job_id, RECORDS_FILENAME)
    chunks = aiter(body)
    head, ended = await _read_up_to(chunks, inline_max_bytes)
    if ended:
        return await _accept_inline(job_id, raw_key, bytes(head), options, max_bytes, pool, actor)
    await run_sync(_check_datasource, options)
    writer = store.start_upload(raw_key, "application/json")
    streamed = await stream_json_records_to_store(_continued(head, chunks), writer, max_bytes=max_bytes)

    async def record() -> AcceptedUpload:
        accepted = AcceptedUpload(job_id, RECORDS_FILENAME, FileFormat.json, streamed.size_bytes, streamed.sha256,
                                  options, records=True)
        version = await run_sync(_record_job, accepted, writer.key, actor)
        return replace(accepted, schema_version=version)

    return await _or_delete(store, writer.key, record)


async def _accept_inline(
    job_id: uuid.UUID, raw_key: str, body: bytes, options: UploadOptions, max_bytes: int,
    pool: AsyncConnectionPool | None, actor: Actor,
) -> AcceptedUpload:
    """A body that ended within the inline limit. The usual case, a well-formed body for a live datasource that
    is no duplicate, is one statement on the event loop; anything else (a refusal to explain, PostgreSQL not
    answering on the pool) takes the ordinary transaction in a thread, which says why in the order a streamed
    body meets the checks: the datasource's refusals, the body's, a duplicate's."""
    try:
        stored, streamed = frame_json_records(body, max_bytes=max_bytes)
    except IngestError:
        pool = None  # refused below, after whatever the datasource has to say
    if pool is not None:
        message, details = _first_event(streamed.size_bytes, streamed.sha256, raw_key, FileFormat.json, inline=True)
        queued = QueuedInlineJob(
            job_id=job_id, datasource=options.datasource, schema_version=options.schema_version,
            filename=RECORDS_FILENAME, format=FileFormat.json.value, size_bytes=streamed.size_bytes,
            sha256=streamed.sha256, raw_key=raw_key, priority=options.priority, on_invalid=options.on_invalid,
            mode=options.mode, force=options.force, body=stored, message=message, details=details, actor=actor,
        )
        try:
            version = await inline_bodies_repository.add_queued_inline_job(pool, queued)
        except (psycopg.OperationalError, PoolTimeout):
            # The pool's connections may be dead after a PostgreSQL restart: it drops them, and the ordinary path
            # (whose pool checks a connection before use) answers; it also finds the job if the statement was
            # committed before its answer was lost, so the job is recorded once.
            await pool.check()
        else:
            if version is not None:
                return _accepted_records(job_id, streamed, options, version)
    return await run_sync(_record_inline_job, job_id, raw_key, body, options, max_bytes, actor)


async def _read_up_to(chunks: AsyncIterator[bytes], limit: int) -> tuple[bytearray, bool]:
    """The body's first bytes, up to `limit` + 1: (them, whether the body ended within `limit`)."""
    head = bytearray()
    while len(head) <= limit:
        try:
            head += await anext(chunks)
        except StopAsyncIteration:
            return head, True
    return head, False


async def _continued(head: bytearray, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes | bytearray]:
    yield head
    async for chunk in rest:
        yield chunk


async def _or_delete(store: ObjectStore, key: str, record: Callable[[], Awaitable[AcceptedUpload]]) -> AcceptedUpload:
    try:
        return await record()
    except BaseException:
        # Nothing half-recorded: the job was not committed, so the stored object goes too.
        await run_sync(store.delete, key)
        raise


def recorded_filename(sent: str) -> str:
    """The filename a job records: what the client sent, with two exceptions.

    A NUL becomes U+FFFD, the replacement character (PostgreSQL text cannot hold NUL; undecodable bytes are already
    U+FFFD). A name over MAX_FILENAME_CHARS keeps its start and its extension around an ellipsis (U+2026).
    Anything else, control characters and escape sequences included, is kept as sent: the record says what the
    client sent, and every client shows it through one display function (backend.display).
    """
    name = sent.replace("\x00", "\ufffd")
    if len(name) <= MAX_FILENAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = f"{dot}{extension}" if stem and len(extension) < _MAX_EXTENSION_CHARS else ""
    return name[: MAX_FILENAME_CHARS - 1 - len(suffix)] + "\u2026" + suffix


def sniff_format(head: bytes, size_bytes: int) -> FileFormat:
    """The format the first bytes show, or an IngestError (empty_file, unsupported_format) to answer with now.

    The job records it; the worker reads the file as this format (its reader refuses what does not parse)."""
    if size_bytes == 0 or not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise IngestError(ErrorCode.empty_file, "The file is empty: it has no header row and no data.")
    return detect_format(head)


def _check_datasource(options: UploadOptions) -> None:
    with session_scope() as session:
        _intake_version(session, options)


def _intake_version(session: Session, options: UploadOptions) -> int:
    """The schema version a new job validates against: the current one, or an older one a producer pins. Refuses a
    deleted or unknown datasource, and a version it does not have. Reads the datasource's row only: parsing the
    version's definition is the worker's business (backend.pipeline.datasources.job_datasource)."""
    row = live_datasource(session, options.datasource)
    current = row.current_schema_version
    version = options.schema_version
    if version is None:
        return current
    if not 1 <= version <= current:
        raise IngestError(
            ErrorCode.invalid_field,
            f"Datasource `{row.name}` has schema versions 1 to {current}; got schema_version={version}.",
            {"field": "schema_version", "datasource": row.name, "current_version": current},
        )
    return version


def _record_job(accepted: AcceptedUpload, raw_key: str, actor: Actor) -> int:
    """The duplicate check, then the job row and its first event, in one transaction; answers the schema version
    the job validates against."""
    options = accepted.options
    with session_scope() as session:
        if not options.force:
            _refuse_duplicate(session, options.datasource, accepted.sha256)
        version = _intake_version(session, options)
        _add_queued_job(session, accepted, raw_key, version, actor)
        return version


def _record_inline_job(
    job_id: uuid.UUID, raw_key: str, body: bytes, options: UploadOptions, max_bytes: int, actor: Actor
) -> AcceptedUpload:
    """A records body that ended within the inline limit: the datasource's refusals, the body's (size, shape), a
    duplicate's, then the job row, its first event and its body, all in one transaction."""
    with session_scope() as session:
        version = _intake_version(session, options)
        stored, streamed = frame_json_records(body, max_bytes=max_bytes)
        recorded = jobs_repository.get_job(session, job_id)
        if recorded is not None:  # committed by the fast path, whose answer was lost
            return _accepted_records(job_id, streamed, options, recorded.schema_version)
        if not options.force:
            _refuse_duplicate(session, options.datasource, streamed.sha256)
        accepted = _accepted_records(job_id, streamed, options, version)
        _add_queued_job(session, accepted, raw_key, version, actor, inline_body=stored)
        return accepted


def _accepted_records(job_id: uuid.UUID, streamed: StreamedBody, options: UploadOptions,
                      version: int) -> AcceptedUpload:
    return AcceptedUpload(job_id, RECORDS_FILENAME, FileFormat.json, streamed.size_bytes, streamed.sha256, options,
                          version, records=True)


def _add_queued_job(
    session: Session, accepted: AcceptedUpload, raw_key: str, version: int, actor: Actor, *,
    inline_body: bytes | None = None,
) -> None:
    options = accepted.options
    job = Job(
        id=accepted.job_id,
        datasource=options.datasource,
        schema_version=version,
        filename=accepted.filename,
        format=accepted.format.value,
        size_bytes=accepted.size_bytes,
        sha256=accepted.sha256,
        raw_key=raw_key,
        priority=options.priority,
        on_invalid=options.on_invalid,
        mode=options.mode,
        state=JobState.queued,
        attempt=1,
        progress=0,
    )
    message, details = _first_event(accepted.size_bytes, accepted.sha256, raw_key, accepted.format,
                                    inline=inline_body is not None)
    details["schema_version"] = version
    jobs_repository.add_job(session, job, message, details)
    if inline_body is not None:
        inline_bodies_repository.add_inline_body(session, job.id, inline_body)
    audit.add(session, actor, intake_action(accepted.records), str(job.id),
              details={"datasource": options.datasource, "size_bytes": accepted.size_bytes})


def intake_action(records: bool) -> str:
    return "job.records" if records else "job.upload"


def _first_event(
    size_bytes: int, sha256: str, raw_key: str, fmt: FileFormat, *, inline: bool
) -> tuple[str, dict[str, Any]]:
    """The message and details of a queued job's first event (its schema version is added to the details)."""
    details: dict[str, Any] = {"size_bytes": size_bytes, "sha256": sha256, "raw_key": raw_key, "format": fmt.value}
    if not inline:
        return f"Upload stored ({size_bytes} bytes); waiting for a worker", details
    # Nothing is stored under raw_key: the body is kept with the job (backend.pipeline.raw_input).
    details["stored_inline"] = True
    return f"Records stored with the job ({size_bytes} bytes); waiting for a worker", details


def _refuse_duplicate(session: Session, datasource: str, sha256: str) -> None:
    """The same bytes sent to the same datasource again are refused, naming the earlier job (unless forced)."""
    earlier = jobs_repository.find_by_sha256(session, datasource, sha256)
    if earlier is not None:
        raise IngestError(
            ErrorCode.duplicate_upload,
            f"This file (sha256 {sha256[:12]}...) was already uploaded to `{datasource}` as job {earlier.id} "
            f"({earlier.state}). Send force=true to ingest it again.",
            {"job_id": str(earlier.id), "state": earlier.state, "sha256": sha256},
        )
