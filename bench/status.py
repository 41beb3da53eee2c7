"""Job status latency under load: p50/p90/p99/max of GET /api/v1/jobs/{id} at a fixed request rate while a big job
runs, against the running local stack.

Starts its own API (on a spare port) and one worker, uploads a generated sales CSV (500k rows by default, HIGH
priority, force=true), and once a worker has started on it, a second process sends GET /api/v1/jobs/{id} for that
job open-loop: request i is due at start + i / rate whatever the earlier answers did, over a pool of keep-alive
connections (loopback only, a bounded number of requests, a deadline). Latency is measured from the moment each
request was due, so a slow answer delays the requests queued behind it and shows up in their latency rather than
lowering the rate; the time from writing the request to its answer is printed beside it.
If the job is still running after that window, the same load runs against a server that answers at once with fixed
bytes (the floor while the job runs: what the busy machine, the loopback and the generator cost by themselves).
Then the job is cancelled (so the shared stack is not left busy) unless --finish asks to wait for it, and the same
load runs again with no job running (the baseline), and once more against the fixed-answer server (the floor on the
quiet machine), side by side.
Beside each run: the API's CPU per request and the share of CPU time the hypervisor stole; for the run while the
job runs, p99 per --slice seconds next to the job's step at the time (which step the tail comes from).
PASS/FAIL judges the run while the job runs.

Usage: python bench/status.py [--rate 200] [--duration 30] [--rows 500000] [--connections 16] [--finish]
                              [--baseline-duration 15]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvloop

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_service import bench_key  # noqa: E402 - needs REPO on the path
from bench.machine import machine_ticks, steal_share  # noqa: E402 - needs REPO on the path

TERMINAL = {"succeeded", "rejected", "failed", "cancelled"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TARGET_P99_MS = 20.0


# --- the load generator (runs in its own process) -----------------------------------------------------------------

class Connection:
    """One keep-alive HTTP/1.1 connection: just enough of the protocol to GET a JSON document."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def get(self, request: bytes) -> tuple[int, bool]:
        """(status, whether the connection may be reused)."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        else:
            return status, False
        return status, headers.get("connection", "").lower() != "close"

    def close(self) -> None:
        self.writer.close()


@dataclass
class LoadResult:
    scheduled: int = 0
    latency_ms: list[float] = field(default_factory=list)  # from when the request was due
    service_ms: list[float] = field(default_factory=list)  # from writing the request
    due_s: list[float] = field(default_factory=list)  # when each answered request was due, from the first
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    started_at: float = 0.0  # time.time() when the first request was due
    elapsed_s: float = 0.0  # from the first request due to the last answer


async def generate_load(url: str, rate: float, duration_s: float, connections: int, timeout_s: float,
                        warmup: int) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {host}: loopback only")
    target = parts.path or "/"
    # The bench admin's key (access control stays on, as by default): every request is authenticated.
    key = os.environ.get("BENCH_API_KEY")
    authorization = f"Authorization: Bearer {key}\r\n" if key else ""
    request = (f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n{authorization}"
               "\r\n").encode()
    # perf_counter, not loop.time(): uvloop's loop clock ticks in whole milliseconds.
    clock = time.perf_counter
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await Connection.open(host, port))
    open_count = connections
    for _ in range(warmup):  # first-request costs (pools, caches) are not what is measured
        connection = await idle.get()
        await connection.get(request)
        idle.put_nowait(connection)

    result = LoadResult(scheduled=int(rate * duration_s))
    start = clock() + 0.05
    result.started_at = time.time() + 0.05

    async def one(due: float) -> None:
        nonlocal open_count
        try:
            if idle.empty() and open_count < connections:
                open_count += 1
                connection = await Connection.open(host, port)
            else:
                connection = await idle.get()
        except OSError as exc:
            open_count -= 1
            result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1
            return
        sent = clock()
        try:
            status, reusable = await asyncio.wait_for(connection.get(request), timeout_s)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError) as exc:
            connection.close()
            open_count -= 1
            result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1
            return
        done = clock()
        if reusable:
            idle.put_nowait(connection)
        else:
            connection.close()
            open_count -= 1
        result.statuses[str(status)] = result.statuses.get(str(status), 0) + 1
        if status != 200:
            result.errors[f"HTTP {status}"] = result.errors.get(f"HTTP {status}", 0) + 1
        result.latency_ms.append((done - due) * 1000)
        result.service_ms.append((done - sent) * 1000)
        result.due_s.append(due - start)

    tasks = []
    for i in range(result.scheduled):
        due = start + i / rate
        delay = due - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    _, pending = await asyncio.wait(tasks, timeout=timeout_s + 1)
    for task in pending:
        task.cancel()
    if pending:
        result.errors["unfinished"] = len(pending)
    result.elapsed_s = clock() - start
    return result


def load_main(args: argparse.Namespace) -> None:
    gc.disable()  # the generator's own pauses would show up as server latency
    # uvloop, as the API runs: the lighter the generator, the less it competes with the server it measures.
    result = uvloop.run(generate_load(args.load, args.rate, args.duration, args.connections, args.timeout,
                                       args.warmup))
    json.dump(result.__dict__, sys.stdout)


async def serve_fixed_answer(port: int) -> None:
    """The floor: an HTTP server answering every request at once with the same small JSON, so what the load shows
    against it is the machine, the loopback and the generator, not the service."""
    body = b'{"state":"indexing"}'
    answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(answer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


# --- the orchestrator --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its child processes (the API serves from several uvicorn worker processes)."""
    total = 0.0
    for member in [pid, *_children(pid)]:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError):
            for child in (task / "children").read_text().split():
                found += [int(child), *_children(int(child))]
    return found


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def wait_until(check: Any, timeout_s: float, what: str) -> Any:
    import requests

    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(requests.RequestException):
            value = check()
            if value:
                return value
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} within {timeout_s:.0f} s: no")
        time.sleep(0.2)


