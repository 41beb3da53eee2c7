"""Finding the line that made Polars give up on newline-delimited JSON (only called after a failure)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class JsonProblem:
    """The line number in the file and what is wrong on it."""

    line: int
    reason: str


def numbered_lines(path: Path) -> Iterable[tuple[int, str]]:
    """Every line of a UTF-8 file with its 1-based number, streaming."""
    with path.open(encoding="utf-8-sig", newline="\n") as handle:
        yield from enumerate(handle, start=1)


def find_json_line_problem(
    lines: Iterable[tuple[int, str]], fields: Iterable[str] = ()
) -> JsonProblem | None:
    """The first non-blank line that is not a JSON object, or whose `fields` hold a list or object."""
    wanted = list(fields)
    for number, line in lines:
        text = line.strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            return JsonProblem(number, f"it is not valid JSON ({error.msg} at column {error.colno})")
        if not isinstance(record, dict):
            return JsonProblem(number, f"it holds a JSON {type(record).__name__}, not an object")
        for field in wanted:
            if isinstance(record.get(field), dict | list):
                return JsonProblem(number, f"field {field!r} holds a list or object, not a plain value")
    return None


def keys_in_order(lines: Iterable[tuple[int, str]]) -> list[str]:
    """Every key of the JSON objects on `lines`, in order of first appearance."""
    seen: dict[str, None] = {}
    for _, line in lines:
        text = line.strip()
        if text:
            record = json.loads(text)
            if isinstance(record, dict):
                seen.update(dict.fromkeys(record))
    return list(seen)
