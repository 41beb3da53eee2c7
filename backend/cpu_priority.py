"""Lowering a process's CPU priority so that batch work (validation, Druid) yields to requests on a shared host."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def run_niced(nice: int, *, session_group: bool) -> None:
    """Add `nice` to this process's niceness (threads started afterwards inherit it).

    With autogroup scheduling (sched_autogroup_enabled, the default of many kernels) each session competes for
    the CPU as one group, and a process's own nice only ranks it within its session. `session_group=True`
    lowers the session's group as well: only for a process that leads a session of its own, or it would slow
    down everything else in that session (the shell, an API started from it).
    """
    if nice <= 0:
        return
    os.nice(nice)
    if session_group:
        with contextlib.suppress(OSError):  # no autogroups on this kernel: the process nice is all there is
            Path("/proc/self/autogroup").write_text(str(nice))


def leads_own_session() -> bool:
    return os.getsid(0) == os.getpid()
