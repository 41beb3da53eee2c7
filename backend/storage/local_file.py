"""A streamed upload written to a local file instead of the object store: for a sample that is read once and
thrown away (schema inference), which has no business in the bucket."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO


class LocalFileWriter:
    """Writes bytes as they arrive to `path`; the same interface as the object store's MultipartWriter."""

    part_full = False  # nothing to upload part by part

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = path.open("wb")

    def buffer(self, data: bytes | bytearray, start: int = 0) -> int:
        assert self._file is not None, "written after complete() or abort()"
        self._file.write(memoryview(data)[start:])
        return len(data)

    def flush_part(self) -> None:
        return None

    def complete(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def abort(self) -> None:
        self.complete()
        self.path.unlink(missing_ok=True)
