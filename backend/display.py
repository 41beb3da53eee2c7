r"""How text a client sent (a filename, a column name, a message quoting a value) is shown to people.

The record keeps what was sent: the API returns `filename` exactly as recorded, so programs can match it. Every
client that shows such text to a person (the command line, the web page's `displayText` in
frontend/src/lib/display.ts, which mirrors this) passes it through `display_text` at the moment it prints it. One
function at the point of display, rather than a second `filename_display` field in the API: the same hazard is in
every string a client prints that came from a file (event messages and row errors quote column names and values),
and a terminal or a page needs it escaped whatever field it came from.

What is escaped: every C0 and C1 control character and DEL (an escape sequence recolours, moves the cursor,
retitles the window or worse; a bell, a backspace or a carriage return rewrites what the line seems to say), the
Unicode line and paragraph separators, and the bidirectional controls, which make "evil<U+202E>txt.exe" look like
"evilexe.txt". Each becomes visible text: `\t`, `\n`, `\r`, `\xNN`, `\uNNNN`. Nothing else changes, so ordinary
names in any script, emoji (with their zero-width joiners) included, show as they are.

The server itself never writes such text raw either: a download's Content-Disposition carries
`storage.keys.safe_filename` (ASCII letters, digits, `._-`), and logs are JSON lines, whose encoder escapes every
control character.
"""

from __future__ import annotations

import re

_SHOWN_ESCAPED = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def display_text(text: str) -> str:
    """`text` with every character that would act on a terminal or reorder a line shown as an escape."""
    return _SHOWN_ESCAPED.sub(_escape, text)
