"""The fault matrix's table: each fault test records a row, printed at the end of the session (conftest's
pytest_terminal_summary), so a CI log shows every fault, how its jobs ended and how long recovery took."""

from __future__ import annotations

from dataclasses import dataclass

HEADER = ("fault", "jobs", "end states", "Druid tasks per attempt", "exact in Druid", "recovery s")


@dataclass(frozen=True)
class FaultRow:
    fault: str
    jobs: int
    end_states: str
    tasks_per_attempt: str
    exact: str
    recovery_s: float | None

    def cells(self) -> tuple[str, ...]:
        recovery = "-" if self.recovery_s is None else f"{self.recovery_s:.1f}"
        return (self.fault, str(self.jobs), self.end_states, self.tasks_per_attempt, self.exact, recovery)


ROWS: list[FaultRow] = []


def table() -> list[str]:
    widths = [max(len(h), *(len(r.cells()[i]) for r in ROWS)) for i, h in enumerate(HEADER)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return [line.format(*HEADER), line.format(*("-" * w for w in widths)), *(line.format(*r.cells()) for r in ROWS)]
