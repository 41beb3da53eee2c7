"""How long to wait before trying a step again after a transient fault: a small policy that returns a decision."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, OperationalError

from backend.errors import ErrorCode, IngestError
from backend.settings import Settings

_RNG = random.Random()  # noqa: S311 - jitter, not secrecy
TRANSIENT_CODES = frozenset({ErrorCode.druid_unavailable, ErrorCode.storage_unavailable,
                             ErrorCode.worker_process_lost})


def is_transient(error: BaseException) -> bool:
    """Faults that may pass by themselves: a service unreachable, answering 5xx, or a dropped DB connection."""
    if isinstance(error, IngestError):
        return error.code in TRANSIENT_CODES
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base_s: float
    max_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.transient_retry_attempts, settings.transient_retry_base_s, settings.transient_retry_max_s)

    def delay_before(self, failures: int, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after the `failures`-th consecutive failure, or None when the bound is reached.

        Exponential with "full jitter" in the upper half, so workers that failed together do not retry together.
        """
        if failures >= self.attempts:
            return None
        ceiling = min(self.max_s, self.base_s * 2.0 ** (failures - 1))
        jitter: float = (rng or _RNG).random()
        return ceiling * (0.5 + 0.5 * jitter)
