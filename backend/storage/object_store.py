"""The S3-compatible object store: streaming multipart writes, downloads, and reads for reports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backend.errors import ErrorCode, IngestError
from backend.settings import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ObjectStore:
    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.chunk_bytes = settings.s3_multipart_chunk_bytes
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key,
            aws_secret_access_key=settings.s3_secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                response_checksum_validation=settings.s3_response_checksum_validation,
            ),
        )

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def start_upload(self, key: str, content_type: str = "application/octet-stream") -> MultipartWriter:
        return MultipartWriter(self, key, content_type)

    def upload_file(self, path: Path, key: str, content_type: str = "text/csv") -> None:
        with _storage_errors(f"writing {key}"):
            self.client.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": content_type})

    def download_file(self, key: str, path: Path) -> None:
        with _storage_errors(f"reading {key}"):
            self.client.download_file(self.bucket, key, str(path))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def iter_object(self, key: str, chunk_bytes: int = 1024 * 1024) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(chunk_bytes)
        finally:
            body.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def check_reachable(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def incomplete_uploads(self, prefix: str) -> list[IncompleteUpload]:
        """Multipart uploads under `prefix` that were started and neither completed nor aborted."""
        found: list[IncompleteUpload] = []
        with _storage_errors(f"listing incomplete uploads under {prefix}"):
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket,
                                                                                      Prefix=prefix):
                found += [IncompleteUpload(u["Key"], u["UploadId"], u["Initiated"]) for u in page.get("Uploads", [])]
        return found

    def abort_upload(self, upload: IncompleteUpload) -> None:
        with _storage_errors(f"aborting the upload of {upload.key}"):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload.key, UploadId=upload.upload_id)

    def objects(self, prefix: str) -> Iterator[StoredObject]:
        with _storage_errors(f"listing {prefix}"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(item["Key"], item["LastModified"])


@dataclass(frozen=True)
class IncompleteUpload:
    key: str
    upload_id: str
    initiated: datetime


@dataclass(frozen=True)
class StoredObject:
    key: str
    last_modified: datetime


class MultipartWriter:
    """Writes one object part by part as bytes arrive, so an upload is never held whole anywhere.

    Parts are collected up to the chunk size (S3 needs >= 5 MiB per part except the last) in one buffer that
    grows once and is then reused for every part of the object: no 8 MiB allocation and copy per part. An API
    process streaming several uploads at once otherwise churned such buffers through the allocator arenas of its
    threads, and its RSS crept up with every upload (bench/upload.py). A body smaller than one chunk is written
    with a single PUT. Over HTTPS botocore sends a trailing checksum and wraps the body in a BytesIO, which copies
    a bytearray: there one copy per part remains, as many as before (we used to copy into bytes ourselves).
    """

    def __init__(self, store: ObjectStore, key: str, content_type: str) -> None:
        self.store = store
        self.key = key
        self.content_type = content_type
        self.upload_id: str | None = None
        self.parts: list[dict[str, object]] = []
        self._part = bytearray()  # grows to chunk_bytes, then is overwritten in place
        self._filled = 0

    @property
    def part_full(self) -> bool:
        return self._filled >= self.store.chunk_bytes

    def buffer(self, data: bytes | bytearray, start: int = 0) -> int:
        """Copy `data[start:]` into the current part, as much as fits; the index of the first byte not taken.

        No I/O: an event loop calls this, and hands `flush_part` to a thread once `part_full`.
        """
        taken = min(self.store.chunk_bytes - self._filled, len(data) - start)
        end = self._filled + taken
        with memoryview(data) as view:
            # In place once the buffer has its full size; while it is new, past its end, which grows it.
            self._part[self._filled:end] = view[start:start + taken]
        self._filled = end
        return start + taken

    def flush_part(self) -> None:
        """Upload what the current part holds (blocking I/O) and start the next part in the same buffer."""
        if self._filled == 0:
            return
        full = self._filled == len(self._part)
        self._upload_part(self._part if full else self._part[: self._filled])  # the slice: one copy, last part
        self._filled = 0

    def _upload_part(self, body: bytes | bytearray) -> None:
        client = self.store.client
        with _storage_errors(f"writing {self.key}"):
            if self.upload_id is None:
                created = client.create_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, ContentType=self.content_type
                )
                self.upload_id = created["UploadId"]
            number = len(self.parts) + 1
            # The stubs say bytes; botocore sends a bytearray the same way (tests/integration/test_object_store.py).
            answer = client.upload_part(
                Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number,
                Body=body,  # type: ignore[arg-type]
            )
        self.parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def complete(self) -> None:
        client = self.store.client
        with _storage_errors(f"writing {self.key}"):
            if self.upload_id is None:
                client.put_object(
                    Bucket=self.store.bucket, Key=self.key, Body=self._part[: self._filled],  # type: ignore[arg-type]
                    ContentType=self.content_type,
                )
            else:
                self.flush_part()
                client.complete_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id,
                    MultipartUpload={"Parts": self.parts},  # type: ignore[typeddict-item]
                )
        self._release_buffer()

    def abort(self) -> None:
        """Drop whatever was written: the partial multipart upload, or nothing if none was started."""
        self._release_buffer()
        if self.upload_id is not None:
            # Best effort: a bucket lifecycle rule for incomplete uploads is the backstop.
            with contextlib.suppress(BotoCoreError, ClientError):
                self.store.client.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
                )
            self.upload_id = None

    def _release_buffer(self) -> None:
        self._part = bytearray()
        self._filled = 0


class _storage_errors:
    """Turn S3 client failures into one error code with the operation named."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None and isinstance(exc, BotoCoreError | ClientError):
            raise IngestError(ErrorCode.storage_unavailable, f"Object storage failed while {self.what}: {exc}") from exc


@lru_cache(maxsize=1)
def get_object_store() -> ObjectStore:
    return ObjectStore(get_settings())
