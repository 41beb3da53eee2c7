"""A client's text (header names, cell values) in the form people read and PostgreSQL stores.

Files hold anything: NUL bytes (which PostgreSQL refuses in text and in JSONB), terminal escape sequences, lone
surrogates from a JSON `\\ud800` escape (which UTF-8 cannot encode), 200 KB column names, 10,000 columns. Messages,
events and the stored error sample show such text escaped (`\\x00`, `\\x1b`, `\\ud800`) and shortened, and lists
as a count plus their first names. The exact bytes stay in the file itself and in the S3 reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from backend.errors import IngestError

NAMES_SHOWN = 20
"""How many names a message or an event lists before saying how many more there are."""

NAME_CHARS = 100
"""How much of one name a message shows."""

MESSAGE_CHARS = 2_000
"""The longest message or detail text stored for people to read."""

# C0 and C1 controls, DEL, and lone surrogates: what must not reach a terminal, PostgreSQL or UTF-8 as it is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def display_text(text: str, max_chars: int = MESSAGE_CHARS) -> str:
    """`text` with control characters and lone surrogates escaped, cut to about `max_chars` (saying so)."""
    cut = len(text) > max_chars
    shown = _UNSAFE.sub(_escape, text[:max_chars] if cut else text)
    return f"{shown}... ({len(text):,} characters in all)" if cut else shown


def display_names(names: Sequence[str], shown: int = NAMES_SHOWN) -> str:
    """The first `shown` names quoted and escaped, then "and N more": what a message lists."""
    listed = ", ".join(f"'{display_text(name, NAME_CHARS)}'" for name in names[:shown])
    if len(names) > shown:
        listed += f" and {len(names) - shown:,} more"
    return listed or "none"


def first_names(names: Sequence[str], shown: int = NAMES_SHOWN) -> list[str]:
    """The first `shown` names, escaped and shortened: what details carry (with the count beside them)."""
    return [display_text(name, NAME_CHARS) for name in names[:shown]]


def display_safe(value: Any, list_items: int = 100) -> Any:
    """A JSON-able detail value with every string made displayable and every list capped at `list_items`."""
    if isinstance(value, str):
        return display_text(value)
    if isinstance(value, dict):
        return {display_text(str(key), NAME_CHARS): display_safe(item, list_items) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [display_safe(item, list_items) for item in value[:list_items]]
    return value


def displayable_error(error: IngestError) -> IngestError:
    """The same refusal with its message and details safe to store and show (see the module docstring)."""
    safe = IngestError(error.code, display_text(error.message), display_safe(error.details))
    safe.__cause__ = error.__cause__
    return safe
