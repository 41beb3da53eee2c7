"""Batch work steps aside: nice and SCHED_IDLE, on the process and on the threads it starts afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cpu_priority import BatchPriority

# Run in a child: lowering a priority cannot be undone without privilege, so not in the test process itself.
_PROBE = """
import json, os, sys, threading
from backend.cpu_priority import BatchPriority, run_as_batch_work
run_as_batch_work(BatchPriority(int(sys.argv[1]), sys.argv[2] == "idle"), session_group=False)
seen = {}
def look(): seen["thread"] = [os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), os.sched_getscheduler(0)]
thread = threading.Thread(target=look); thread.start(); thread.join()
print(json.dumps({"process": [os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)], **seen}))
"""


def _probe(nice: int, policy: str) -> dict[str, list[int]]:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(nice), policy], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    result: dict[str, list[int]] = json.loads(out.stdout)
    return result


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="this platform has no SCHED_IDLE policy")
def test_batch_work_runs_niced_under_the_idle_policy_and_its_threads_inherit_it() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    expected = [min(base + 7, 19), os.SCHED_IDLE]
    assert _probe(7, "idle") == {"process": expected, "thread": expected}


def test_nice_alone_keeps_the_normal_policy() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    expected = [min(base + 4, 19), os.SCHED_OTHER]
    assert _probe(4, "normal") == {"process": expected, "thread": expected}


def test_nothing_lowered_changes_nothing() -> None:
    assert not BatchPriority(0, idle_policy=False).lowered
    expected = [os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)]
    assert _probe(0, "normal") == {"process": expected, "thread": expected}
