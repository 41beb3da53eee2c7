"""The service under a benchmark: its own database, its own API and one worker on a spare port, and the peak RSS
of either sampled from /proc while a part runs. Used by bench/throughput.py.

The database is `<main database>_bench` (druid_ingest_bench by default) on the local stack's PostgreSQL, created
and migrated the way tests/database.py prepares the tests' one, so no demo worker (main database) and no test
session (`*_test`) ever claims the bench's jobs, nor the bench theirs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psycopg
import requests
from psycopg import sql
from sqlalchemy.engine import make_url

from backend.settings import REPO_ROOT, Settings

SUFFIX = "_bench"


def bench_database_url() -> str:
    """The main database URL (INGEST_DATABASE_URL or the default) with `_bench` after the database name."""
    url = make_url(Settings().database_url)
    name = url.database or "druid_ingest"
    if not name.endswith(SUFFIX):
        url = url.set(database=name + SUFFIX)
    return url.render_as_string(hide_password=False)


def ensure_database(database_url: str, log: Path) -> None:
    """Create the bench's database if missing (through the local stack's superuser socket, as `make up` provisions
    the main one, else as the role itself), then migrate it to head in a child process."""
    url = make_url(database_url)
    try:
        from stack import postgres
        from stack.settings import StackSettings

        postgres.provision(StackSettings(database_url=database_url))
    except (psycopg.Error, OSError, RuntimeError) as exc:
        try:
            with psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                                 password=url.password, dbname="postgres", autocommit=True,
                                 connect_timeout=5) as admin:
                exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
                if exists is None:
                    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(url.database))))
        except psycopg.Error as second:
            raise SystemExit(f"cannot create the bench database {url.database}: through the stack ({exc}), as "
                             f"role {url.username} ({second}). Run `make up` first.") from second
    with log.open("ab") as out:
        done = subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], cwd=REPO_ROOT, stdout=out,
                              stderr=subprocess.STDOUT, env={**os.environ, "INGEST_DATABASE_URL": database_url},
                              timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"migrating {url.database} exited {done.returncode} (see {log})")


def bench_key(database_url: str | None = None) -> str:
    """An admin API key for the bench's requests: access control stays on (the product's default), so every
    figure includes checking a key. Made through the CLI, straight in PostgreSQL (`users create-admin --reset`,
    `keys create --user`), on `database_url` (default: the main database)."""
    env = {**os.environ, "BENCH_ADMIN_PASSWORD": "bench-admin-password"}
    if database_url:
        env["INGEST_DATABASE_URL"] = database_url
    cli = [sys.executable, "-m", "backend.cli"]
    subprocess.run([*cli, "users", "create-admin", "--username", "bench-admin", "--password-env",
                    "BENCH_ADMIN_PASSWORD", "--reset"], env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    made = subprocess.run([*cli, "keys", "create", "--user", "bench-admin", "--name", "bench", "--scope", "admin",
                           "--scope", "metrics"], env=env, cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    return made.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- memory ---------------------------------------------------------------------------------------------------------

def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    return found


@dataclass
class RssPeak:
    """Samples a process's VmRSS, and the sum over it and its descendants (uvicorn's workers, a worker's CPU pool),
    every `interval_s` in a thread, while the `with` block runs."""

    pid: int
    interval_s: float = 0.1
    main_mb: float = 0.0
    tree_mb: float = 0.0
    largest_child_mb: float = 0.0
    processes: int = 1
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        members = [self.pid, *descendants(self.pid)]
        sizes = [rss_mb(pid) for pid in members]
        self.main_mb = max(self.main_mb, sizes[0])
        self.largest_child_mb = max(self.largest_child_mb, *sizes[1:], 0.0)
        if sum(sizes) > self.tree_mb:
            self.tree_mb = sum(sizes)
            self.processes = len([s for s in sizes if s > 0])

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def __enter__(self) -> RssPeak:
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def describe(self) -> str:
        return (f"{self.main_mb:,.0f} MB (the process), {self.tree_mb:,.0f} MB with its children "
                f"({self.processes} processes; largest child {self.largest_child_mb:,.0f} MB)")


# --- the API and the worker ---------------------------------------------------------------------------------------

@dataclass
class Service:
    """The API (`druid-ingest serve`) and at most one worker (`druid-ingest worker`) on the bench's database."""

    database_url: str
    log_dir: Path
    port: int = field(default_factory=free_port)
    api: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **overrides: str) -> dict[str, str]:
        return {**os.environ, "INGEST_DATABASE_URL": self.database_url, "INGEST_API_PORT": str(self.port),
                **overrides}

    def _start(self, command: list[str], log_name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self.log_dir / log_name).open("ab") as log:
            # A session of its own, as `druid-ingest app up` starts its processes: the worker lowers its session's
            # CPU group (backend.cpu_priority), and the whole group can be stopped by its id.
            return subprocess.Popen([sys.executable, "-m", "backend.cli", *command], env=env, cwd=REPO_ROOT,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def start_api(self, timeout_s: float = 120) -> None:
        self.api = self._start(["serve", "--port", str(self.port)], "bench-throughput-api.log", self.env())
        deadline = time.monotonic() + timeout_s
        while True:
            if self.api.poll() is not None:
                raise SystemExit(f"the API exited {self.api.returncode} (see {self.log_dir}/bench-throughput-api.log)")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"the API at {self.url} was not ready within {timeout_s:.0f} s")
            time.sleep(0.3)

    def start_worker(self, timeout_s: float = 120, **overrides: str) -> subprocess.Popen[bytes]:
        """A worker with the default settings plus `overrides` (INGEST_* names), once it has logged that it started
        (its imports and pool are then not counted in a part's time); the previous one is stopped first."""
        self.stop_worker()
        log = self.log_dir / "bench-throughput-worker.log"
        offset = log.stat().st_size if log.exists() else 0
        self.worker = self._start(["worker"], log.name, self.env(**overrides))
        deadline = time.monotonic() + timeout_s
        while True:
            with log.open("rb") as out:
                out.seek(offset)
                if b"worker started" in out.read():
                    return self.worker
            if self.worker.poll() is not None:
                raise SystemExit(f"the worker exited {self.worker.returncode} (see {log})")
            if time.monotonic() > deadline:
                raise SystemExit(f"the worker did not log that it started within {timeout_s:.0f} s (see {log})")
            time.sleep(0.2)

    def stop_worker(self) -> None:
        if self.worker is not None:
            _stop(self.worker, timeout_s=60)
            self.worker = None

    def stop(self) -> None:
        self.stop_worker()
        if self.api is not None:
            _stop(self.api, timeout_s=30)
            self.api = None


def _stop(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """SIGTERM (a worker then lets go of its leases), then SIGKILL to the process group this bench started."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    # Children (uvicorn's workers, a worker's CPU pool) left behind by a leader that is gone.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
