"""Lowering a process's CPU priority so that batch work (validation, Druid) yields to requests on a shared host.

Three levers:
- nice: the process's (and, with autogroups, its session's) share of the CPU while everything is busy;
- the SCHED_IDLE policy: how soon it gives the CPU up. A normal process that wakes up (the API answering a
  request, PostgreSQL running its query) preempts an idle-policy one at once, instead of waiting for the end
  of its time slice. On a 2-core host running Druid, that halved the status endpoint's p99 (bench/status.py).
  With autogroups the share between sessions still follows their nice, so the policy does not starve the work;
- CPU affinity: the CPUs it may run on at all. Neither lever above keeps a busy multi-threaded JVM off the core
  a request is about to need; confining Druid to all but one CPU did (status p99 from 13-22 ms to ~5 ms).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BatchPriority:
    """How far a batch process steps aside: `nice` 0-19, whether it runs under SCHED_IDLE, and on which CPUs."""

    nice: int
    idle_policy: bool
    # The CPUs it may run on; None: wherever the parent may.
    cpus: frozenset[int] | None = None

    @property
    def lowered(self) -> bool:
        return self.nice > 0 or self.idle_policy or self.cpus is not None


def run_as_batch_work(priority: BatchPriority, *, session_group: bool) -> None:
    """Lower this process's CPU priority; threads it starts afterwards inherit it (all three levers are per thread).

    With autogroup scheduling (sched_autogroup_enabled, the default of many kernels) each session competes for
    the CPU as one group, and a process's own nice only ranks it within its session. `session_group=True`
    lowers the session's group as well: only for a process that leads a session of its own, or it would slow
    down everything else in that session (the shell, an API started from it).
    """
    if priority.nice > 0:
        os.nice(priority.nice)
        if session_group:
            with contextlib.suppress(OSError):  # no autogroups on this kernel: the process nice is all there is
                Path("/proc/self/autogroup").write_text(str(priority.nice))
    if priority.idle_policy:
        # Lowering one's own policy needs no privilege; a platform without SCHED_IDLE keeps the nice alone.
        with contextlib.suppress(OSError, AttributeError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    if priority.cpus is not None:
        with contextlib.suppress(OSError, AttributeError):  # no affinity on this platform: run anywhere
            os.sched_setaffinity(0, priority.cpus)


def all_but_first(reserved: int) -> frozenset[int] | None:
    """The CPUs this process may use, less the `reserved` lowest-numbered ones (which request-serving
    processes then have to themselves); None (no confinement) when that would leave nothing."""
    try:
        usable = sorted(os.sched_getaffinity(0))
    except AttributeError:  # a platform without affinity
        return None
    if reserved <= 0 or len(usable) <= reserved:
        return None
    return frozenset(usable[reserved:])


def leads_own_session() -> bool:
    return os.getsid(0) == os.getpid()
