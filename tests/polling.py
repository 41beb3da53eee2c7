"""The one way tests wait: poll a probe until it answers, with a deadline that fails the test saying what it
waited for and what it saw last."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

_SHOWN_CHARS = 2000  # of the last value, in the failure message


def poll_until(
    probe: Callable[[], T | None],
    timeout_s: float,
    what: str,
    interval_s: float = 0.2,
    *,
    accept: Callable[[T], bool] | None = None,
    ignore: tuple[type[BaseException], ...] = (),
    details: Callable[[], str] | None = None,
) -> T:
    """Call `probe` every `interval_s` until it answers; return that answer.

    An answer is the first result other than None, or, with `accept`, the first result `accept` approves of.
    Exceptions of the `ignore` types count as "not yet" (a server still starting refuses connections); any
    other exception ends the wait at once. At the deadline the test fails naming `what`, the last result (or
    ignored exception) seen, and `details()` when given (e.g. the end of a log)."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while True:
        try:
            result = probe()
        except ignore as exc:
            last = exc
        else:
            last = result
            if result is not None and (accept is None or accept(result)):
                return result
        if time.monotonic() >= deadline:
            seen = repr(last)
            if len(seen) > _SHOWN_CHARS:
                seen = seen[:_SHOWN_CHARS] + "..."
            more = f"\n{details()}" if details is not None else ""
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}; last seen: {seen}{more}")
        time.sleep(interval_s)
