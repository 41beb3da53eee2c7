"""A records body is stored as a JSON array, the same bytes whether it is kept with its job (whole) or streamed to
S3 (chunk by chunk); its size and sha256 are those of the bytes as sent (backend.storage.upload_stream)."""

from __future__ import annotations

import hashlib

import pytest

from backend.errors import ErrorCode, IngestError
from backend.storage.upload_stream import JsonRecordsFramer, frame_json_records


def _chunked(body: bytes, size: int, max_bytes: int = 1_000) -> bytes:
    framer = JsonRecordsFramer(max_bytes)
    stored = b"".join(bytes(framer.feed(body[i:i + size])) for i in range(0, len(body), size)) + framer.finish()
    assert framer.streamed() == frame_json_records(body, max_bytes=max_bytes)[1]
    return stored


@pytest.mark.parametrize(("body", "stored"), [
    (b'{"a": 1}', b'[{"a": 1}]'),
    (b'[{"a": 1}, {"a": 2}]', b'[{"a": 1}, {"a": 2}]'),
    (b'\xef\xbb\xbf \r\n\t{"a": 1}\n', b'[{"a": 1}\n]'),
    (b"  []", b"[]"),
])
def test_a_body_is_stored_as_an_array_whole_or_in_chunks(body: bytes, stored: bytes) -> None:
    whole, streamed = frame_json_records(body, max_bytes=1_000)
    assert whole == stored
    assert (streamed.size_bytes, streamed.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert {_chunked(body, size) for size in (1, 2, 3, 7, len(body))} == {stored}


@pytest.mark.parametrize(("body", "max_bytes", "code"), [
    (b'{"a": 1}', 7, ErrorCode.file_too_large),
    (b"'text'", 100, ErrorCode.invalid_field),
    (b'\xef\xbb\xbf"a"', 100, ErrorCode.invalid_field),
    (b"", 100, ErrorCode.empty_file),
    (b" \r\n\xef\xbb\xbf", 100, ErrorCode.empty_file),
])
def test_refusals(body: bytes, max_bytes: int, code: ErrorCode) -> None:
    with pytest.raises(IngestError) as refused:
        frame_json_records(body, max_bytes=max_bytes)
    assert refused.value.code == code
