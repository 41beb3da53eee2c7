"""Many uploads at once (issue 14): druid-ingest's whole journey, upload to queryable, against the goals and against
plain Druid, measured side by side in one run through the public HTTP API and Druid's own APIs only.

Starts its own API and ONE worker (`druid-ingest serve` / `druid-ingest worker`) on a spare port and a database of
its own (`druid_ingest_bench`, created and migrated here; bench/bench_service.py), against the running local stack
(`make up` first). Every part declares datasources of its own through the registry (the built-in `sales`
definition, a Druid datasource named `bench_<part>_<tag>`), so the Druid tasks and segments counted are its own.

1. Many small files: --files CSV files of 1,000 distinct sales rows each (spanning 30 days), uploaded by 10
   concurrent clients; first upload to last job `succeeded`, Druid tasks and segments created, segments per time
   chunk beside the shared tasks whose jobs have rows in that chunk, every job's receipt (druid_rows == rows_valid
   == 1,000, and a broker SQL count per ingest_job_id). Coalesced, then with INGEST_DRUID_COALESCE=false (one Druid
   task per job), each with a fresh worker. Goals: >= 5x faster than one task per job, <= 1 Druid task per 20 jobs,
   segments per chunk <= shared tasks touching it, every receipt exact.
2. Records one at a time: --records single-record POSTs to /api/v1/datasources/{name}/records from 20 concurrent
   clients; accepted records/s, p50/p99 acceptance latency, last POST to all rows queryable (broker COUNT(*)), Druid
   tasks and segments. Goals: >= 500 records/s, p99 < 100 ms, all queryable within 30 s of the last POST.
3. One large file end to end: a --rows sales CSV (generated once, cached under var/bench/), upload to queryable,
   by step from the job's events, beside plain Druid in the same run: the same CSV put into the same bucket with
   boto3 and ingested by a hand-written index_parallel spec (bench/plain_druid.py), S3 put to COUNT(*) = rows.
   Goal: ours <= 1.15x plain Druid's time; the table says where the difference goes.
4. Peak RSS of the worker during parts 1 and 3 and of the API during part 2 (VmRSS sampled from /proc).

Prints every figure and a PASS/FAIL line per goal; exits 1 if any goal fails (or a part could not run to its end).
The bench's Druid datasources are marked unused at the end (--keep leaves them) and its S3 object deleted.

Usage: python bench/throughput.py [--parts 1,2,3] [--files 200] [--records 5000] [--rows 1000000] [--tag T]
                                  [--quick] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import statistics
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.client import IngestClient  # noqa: E402 - needs REPO on the path
from backend.settings import Settings  # noqa: E402
from bench.bench_service import RssPeak, Service, bench_database_url, bench_key, ensure_database  # noqa: E402
from bench.machine import machine_ticks, steal_share  # noqa: E402
from bench.plain_druid import Druid, delete_object, plain_spec, put_file  # noqa: E402

TERMINAL = ("succeeded", "rejected", "failed", "cancelled")
ROWS_PER_FILE = 1_000
UPLOAD_CLIENTS = 10
RECORD_CLIENTS = 20
DAYS = 30
# The goals of issue 14's benchmark section.
GOAL_SPEEDUP = 5.0
GOAL_JOBS_PER_TASK = 20
GOAL_RECORDS_PER_S = 500.0
GOAL_P99_MS = 100.0
GOAL_QUERYABLE_S = 30.0
GOAL_PLAIN_RATIO = 1.15


# --- small helpers ------------------------------------------------------------------------------------------------

def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} s"


class Verdicts:
    """PASS/FAIL lines, printed as they are judged and once more together at the end."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def judge(self, passed: bool, goal: str, measured: str) -> None:
        line = f"{'PASS' if passed else 'FAIL'}  {goal}: {measured}"
        self.lines.append(line)
        print(line)

    @property
    def failed(self) -> bool:
        return any(line.startswith("FAIL") for line in self.lines)


# The bench admin's key, sent with every request (access control stays on, as by default).
AUTHORIZATION: dict[str, str] = {}


