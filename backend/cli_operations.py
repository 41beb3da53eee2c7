"""`druid-ingest compact` and `druid-ingest retract`: operations on rows already in Druid, from the command line.

    druid-ingest compact sales --from 2026-01-01T00:00:00Z --to 2026-02-01T00:00:00Z --wait
    druid-ingest retract 3f1c2a9e-0b7d-4c55-9a1e-2d6f8b7c4e10 --wait

Each starts a job (kind compaction or retraction) and prints its id to stdout; with --wait it follows the job and
prints what it measured. Exit codes: 0 done (or started), 1 refused by the API or the job did not succeed, 2 a
usage or connection problem.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from backend.client import ApiError, IngestClient, api_key_for
from backend.display import display_text


def add_operation_commands(sub: Any, api_url: Callable[[argparse.Namespace], str]) -> list[argparse.ArgumentParser]:
    compact = sub.add_parser("compact", help="compact a datasource's fragmented time chunks (a compaction job)")
    compact.add_argument("datasource")
    compact.add_argument("--from", dest="start", help="chunks ending after this instant (RFC 3339)")
    compact.add_argument("--to", dest="end", help="chunks starting before this instant (RFC 3339)")
    compact.add_argument("--target-rows", type=int, help="rows per segment (default: as the schema declares)")
    retract = sub.add_parser("retract", help="remove exactly one ingest job's rows from Druid (a retraction job)")
    retract.add_argument("job_id")
    for command, start in ((compact, _start_compaction), (retract, _start_retraction)):
        command.add_argument("--wait", action="store_true", help="follow the job to its end")
        command.add_argument("--timeout", type=float, default=1800)

        def run(args: argparse.Namespace, start: Callable[[argparse.Namespace, IngestClient], dict[str, Any]] = start
                ) -> int:
            client = IngestClient(api_url(args), api_key=api_key_for(getattr(args, "api_key", None), api_url(args)))
            return _run(args, client, start)

        command.set_defaults(func=run)
    return [compact, retract]


def _start_compaction(args: argparse.Namespace, client: IngestClient) -> dict[str, Any]:
    body = {key: value for key, value in (("from", args.start), ("to", args.end),
                                          ("target_rows_per_segment", args.target_rows)) if value is not None}
    return client.call("POST", f"/api/v1/datasources/{args.datasource}/compact", body)


def _start_retraction(args: argparse.Namespace, client: IngestClient) -> dict[str, Any]:
    return client.call("POST", f"/api/v1/jobs/{args.job_id}/retract")


def _run(args: argparse.Namespace, client: IngestClient,
         start: Callable[[argparse.Namespace, IngestClient], dict[str, Any]]) -> int:
    try:
        job = start(args, client)
    except ApiError as error:
        print(f"refused: {error.body.get('code')}: {display_text(str(error.body.get('message')))}", file=sys.stderr)
        return 1 if error.status < 500 else 2
    print(f"{job['kind']} job {job['job_id']} started: {display_text(job['filename'])}", file=sys.stderr)
    if args.wait:
        job = client.wait(job["job_id"], args.timeout,
                          lambda e: print(f"  {e['at'][11:19]}  {e['state']:<11} {display_text(e['message'])}",
                                          file=sys.stderr))
    print(job["job_id"])
    if not args.wait:
        return 0
    for key, value in (job.get("operation") or {}).items():
        print(f"  {key}: {value}", file=sys.stderr)
    if job["state"] == "succeeded":
        return 0
    print(f"{job['state']}: {job['code']}: {display_text(str(job['message']))}", file=sys.stderr)
    return 1
