"""A JSON array of objects, rewritten as newline-delimited JSON so it is read like NDJSON, in constant memory.

Polars' `read_json` needs the whole document in memory; here the array is walked element by element with the
standard library's `JSONDecoder.raw_decode` over 1 MiB chunks, and each object's own text is copied out on one
line. Raw line breaks can only sit between tokens in JSON (inside strings they must be escaped), so replacing
them with spaces keeps every object intact. Line N of the copy is record N of the array.
Speed is bounded by `raw_decode`: roughly 30-50 MB/s, against 100+ MB/s for NDJSON read by Polars directly.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import TextIO

from backend.errors import ErrorCode, IngestError
from backend.formats.json_diagnose import MAX_JSON_DEPTH, JsonRefused, JsonTooDeep, decode_bounded, json_type

_CHUNK_CHARS = 1 << 20
_SPACE = re.compile(r"[ \t\r\n]*")
_SEPARATOR = re.compile(r"[ \t\r\n]*([,\]])")


def json_array_to_ndjson(path: Path) -> Path:
    """Copy the objects of the JSON array in UTF-8 file `path` to a new NDJSON file beside it; return it.

    Raises IngestError(malformed_file) naming the record that is not an object or not valid JSON.
    """
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".ndjson", dir=path.parent)
    target = Path(name)
    try:
        with path.open(encoding="utf-8-sig") as source, os.fdopen(handle, "w", encoding="utf-8") as sink:
            _ArrayCopier(source, sink).run()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


class _ArrayCopier:
    """Walks the array in a window of text that is refilled when an element straddles its end."""

    def __init__(self, source: TextIO, sink: TextIO) -> None:
        self.source = source
        self.sink = sink
        self.text = ""
        self.eof = False
        self.record = 0
        self.pending: list[str] = []

    def flush(self) -> None:
        if self.pending:
            self.sink.write("\n".join(self.pending))
            self.sink.write("\n")
            self.pending.clear()

    def refill(self, keep_from: int) -> bool:
        """Drop the text before `keep_from` and append more; False at the end of the file."""
        self.flush()
        # Read at least as much as is kept, so one huge element costs O(n), not O(n^2), to re-decode.
        chunk = "" if self.eof else self.source.read(max(_CHUNK_CHARS, len(self.text) - keep_from))
        self.eof = not chunk
        self.text = self.text[keep_from:] + chunk
        return not self.eof

    def skip_space(self, pos: int) -> int:
        """Position of the next non-whitespace character, refilling; len(text) at the end of the file."""
        while True:
            pos = _space_end(self.text, pos)
            if pos < len(self.text) or not self.refill(pos):
                return min(pos, len(self.text))
            pos = 0

    def run(self) -> None:
        pos = self.skip_space(0)
        if self.text[pos : pos + 1] != "[":
            raise _malformed(1, "the file does not start with '['")
        pos = self.skip_space(pos + 1)
        if self.text[pos : pos + 1] == "]":
            pos += 1
        else:
            pos = self.copy_elements(pos)
        if self.skip_space(pos) < len(self.text):
            raise _malformed(self.record, "there is more text after the closing ']'")
        self.flush()

    def copy_elements(self, pos: int) -> int:
        """Copy elements from `pos` up to the closing bracket; return the position after it."""
        decode = json.JSONDecoder().raw_decode
        while True:
            pos = self.skip_space(pos)
            if pos >= len(self.text):
                raise _malformed(self.record + 1, "the file ends before the array is closed with ']'")
            try:
                value, end = decode_bounded(decode, self.text, pos)
            except JsonTooDeep as error:
                raise _malformed(self.record + 1, str(error), {"max_depth": MAX_JSON_DEPTH}) from None
            except JsonRefused as error:
                raise _malformed(self.record + 1, str(error)) from None
            except json.JSONDecodeError as error:
                if not self.eof and _maybe_cut_short(error, self.text):
                    self.refill(pos)
                    pos = 0
                    continue
                raise _malformed(self.record + 1, f"it is not valid JSON ({error.msg})") from None
            separator = _SEPARATOR.match(self.text, end)
            if separator is None:
                if not self.eof and _space_end(self.text, end) == len(self.text):
                    self.refill(pos)  # the separator is in the next chunk: decode this element again
                    pos = 0
                    continue
                found = repr(self.text[end]) if end < len(self.text) else "the end of the file"
                raise _malformed(self.record + 1, f"expected ',' or ']' after it, found {found}")
            self.record += 1
            if not isinstance(value, dict):
                raise _malformed(self.record, f"it is {json_type(value)}, not an object")
            element = self.text[pos:end]
            if "\n" in element or "\r" in element:
                element = element.replace("\r", " ").replace("\n", " ")
            self.pending.append(element)
            if separator.group(1) == "]":
                return separator.end()
            pos = separator.end()


def _space_end(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _maybe_cut_short(error: json.JSONDecodeError, text: str) -> bool:
    # A record cut by the chunk boundary fails near the end of the text ("tr" of "true"), or as a string that
    # never closes; anything else is a real error, reported without reading the rest of the file.
    return error.pos >= len(text) - 8 or error.msg.startswith("Unterminated string")


def _malformed(record: int, reason: str, details: dict[str, int] | None = None) -> IngestError:
    return IngestError(
        ErrorCode.malformed_file,
        f"Record {record} of the JSON array is malformed: {reason}. "
        "The file must be one JSON array of objects with plain values.",
        {"record": record, **(details or {})},
    )
