"""Pid files name a process exactly: a pid plus its start time; an old file (the pid alone) counts only for a
process that runs our CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backend.supervise import identify, read_pid_file, write_pid_file


def test_a_pid_file_names_this_very_process(tmp_path: Path) -> None:
    path = tmp_path / "x.pid"
    write_pid_file(path, os.getpid())
    assert read_pid_file(path) == identify(os.getpid())


def test_a_recycled_pid_is_not_ours(tmp_path: Path) -> None:
    path = tmp_path / "x.pid"
    path.write_text(f"{os.getpid()} 1\n")  # alive, but started at another time
    assert read_pid_file(path) is None


def test_an_old_one_field_file_counts_only_for_our_cli(tmp_path: Path) -> None:
    path = tmp_path / "x.pid"
    path.write_text(f"{os.getpid()}\n")  # pytest, not backend.cli
    assert read_pid_file(path) is None
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "backend.cli"])
    try:
        path.write_text(f"{ours.pid}\n")
        assert read_pid_file(path) is not None
    finally:
        ours.kill()
        ours.wait()
    assert read_pid_file(path) is None


def test_a_dead_or_malformed_file_is_nobody(tmp_path: Path) -> None:
    path = tmp_path / "x.pid"
    assert read_pid_file(path) is None
    path.write_text("not a pid")
    assert read_pid_file(path) is None