@dataclass
class JobWatch:
    """Samples the job's state once a second, straight from Postgres (not through the API under test)."""

    job_id: uuid.UUID
    states: list[str] = field(default_factory=list)
    seen_at: list[float] = field(default_factory=list)  # time.time() of each state sample
    holders: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)

    def connect(self) -> None:
        """Import the database modules and take a first sample: the CPU this costs stays out of the window."""
        self._sample()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self._sample()

    def _sample(self) -> None:
        from sqlalchemy import text

        from backend.db.session import session_scope

        with session_scope() as session:
            row = session.execute(text("SELECT state, lease_owner FROM jobs WHERE id = :id"),
                                  {"id": self.job_id}).one()
        self.states.append(row[0])
        self.seen_at.append(time.time())
        if row[1]:
            self.holders.add(row[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)


def run(args: argparse.Namespace) -> int:
    import requests

    from backend.client import IngestClient
    from backend.sample_data import generate_sales
    from backend.settings import get_settings

    logs = get_settings().var_dir / "log"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, INGEST_API_PORT=str(port))
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    api = start([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env, logs / "bench-status-api.log")
    worker = start([sys.executable, "-m", "backend.cli", "worker"], env, logs / "bench-status-worker.log")
    os.environ["BENCH_API_KEY"] = bench_key()  # the main database's, which this bench's API uses
    client = IngestClient(url, api_key=os.environ["BENCH_API_KEY"])
    job_id: str | None = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"bench-status-{args.rows}.csv"
            generate_sales(args.rows, seed=random.randrange(1 << 30)).write_csv(path)
            wait_until(lambda: requests.get(f"{url}/ready", timeout=2).status_code == 200, 60, "API ready")
            print(f"API {url} (pid {api.pid}), worker pid {worker.pid}; uploading {args.rows} rows "
                  f"({path.stat().st_size / 1e6:.0f} MB)")
            accepted = client.upload(path, {"datasource": "sales", "priority": "HIGH", "force": "true"})
        job_id = str(accepted["job_id"])
        state = wait_until(lambda: (s := client.job(str(job_id))["state"]) != "queued" and s, 120,
                           "a worker started on the job")
        target = f"{url}/api/v1/jobs/{job_id}"
        print(f"job {job_id} is {state}; GET /api/v1/jobs/{{id}} at {args.rate:.0f}/s over {args.connections} "
              "keep-alive connections")

        watch = JobWatch(uuid.UUID(job_id))
        watch.connect()  # imports and the first connection happen before the window, not in it
        watcher = threading.Thread(target=watch.run, daemon=True)
        watcher.start()
        busy = measure(args, target, args.duration, api.pid)
        watch.stop.set()
        watcher.join()
        state_at_end = client.job(job_id)["state"]
        verdict = report(f"while the job runs ({args.duration:.0f} s)", args, busy)
        describe_job(watch, state_at_end, worker.pid)
        print_slices(busy.result, watch, args.slice)
        if args.baseline_duration > 0 and client.job(job_id)["state"] not in TERMINAL:
            # What the machine itself delivers meanwhile: the same load against the fixed-answer server.
            busy_floor = measure_floor(args)
            report(f"floor while the job still runs ({args.baseline_duration:.0f} s; job "
                   f"{client.job(job_id)['state']} at the end)", args, busy_floor)
            if busy_floor.answered:
                print(f"p99 while the job runs / floor p99 meanwhile: {busy.p99 / busy_floor.p99:.1f}x")
        finish(args, client, job_id)
        job_id = None
        if args.baseline_duration > 0 and busy.answered:
            idle = measure(args, target, args.baseline_duration, api.pid)
            report(f"baseline, no job running ({args.baseline_duration:.0f} s)", args, idle)
            if idle.answered:
                print(f"p99 while the job runs / baseline p99: {busy.p99 / idle.p99:.1f}x")
            floor = measure_floor(args)
            report(f"floor: a fixed-answer server in its own process, same load ({args.baseline_duration:.0f} s)",
                   args, floor)
            if floor.answered:
                print(f"baseline p99 / floor p99: {idle.p99 / floor.p99:.1f}x")
            measure_authentication_cost(args, idle, env, logs, job_id=str(accepted["job_id"]))
        print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
        print(verdict)
        return 0 if verdict.startswith("PASS") else 1
    finally:
        if job_id is not None:
            finish(args, client, job_id)
        for process in (worker, api):
            process.terminate()
        for process in (worker, api):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class Phase:
    result: LoadResult
    api_cpu_s: float
    load: list[float]
    steal: float | None = None

    @property
    def answered(self) -> int:
        return len(self.result.latency_ms)

    @property
    def p99(self) -> float:
        return percentile(self.result.latency_ms, 99)


def measure(args: argparse.Namespace, target: str, duration: float, api_pid: int) -> Phase:
    """One load run from a separate process, with the API's CPU time and the load average around it."""
    load_samples: list[float] = []
    done = threading.Event()

    def sample_load() -> None:
        while not done.wait(1.0):
            load_samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample_load, daemon=True)
    cpu_before = cpu_seconds(api_pid)
    ticks_before = machine_ticks()
    sampler.start()
    process = subprocess.run(
        [sys.executable, __file__, "--load", target, "--rate", str(args.rate), "--duration", str(duration),
         "--connections", str(args.connections), "--timeout", str(args.timeout), "--warmup", str(args.warmup)],
        capture_output=True, text=True, timeout=duration + args.timeout + 60, check=False, cwd=REPO,
    )
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{process.stderr}")
    return Phase(LoadResult(**json.loads(process.stdout)), cpu_seconds(api_pid) - cpu_before, load_samples,
                 steal_share(ticks_before, machine_ticks()))


