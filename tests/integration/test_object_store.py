"""The streaming multipart writer against the stack's real S3 server: exact bytes back, parts of the chunk size,
one reused part buffer, a single PUT for a small body, nothing left behind by an abort."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import Iterator

import pytest
from mypy_boto3_s3 import S3Client

from backend.settings import Settings
from backend.storage.object_store import MultipartWriter, ObjectStore
from backend.storage.upload_stream import write_through

MIB = 1024 * 1024
CHUNK = 5 * MIB  # the smallest part S3 allows, so a few MiB exercise several parts


@pytest.fixture
def store(settings: Settings, s3: S3Client) -> ObjectStore:
    return ObjectStore(settings.model_copy(update={"s3_multipart_chunk_bytes": CHUNK}))


@pytest.fixture
def key(store: ObjectStore) -> Iterator[str]:
    name = f"tests/object-store/{uuid.uuid4().hex}"
    yield name
    store.delete(name)  # S3 answers a delete of a missing key with success


def _write(writer: MultipartWriter, *pieces: bytes | bytearray) -> None:
    """As the upload endpoints write: through the event loop, a thread uploading each part that fills."""

    async def write_all() -> None:
        for piece in pieces:
            await write_through(writer, piece)

    asyncio.run(write_all())


def _parts(s3: S3Client, bucket: str, key: str) -> list[int]:
    first = s3.head_object(Bucket=bucket, Key=key, PartNumber=1)
    count = first.get("PartsCount", 1)
    return [s3.head_object(Bucket=bucket, Key=key, PartNumber=n)["ContentLength"] for n in range(1, count + 1)]


def test_pieces_of_any_size_arrive_whole_in_parts_of_the_chunk_size(
    store: ObjectStore, s3: S3Client, key: str
) -> None:
    data = os.urandom(12 * MIB + 4321)
    writer = store.start_upload(key)
    rng = random.Random(7)
    first_buffer: bytearray | None = None
    offset = 0
    while offset < len(data):
        size = rng.choice([1, 17, 65_536, 300_001, 6 * MIB])  # smaller and larger than a part
        _write(writer, data[offset:offset + size])
        offset += size
        if writer.parts:
            first_buffer = first_buffer or writer._part  # held, so its identity cannot be reused
            assert writer._part is first_buffer, "every part must reuse the one buffer"
    writer.complete()

    assert s3.get_object(Bucket=store.bucket, Key=key)["Body"].read() == data
    assert _parts(s3, store.bucket, key) == [CHUNK, CHUNK, 2 * MIB + 4321]
    assert len(writer._part) == 0, "the buffer is let go once the object is complete"


@pytest.mark.parametrize("size", [0, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK])
def test_bodies_at_part_boundaries(
    store: ObjectStore, s3: S3Client, key: str, size: int
) -> None:
    data = os.urandom(size)
    writer = store.start_upload(key)
    _write(writer, *(data[offset:offset + 65_536] for offset in range(0, size, 65_536)))  # as HTTP hands it over
    writer.complete()
    assert s3.get_object(Bucket=store.bucket, Key=key)["Body"].read() == data
    expected = [CHUNK] * (size // CHUNK) + ([size % CHUNK] if size % CHUNK else [])
    if size < CHUNK:
        assert writer.upload_id is None, "a body smaller than a part is one PUT"
    else:
        assert _parts(s3, store.bucket, key) == expected


def test_a_body_smaller_than_a_part_is_one_put(store: ObjectStore, s3: S3Client, key: str) -> None:
    writer = store.start_upload(key, "text/csv")
    _write(writer, b"a,b\n", bytearray(b"1,2\n"))
    writer.complete()
    assert writer.upload_id is None and writer.parts == []
    stored = s3.get_object(Bucket=store.bucket, Key=key)
    assert stored["Body"].read() == b"a,b\n1,2\n" and stored["ContentType"] == "text/csv"


def test_abort_leaves_neither_object_nor_open_upload(store: ObjectStore, s3: S3Client, key: str) -> None:
    writer = store.start_upload(key)
    _write(writer, os.urandom(6 * MIB))
    assert writer.upload_id is not None
    writer.abort()
    assert s3.list_objects_v2(Bucket=store.bucket, Prefix=key).get("KeyCount") == 0
    assert s3.list_multipart_uploads(Bucket=store.bucket, Prefix=key).get("Uploads", []) == []
