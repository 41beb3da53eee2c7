"""Keeping the background processes of `druid-ingest app up` running: pid files that name a process exactly (a
pid plus the kernel's start time of that process, so a zombie or a recycled pid never counts as ours), and a
supervisor that restarts a worker that died.

The worker's own jobs survive its death anyway (its lease expires and a worker takes them over); what the
supervisor prevents is a queue that stands still because no worker is left.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("backend.supervise")

# A child that ran this long before dying is restarted at once; one that keeps dying at start waits longer each
# time (up to RESTART_MAX_DELAY_S), so a broken configuration does not spin.
STABLE_RUN_S = 60.0
RESTART_MAX_DELAY_S = 30.0


@dataclass(frozen=True)
class ProcessId:
    pid: int
    start_ticks: int

    def is_alive(self) -> bool:
        fields = _stat_fields(self.pid)
        return fields is not None and fields[0] != "Z" and int(fields[19]) == self.start_ticks


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def identify(pid: int) -> ProcessId | None:
    fields = _stat_fields(pid)
    return ProcessId(pid, int(fields[19])) if fields else None  # fields[19] is stat's field 22, starttime


def write_pid_file(path: Path, pid: int) -> None:
    proc = identify(pid)
    path.write_text(f"{pid} {proc.start_ticks if proc else 0}\n")


def read_pid_file(path: Path) -> ProcessId | None:
    """The process a pid file names, if that very process still runs.

    A file written before start times were recorded holds the pid alone: then the process counts as ours when it
    runs `backend.cli` (so `app down` after an upgrade still stops what the old version started)."""
    try:
        parts = [int(part) for part in path.read_text().split()[:2]]
    except (OSError, ValueError):
        return None
    if len(parts) == 1:
        found = identify(parts[0])
        return found if found is not None and found.is_alive() and _runs_our_cli(parts[0]) else None
    if len(parts) != 2:
        return None
    proc = ProcessId(parts[0], parts[1])
    return proc if proc.is_alive() else None


def _runs_our_cli(pid: int) -> bool:
    try:
        return b"backend.cli" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it when the supervisor dies (even by SIGKILL), so no worker outlives the
    supervisor that `app up` and `app down` know of (Linux's PR_SET_PDEATHSIG)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def supervise(command: list[str], stop: threading.Event) -> int:
    """Run `command`, starting it again whenever it exits, until `stop` is set; then stop it (SIGTERM) too."""
    delay = 1.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            child = subprocess.Popen(command, preexec_fn=_die_with_parent)
        except OSError as exc:  # e.g. too many open files: wait and try again rather than stop supervising
            log.warning("could not start the supervised process", extra={"error": str(exc)})
            stop.wait(delay)
            delay = min(delay * 2, RESTART_MAX_DELAY_S)
            continue
        log.info("supervised process started", extra={"pid": child.pid, "command": command[-1]})
        while child.poll() is None:
            if stop.wait(0.5):
                child.send_signal(signal.SIGTERM)
                try:
                    return child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    return child.wait()
        if stop.is_set():
            break
        ran_s = time.monotonic() - started
        delay = 1.0 if ran_s >= STABLE_RUN_S else min(delay * 2, RESTART_MAX_DELAY_S)
        log.warning("supervised process exited; starting it again",
                    extra={"pid": child.pid, "returncode": child.returncode, "ran_s": round(ran_s, 1),
                           "restart_in_s": delay})
        stop.wait(delay)
    return 0
