"""Start, stop and inspect the local real stack: `python stack/stackctl.py up|down|status`.

Importable too (`up()`, `down()`, `status()`), for the project's CLI. Every port, path and credential comes
from stack.settings (the service's settings plus the stack's own ports and knobs); logs go to var/log/<service>.log
and PIDs to var/run/<service>.pid.
"""

from __future__ import annotations

import argparse
import fcntl
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `stack` and `backend` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stack import LOOPBACK, druid_jvm, postgres, probes, processes, s3
from stack.processes import ProcessId
from stack.settings import StackSettings, get_stack_settings

STOP_TIMEOUT_S = 30.0  # per service; Druid stops in ~1 s with gracefulShutdownTimeout=PT1S
LOG_TAIL_LINES = 40

Action = Callable[[StackSettings], None]


def _nothing(settings: StackSettings) -> None:
    """For services that need no preparation or provisioning."""


@dataclass(frozen=True)
class Service:
    """One process of the stack and how to run it. Services start in table order and stop in reverse."""

    name: str
    command: Callable[[StackSettings], list[str]]
    ready: Callable[[StackSettings], bool]
    ports: Callable[[StackSettings], tuple[int, ...]]  # it listens on; must be free before it starts
    prepare: Action = _nothing  # before start: directories, configuration; idempotent
    provision: Action = _nothing  # once ready after a start: bucket, role, rules; idempotent
    stop: Action | None = None  # a graceful stop of its own; SIGTERM to the process group follows anyway
    user: str | None = None  # OS user to run as; None = ours
    background: bool = False  # batch work (ZooKeeper, Druid): runs at settings.stack_druid_priority


def _postgres_prepare(settings: StackSettings) -> None:
    postgres.prepare(settings, log_path(settings, "postgres"))


def _postgres_provision(settings: StackSettings) -> None:
    postgres.provision(settings)
    postgres.migrate(log_path(settings, "migrate"))


def _druid(
    name: str,
    heap: str,
    direct: str | None,
    ready: Callable[[StackSettings], bool],
    ports: Callable[[StackSettings], tuple[int, ...]],
    provision: Action = _nothing,
) -> Service:
    return Service(
        name=name,
        command=partial(druid_jvm.druid_command, service=name, heap=heap, direct=direct),
        ready=ready,
        ports=ports,
        prepare=druid_jvm.prepare,
        provision=provision,
        background=True,
    )


SERVICES: tuple[Service, ...] = (
    Service(
        "postgres",
        command=postgres.command,
        ready=postgres.is_ready,
        ports=lambda s: (s.postgres_port,),
        prepare=_postgres_prepare,
        provision=_postgres_provision,
        stop=postgres.stop,
        user=postgres.os_user(),
    ),
    Service(
        "s3",
        command=s3.command,
        ready=s3.server_answers,
        ports=lambda s: (s.s3_port,),
        provision=s3.ensure_bucket,
    ),
    Service(
        "zookeeper",
        command=druid_jvm.zookeeper_command,
        ready=druid_jvm.zookeeper_ready,
        ports=lambda s: (s.zookeeper_port,),
        prepare=druid_jvm.prepare,
        background=True,
    ),
    _druid(
        "coordinator",
        "512m",
        None,
        druid_jvm.coordinator_ready,
        ports=lambda s: (s.druid_coordinator_port, s.druid_metadata_port),  # Derby runs inside it
        provision=druid_jvm.set_default_load_rule,
    ),
    _druid("indexer", "1g", "256m", druid_jvm.indexer_ready, ports=lambda s: (s.druid_indexer_port,)),
    _druid("historical", "512m", "256m", druid_jvm.historical_ready, ports=lambda s: (s.druid_historical_port,)),
    _druid("broker", "512m", "256m", druid_jvm.broker_ready, ports=lambda s: (s.druid_broker_port,)),
)


class StackError(RuntimeError):
    """A service did not come up (or down); carries the log to show."""

    def __init__(self, message: str, log: Path | None = None) -> None:
        super().__init__(message)
        self.log = log


def log_path(settings: StackSettings, name: str) -> Path:
    return settings.var_dir / "log" / f"{name}.log"


def pid_path(settings: StackSettings, name: str) -> Path:
    return settings.var_dir / "run" / f"{name}.pid"


def running(settings: StackSettings, service: Service) -> ProcessId | None:
    """The service's recorded process if it is still alive."""
    proc = processes.read_pid_file(pid_path(settings, service.name))
    return proc if proc is not None and processes.is_alive(proc) else None


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"(no log at {path})"