@dataclass
class Api:
    """The bench's view of druid-ingest's public HTTP API."""

    url: str
    http: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"{self.url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def create_datasource(self, name: str) -> None:
        """A datasource of the bench's own with the built-in `sales` definition, Druid datasource of the same name."""
        sales = self.get("/api/v1/datasources/sales")
        definition = self.get(f"/api/v1/datasources/sales/schemas/{sales['schema_version']}")["definition"]
        body = {**definition, "name": name, "druid_datasource": name,
                "description": "bench/throughput.py (issue 14)"}
        response = self.http.post(f"{self.url}/api/v1/datasources", json=body, timeout=60)
        if response.status_code != 201:
            raise RuntimeError(f"creating datasource {name}: {response.status_code} {response.text[:500]}")

    def count(self, datasource: str, state: str) -> int:
        return int(self.get("/api/v1/jobs", datasource=datasource, state=state, limit=1)["total"])

    def jobs(self, datasource: str) -> list[dict[str, Any]]:
        """Every job of the datasource (summaries, no events), paged."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.get("/api/v1/jobs", datasource=datasource, limit=500, offset=len(items))
            items += page["items"]
            if not page["items"] or len(items) >= page["total"]:
                return items

    def job(self, job_id: str) -> dict[str, Any]:
        document: dict[str, Any] = self.get(f"/api/v1/jobs/{job_id}")
        return document

    def wait_all(self, datasource: str, expected: int, deadline: float, what: str) -> tuple[Counter[str], bool]:
        """Poll the job counts by ending until `expected` jobs ended or the deadline passed: (counts, timed out)."""
        started = last_note = time.monotonic()
        while True:
            counts = Counter({state: self.count(datasource, state) for state in TERMINAL})
            ended = sum(counts.values())
            if ended >= expected:
                return counts, False
            now = time.monotonic()
            if now > deadline:
                return counts, True
            if now - last_note >= 30:
                last_note = now
                print(f"    {what}: {now - started:5.0f} s, {ended}/{expected} ended "
                      f"({counts['succeeded']} succeeded)", flush=True)
            time.sleep(1.0)

    def cancel_unfinished(self, datasource: str) -> int:
        """Cancel the datasource's jobs that have not ended (so the shared stack is not left busy); how many."""
        unfinished = [job["job_id"] for job in self.jobs(datasource) if job["state"] not in TERMINAL]
        if unfinished:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda job_id: self.http.post(f"{self.url}/api/v1/jobs/{job_id}/cancel", timeout=60),
                              unfinished))
        return len(unfinished)


@dataclass
class Steps:
    """A job's journey from its events: the first moment it reached each step (epoch seconds)."""

    validating: float | None = None
    staged: float | None = None  # first `submitting` event: validated and staged
    submitted: float | None = None  # first `indexing` event: in a Druid task
    task_done: float | None = None  # "Druid task succeeded"
    succeeded: float | None = None

    @classmethod
    def of(cls, job: dict[str, Any]) -> Steps:
        steps = cls()
        for event in sorted(job.get("events", []), key=lambda e: e["at"]):
            at, state = epoch(event["at"]), event["state"]
            if state == "validating" and steps.validating is None:
                steps.validating = at
            elif state == "submitting" and steps.staged is None:
                steps.staged = at
            elif state == "indexing" and steps.submitted is None:
                steps.submitted = at
            if str(event["message"]).startswith("Druid task succeeded") and steps.task_done is None:
                steps.task_done = at
            if state == "succeeded" and steps.succeeded is None:
                steps.succeeded = at
        return steps


