"""Timestamps as ISO-8601 UTC text with milliseconds and `Z` ("2025-01-03T10:00:00.000Z"), the staged form.

Polars' strftime formats each value on its own, which made it the costliest column to stage. Here the text is
assembled from three small tables instead: one entry per calendar day the values span, one per second of a day
(86,400), one per millisecond (1,000). Each value then costs integer arithmetic, three lookups and a
concatenation: about half of strftime's time, with the same text (tests/unit/test_staging.py compares them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import polars as pl

_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"
_US_PER_SECOND = 1_000_000
_SECONDS_PER_DAY = 86_400
# Values spanning more days than this (centuries), or outside Python's years 1-9999, are formatted the slow way.
_MAX_DAYS_TABLE = 100_000
_EPOCH = datetime(1970, 1, 1)
_FIRST_DAY = (datetime(1, 1, 1) - _EPOCH).days
_LAST_DAY = (datetime(9999, 12, 31) - _EPOCH).days


def iso_utc_text(timestamps: pl.Series) -> pl.Series:
    """`timestamps` (Datetime, time zone or naive UTC) as ISO-8601 UTC text; nulls stay null."""
    if not isinstance(timestamps.dtype, pl.Datetime):
        raise TypeError(f"iso_utc_text needs a Datetime column, got {timestamps.dtype}")
    us = timestamps.dt.cast_time_unit("us").dt.epoch("us")  # epoch values do not depend on the time zone
    if us.null_count() == us.len():
        return pl.Series(timestamps.name, [None] * timestamps.len(), pl.String)
    seconds = us // _US_PER_SECOND
    days = seconds // _SECONDS_PER_DAY
    first, last = days.min(), days.max()
    assert isinstance(first, int) and isinstance(last, int)
    if last - first >= _MAX_DAYS_TABLE or first < _FIRST_DAY or last > _LAST_DAY:
        return _strftime(timestamps)
    milliseconds = us // 1000 - seconds * 1000
    text = pl.DataFrame({"day": days - first, "second": seconds - days * _SECONDS_PER_DAY, "ms": milliseconds})
    return text.select(
        pl.concat_str(
            pl.lit(_day_texts(first, last)).gather(pl.col("day")),
            pl.lit(_second_texts()).gather(pl.col("second")),
            pl.lit(_millisecond_texts()).gather(pl.col("ms")),
        ).alias(timestamps.name)
    ).to_series()


def _strftime(timestamps: pl.Series) -> pl.Series:
    utc = timestamps.dt.convert_time_zone("UTC") if timestamps.dtype.time_zone else timestamps  # type: ignore[attr-defined]
    # Formatting naive UTC skips a time-zone lookup per value; the text is the same.
    return utc.dt.replace_time_zone(None).dt.strftime(_FORMAT).rename(timestamps.name)


def _day_texts(first: int, last: int) -> pl.Series:
    start = _EPOCH + timedelta(days=first)
    days = pl.datetime_range(start, start + timedelta(days=last - first), "1d", time_unit="us", eager=True)
    return days.dt.strftime("%Y-%m-%d")


@cache
def _second_texts() -> pl.Series:
    return pl.Series([f"T{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)])


@cache
def _millisecond_texts() -> pl.Series:
    return pl.Series([f".{ms:03d}Z" for ms in range(1000)])
