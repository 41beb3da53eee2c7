"""Stream a request body straight into the object store: a multipart/form-data upload, or JSON records.

FastAPI's UploadFile spools the whole body to local disk before the handler runs; this reads the body stream
through python-multipart's push parser instead, so memory and disk stay flat in file size. Only the `file` part
is streamed to S3; the small text fields are handed to a callback as they arrive, with a size cap.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from anyio.to_thread import run_sync
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from backend.errors import ErrorCode, IngestError
from backend.storage.object_store import MultipartWriter

MAX_FIELD_BYTES = 1024


class ChunkWriter(Protocol):
    """Where a streamed file goes: an object in the store (MultipartWriter) or a local file (LocalFileWriter)."""

    @property
    def part_full(self) -> bool: ...

    def buffer(self, data: bytes | bytearray, start: int = 0) -> int: ...

    def flush_part(self) -> None: ...

    def complete(self) -> None: ...

    def abort(self) -> None: ...


_W = TypeVar("_W", bound=ChunkWriter)


@dataclass
class StreamedForm:
    filename: str | None = None
    size_bytes: int = 0
    sha256: str = ""
    head: bytes = b""  # the first `head_bytes` of the file, for format detection


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _FormCollector:
    """Receives the parser's callbacks; file bytes wait in `pending` (what one body chunk brought) until the
    async loop hands them to the writer."""

    def __init__(self, max_file_bytes: int, head_bytes: int, on_field: Callable[[str, str], None]) -> None:
        self.max_file_bytes = max_file_bytes
        self.head_bytes = head_bytes
        self.on_field = on_field
        self.form = StreamedForm()
        self.part = _Part()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.headers: dict[str, bytes] = {}
        self.pending = bytearray()
        self.hasher = hashlib.sha256()
        self.head = bytearray()
        self.file_seen = False
        self.in_file = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self.header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self.header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self.part = _Part()
        self.headers = {}

    def _header_end(self) -> None:
        # Kept as bytes: parse_options_header takes bytes as they are, whereas a str it encodes as latin-1, which
        # failed (500) on any name beyond latin-1 ("売上.csv") and garbled the latin-1 ones ("café.csv").
        self.headers[self.header_field.decode("latin-1").lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self.headers.get("content-disposition", b""))
        self.part.name = params.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = params.get(b"filename")
        self.part.filename = raw_filename.decode("utf-8", "replace") if raw_filename is not None else None
        if self.part.name == "file":
            if self.file_seen:
                raise IngestError(ErrorCode.invalid_field, "Send exactly one `file` part.", {"field": "file"})
            self.file_seen = self.in_file = True
            self.form.filename = self.part.filename or "upload"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = memoryview(data)[start:end]  # no copy: pending, the hash and the head take their own
        if self.in_file:
            self.form.size_bytes += len(chunk)
            if self.form.size_bytes > self.max_file_bytes:
                raise IngestError(
                    ErrorCode.file_too_large,
                    f"The file is larger than the limit of {self.max_file_bytes} bytes; split it or ask an "
                    "operator to raise INGEST_MAX_UPLOAD_BYTES.",
                    {"limit_bytes": self.max_file_bytes},
                )
            self.hasher.update(chunk)
            if len(self.head) < self.head_bytes:
                self.head += chunk[: self.head_bytes - len(self.head)]
            self.pending += chunk
        else:
            self.part.data += chunk
            if len(self.part.data) > MAX_FIELD_BYTES:
                raise IngestError(
                    ErrorCode.invalid_field,
                    f"Field `{self.part.name}` is longer than {MAX_FIELD_BYTES} bytes.",
                    {"field": self.part.name},
                )

    def _part_end(self) -> None:
        if self.in_file:
            self.in_file = False
            return
        if self.part.name:
            self.on_field(self.part.name, self.part.data.decode("utf-8", "replace").strip())


async def stream_form_to_store(
    body: AsyncIterator[bytes],
    content_type_header: str,
    writer_for: Callable[[str], _W],
    *,
    max_file_bytes: int,
    head_bytes: int,
    on_field: Callable[[str, str], None],
) -> tuple[StreamedForm, _W]:
    """Parse the body, writing the `file` part to the writer `writer_for(filename)` returns, part by part.

    `on_field` sees each text field as soon as it has arrived, so a bad field stops the upload early.
    On any error the partial object is aborted before the error propagates.
    """
    mime, params = parse_options_header(content_type_header)
    boundary = params.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise IngestError(
            ErrorCode.invalid_field,
            "Send the file as multipart/form-data with a `file` field (curl -F file=@data.csv ...).",
            {"field": "file"},
        )
    collector = _FormCollector(max_file_bytes, head_bytes, on_field)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    writer: _W | None = None
    try:
        async for chunk in body:
            try:
                parser.write(chunk)
            except MultipartParseError as exc:
                raise IngestError(
                    ErrorCode.invalid_field, f"The multipart body is malformed: {exc}", {"field": "file"}
                ) from exc
            if collector.pending:
                if writer is None:
                    writer = writer_for(collector.form.filename or "upload")
                await write_through(writer, collector.pending)
                collector.pending.clear()
        parser.finalize()
        if not collector.file_seen:
            raise IngestError(ErrorCode.missing_file, "The form has no `file` part.", {"field": "file"})
        if writer is None:
            writer = writer_for(collector.form.filename or "upload")
        await write_through(writer, collector.pending)
        collector.pending.clear()
        await run_sync(writer.complete)
    except BaseException:
        if writer is not None:
            await run_sync(writer.abort)
        raise
    collector.form.sha256 = collector.hasher.hexdigest()
    collector.form.head = bytes(collector.head)
    return collector.form, writer


async def write_through(writer: ChunkWriter, data: bytes | bytearray) -> None:
    """Copy `data` into the writer's part buffer on the event loop; a thread uploads each part that fills."""
    start = 0
    while start < len(data):
        start = writer.buffer(data, start)
        if writer.part_full:
            await run_sync(writer.flush_part)


