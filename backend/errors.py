"""The one error type of druid-ingest: a code users can act on, a message, and the HTTP status it maps to."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Machine-readable reasons. Each names something the user (or operator) can act on."""

    # Client input refused before a job exists.
    invalid_field = "invalid_field"
    not_found = "not_found"
    unknown_datasource = "unknown_datasource"
    file_too_large = "file_too_large"
    missing_file = "missing_file"
    conflict = "conflict"
    duplicate_upload = "duplicate_upload"
    unsupported_media_type = "unsupported_media_type"  # a request body's Content-Type the endpoint does not read
    invalid_schema = "invalid_schema"  # a schema definition with problems, each at its path
    incompatible_schema = "incompatible_schema"  # a new version that breaks the datasource's compatibility mode
    datasource_exists = "datasource_exists"
    datasource_deleted = "datasource_deleted"
    body_too_large = "body_too_large"  # a JSON request body over its endpoint's limit
    not_authenticated = "not_authenticated"  # no credentials, or ones that prove nothing (bad, expired, revoked)
    forbidden = "forbidden"  # authenticated, without the permission the route needs (named in the details)
    too_many_attempts = "too_many_attempts"  # sign-in refused for a while after repeated failures
    user_exists = "user_exists"
    # Data problems: the job ends `rejected`.
    unsupported_format = "unsupported_format"
    empty_file = "empty_file"
    no_data_rows = "no_data_rows"
    missing_columns = "missing_columns"
    encoding_error = "encoding_error"
    malformed_file = "malformed_file"
    validation_failed = "validation_failed"
    decompression_limit = "decompression_limit"
    # Infrastructure: the job ends `failed`.
    druid_task_failed = "druid_task_failed"
    druid_unavailable = "druid_unavailable"
    druid_rows_mismatch = "druid_rows_mismatch"
    druid_task_pending_timeout = "druid_task_pending_timeout"
    cancelled = "cancelled"
    storage_unavailable = "storage_unavailable"
    database_unavailable = "database_unavailable"
    worker_process_lost = "worker_process_lost"  # the process validating a job died under it (killed, out of memory)
    internal_error = "internal_error"


_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.invalid_field: 422,
    ErrorCode.not_found: 404,
    ErrorCode.unknown_datasource: 404,
    ErrorCode.file_too_large: 413,
    ErrorCode.missing_file: 422,
    ErrorCode.conflict: 409,
    ErrorCode.duplicate_upload: 409,
    ErrorCode.unsupported_media_type: 415,
    ErrorCode.invalid_schema: 422,
    ErrorCode.incompatible_schema: 409,
    ErrorCode.datasource_exists: 409,
    ErrorCode.datasource_deleted: 409,
    ErrorCode.body_too_large: 413,
    ErrorCode.not_authenticated: 401,
    ErrorCode.forbidden: 403,
    ErrorCode.too_many_attempts: 429,
    ErrorCode.user_exists: 409,
    ErrorCode.unsupported_format: 415,
    ErrorCode.empty_file: 422,
    ErrorCode.no_data_rows: 422,
    ErrorCode.missing_columns: 422,
    ErrorCode.encoding_error: 422,
    ErrorCode.malformed_file: 422,
    ErrorCode.validation_failed: 422,
    ErrorCode.decompression_limit: 413,
    ErrorCode.druid_unavailable: 503,
    ErrorCode.storage_unavailable: 503,
    ErrorCode.database_unavailable: 503,
}

# Codes that mean "the data is not acceptable" (job -> rejected) rather than "something broke" (job -> failed).
DATA_ERROR_CODES = frozenset(
    {
        ErrorCode.unsupported_format,
        ErrorCode.empty_file,
        ErrorCode.no_data_rows,
        ErrorCode.missing_columns,
        ErrorCode.encoding_error,
        ErrorCode.malformed_file,
        ErrorCode.validation_failed,
        ErrorCode.decompression_limit,
        ErrorCode.file_too_large,
    }
)


class IngestError(Exception):
    """Raised anywhere; rendered by one HTTP handler or recorded on the job by the worker."""

    def __init__(self, code: ErrorCode, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self.code, 500)

    @property
    def is_data_error(self) -> bool:
        return self.code in DATA_ERROR_CODES

    def __repr__(self) -> str:
        return f"IngestError({self.code.value!r}, {self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a worker's validation process and re-raised in the worker: pickled whole, details included.
        return (type(self), (self.code, self.message, self.details), None, None, None)


def first_line(error: BaseException | str, limit: int = 300) -> str:
    """The first line of an error's text (its type's name when it has none), shortened: for logs and events."""
    text = error if isinstance(error, str) else (str(error) or type(error).__name__)
    lines = text.strip().splitlines()
    return (lines[0] if lines else text)[:limit]
