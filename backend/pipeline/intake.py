"""Accepting an upload or a records body: stream it to storage, look at its first bytes, refuse a duplicate, and
record the queued job with its first event. Either the job is recorded or nothing is: a refusal after the bytes
were stored deletes them again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

from anyio.to_thread import run_sync
from sqlalchemy.orm import Session

from backend.db import jobs_repository
from backend.db.models import Job
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError
from backend.formats.detect import HEAD_BYTES, detect_format
from backend.formats.file_format import FileFormat
from backend.pipeline.datasources import datasource_for_intake
from backend.pipeline.upload_options import UploadOptions, parse_option
from backend.storage import keys
from backend.storage.object_store import ObjectStore
from backend.storage.upload_stream import stream_form_to_store, stream_json_records_to_store
from backend.vocabulary import JobState

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


async def accept_form_upload(
    body: AsyncIterator[bytes], content_type: str, store: ObjectStore, *, max_file_bytes: int
) -> AcceptedUpload:
    """A multipart/form-data upload: the `file` part streamed to storage, the other fields its options."""
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
        accepted = AcceptedUpload(job_id, filename, sniff_format(form.head, form.size_bytes), form.size_bytes,
                                  form.sha256, options)
        version = await run_sync(_record_job, accepted, writer.key)
        return replace(accepted, schema_version=version)

    return await _or_delete(store, writer.key, record)


async def accept_records(
    body: AsyncIterator[bytes], options: UploadOptions, store: ObjectStore, *, max_bytes: int
) -> AcceptedUpload:
    """JSON records (one object or an array of objects), stored as a JSON array and ingested like a file."""
    await run_sync(_check_datasource, options)  # before a byte of the body is read
    job_id = uuid.uuid4()
    writer = store.start_upload(keys.raw_key(job_id, RECORDS_FILENAME), "application/json")
    streamed = await stream_json_records_to_store(body, writer, max_bytes=max_bytes)

    async def record() -> AcceptedUpload:
        accepted = AcceptedUpload(job_id, RECORDS_FILENAME, FileFormat.json, streamed.size_bytes, streamed.sha256,
                                  options)
        version = await run_sync(_record_job, accepted, writer.key)
        return replace(accepted, schema_version=version)

    return await _or_delete(store, writer.key, record)


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
        datasource_for_intake(session, options.datasource, options.schema_version)


def _record_job(accepted: AcceptedUpload, raw_key: str) -> int:
    """The duplicate check, then the job row and its first event, in one transaction; answers the schema version
    the job validates against."""
    options = accepted.options
    with session_scope() as session:
        if not options.force:
            _refuse_duplicate(session, options.datasource, accepted.sha256)
        datasource = datasource_for_intake(session, options.datasource, options.schema_version)
        job = Job(
            id=accepted.job_id,
            datasource=datasource.name,
            schema_version=datasource.version,
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
        jobs_repository.add_job(
            session,
            job,
            f"Upload stored ({accepted.size_bytes} bytes); waiting for a worker",
            {"size_bytes": accepted.size_bytes, "sha256": accepted.sha256, "raw_key": raw_key,
             "format": accepted.format.value, "schema_version": datasource.version},
        )
        return datasource.version


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
