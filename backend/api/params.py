"""Bounds of what a client sends in the query, the path and the upload form, declared in the OpenAPI document so
that a request outside them is answered 422 `invalid_field` naming the field, before it reaches PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator

from backend.pipeline import upload_options

# The largest offset a listing accepts: far beyond any listing, well inside PostgreSQL's bigint (an offset past it
# answered 500) and exact as a JavaScript number.
MAX_OFFSET = 2**31 - 1

# Text that reaches PostgreSQL holds no control character: its text type refuses NUL outright (a 500 before this),
# and the others have no place in a name. Written with escapes, which JSON Schema (ECMA-262) and Python both read.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
NO_CONTROL_CHARACTERS_RULE = "must not contain control characters (such as NUL)"

# An instant as the schema's date-time format says (RFC 3339, with its offset): pydantic alone would also take 0.5 or
# "0.5" as seconds since 1970, and a date without a time.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339_only(value: object) -> object:
    if value is None or isinstance(value, datetime):
        return value
    if not (isinstance(value, str) and _RFC3339.fullmatch(value)):
        raise ValueError("expected an RFC 3339 instant with its offset, such as 2026-12-01T00:00:00Z")
    return value


RFC3339_ONLY = BeforeValidator(_rfc3339_only)


def _json_integer(value: object) -> object:
    # pydantic's lax int also takes true/false and "24"; its strict int refuses 24.0, which JSON Schema (and so the
    # OpenAPI document) calls an integer. A JSON integer is a whole number, written either way.
    if isinstance(value, bool | str):
        raise ValueError("input should be a valid integer")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]

# The datasources table's key is VARCHAR(128); the upload form's `datasource` field has the same bound.
DATASOURCE_NAME_MAX = upload_options.DATASOURCE_NAME_MAX