@contextmanager
def _stack_lock(settings: StackSettings) -> Iterator[None]:
    """One up/down at a time: several engineers' shells share this stack."""
    path = settings.var_dir / "run" / "stackctl.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _wait_ready(settings: StackSettings, service: Service, proc: ProcessId) -> None:
    """Poll the readiness probe until the deadline; fail early if the process dies."""
    deadline = time.monotonic() + settings.stack_ready_timeout_s
    while True:
        if not processes.is_alive(proc):
            raise StackError(f"{service.name} exited before it was ready", log_path(settings, service.name))
        if service.ready(settings):
            return
        if time.monotonic() >= deadline:
            raise StackError(
                f"{service.name} not ready after {settings.stack_ready_timeout_s:.0f} s",
                log_path(settings, service.name),
            )
        time.sleep(processes.POLL_S)


def _start_service(settings: StackSettings, service: Service) -> ProcessId:
    # A foreign process on our port would answer the readiness probe while our process dies on bind.
    taken = [port for port in service.ports(settings) if probes.port_in_use(LOOPBACK, port)]
    if taken:
        raise StackError(f"{service.name}: port {taken} already in use by a process this stack did not start")
    service.prepare(settings)
    proc = processes.start_detached(
        service.command(settings),
        log_path(settings, service.name),
        cwd=settings.var_dir,
        user=service.user,
        priority=settings.stack_druid_priority if service.background else None,
    )
    processes.write_pid_file(pid_path(settings, service.name), proc)
    return proc


def _bring_up(settings: StackSettings, service: Service) -> str:
    """Make one service ready; returns what was done, for the report line."""
    proc = running(settings, service)
    if proc is not None and service.ready(settings):
        return f"already up (pid {proc.pid})"
    try:
        if proc is not None:
            # Alive but not ready: still starting (a JVM restarting, an earlier `up` cut short); wait for it.
            _wait_ready(settings, service, proc)
            return f"became ready (pid {proc.pid})"
        proc = _start_service(settings, service)
        _wait_ready(settings, service, proc)
        service.provision(settings)
        return f"started (pid {proc.pid})"
    except StackError:
        raise
    except Exception as exc:  # initdb, bucket, rules, migrations: report them like a failed start
        raise StackError(f"{service.name}: {exc}", log_path(settings, service.name)) from exc


def up(settings: StackSettings | None = None) -> None:
    """Start every service not yet running, one after another, each waited for; raises StackError."""
    settings = settings or get_stack_settings()
    if not druid_jvm.lib_installed(settings):
        missing = f"Druid {settings.druid_version} jars are not in {druid_jvm.lib_dir(settings)}"
        raise StackError(f"{missing}: run stack/install.sh")
    total_start = time.monotonic()
    with _stack_lock(settings):
        for service in SERVICES:
            start = time.monotonic()
            outcome = _bring_up(settings, service)
            print(f"{service.name:<12} {time.monotonic() - start:6.1f} s  {outcome}", flush=True)
    print(f"{'total':<12} {time.monotonic() - total_start:6.1f} s  stack ready", flush=True)


def _stop_service(settings: StackSettings, service: Service, proc: ProcessId) -> None:
    if service.stop is not None:
        service.stop(settings)
    # Also the path after a custom stop: signals whatever is left, SIGKILL at the deadline.
    processes.terminate(proc, STOP_TIMEOUT_S)
    if processes.is_alive(proc):
        raise StackError(f"{service.name} (pid {proc.pid}) survived SIGKILL", log_path(settings, service.name))


def down(settings: StackSettings | None = None) -> None:
    """Stop the services this stack started (by their PID files), last started first."""
    settings = settings or get_stack_settings()
    with _stack_lock(settings):
        for service in reversed(SERVICES):
            start = time.monotonic()
            proc = running(settings, service)
            if proc is None:
                outcome = "not running"
            else:
                _stop_service(settings, service, proc)
                outcome = f"stopped (pid {proc.pid})"
            pid_path(settings, service.name).unlink(missing_ok=True)
            print(f"{service.name:<12} {time.monotonic() - start:6.1f} s  {outcome}", flush=True)


def status(settings: StackSettings | None = None) -> bool:
    """Print each service's state, PID and resident memory; True if every service is up and ready."""
    settings = settings or get_stack_settings()
    total_mb = 0.0
    all_up = True
    print(f"{'service':<12} {'state':<10} {'pid':>8} {'rss MB':>8}")
    for service in SERVICES:
        proc = running(settings, service)
        if proc is None:
            all_up = False
            print(f"{service.name:<12} {'down':<10} {'-':>8} {'-':>8}")
            continue
        state = "up" if service.ready(settings) else "not ready"
        all_up = all_up and state == "up"
        rss = processes.rss_mb(proc)
        total_mb += rss
        print(f"{service.name:<12} {state:<10} {proc.pid:>8} {rss:>8.0f}")
    print(f"{'total':<12} {'':<10} {'':>8} {total_mb:>8.0f}")
    return all_up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stackctl", description="Start, stop and inspect the local stack.")
    parser.add_argument("command", choices=("up", "down", "status"))
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            up()
        elif args.command == "down":
            down()
        else:
            return 0 if status() else 1
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.log is not None:
            print(f"---- last lines of {exc.log} ----\n{log_tail(exc.log)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