@dataclass(frozen=True)
class StreamedBody:
    size_bytes: int
    sha256: str


class JsonRecordsFramer:
    """Turns a JSON body (an array of objects, or one object) into what is stored: a JSON array.

    One object is stored as `[object]` so that one reader serves both, and row numbers are record positions. The
    sha256 and size are those of the body as sent. Fed chunk by chunk (streamed to the store) or whole (kept with
    the job in PostgreSQL): the same checks and the same stored bytes either way.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._hasher = hashlib.sha256()
        self._wrapped: bool | None = None

    def feed(self, chunk: bytes | bytearray) -> bytes | bytearray:
        """The bytes to store for `chunk`; an IngestError (413, 422) as soon as the body breaks a rule."""
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise IngestError(
                ErrorCode.file_too_large,
                f"The records body is larger than the limit of {self.max_bytes} bytes; send smaller batches.",
                {"limit_bytes": self.max_bytes},
            )
        self._hasher.update(chunk)
        if self._wrapped is not None:
            return chunk
        # Stored from its first `[` or `{`: a BOM or whitespace before it would stand inside the `[...]` that
        # wraps a single object.
        chunk = chunk.lstrip(b" \t\r\n\xef\xbb\xbf")
        if not chunk:
            return b""
        if chunk[:1] not in (b"[", b"{"):
            raise IngestError(
                ErrorCode.invalid_field, "The body must be a JSON object or a JSON array of objects.", {"field": "body"}
            )
        self._wrapped = chunk[:1] == b"{"
        return b"[" + chunk if self._wrapped else chunk

    def finish(self) -> bytes:
        """The bytes that close what was stored; empty_file if the body held nothing."""
        if self._wrapped is None:
            raise IngestError(ErrorCode.empty_file, "The body is empty: send a JSON object or an array of objects.")
        return b"]" if self._wrapped else b""

    def streamed(self) -> StreamedBody:
        return StreamedBody(size_bytes=self.size, sha256=self._hasher.hexdigest())


def frame_json_records(body: bytes | bytearray, *, max_bytes: int) -> tuple[bytes, StreamedBody]:
    """A whole JSON body as stored (see JsonRecordsFramer), with its size and sha256 as sent."""
    framer = JsonRecordsFramer(max_bytes)
    stored = bytes(framer.feed(body)) + framer.finish()
    return stored, framer.streamed()


async def stream_json_records_to_store(
    body: AsyncIterator[bytes | bytearray], writer: MultipartWriter, *, max_bytes: int
) -> StreamedBody:
    """Stream a JSON body (an array of objects, or one object) into the store as a JSON array (JsonRecordsFramer)."""
    framer = JsonRecordsFramer(max_bytes)
    try:
        async for chunk in body:
            await write_through(writer, framer.feed(chunk))
        await write_through(writer, framer.finish())
        await run_sync(writer.complete)
    except BaseException:
        await run_sync(writer.abort)
        raise
    return framer.streamed()
