"""Finding the line that made Polars give up on newline-delimited JSON (only called after a failure)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_JSON_DEPTH = 100
"""How deep objects and arrays may nest in a record. Records are flat; Python's decoder itself gives up (with a
RecursionError) somewhere below 1,000 levels, depending on how deep the caller's stack already is."""

TOO_DEEP = f"it nests objects or arrays more than {MAX_JSON_DEPTH} levels deep"


class JsonRefused(ValueError):
    """Valid JSON this service does not read; the message says why, to follow "Record N is malformed:"."""


class JsonTooDeep(JsonRefused):
    """A JSON value nested deeper than MAX_JSON_DEPTH."""

    def __init__(self) -> None:
        super().__init__(TOO_DEEP)


def _refused(error: ValueError) -> JsonRefused:
    # Python refuses to turn more than sys.get_int_max_str_digits() (4,300) digits into an int.
    return JsonRefused(f"it holds a number too long to read ({str(error).split(':')[0].lower()})")


def decode_bounded(decode: Callable[[str, int], tuple[Any, int]], text: str, pos: int = 0) -> tuple[Any, int]:
    """`decode(text, pos)` (JSONDecoder.raw_decode), raising JsonRefused (JsonTooDeep for a value nested too
    deep) for what it cannot hold; json.JSONDecodeError for what is not JSON."""
    try:
        value, end = decode(text, pos)
    except RecursionError:
        raise JsonTooDeep() from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        raise _refused(error) from None
    # Counting brackets runs in C; only a value with more than one is walked (a flat record has one).
    if text.count("{", pos, end) + text.count("[", pos, end) > 1 and _deeper_than(value, MAX_JSON_DEPTH):
        raise JsonTooDeep()
    return value, end


def loads_bounded(text: str) -> Any:
    """json.loads, raising JsonRefused for what this service does not read: a value nested too deep (JsonTooDeep),
    NaN or Infinity (Python's extension of JSON, which Polars refuses), a number of more than 4,300 digits."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise JsonTooDeep() from None
    except (json.JSONDecodeError, JsonRefused):
        raise
    except ValueError as error:
        raise _refused(error) from None
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise JsonTooDeep()
    return value


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"it holds {name}, which JSON does not allow (write null, or the number as text)")


def _deeper_than(value: Any, limit: int) -> bool:
    """True if `value` nests objects or arrays more than `limit` levels deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


@dataclass(frozen=True)
class JsonProblem:
    """The line number in the file and what is wrong on it."""

    line: int
    reason: str
    details: dict[str, int] | None = None


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
            record = loads_bounded(text)
        except json.JSONDecodeError as error:
            return JsonProblem(number, f"it is not valid JSON ({error.msg} at column {error.colno})")
        except JsonTooDeep as error:
            return JsonProblem(number, str(error), {"max_depth": MAX_JSON_DEPTH})
        except JsonRefused as error:
            return JsonProblem(number, str(error))
        if not isinstance(record, dict):
            return JsonProblem(number, f"it holds {json_type(record)}, not an object")
        for field in wanted:
            if isinstance(record.get(field), dict | list):
                return JsonProblem(number, f"field {field!r} holds a list or object, not a plain value")
        for key, value in record.items():
            if isinstance(value, float) and math.isinf(value):
                return JsonProblem(number, f"field {key!r} holds a number too large for a 64-bit float")
    return None


def keys_in_order(lines: Iterable[tuple[int, str]]) -> list[str]:
    """Every key of the JSON objects on `lines`, in order of first appearance."""
    seen: dict[str, None] = {}
    for _, line in lines:
        text = line.strip()
        if text:
            record = loads_bounded(text)
            if isinstance(record, dict):
                seen.update(dict.fromkeys(record))
    return list(seen)



_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def json_type(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words ("a JSON array", not Python's "list")."""
    return f"a JSON {_JSON_TYPES.get(type(value), type(value).__name__)}"
