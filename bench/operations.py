"""Compaction and retraction of one day (issue 16): what each costs beside ingesting that day, measured side by side
in one run through the public HTTP API, against the running local stack (`make up` first).

Starts its own API and one worker on a database of its own (bench/bench_service.py) and declares a datasource of
its own (the built-in `sales` definition, Druid datasource `bench_ops_<tag>`). Then:
1. ingest: one day of --rows sales rows (1M by default) as one file, upload to `succeeded` (the receipt exact);
2. --small more files of --small-rows rows into the same day, one after another, so the day holds --small + 1
   segments and reads `fragmented`;
3. compaction: POST /datasources/{name}/compact, request to `succeeded`; segments before and after, rows equal;
4. retraction: POST /jobs/{id}/retract of one small file's job, request to `succeeded`; its rows 0 afterwards and
   every other row of the day still there.
Goals: each operation ends `succeeded` with its promise kept (compaction: 1 segment, same rows; retraction: 0 rows
of the job, the others all there), and costs at most --goal-ratio times the day's ingest (they skip reading and
validating the file but rewrite the whole day in Druid). Prints every figure, a PASS/FAIL line per goal, exits 1
on any FAIL. The datasource's segments are marked unused at the end (--keep leaves them).

Usage: python bench/operations.py [--rows 1000000] [--small 9] [--small-rows 10000] [--goal-ratio 1.0] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.client import IngestClient  # noqa: E402 - needs REPO on the path
from backend.settings import Settings  # noqa: E402
from bench.bench_service import Service, bench_database_url, bench_key, ensure_database  # noqa: E402
from bench.plain_druid import Druid  # noqa: E402
from bench.throughput import Api, Verdicts  # noqa: E402

DAY = datetime(2024, 2, 29)


def day_csv(rows: int, seed: int) -> Path:
    """`rows` sales rows within DAY (cached under var/bench/)."""
    from backend.sample_data import generate_sales

    folder = REPO / "var" / "bench"
    path = folder / f"sales_day_{rows}_{seed}.csv"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        generate_sales(rows, seed=seed, start=DAY, days=1).write_csv(partial)
        partial.rename(path)
    return path


def timed_job(client: IngestClient, job_id: str, timeout_s: float, started: float) -> tuple[dict[str, Any], float]:
    job = client.wait(job_id, timeout_s)
    return job, time.monotonic() - started


def upload(client: IngestClient, path: Path, datasource: str, timeout_s: float) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    accepted = client.upload(path, {"datasource": datasource, "force": "true", "priority": "HIGH"})
    return timed_job(client, accepted["job_id"], timeout_s, started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=9)
    parser.add_argument("--small-rows", type=int, default=10_000)
    parser.add_argument("--goal-ratio", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--tag", default=uuid.uuid4().hex[:6])
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    database_url = bench_database_url()
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"tag {args.tag}; {args.rows:,} rows in one day + {args.small} x {args.small_rows:,}", flush=True)
    ensure_database(database_url, log_dir / "bench-operations-migrate.log")
    service, druid, verdicts = Service(database_url, log_dir), Druid(settings), Verdicts()
    name = f"bench_ops_{args.tag}"
    try:
        service.start_api()
        key = bench_key(database_url)
        client = IngestClient(service.url, timeout_s=60, api_key=key)
        api = Api(service.url)
        api.http.headers["Authorization"] = f"Bearer {key}"
        service.start_worker()
        api.create_datasource(name)

        big, ingest_s = upload(client, day_csv(args.rows, 16), name, args.timeout)
        print(f"ingest: {args.rows:,} rows, one file: {ingest_s:.1f} s ({big['state']}, "
              f"druid_rows {big['druid_rows']})")
        smalls = [upload(client, day_csv(args.small_rows, 100 + i), name, args.timeout)[0] for i in range(args.small)]
        verdicts.judge(big["state"] == "succeeded" and all(j["state"] == "succeeded" for j in smalls),
                       "the day is ingested", f"{1 + len(smalls)} jobs succeeded")
        total = args.rows + args.small * args.small_rows

        started = time.monotonic()
        compaction = client.call("POST", f"/api/v1/datasources/{name}/compact", {})
        compaction, compact_s = timed_job(client, compaction["job_id"], args.timeout, started)
        op = compaction.get("operation") or {}
        print(f"compaction: {compact_s:.1f} s ({compaction['state']}): segments {op.get('segments_before')} -> "
              f"{op.get('segments_after')}, rows {op.get('rows_before')} -> {op.get('rows_after')}")
        verdicts.judge(compaction["state"] == "succeeded" and op.get("segments_after") == 1
                       and op.get("rows_after") == total, "compaction keeps its promise",
                       f"{op.get('segments_before')} -> {op.get('segments_after')} segments, "
                       f"rows {op.get('rows_after')} of {total:,}")
        verdicts.judge(compact_s <= args.goal_ratio * ingest_s, f"compaction <= {args.goal_ratio}x the day's ingest",
                       f"{compact_s:.1f} s vs {ingest_s:.1f} s ({compact_s / ingest_s:.2f}x)")

        target = smalls[0]
        started = time.monotonic()
        retraction = client.call("POST", f"/api/v1/jobs/{target['job_id']}/retract")
        retraction, retract_s = timed_job(client, retraction["job_id"], args.timeout, started)
        op = retraction.get("operation") or {}
        print(f"retraction of {target['rows_valid']:,} rows: {retract_s:.1f} s ({retraction['state']}): "
              f"job rows {op.get('target_rows_before')} -> {op.get('target_rows_after')}, others "
              f"{op.get('other_rows_before')} -> {op.get('other_rows_after')}")
        left = druid.rows_by_job(name)
        verdicts.judge(retraction["state"] == "succeeded" and target["job_id"] not in left
                       and sum(left.values()) == total - args.small_rows, "retraction keeps its promise",
                       f"{len(left)} jobs' rows left, {sum(left.values()):,} rows "
                       f"(expected {total - args.small_rows:,})")
        verdicts.judge(retract_s <= args.goal_ratio * ingest_s, f"retraction <= {args.goal_ratio}x the day's ingest",
                       f"{retract_s:.1f} s vs {ingest_s:.1f} s ({retract_s / ingest_s:.2f}x)")
    finally:
        service.stop()
        if not args.keep:
            druid.drop(name)
    print("\n== summary ==")
    for line in verdicts.lines:
        print(line)
    return 1 if verdicts.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
