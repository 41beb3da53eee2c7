"""What the machine itself did during a measurement: on a shared virtual machine, time the hypervisor gave to
other guests (steal) slows every process alike, so a benchmark prints it beside its figures."""

from __future__ import annotations

import contextlib
from pathlib import Path


def machine_ticks() -> list[int]:
    """The machine's CPU time by kind (/proc/stat: user nice system idle iowait irq softirq steal ...)."""
    with contextlib.suppress(OSError):
        return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return []


def steal_share(before: list[int], after: list[int]) -> float | None:
    """The share of CPU time the hypervisor gave to other guests in between (None where unknown): a virtual
    machine's pauses that no process on it can avoid, and that show up as latency."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before[:8], after[:8], strict=True)]
    return spent[7] / sum(spent) if sum(spent) else None
