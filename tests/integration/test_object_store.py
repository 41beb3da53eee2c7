"""The streaming multipart writer against the stack's real S3 server: exact bytes back, parts of the chunk size,
one reused part buffer, a single PUT for a small body, nothing left behind by an abort."""

from __future__ import annotations

import os
import random
import uuid

import pytest
from mypy_boto3_s3 import S3Client

from backend.settings import Settings
from backend.storage.object_store import ObjectStore

MIB = 1024 * 1024


@pytest.fixture
def store(settings: Settings, s3: S3Client) -> ObjectStore:
    # The smallest part S3 allows, so a few MiB exercise several parts.
    return ObjectStore(settings.model_copy(update={"s3_multipart_chunk_bytes": 5 * MIB}))


def _key() -> str:
    return f"tests/object-store/{uuid.uuid4().hex}"


def test_pieces_of_any_size_arrive_whole_in_parts_of_the_chunk_size(store: ObjectStore, s3: S3Client) -> None:
    data = os.urandom(12 * MIB + 4321)
    writer = store.start_upload(key := _key())
    part_buffer_ids = set()
    rng = random.Random(7)
    offset = 0
    while offset < len(data):
        size = rng.choice([1, 17, 65_536, 300_001, 6 * MIB])  # smaller and larger than a part
        writer.write(data[offset:offset + size])
        offset += size
        part_buffer_ids.add(id(writer._part))
    writer.complete()

    assert s3.get_object(Bucket=store.bucket, Key=key)["Body"].read() == data
    sizes = [s3.head_object(Bucket=store.bucket, Key=key, PartNumber=n)["ContentLength"] for n in (1, 2, 3)]
    assert sizes == [5 * MIB, 5 * MIB, 2 * MIB + 4321]
    assert len(part_buffer_ids) == 1, "every part must reuse the one buffer"
    assert len(writer._part) == 0, "the buffer is let go once the object is complete"
    store.delete(key)


def test_a_body_smaller_than_a_part_is_one_put(store: ObjectStore, s3: S3Client) -> None:
    writer = store.start_upload(key := _key(), "text/csv")
    writer.write(b"a,b\n")
    writer.write(bytearray(b"1,2\n"))
    writer.complete()
    assert writer.upload_id is None and writer.parts == []
    stored = s3.get_object(Bucket=store.bucket, Key=key)
    assert stored["Body"].read() == b"a,b\n1,2\n" and stored["ContentType"] == "text/csv"
    store.delete(key)


def test_abort_leaves_neither_object_nor_open_upload(store: ObjectStore, s3: S3Client) -> None:
    writer = store.start_upload(key := _key())
    writer.write(os.urandom(6 * MIB))
    assert writer.upload_id is not None
    writer.abort()
    assert s3.list_objects_v2(Bucket=store.bucket, Prefix=key).get("KeyCount") == 0
    uploads = s3.list_multipart_uploads(Bucket=store.bucket, Prefix=key).get("Uploads", [])
    assert uploads == []
