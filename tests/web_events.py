"""Deterministic web-event rows, a shape unlike sales: for the tests of datasources people declare themselves."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

PAGES = ("/", "/pricing", "/docs", "/blog", "/signup")
COUNTRIES = ("US", "DE", "FR", "JP", "BR", "IN")


def web_events(rows: int, *, seed: int = 11, start: dt.datetime = dt.datetime(2025, 3, 1), days: int = 5,
               id_prefix: str = "u") -> pl.DataFrame:
    """`rows` events: event_time (ISO-8601 UTC text), user_id, page, duration_ms (long >= 0), score (double with
    two decimals), country (two upper-case letters)."""
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, days * 86_400, rows))
    return pl.DataFrame({
        "event_time": [(start + dt.timedelta(seconds=int(s))).strftime("%Y-%m-%dT%H:%M:%SZ") for s in seconds],
        "user_id": [f"{id_prefix}{i:06d}" for i in range(rows)],
        "page": [PAGES[i] for i in rng.integers(0, len(PAGES), rows)],
        "duration_ms": rng.integers(0, 600_000, rows),
        "score": np.round(rng.uniform(0, 100, rows), 2),
        "country": [COUNTRIES[i] for i in rng.integers(0, len(COUNTRIES), rows)],
    })
