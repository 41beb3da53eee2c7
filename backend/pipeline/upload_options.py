"""The options of an upload (datasource, on_invalid, mode, priority), parsed from form fields with the field named
in every refusal."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TypeVar

from backend.errors import ErrorCode, IngestError
from backend.vocabulary import Mode, OnInvalid, Priority

FORM_FIELDS = ("datasource", "schema_version", "on_invalid", "mode", "priority", "force")
MAX_SCHEMA_VERSION = 2**31 - 1  # the column is an integer
DATASOURCE_NAME_MAX = 128  # the datasources table's key is VARCHAR(128)
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_E = TypeVar("_E", OnInvalid, Mode)


@dataclass(frozen=True)
class UploadOptions:
    datasource: str = "sales"
    on_invalid: OnInvalid = OnInvalid.reject
    mode: Mode = Mode.APPEND
    priority: Priority = Priority.MEDIUM
    force: bool = False  # accept bytes this datasource already has (otherwise a duplicate is refused)
    schema_version: int | None = None  # validate against this older version (a producer that has not moved on)


def parse_option(options: UploadOptions, name: str, value: str) -> UploadOptions:
    """Apply one form field to the options, refusing unknown fields and values with the field named."""
    if name == "datasource":
        if not value:
            raise _bad(name, "must not be empty", value)
        if len(value) > DATASOURCE_NAME_MAX:
            raise _bad(name, f"must be at most {DATASOURCE_NAME_MAX} characters", value)
        if _CONTROL.search(value):
            # PostgreSQL text refuses NUL (a 500 before this); no other control character belongs in a name.
            raise _bad(name, "must not contain control characters (such as NUL)", value)
        return replace(options, datasource=value)
    if name == "on_invalid":
        return replace(options, on_invalid=_choice(OnInvalid, name, value.lower()))
    if name == "mode":
        return replace(options, mode=_choice(Mode, name, value.lower()))
    if name == "priority":
        try:
            return replace(options, priority=Priority[value.upper()])
        except KeyError:
            raise _bad(name, "must be one of HIGH, MEDIUM, LOW", value) from None
    if name == "force":
        return replace(options, force=parse_flag(name, value))
    if name == "schema_version":
        if not (value.isascii() and value.isdigit() and len(value) <= 10 and 1 <= int(value) <= MAX_SCHEMA_VERSION):
            raise _bad(name, "must be a version number (1, 2, ...)", value)
        return replace(options, schema_version=int(value))
    raise IngestError(
        ErrorCode.invalid_field,
        f"Unknown form field `{name}`. Allowed: file, {', '.join(FORM_FIELDS)}.",
        {"field": name},
    )


def _choice(enum: type[_E], name: str, value: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise _bad(name, f"must be one of {allowed}", value) from None


def parse_flag(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no", ""}:
        return False
    raise _bad(name, "must be true or false", value)


def _bad(name: str, rule: str, value: str) -> IngestError:
    return IngestError(ErrorCode.invalid_field, f"Field `{name}` {rule}; got {value[:80]!r}.", {"field": name})
