"""Batch work steps aside: nice, SCHED_IDLE and CPUs, on the process and on the threads it starts afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cpu_priority import BatchPriority, all_but_first

# Run in a child: lowering a priority cannot be undone without privilege, so not in the test process itself.
_PROBE = """
import json, os, sys, threading
from backend.cpu_priority import BatchPriority, run_as_batch_work
cpus = frozenset(json.loads(sys.argv[3])) if len(sys.argv) > 3 else None
run_as_batch_work(BatchPriority(int(sys.argv[1]), sys.argv[2] == "idle", cpus), session_group=False)
def state(): return [os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), os.sched_getscheduler(0)]
seen = {}
def look(): seen["thread"] = state(); seen["thread_cpus"] = sorted(os.sched_getaffinity(0))
thread = threading.Thread(target=look); thread.start(); thread.join()
print(json.dumps({"process": state(), "cpus": sorted(os.sched_getaffinity(0)), **seen}))
"""


def _probe(nice: int, policy: str, cpus: list[int] | None = None) -> dict[str, list[int]]:
    extra = [json.dumps(cpus)] if cpus is not None else []
    out = subprocess.run([sys.executable, "-c", _PROBE, str(nice), policy, *extra], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    result: dict[str, list[int]] = json.loads(out.stdout)
    assert result.pop("thread_cpus") == result["cpus"], "threads started later must inherit the CPUs"
    return result


_ALL_CPUS = sorted(os.sched_getaffinity(0))


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="this platform has no SCHED_IDLE policy")
def test_batch_work_runs_niced_under_the_idle_policy_and_its_threads_inherit_it() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    expected = [min(base + 7, 19), os.SCHED_IDLE]
    assert _probe(7, "idle") == {"process": expected, "thread": expected, "cpus": _ALL_CPUS}


def test_nice_alone_keeps_the_normal_policy() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    expected = [min(base + 4, 19), os.SCHED_OTHER]
    assert _probe(4, "normal") == {"process": expected, "thread": expected, "cpus": _ALL_CPUS}


def test_nothing_lowered_changes_nothing() -> None:
    assert not BatchPriority(0, idle_policy=False).lowered
    expected = [os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)]
    assert _probe(0, "normal") == {"process": expected, "thread": expected, "cpus": _ALL_CPUS}


@pytest.mark.skipif(len(_ALL_CPUS) < 2, reason="confining to some CPUs needs at least two")
def test_batch_work_can_be_kept_off_the_first_cpus() -> None:
    rest = all_but_first(1)
    assert rest == frozenset(_ALL_CPUS[1:])
    assert _probe(0, "normal", sorted(rest))["cpus"] == _ALL_CPUS[1:]


def test_reserving_every_cpu_or_none_confines_nothing() -> None:
    assert all_but_first(0) is None
    assert all_but_first(len(_ALL_CPUS)) is None
    assert BatchPriority(0, idle_policy=False, cpus=frozenset({0})).lowered
