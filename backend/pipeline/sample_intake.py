"""A sample file sent for schema inference: streamed to a local temporary file with the upload's limits and format
detection, read with the upload's readers, then deleted. Nothing is stored."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from anyio.to_thread import run_sync

from backend.errors import ErrorCode, IngestError
from backend.formats.detect import HEAD_BYTES
from backend.formats.limits import ReadLimits
from backend.pipeline.inference import infer_schema
from backend.pipeline.intake import sniff_format
from backend.storage.local_file import LocalFileWriter
from backend.storage.upload_stream import stream_form_to_store

_FIELDS = ("time_column", "max_rows")
DEFAULT_MAX_ROWS = 10_000


@dataclass(frozen=True)
class InferOptions:
    time_column: str | None = None
    max_rows: int = DEFAULT_MAX_ROWS


async def infer_from_form(
    body: AsyncIterator[bytes], content_type: str, *, workdir: Path, limits: ReadLimits, max_file_bytes: int,
    max_rows_limit: int,
) -> dict[str, Any]:
    options = InferOptions()

    def on_field(name: str, value: str) -> None:
        nonlocal options
        options = _parse_field(options, name, value, max_rows_limit)

    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="infer-") as tmp:
        path = Path(tmp) / uuid.uuid4().hex
        form, _ = await stream_form_to_store(
            body, content_type, lambda _name: LocalFileWriter(path), max_file_bytes=max_file_bytes,
            head_bytes=HEAD_BYTES, on_field=on_field,
        )
        fmt = sniff_format(form.head, form.size_bytes)
        proposal = await run_sync(
            lambda: infer_schema(path, fmt, limits, time_column=options.time_column, max_rows=options.max_rows)
        )
    return {**proposal, "format": fmt.value, "filename": form.filename}


def _parse_field(options: InferOptions, name: str, value: str, max_rows_limit: int) -> InferOptions:
    if name == "time_column":
        return replace(options, time_column=value or None)
    if name == "max_rows":
        if not (value.isascii() and value.isdigit() and len(value) <= 10 and 1 <= int(value) <= max_rows_limit):
            raise IngestError(ErrorCode.invalid_field, f"Field `max_rows` must be 1 to {max_rows_limit:,}; got "
                              f"{value[:40]!r}.", {"field": "max_rows"})
        return replace(options, max_rows=int(value))
    raise IngestError(ErrorCode.invalid_field, f"Unknown form field `{name}`. Allowed: file, {', '.join(_FIELDS)}.",
                      {"field": name})
