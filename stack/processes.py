"""Detached service processes: start, identify by PID file, measure, stop."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from backend.cpu_priority import BatchPriority, run_as_batch_work

POLL_S = 0.2

# Children started by this Python process. Polling them reaps them once they exit, so a stopped service
# does not linger as a zombie that /proc still lists (matters when up and down run in one process).
_started: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessId:
    """A PID plus the kernel's start time of that process, so a recycled PID is never mistaken for ours."""

    pid: int
    start_ticks: int


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def identify(pid: int) -> ProcessId | None:
    """The identity of a running process, or None if there is none with this PID."""
    fields = _stat_fields(pid)
    # Field 22 of stat is starttime; fields[0] here is field 3.
    return None if fields is None else ProcessId(pid, int(fields[19]))


def is_alive(proc: ProcessId) -> bool:
    """Whether the process is still running (not exited, not a zombie, PID not recycled)."""
    child = _started.get(proc.pid)
    if child is not None and child.poll() is not None:
        return False
    fields = _stat_fields(proc.pid)
    return fields is not None and fields[0] != "Z" and int(fields[19]) == proc.start_ticks


def read_pid_file(path: Path) -> ProcessId | None:
    """The process recorded in a PID file, or None if the file is missing or unreadable."""
    try:
        pid, ticks = path.read_text().split()
        return ProcessId(int(pid), int(ticks))
    except (FileNotFoundError, ValueError):
        return None


def write_pid_file(path: Path, proc: ProcessId) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{proc.pid} {proc.start_ticks}\n")


def run_as(user: str | None) -> dict[str, Any]:
    """subprocess arguments that run a child as user, with that user's group and none of ours (root's)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def start_detached(
    argv: list[str], log_path: Path, *, cwd: Path, user: str | None = None, priority: BatchPriority | None = None
) -> ProcessId:
    """Start argv in its own session, output appended to log_path; it outlives this Python process.

    `priority` lowers its CPU priority (inherited by every thread it starts)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(argv)}\n".encode())
        log.flush()
        # A new session: Ctrl-C or a closed terminal in the caller's session does not reach the stack.
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            # After setsid: the new session's scheduling group is niced too (see run_as_batch_work).
            preexec_fn=(partial(run_as_batch_work, priority, session_group=True)
                        if priority is not None and priority.lowered else None),
            **run_as(user),
        )
    _started[child.pid] = child
    proc = identify(child.pid)
    if proc is None:  # exited before we could look at it: report it like any early death
        return ProcessId(child.pid, -1)
    return proc


def wait_gone(proc: ProcessId, timeout_s: float) -> bool:
    """Poll until the process has exited; False if it is still there at the deadline."""
    deadline = time.monotonic() + timeout_s
    while is_alive(proc):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True


def terminate(proc: ProcessId, timeout_s: float) -> None:
    """SIGTERM the process group, wait up to timeout_s, then SIGKILL it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not is_alive(proc):
            return
        # The service leads its own process group (new session), so this also reaches its children.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        if wait_gone(proc, timeout_s):
            return


def _session_members(session_id: int) -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            # fields[3] is field 6 of stat: the session id.
            if fields is not None and int(fields[3]) == session_id:
                yield int(entry.name)


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def rss_mb(proc: ProcessId) -> float:
    """Resident memory of the service: its whole session, since postgres is one process per backend."""
    return sum(_rss_kib(pid) for pid in _session_members(proc.pid)) / 1024
