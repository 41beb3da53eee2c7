"""The S3-compatible object store: streaming multipart writes, downloads, and reads for reports."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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


class MultipartWriter:
    """Writes one object part by part as bytes arrive, so an upload is never held whole anywhere.

    Parts are buffered up to the chunk size (S3 needs >= 5 MiB per part except the last). A body smaller than
    one chunk is written with a single PUT.
    """

    def __init__(self, store: ObjectStore, key: str, content_type: str) -> None:
        self.store = store
        self.key = key
        self.content_type = content_type
        self.upload_id: str | None = None
        self.parts: list[dict[str, object]] = []
        self.buffer = bytearray()

    def write(self, data: bytes) -> None:
        if not self.buffer and len(data) >= self.store.chunk_bytes:
            self._upload_part(data)  # a whole part already: no copy into the buffer
            return
        self.buffer += data
        if len(self.buffer) >= self.store.chunk_bytes:
            self._flush_part()

    def _flush_part(self) -> None:
        self._upload_part(bytes(self.buffer))
        self.buffer.clear()

    def _upload_part(self, body: bytes) -> None:
        client = self.store.client
        with _storage_errors(f"writing {self.key}"):
            if self.upload_id is None:
                created = client.create_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, ContentType=self.content_type
                )
                self.upload_id = created["UploadId"]
            number = len(self.parts) + 1
            answer = client.upload_part(
                Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
            )
        self.parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def complete(self) -> None:
        client = self.store.client
        with _storage_errors(f"writing {self.key}"):
            if self.upload_id is None:
                client.put_object(
                    Bucket=self.store.bucket, Key=self.key, Body=bytes(self.buffer), ContentType=self.content_type
                )
                self.buffer.clear()
                return
            if self.buffer:
                self._flush_part()
            client.complete_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts},  # type: ignore[typeddict-item]
            )

    def abort(self) -> None:
        """Drop whatever was written: the partial multipart upload, or nothing if none was started."""
        self.buffer.clear()
        if self.upload_id is not None:
            # Best effort: a bucket lifecycle rule for incomplete uploads is the backstop.
            with contextlib.suppress(BotoCoreError, ClientError):
                self.store.client.abort_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key, UploadId=self.upload_id
                )
            self.upload_id = None


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
