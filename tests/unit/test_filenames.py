"""A client's filename: recorded as sent (but for NUL and its length), shown escaped, logged escaped."""

from __future__ import annotations

import json
import logging

import pytest

from backend.display import display_text
from backend.logging_setup import JsonFormatter
from backend.pipeline.intake import MAX_FILENAME_CHARS, recorded_filename


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("sales.csv", "sales.csv"),
        ("\x1b[31mred\x1b[0m.csv", r"\x1b[31mred\x1b[0m.csv"),
        ("\x1b]0;title\x07.csv", r"\x1b]0;title\x07.csv"),
        ("a\tb\nc\rd\x00e\x7f", r"a\tb\nc\rd\x00e\x7f"),
        ("\u009b31m", r"\x9b31m"),  # C1 control sequence introducer
        ("evil\u202etxt.exe", r"evil\u202etxt.exe"),  # right-to-left override
        ("a\u2028b\u2066c\u200fd", r"a\u2028b\u2066c\u200fd"),
        ("продажи 売上 café 👩‍💻 \ufffd.csv", "продажи 売上 café 👩‍💻 \ufffd.csv"),  # any script, emoji with ZWJ
    ],
)
def test_display_text_escapes_what_acts_on_a_terminal_and_nothing_else(text: str, shown: str) -> None:
    assert display_text(text) == shown


@pytest.mark.parametrize(
    ("sent", "recorded"),
    [
        ("a\x00b.csv", "a\ufffdb.csv"),
        ("\x1b[31mred.csv", "\x1b[31mred.csv"),  # kept as sent: shown escaped, recorded exactly
        ("x" * 255, "x" * 255),
        ("x" * 300 + ".csv", "x" * 250 + "\u2026.csv"),
        ("x" * 300, "x" * 254 + "\u2026"),
        ("a." + "y" * 300, "a." + "y" * 252 + "\u2026"),  # an "extension" that long is no extension
        ("." + "z" * 300, "." + "z" * 253 + "\u2026"),
    ],
)
def test_recorded_filename(sent: str, recorded: str) -> None:
    assert recorded_filename(sent) == recorded
    assert len(recorded_filename(sent)) <= MAX_FILENAME_CHARS


def test_json_logs_escape_control_characters() -> None:
    record = logging.LogRecord("backend", logging.INFO, __file__, 1, "upload %s", ("\x1b[31mred.csv",), None)
    record.filename_sent = "\x1b]0;x\x07"
    line = JsonFormatter().format(record)
    assert "\x1b" not in line and "\x07" not in line
    assert json.loads(line)["event"] == "upload \x1b[31mred.csv"
