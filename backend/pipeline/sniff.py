"""A first look at an upload's bytes, while the request is still open: refuse what is clearly not a table."""

from __future__ import annotations

from backend.errors import ErrorCode, IngestError
from backend.formats.detect import detect_format


def sniff_upload(head: bytes, size_bytes: int) -> str:
    """The format the first bytes show, or an IngestError (empty_file, unsupported_format) to answer with now.

    The worker confirms the format on the whole file; this only saves people a wait for an obvious refusal.
    """
    if size_bytes == 0 or not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise IngestError(ErrorCode.empty_file, "The file is empty: it has no header row and no data.")
    return detect_format(head).value