def measure_authentication_cost(args: argparse.Namespace, with_key: Phase, env: dict[str, str], logs: Path,
                                job_id: str) -> None:
    """The same idle load against a second API with access control off, side by side with the baseline (every
    request carrying the bench admin's key): what checking a key costs per request."""
    import requests

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api = start([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)],
                dict(env, INGEST_API_PORT=str(port), INGEST_AUTH_REQUIRED="false"), logs / "bench-status-api-open.log")
    key = os.environ.pop("BENCH_API_KEY")
    try:
        wait_until(lambda: requests.get(f"{url}/ready", timeout=2).status_code == 200, 60, "open API ready")
        open_phase = measure(args, f"{url}/api/v1/jobs/{job_id}", args.baseline_duration, api.pid)
    finally:
        os.environ["BENCH_API_KEY"] = key
        api.terminate()
        api.wait(timeout=30)
    report(f"access control off, no key, no job running ({args.baseline_duration:.0f} s)", args, open_phase)
    if open_phase.answered and with_key.answered:
        def per_request(phase: Phase) -> float:
            return phase.api_cpu_s / max(phase.answered + args.warmup, 1) * 1000

        print(f"checking the key: +{per_request(with_key) - per_request(open_phase):.2f} ms of API CPU per request "
              f"({per_request(with_key):.2f} vs {per_request(open_phase):.2f}); p50 "
              f"{percentile(with_key.result.service_ms, 50):.2f} vs {percentile(open_phase.result.service_ms, 50):.2f}"
              f" ms, p99 {with_key.p99:.2f} vs {open_phase.p99:.2f} ms (key / off: "
              f"{with_key.p99 / open_phase.p99:.2f}x)")