def span(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else end - start


@contextmanager
def machine_share(label: str, druid: Druid) -> Iterator[None]:
    """Print what else loaded the shared machine while the block ran: the load average and Druid tasks (anyone's)
    at its start, and the share of CPU the hypervisor stole meanwhile."""
    before = machine_ticks()
    load, druid_tasks = os.getloadavg()[0], druid.busy()
    yield
    steal = steal_share(before, machine_ticks())
    print(f"    machine during {label}: load average {load:.1f} and {druid_tasks} Druid tasks running or pending "
          f"at the start, CPU stolen by the hypervisor {'?' if steal is None else f'{steal:.1%}'}")


# --- part 1: many small files -------------------------------------------------------------------------------------

@dataclass
class SmallFile:
    name: str
    content: bytes
    days: frozenset[str]  # YYYY-MM-DD of its rows


def small_files(count: int, rows: int, tag: str) -> list[SmallFile]:
    import polars as pl

    from backend.sample_data import generate_sales

    files = []
    for i in range(count):
        frame = generate_sales(rows, seed=1000 + i, days=DAYS).with_columns(
            pl.col("TransactionID").str.replace("TXN-", f"TXN-{tag}-{i:05d}-", literal=True))
        days = frozenset(frame["TransactionTimestamp"].str.slice(0, 10).unique().to_list())
        files.append(SmallFile(f"bench-{tag}-{i:05d}.csv", frame.write_csv().encode(), days))
    return files


@dataclass
class SmallFilesRun:
    label: str
    datasource: str
    jobs: int
    accepted: int = 0
    upload_s: float = 0.0
    elapsed_s: float | None = None  # first upload to last job succeeded (None: not all succeeded)
    waited_s: float = 0.0
    timed_out: bool = False
    states: Counter[str] = field(default_factory=Counter)
    tasks: int = 0
    failed_tasks: int = 0
    subtasks: int = 0
    segments: int = 0
    chunks: int = 0
    max_segments_per_chunk: int = 0
    max_tasks_per_chunk: int = 0
    chunks_over: list[str] = field(default_factory=list)  # chunks with more segments than tasks touching them
    receipts_exact: int = 0
    sql_jobs: int = 0
    sql_rows: int = 0
    queued_wait_p50_s: float | None = None
    druid_wait_p50_s: float | None = None
    cancelled_at_end: int = 0
    rss: RssPeak | None = None


def upload_files(url: str, datasource: str, files: list[SmallFile]) -> dict[str, str]:
    """Every file by UPLOAD_CLIENTS concurrent clients (a session each): {job_id: file name} of the accepted."""
    local = threading.local()

    def one(item: SmallFile) -> tuple[str, int, str]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers.update(AUTHORIZATION)
        response = session.post(f"{url}/api/v1/uploads", files={"file": (item.name, item.content, "text/csv")},
                                data={"datasource": datasource}, timeout=300)
        return item.name, response.status_code, response.text

    accepted: dict[str, str] = {}
    refused: list[str] = []
    with ThreadPoolExecutor(UPLOAD_CLIENTS) as pool:
        for name, status, text in pool.map(one, files):
            if status == 202:
                accepted[json.loads(text)["job_id"]] = name
            else:
                refused.append(f"{name}: {status} {text[:200]}")
    for line in refused[:5]:
        print(f"    refused: {line}")
    return accepted


def run_small_files(service: Service, api: Api, druid: Druid, files: list[SmallFile], coalesce: bool, tag: str,
                    timeout_s: float) -> SmallFilesRun:
    label = "coalesced" if coalesce else "one task per job"
    datasource = f"bench_small_{'coalesced' if coalesce else 'solo'}_{tag}"
    api.create_datasource(datasource)
    run = SmallFilesRun(label, datasource, len(files))
    worker = service.start_worker(INGEST_DRUID_COALESCE="true" if coalesce else "false")
    print(f"  {label}: datasource {datasource}, worker pid {worker.pid} (INGEST_DRUID_COALESCE="
          f"{'true' if coalesce else 'false'})", flush=True)
    with machine_share(label, druid), RssPeak(worker.pid) as rss:
        first = time.time()
        accepted = upload_files(api.url, datasource, files)
        run.upload_s = time.time() - first
        run.accepted = len(accepted)
        print(f"    {run.accepted}/{len(files)} uploads accepted in {run.upload_s:.1f} s", flush=True)
        run.states, run.timed_out = api.wait_all(datasource, run.accepted, time.monotonic() + timeout_s, label)
        run.waited_s = time.time() - first
    run.rss = rss
    if run.timed_out:
        run.cancelled_at_end = api.cancel_unfinished(datasource)
        print(f"    timed out after {timeout_s:.0f} s: {run.cancelled_at_end} unfinished jobs cancelled")
    jobs = api.jobs(datasource)
    succeeded = [job for job in jobs if job["state"] == "succeeded"]
    if len(succeeded) == len(files) and succeeded:
        run.elapsed_s = max(epoch(job["finished_at"]) for job in succeeded) - first

    # Druid's side: tasks, segments per time chunk, and the receipts counted by the broker.
    tasks = druid.tasks(datasource)
    top = [t for t in tasks if t.get("groupId") in (None, t["id"])]
    run.tasks, run.subtasks = len(top), len(tasks) - len(top)
    run.failed_tasks = sum(1 for t in top if t.get("status") == "FAILED")
    per_chunk = druid.segments_per_chunk(datasource)
    run.segments, run.chunks = sum(per_chunk.values()), len(per_chunk)
    tasks_by_day: dict[str, set[str]] = defaultdict(set)
    by_name = {f.name: f for f in files}
    for job in jobs:
        if job["druid_task_id"] and job["job_id"] in accepted:
            for day in by_name[accepted[job["job_id"]]].days:
                tasks_by_day[day].add(job["druid_task_id"])
    for chunk, segments in sorted(per_chunk.items()):
        touching = len(tasks_by_day.get(chunk[:10], set()))
        run.max_segments_per_chunk = max(run.max_segments_per_chunk, segments)
        run.max_tasks_per_chunk = max(run.max_tasks_per_chunk, touching)
        if segments > touching:
            run.chunks_over.append(f"{chunk[:10]}: {segments} segments, {touching} tasks")
    by_job = druid.rows_by_job(datasource) if per_chunk else {}
    run.sql_jobs, run.sql_rows = len(by_job), sum(by_job.values())
    run.receipts_exact = sum(
        1 for job in succeeded
        if job["druid_rows"] == job["rows_valid"] == ROWS_PER_FILE and by_job.get(job["job_id"]) == ROWS_PER_FILE)

    # Where a job's time went: its wait in `queued` and between staged and in a Druid task (from its events).
    queued, druid_wait = [], []
    for job in succeeded:
        steps = Steps.of(api.job(job["job_id"]))
        if (wait := span(epoch(job["created_at"]), steps.validating)) is not None:
            queued.append(wait)
        if (wait := span(steps.staged, steps.submitted)) is not None:
            druid_wait.append(wait)
    run.queued_wait_p50_s = statistics.median(queued) if queued else None
    run.druid_wait_p50_s = statistics.median(druid_wait) if druid_wait else None
    service.stop_worker()
    return run


def part_many_small_files(service: Service, api: Api, druid: Druid, args: argparse.Namespace,
                          verdicts: Verdicts, created: list[str]) -> list[SmallFilesRun]:
    print(f"\n== part 1: many small files: {args.files} CSV files x {ROWS_PER_FILE:,} rows over {DAYS} days, "
          f"{UPLOAD_CLIENTS} concurrent clients, coalesced then one Druid task per job ==", flush=True)
    files = small_files(args.files, ROWS_PER_FILE, args.tag)
    runs: list[SmallFilesRun] = []
    for coalesce in (True, False):
        runs.append(run_small_files(service, api, druid, files, coalesce, args.tag, args.part1_timeout))
        created.append(runs[-1].datasource)
    coalesced, solo = runs

    def row(name: str, render: Callable[[SmallFilesRun], str]) -> None:
        print(f"  {name:<44}{render(coalesced):>18}{render(solo):>18}")

    print(f"  {'':<44}{'coalesced':>18}{'one task per job':>18}")
    row("uploads accepted", lambda r: f"{r.accepted}/{r.jobs}")
    row("uploading took", lambda r: fmt_s(r.upload_s))
    row("first upload -> last job succeeded", lambda r: fmt_s(r.elapsed_s) if not r.timed_out
        else f"> {r.waited_s:,.0f} s")
    row("jobs succeeded / rejected / failed / cancelled", lambda r: "/".join(
        str(r.states[s]) for s in TERMINAL))
    row("jobs per minute", lambda r: f"{r.states['succeeded'] / (r.elapsed_s or r.waited_s) * 60:,.1f}")
    row("median wait in queued", lambda r: fmt_s(r.queued_wait_p50_s))
    row("median wait staged -> in a Druid task", lambda r: fmt_s(r.druid_wait_p50_s))
    row("Druid tasks created (failed)", lambda r: f"{r.tasks} ({r.failed_tasks})")
    row("Druid sub-tasks", lambda r: str(r.subtasks))
    row("jobs per Druid task", lambda r: f"{r.states['succeeded'] / r.tasks:.1f}" if r.tasks else "-")
    row("segments created (time chunks)", lambda r: f"{r.segments} ({r.chunks})")
    row("max segments per time chunk", lambda r: str(r.max_segments_per_chunk))
    row("max tasks touching a time chunk", lambda r: str(r.max_tasks_per_chunk))
    row("chunks with more segments than tasks", lambda r: str(len(r.chunks_over)))
    row("receipts exact (druid_rows = rows_valid = SQL)", lambda r: f"{r.receipts_exact}/{r.jobs}")
    row("broker SQL: jobs / rows by ingest_job_id", lambda r: f"{r.sql_jobs} / {r.sql_rows:,}")
    row("worker peak RSS (with its children)", lambda r: f"{r.rss.tree_mb:,.0f} MB" if r.rss else "-")
    for run in runs:
        for line in run.chunks_over[:3]:
            print(f"    {run.label}: {line}")

    if coalesced.elapsed_s and (solo.elapsed_s or solo.timed_out):
        baseline = solo.elapsed_s or solo.waited_s
        ratio = baseline / coalesced.elapsed_s
        bound = ">= " if solo.elapsed_s is None else ""
        print(f"  ratio: coalesced is {bound}{ratio:.1f}x the speed of one task per job")
        verdicts.judge(ratio >= GOAL_SPEEDUP, f"part 1: >= {GOAL_SPEEDUP:.0f}x faster than one task per job",
                       f"{bound}{ratio:.1f}x ({fmt_s(coalesced.elapsed_s)} vs {fmt_s(baseline)})")
    else:
        verdicts.judge(False, f"part 1: >= {GOAL_SPEEDUP:.0f}x faster than one task per job",
                       "not measured: not every coalesced job succeeded")
    verdicts.judge(0 < coalesced.tasks * GOAL_JOBS_PER_TASK <= coalesced.jobs,
                   f"part 1: <= 1 Druid task per {GOAL_JOBS_PER_TASK} jobs",
                   f"{coalesced.tasks} tasks for {coalesced.jobs} jobs")
    verdicts.judge(coalesced.segments > 0 and not coalesced.chunks_over,
                   "part 1: segments per time chunk <= shared tasks touching it",
                   f"max {coalesced.max_segments_per_chunk} segments, max {coalesced.max_tasks_per_chunk} tasks "
                   f"per chunk; {len(coalesced.chunks_over)} of {coalesced.chunks} chunks over")
    verdicts.judge(coalesced.receipts_exact == coalesced.jobs and coalesced.sql_rows == coalesced.jobs * ROWS_PER_FILE,
                   "part 1: every job's receipt exact (coalesced)",
                   f"{coalesced.receipts_exact}/{coalesced.jobs} jobs, {coalesced.sql_rows:,} rows in SQL")
    return runs


# --- part 2: records one at a time --------------------------------------------------------------------------------

@dataclass
class Posts:
    latencies_s: list[float]
    statuses: list[int]  # -1: no answer
    first_start: float
    last_end: float
    client_cpu_s: float


def record_bodies(count: int, tag: str) -> list[bytes]:
    import polars as pl

    from backend.sample_data import generate_sales

    frame = generate_sales(count, seed=4242, days=DAYS).with_columns(
        pl.col("TransactionID").str.replace("TXN-", f"TXN-{tag}-rec-", literal=True))
    return [json.dumps(record).encode() for record in frame.to_dicts()]


def post_records(port: int, datasource: str, bodies: list[bytes]) -> Posts:
    """Each body in its own POST, by RECORD_CLIENTS threads with a keep-alive connection each (http.client: the
    lightest client at hand, so the bench itself is not what limits the rate)."""
    path = f"/api/v1/datasources/{datasource}/records"
    latencies: list[float] = [0.0] * len(bodies)
    statuses: list[int] = [0] * len(bodies)
    next_index = itertools.count()
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(next_index)
            if i >= len(bodies):
                break
            started = time.perf_counter()
            try:
                connection.request("POST", path, body=bodies[i],
                                   headers={"Content-Type": "application/json", **AUTHORIZATION})
                response = connection.getresponse()
                response.read()
                statuses[i] = response.status
            except (OSError, http.client.HTTPException):
                statuses[i] = -1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            latencies[i] = time.perf_counter() - started
        connection.close()

    cpu_before = time.process_time()
    first_start = time.time()
    threads = [threading.Thread(target=client) for _ in range(RECORD_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Posts(latencies, statuses, first_start, time.time(), time.process_time() - cpu_before)


def part_records(service: Service, api: Api, druid: Druid, args: argparse.Namespace, verdicts: Verdicts,
                 created: list[str]) -> RssPeak | None:
    datasource = f"bench_records_{args.tag}"
    print(f"\n== part 2: records one at a time: {args.records:,} single-record POSTs from {RECORD_CLIENTS} concurrent "
          f"clients into {datasource} ==", flush=True)
    api.create_datasource(datasource)
    created.append(datasource)
    bodies = record_bodies(args.records, args.tag)
    worker = service.start_worker()
    assert service.api is not None
    print(f"  worker pid {worker.pid} (default settings), API pid {service.api.pid}", flush=True)
    visible_at: float | None = None
    with machine_share("the posts and until queryable", druid), RssPeak(service.api.pid) as api_rss:
        posts = post_records(service.port, datasource, bodies)
        statuses = Counter(posts.statuses)
        accepted = statuses.pop(202, 0)
        seconds = posts.last_end - posts.first_start
        print(f"  posted in {seconds:.1f} s: {accepted:,} accepted (202), others {dict(statuses) or 'none'}; "
              f"the bench's own CPU meanwhile {posts.client_cpu_s:.1f} s", flush=True)
        deadline = posts.last_end + args.settle_timeout
        seen = 0
        while time.time() < deadline:
            seen = druid.count(datasource)
            if seen >= accepted:
                visible_at = time.time()
                break
            time.sleep(0.25)
    rate = accepted / seconds if seconds > 0 else 0.0
    # Every request's latency, refused ones too: the client waited for each.
    latencies = posts.latencies_s
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(f"  accepted {rate:,.0f} records/s; acceptance latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    if visible_at is not None:
        print(f"  all {accepted:,} rows queryable {visible_at - posts.last_end:.1f} s after the last POST")
    else:
        print(f"  {seen:,}/{accepted:,} rows queryable {args.settle_timeout:.0f} s after the last POST (gave up)")
    # Let the receipts finish (or cancel what cannot), so the next part starts with an idle worker.
    states, timed_out = api.wait_all(datasource, accepted, time.monotonic() + (60 if visible_at else 0), "records")
    print(f"  jobs succeeded / rejected / failed / cancelled: {'/'.join(str(states[s]) for s in TERMINAL)}")
    if timed_out:
        print(f"  {api.cancel_unfinished(datasource)} unfinished jobs cancelled")
    tasks = druid.tasks(datasource)
    top = [t for t in tasks if t.get("groupId") in (None, t["id"])]
    per_chunk = druid.segments_per_chunk(datasource)
    print(f"  Druid tasks created: {len(top)} ({sum(1 for t in top if t.get('status') == 'FAILED')} failed); "
          f"segments: {sum(per_chunk.values())} in {len(per_chunk)} time chunks")
    print(f"  API peak RSS under the records load: {api_rss.describe()}")
    service.stop_worker()
    verdicts.judge(rate >= GOAL_RECORDS_PER_S, f"part 2: >= {GOAL_RECORDS_PER_S:.0f} records/s accepted",
                   f"{rate:,.0f} records/s")
    verdicts.judge(p99 < GOAL_P99_MS, f"part 2: acceptance p99 < {GOAL_P99_MS:.0f} ms", f"{p99:.1f} ms")
    settle = None if visible_at is None else visible_at - posts.last_end
    verdicts.judge(settle is not None and settle <= GOAL_QUERYABLE_S and accepted == len(bodies),
                   f"part 2: all queryable within {GOAL_QUERYABLE_S:.0f} s of the last POST",
                   f"{settle:.1f} s" if settle is not None else
                   f"{seen:,}/{accepted:,} after {args.settle_timeout:.0f} s")
    return api_rss


# --- part 3: one large file end to end, beside plain Druid --------------------------------------------------------

def large_csv(rows: int) -> Path:
    from backend.sample_data import generate_sales

    folder = REPO / "var" / "bench"
    path = folder / f"sales_{rows}.csv"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        generate_sales(rows, seed=14, days=DAYS).write_csv(partial)
        partial.rename(path)
    return path


@dataclass
class Plain:
    put_s: float
    task_s: float  # S3 put done -> task SUCCESS seen (submit included)
    druid_duration_s: float | None
    handoff_s: float | None  # SUCCESS -> COUNT(*) = rows
    total_s: float | None
    status: str


def run_plain(druid: Druid, settings: Settings, path: Path, rows: int, datasource: str, key: str,
              timeout_s: float) -> Plain:
    started = time.time()
    uri = put_file(settings, path, key)
    put_done = time.time()
    task_id = druid.submit(plain_spec(datasource, uri))
    status = druid.wait_task(task_id, timeout_s)
    task_done = time.time()
    duration = status.get("duration")
    plain = Plain(put_done - started, task_done - put_done,
                  duration / 1000 if isinstance(duration, int) and duration >= 0 else None, None, None,
                  str(status.get("status")))
    if plain.status != "SUCCESS":
        print(f"  plain Druid task {task_id} ended {plain.status}: {status.get('errorMsg')}")
        return plain
    while time.time() < task_done + timeout_s:
        if druid.count(datasource) >= rows:
            plain.handoff_s = time.time() - task_done
            plain.total_s = time.time() - started
            break
        time.sleep(0.25)
    return plain


def part_large_file(service: Service, api: Api, druid: Druid, settings: Settings, args: argparse.Namespace,
                    verdicts: Verdicts, created: list[str]) -> RssPeak | None:
    path = large_csv(args.rows)
    plain_ds, ours_ds = f"bench_plain_{args.tag}", f"bench_large_{args.tag}"
    print(f"\n== part 3: one large file end to end: {path.name} ({args.rows:,} rows, {path.stat().st_size / 1e6:.0f} "
          f"MB), plain Druid ({plain_ds}) then druid-ingest ({ours_ds}) ==", flush=True)
    api.create_datasource(ours_ds)
    created += [plain_ds, ours_ds]
    worker = service.start_worker()  # started (and idle) before either clock runs
    key = f"bench/{args.tag}/{path.name}"
    try:
        with machine_share("plain Druid", druid):
            plain = run_plain(druid, settings, path, args.rows, plain_ds, key, args.part3_timeout)
    finally:
        delete_object(settings, key)
    print(f"  plain Druid: S3 put {plain.put_s:.1f} s, task {plain.task_s:.1f} s (Druid's own duration "
          f"{fmt_s(plain.druid_duration_s)}), hand-off {fmt_s(plain.handoff_s)}: total {fmt_s(plain.total_s)}",
          flush=True)

    client = IngestClient(api.url)
    with machine_share("druid-ingest", druid), RssPeak(worker.pid) as rss:
        started = time.time()
        accepted = client.upload(path, {"datasource": ours_ds, "force": "true"})
        uploaded = time.time()
        job_id = str(accepted["job_id"])
        deadline = time.monotonic() + args.part3_timeout
        while True:
            job = api.job(job_id)
            if job["state"] in TERMINAL or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        observed = time.time()
    service.stop_worker()
    steps = Steps.of(job)
    total = observed - started if job["state"] == "succeeded" else None
    queryable = druid.count(ours_ds)
    task_status = druid.task_status(job["druid_task_id"]) if job.get("druid_task_id") else {}
    duration = task_status.get("duration")
    ours_druid_s = duration / 1000 if isinstance(duration, int) and duration >= 0 else None
    outcome = job["state"] if job["state"] == "succeeded" else f"{job['state']} ({job['code']}: {job['message']})"
    print(f"  druid-ingest: job {job_id} {outcome}; broker COUNT(*) {queryable:,}; Druid task {job['druid_task_id']}")

    def cell(value: float | None) -> str:
        return f"{value:8.1f} s" if value is not None else f"{'-':>10}"

    lines: list[tuple[str, float | None, float | None]] = [
        ("upload (ours) / S3 put (plain)", uploaded - started, plain.put_s),
        ("waiting for a worker", span(uploaded, steps.validating), None),
        ("validate + stage", span(steps.validating, steps.staged), None),
        ("waiting for a slot (and coalescing window)", span(steps.staged, steps.submitted), None),
        ("Druid task: submitted -> SUCCESS", span(steps.submitted, steps.task_done), plain.task_s),
        ("  of which Druid's own task duration", ours_druid_s, plain.druid_duration_s),
        ("hand-off: SUCCESS -> queryable (receipt)", span(steps.task_done, steps.succeeded), plain.handoff_s),
        ("status seen by the client (poll)", span(steps.succeeded, observed), None),
        ("total: start -> queryable", total, plain.total_s),
    ]
    print(f"  {'step':<46}{'ours':>10}{'plain':>10}{'ours - plain':>14}")
    for name, ours_s, plain_s in lines:
        diff = (ours_s or 0.0) - (plain_s or 0.0) if ours_s is not None or plain_s is not None else None
        print(f"  {name:<46}{cell(ours_s)}{cell(plain_s)}{cell(diff):>14}")
    if total is not None and plain.total_s:
        ratio = total / plain.total_s
        print(f"  ratio: ours takes {ratio:.2f}x plain Druid's time ({total - plain.total_s:+.1f} s)")
        verdicts.judge(ratio <= GOAL_PLAIN_RATIO and queryable == args.rows,
                       f"part 3: ours <= {GOAL_PLAIN_RATIO}x plain Druid, upload to queryable",
                       f"{ratio:.2f}x ({total:.1f} s vs {plain.total_s:.1f} s; {queryable:,} rows queryable)")
    else:
        verdicts.judge(False, f"part 3: ours <= {GOAL_PLAIN_RATIO}x plain Druid, upload to queryable",
                       f"not measured (ours {job['state']}, plain {plain.status})")
    print(f"  worker peak RSS: {rss.describe()}")
    return rss


# --- the run --------------------------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 1,3 (part 4 comes with them)")
    parser.add_argument("--files", type=int, help="part 1: files of 1,000 rows (default 200; --quick 20)")
    parser.add_argument("--records", type=int, help="part 2: single-record POSTs (default 5000; --quick 300)")
    parser.add_argument("--rows", type=int, help="part 3: rows of the large file (default 1000000; --quick 100000)")
    parser.add_argument("--tag", default=None, help="suffix of the bench's datasource names (default: time + random)")
    parser.add_argument("--quick", action="store_true", help="small sizes and short waits: a smoke run")
    parser.add_argument("--keep", action="store_true", help="leave the bench's Druid datasources in place")
    parser.add_argument("--part1-timeout", type=float,
                        help="part 1: seconds each of its two runs may take (default 3600; quick 240)")
    parser.add_argument("--settle-timeout", type=float,
                        help="part 2: seconds after the last POST to wait for the rows (default 300; quick 60)")
    parser.add_argument("--part3-timeout", type=float, help="part 3: seconds per contender (default 1800; quick 600)")
    args = parser.parse_args()
    quick = args.quick
    defaults = {"files": (200, 20), "records": (5000, 300), "rows": (1_000_000, 100_000),
                "part1_timeout": (3600.0, 240.0), "settle_timeout": (300.0, 60.0), "part3_timeout": (1800.0, 600.0)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.tag = args.tag or f"{time.strftime('%m%d%H%M')}_{uuid.uuid4().hex[:4]}"
    args.part_list = sorted({int(p) for p in args.parts.split(",") if p.strip()})
    if not set(args.part_list) <= {1, 2, 3, 4}:
        parser.error("--parts takes 1, 2, 3 (and 4, which comes with the others)")
    return args


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    settings = Settings()
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    database_url = bench_database_url()
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"tag {args.tag}; parts {args.parts}{' (quick)' if args.quick else ''}; logs in {log_dir}", flush=True)
    ensure_database(database_url, log_dir / "bench-throughput-migrate.log")
    service = Service(database_url, log_dir)
    druid = Druid(settings)
    verdicts = Verdicts()
    created: list[str] = []
    rss: dict[str, str] = {}
    try:
        service.start_api()
        AUTHORIZATION["Authorization"] = f"Bearer {bench_key(database_url)}"
        api = Api(service.url)
        api.http.headers.update(AUTHORIZATION)
        print(f"API {service.url} (pid {service.api.pid if service.api else '?'}), database "
              f"{database_url.rsplit('/', 1)[-1]}", flush=True)
        parts: dict[int, Callable[[], None]] = {}

        def one() -> None:
            for run in part_many_small_files(service, api, druid, args, verdicts, created):
                if run.rss:
                    rss[f"worker, part 1 {run.label}"] = run.rss.describe()

        def two() -> None:
            peak = part_records(service, api, druid, args, verdicts, created)
            if peak:
                rss["API, part 2 records"] = peak.describe()

        def three() -> None:
            peak = part_large_file(service, api, druid, settings, args, verdicts, created)
            if peak:
                rss["worker, part 3 large file"] = peak.describe()

        parts = {1: one, 2: two, 3: three}
        for number in args.part_list:
            if number not in parts:
                continue
            part_began = time.monotonic()
            try:
                parts[number]()
            except Exception as exc:  # a part that breaks is a FAIL; the other parts still run
                traceback.print_exc()
                verdicts.judge(False, f"part {number}: ran to its end", f"{type(exc).__name__}: {exc}"[:300])
                service.stop_worker()
            print(f"  (part {number} took {time.monotonic() - part_began:.0f} s)", flush=True)
        if rss:
            print("\n== part 4: peak RSS (VmRSS sampled every 0.1 s) ==")
            for name, figure in rss.items():
                print(f"  {name:<34}{figure}")
    finally:
        service.stop()
        if not args.keep:
            for datasource in created:
                druid.drop(datasource)
    print(f"\n== summary ({time.monotonic() - began:.0f} s{', quick: sizes below the issue' if args.quick else ''}) ==")
    for line in verdicts.lines:
        print(line)
    return 1 if verdicts.failed else 0


if __name__ == "__main__":
    sys.exit(main())