def measure_floor(args: argparse.Namespace) -> Phase:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--fixed-answer-port", str(port)], cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the fixed-answer server did not listen within 30 s") from None
                time.sleep(0.1)
        return measure(args, f"http://127.0.0.1:{port}/floor", args.baseline_duration, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(title: str, args: argparse.Namespace, phase: Phase) -> str:
    """Print one phase's figures; returns its PASS/FAIL line."""
    result = phase.result
    errors = sum(result.errors.values())
    rps = phase.answered / result.elapsed_s if result.elapsed_s else 0.0
    print(f"-- {title}")
    print(f"requests: {result.scheduled} scheduled, {phase.answered} answered in {result.elapsed_s:.1f} s "
          f"-> {rps:.1f} req/s achieved; errors {errors} {result.errors or ''}; statuses {result.statuses}")
    if phase.load:
        print(f"load average (1 min): min {min(phase.load):.2f} mean {statistics.fmean(phase.load):.2f} "
              f"max {max(phase.load):.2f} on {os.cpu_count()} CPUs; server process CPU "
              f"{phase.api_cpu_s / max(result.elapsed_s, 1e-9) * 100:.0f}% of one core, "
              f"{phase.api_cpu_s / max(phase.answered + args.warmup, 1) * 1000:.1f} ms per request"
              + (f"; CPU time stolen by the hypervisor {phase.steal:.1%}" if phase.steal is not None else ""))
    if not phase.answered:
        return "FAIL: no answers"
    for name, values in (("latency (from due time)", result.latency_ms), ("service (from write)", result.service_ms)):
        print(f"{name:<24} p50 {percentile(values, 50):7.2f} ms  p90 {percentile(values, 90):7.2f} ms  "
              f"p99 {percentile(values, 99):7.2f} ms  max {max(values):8.2f} ms")
    ok = phase.p99 < args.target_p99_ms and errors == 0
    return (f"{'PASS' if ok else 'FAIL'} (while the job runs): p99 {phase.p99:.2f} ms "
            f"{'<' if phase.p99 < args.target_p99_ms else '>='} {args.target_p99_ms:.0f} ms, {errors} errors")


def describe_job(watch: JobWatch, state_at_end: str, worker_pid: int) -> None:
    running = sum(1 for s in watch.states if s not in TERMINAL)
    seen = " -> ".join(s for i, s in enumerate(watch.states) if i == 0 or watch.states[i - 1] != s)
    ours = any(holder.split(":")[1:2] == [str(worker_pid)] for holder in watch.holders)
    holders = "yes" if ours else f"no ({', '.join(sorted(watch.holders)) or 'nobody'})"
    print(f"job during the window: {seen} (in progress in {running}/{len(watch.states)} samples; "
          f"held by this bench's worker: {holders}); state at the end of the window: {state_at_end}")


def print_slices(result: LoadResult, watch: JobWatch, slice_s: float = 5.0) -> None:
    """p99 and max per slice of the window, beside the job's state then: which step the tail comes from."""
    slices: dict[int, list[float]] = {}
    for due, latency in zip(result.due_s, result.latency_ms, strict=True):
        slices.setdefault(int(due // slice_s), []).append(latency)
    parts = []
    for index, values in sorted(slices.items()):
        at = result.started_at + (index + 0.5) * slice_s
        states = [s for s, t in zip(watch.states, watch.seen_at, strict=True) if abs(t - at) <= slice_s / 2]
        state = "/".join(dict.fromkeys(states)) or "?"
        parts.append(f"{index * slice_s:.0f}-{(index + 1) * slice_s:.0f} s {state}: p99 {percentile(values, 99):.1f} "
                     f"max {max(values):.1f}")
    print("by slice (ms): " + "; ".join(parts))


def finish(args: argparse.Namespace, client: Any, job_id: str) -> None:
    """Leave the shared stack as found: wait for the job (--finish) or cancel it."""

    try:
        if args.finish:
            job = client.wait(job_id, args.finish_timeout)
        else:
            job = client.job(job_id)
            if job["state"] not in TERMINAL:
                client.call("POST", f"/api/v1/jobs/{job_id}/cancel")
                job = client.job(job_id)
        print(f"job {job_id} afterwards: {job['state']} {job.get('code') or ''}".rstrip())
    except Exception as exc:  # report and carry on stopping the processes
        print(f"could not finish job {job_id}: {exc}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (open loop)")
    parser.add_argument("--slice", type=float, default=5.0, help="seconds per slice of the by-slice p99 line")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--rows", type=int, default=500_000, help="rows in the job that runs meanwhile")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections in the pool (max)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a request counts as an error")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    parser.add_argument("--baseline-duration", type=float, default=15.0,
                        help="seconds of the same load once the job has ended, for comparison (0: none)")
    parser.add_argument("--target-p99-ms", type=float, default=TARGET_P99_MS)
    parser.add_argument("--finish", action="store_true", help="wait for the job to end instead of cancelling it")
    parser.add_argument("--finish-timeout", type=float, default=900.0)
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # the load-generator process
    parser.add_argument("--fixed-answer-port", type=int, help=argparse.SUPPRESS)  # the floor's server process
    args = parser.parse_args()
    if args.load:
        load_main(args)
        return
    if args.fixed_answer_port:
        uvloop.run(serve_fixed_answer(args.fixed_answer_port))
        return
    raise SystemExit(run(args))


if __name__ == "__main__":
    main()
