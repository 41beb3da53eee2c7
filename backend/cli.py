"""The command line: serve, worker, migrate, push (upload + wait), jobs, status, datasource, login, keys, users, demo,
app."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from backend.cli_access import add_access_commands
from backend.cli_datasource import add_datasource_commands
from backend.cli_operations import add_operation_commands
from backend.display import display_text
from backend.settings import REPO_ROOT, get_settings
from backend.vocabulary import JobKind


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=args.host or settings.api_host,
        port=args.port or settings.api_port,
        log_level="warning",
        access_log=False,
        # Several processes: one Python process tops out on CPU long before the database does.
        workers=args.workers or settings.api_workers,
    )
    return 0


def cmd_worker(_: argparse.Namespace) -> int:
    settings = get_settings()
    from backend.cpu_priority import leads_own_session, run_as_batch_work

    # Before anything starts a thread (Polars' pool, the heartbeat), so they all inherit it: priority is per thread.
    run_as_batch_work(settings.worker_priority, session_group=leads_own_session())
    from backend.logging_setup import configure_logging
    from backend.pipeline.worker import Worker

    configure_logging(settings.log_level)
    worker = Worker(settings)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    signal.signal(signal.SIGINT, lambda *_: worker.stop())
    worker.run_forever()
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    from alembic import command
    from alembic.config import Config

    config = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    config.set_main_option("script_location", str(Path(__file__).resolve().parent / "db" / "migrations"))
    command.upgrade(config, "head")
    return 0


def _api_url(args: argparse.Namespace) -> str:
    settings = get_settings()
    return str(args.api or f"http://{settings.api_host}:{settings.api_port}")


def _client(args: argparse.Namespace) -> Any:
    """The API client with the CLI's key (--api-key, INGEST_API_KEY, or the one `druid-ingest login` stored)."""
    from backend.client import IngestClient, api_key_for

    url = _api_url(args)
    return IngestClient(url, api_key=api_key_for(args.api_key, url))


def cmd_push(args: argparse.Namespace) -> int:
    from backend.client import ApiError

    client = _client(args)
    path = Path(args.file)
    started = time.monotonic()

    def progress(sent: int, total: int) -> None:
        if sys.stderr.isatty():
            rate = sent / max(time.monotonic() - started, 1e-6) / 1e6
            print(f"\rupload {sent * 100 // max(total, 1):3d}%  {rate:6.1f} MB/s", end="", file=sys.stderr)

    fields = {"datasource": args.datasource, "on_invalid": args.on_invalid, "mode": args.mode,
              "priority": args.priority, **({"force": "true"} if args.force else {}),
              **({"schema_version": str(args.schema_version)} if args.schema_version is not None else {})}
    try:
        accepted = client.upload(path, fields, progress)
    except ApiError as error:
        print(f"\nrefused: {error.body.get('code')}: {_shown(error.body.get('message'))}", file=sys.stderr)
        return 2
    print(f"\njob {accepted['job_id']} queued: {_shown(accepted['filename'])} ({accepted['size_bytes']} bytes)",
          file=sys.stderr)
    if not args.wait:
        print(accepted["job_id"])
        return 0
    job = client.wait(accepted["job_id"], args.timeout,
                      lambda e: print(f"  {e['at'][11:19]}  {e['state']:<11} {_shown(e['message'])}", file=sys.stderr))
    print(job["job_id"])
    if job["state"] == "succeeded":
        print(f"succeeded: {job['druid_rows']} rows in Druid ({job['rows_invalid'] or 0} skipped)", file=sys.stderr)
        return 0
    print(f"{job['state']}: {job['code']}: {_shown(job['message'])}", file=sys.stderr)
    if job.get("rows_invalid"):
        _print_errors(client.errors(job["job_id"]))
    return 1


def _shown(text: object) -> str:
    """What the API returns as recorded (a filename, messages quoting a file's columns and values), as a terminal
    may show it: escape sequences and other control characters escaped (backend.display)."""
    return display_text("" if text is None else str(text))


def _print_errors(errors: dict[str, Any]) -> None:
    print(f"{'row':>8}  {'column':<22} {'rule':<20} message", file=sys.stderr)
    for item in errors["items"]:
        print(f"{item['row']:>8}  {_shown(item['column']):<22} {_shown(item['rule']):<20} {_shown(item['message'])}",
              file=sys.stderr)
    if errors["total"] > len(errors["items"]):
        print(f"... {errors['total'] - len(errors['items'])} more", file=sys.stderr)


def cmd_jobs(args: argparse.Namespace) -> int:
    listing = _client(args).jobs(limit=args.limit, **({"kind": args.kind} if args.kind else {}))
    for job in listing["items"]:
        # The columns scripts read stay as they were; what is not an upload, or was taken back, says so at the end.
        notes = [job["kind"]] if job.get("kind", "ingest") != "ingest" else []
        notes += ["retracted"] if job.get("retracted_by") else []
        print(f"{job['job_id']}  {job['state']:<11} {job['datasource']:<10} {job['rows_valid'] or '-':>9}  "
              f"{_shown(job['filename'])}{''.join(f'  ({note})' for note in notes)}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:

    job = _client(args).job(args.job_id)
    print(f"{job['job_id']}: {job['state']} {job['code'] or ''} {_shown(job['message'])}".rstrip())
    if job.get("kind", "ingest") == "ingest":
        print(f"  file: {_shown(job['filename'])} ({job['datasource']}, {job['size_bytes']} bytes)")
    else:
        print(f"  {job['kind']}: {_shown(job['filename'])} ({job['datasource']})")
        for key, value in (job.get("operation") or {}).items():
            print(f"  {key}: {value}")
    if job.get("retracted_by"):
        print(f"  retracted by job {job['retracted_by']}")
    for event in job["events"]:
        print(f"  {event['at']}  {event['state']:<11} {_shown(event['message'])}")
    return 0 if job["state"] == "succeeded" else 1


def _app_processes() -> dict[str, list[str]]:
    exe = [sys.executable, "-m", "backend.cli"]
    # The worker runs under a supervisor that starts it again if it dies (backend.supervise).
    return {"api": [*exe, "serve"], "worker": [*exe, "supervise", "worker"]}


def cmd_supervise(args: argparse.Namespace) -> int:
    """Run `druid-ingest <command>` and start it again whenever it exits, until SIGTERM/SIGINT."""
    import threading

    from backend.cpu_priority import leads_own_session, run_as_batch_work
    from backend.logging_setup import configure_logging
    from backend.supervise import supervise

    settings = get_settings()
    # The supervisor leads the session `app up` starts: its session's CPU group is lowered here, as the worker's
    # was when it led the session itself, and the worker inherits the priority.
    run_as_batch_work(settings.worker_priority, session_group=leads_own_session())
    configure_logging(settings.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return supervise([sys.executable, "-m", "backend.cli", args.target], stop)


def start_app() -> None:
    """Start the API and one supervised worker in the background (pid files and logs under var/), unless the very
    processes the pid files name still run."""
    import requests

    from backend.supervise import read_pid_file, write_pid_file

    settings = get_settings()
    run, logs = settings.var_dir / "run", settings.var_dir / "log"
    run.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    for name, command in _app_processes().items():
        pid_file = run / f"{name}.pid"
        if read_pid_file(pid_file) is not None:
            continue
        with (logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       cwd=REPO_ROOT, start_new_session=True)
        write_pid_file(pid_file, process.pid)
    url = f"http://{settings.api_host}:{settings.api_port}/ready"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            tail = (logs / "api.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"the API did not become ready at {url} within 60 s; var/log/api.log ends:\n{tail}")
        time.sleep(0.3)


def stop_app() -> None:
    from backend.supervise import read_pid_file

    run = get_settings().var_dir / "run"
    for name in _app_processes():
        pid_file = run / f"{name}.pid"
        if not pid_file.exists():
            continue
        proc = read_pid_file(pid_file)
        if proc is not None:
            # The whole process group: the supervisor and the worker it runs, or uvicorn and its children.
            os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.monotonic() + 40
            while proc.is_alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            if proc.is_alive():
                os.killpg(proc.pid, signal.SIGKILL)
        pid_file.unlink()


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: the API and a worker up, the sample file ingested, Druid's row count printed."""
    from backend.client import IngestClient
    from backend.druid.sql import BrokerSqlClient
    from backend.pipeline.lineage import LINEAGE_COLUMN

    settings = get_settings()
    start_app()
    key = _demo_key() if settings.auth_required else None
    client = IngestClient(_api_url(args), api_key=key)
    sample = REPO_ROOT / "samples" / "sales_sample.csv"
    # force: the demo may run again on the same database, and the sample's bytes never change.
    accepted = client.upload(sample, {"datasource": "sales", "force": "true"})
    print(f"uploaded {sample.name}: job {accepted['job_id']}")
    job = client.wait(accepted["job_id"], 600, lambda e: print(f"  {e['state']:<11} {e['message']}"))
    if job["state"] != "succeeded":
        print(f"the sample job ended {job['state']}: {job['code']}: {job['message']}", file=sys.stderr)
        return 1
    broker = BrokerSqlClient(settings.druid_broker_url, settings.druid_request_timeout_s)
    rows = broker.query(f'SELECT COUNT(*) AS "rows" FROM "sales" WHERE "{LINEAGE_COLUMN}" = ?', [job["job_id"]])
    print(f"Druid SQL: SELECT COUNT(*) FROM sales WHERE {LINEAGE_COLUMN} = '{job['job_id']}' -> {rows[0]['rows']}")
    print(f"web page: http://{settings.api_host}:{settings.api_port}/jobs/{job['job_id']}")
    if settings.auth_required:
        print(f"sign in to the page as {DEMO_ADMIN} with the password {DEMO_PASSWORD} (a demo account: "
              "`druid-ingest users create-admin` makes real ones)")
    return 0


# The demo's own admin, to sign in to the page after `make demo` on a laptop. Its password is printed, so it is no
# secret: the demo refuses to run with INGEST_ENV=production.
DEMO_ADMIN = "demo-admin"
DEMO_PASSWORD = "demo-password-1234"  # noqa: S105 - printed for the person running the demo


def _demo_key() -> str:
    """The demo admin (created, or its password reset) and a fresh key of theirs for the demo's upload."""
    from backend.errors import IngestError
    from backend.pipeline import accounts
    from backend.vocabulary import Actor

    if get_settings().env == "production":
        raise SystemExit("druid-ingest demo: not with INGEST_ENV=production (it creates an admin whose password "
                         "it prints); use `druid-ingest users create-admin`")
    actor = Actor("druid-ingest demo", None)
    try:
        user = accounts.create_user(actor, DEMO_ADMIN, DEMO_PASSWORD, "Demo administrator", is_admin=True)
    except IngestError:
        user = accounts.update_user(actor, DEMO_ADMIN, accounts.UserChange(password=DEMO_PASSWORD, active=True,
                                                                           is_admin=True))
    _, secret = accounts.create_key(actor, user.id, "make demo", ["read", "upload"], None)
    return secret


OPENAPI_DOCUMENT = REPO_ROOT / "docs" / "openapi.json"


def openapi_text() -> str:
    """The API's OpenAPI document as committed: sorted keys and a final newline, so diffs are reviewable."""
    import json

    from backend.app import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def cmd_openapi(args: argparse.Namespace) -> int:
    """Write the OpenAPI document (the front end generates its client from it); --check only compares."""
    return _write_or_check(Path(args.out), openapi_text(), "openapi", args.check)


GRAPHQL_SCHEMA = REPO_ROOT / "docs" / "schema.graphql"


def cmd_graphql_schema(args: argparse.Namespace) -> int:
    """Write the GraphQL schema (SDL) the API serves, so a breaking change shows in review; --check only compares."""
    from backend.api.graph.schema import schema

    return _write_or_check(Path(args.out), schema.as_str() + "\n", "graphql-schema", args.check)


def _write_or_check(target: Path, text: str, command: str, check: bool) -> int:
    if check:
        if not target.is_file() or target.read_text() != text:
            print(f"{target} differs from what the app serves: run `druid-ingest {command}` and commit it",
                  file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    return 0


def cmd_janitor(args: argparse.Namespace) -> int:
    """One storage sweep now (workers run one every INGEST_JANITOR_INTERVAL_S)."""
    from datetime import timedelta

    from backend.pipeline.janitor import ALL_PREFIXES, sweep_storage
    from backend.storage.object_store import get_object_store

    settings = get_settings()
    min_age = timedelta(seconds=settings.janitor_min_age_s if args.min_age_s is None else args.min_age_s)
    if min_age.total_seconds() < 3600 and not args.prefix:
        # Younger than an hour, uploads may still be streaming: only where a person names what to sweep.
        print("druid-ingest janitor: --min-age-s below 3600 needs --prefix (uploads in progress are that young)",
              file=sys.stderr)
        return 2
    result = sweep_storage(get_object_store(), min_age, tuple(args.prefix or ALL_PREFIXES),
                           delete_orphans=args.delete_orphans or settings.janitor_delete_orphans)
    if not result.ran:
        print("another process is sweeping; nothing done", file=sys.stderr)
        return 1
    print(f"aborted {len(result.aborted_uploads)} incomplete upload(s), deleted {len(result.deleted_objects)} "
          f"orphaned raw object(s) older than {min_age.total_seconds():g} s")
    for key in (*result.aborted_uploads, *result.deleted_objects):
        print(f"  {key}")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    if args.action == "up":
        start_app()
    else:
        stop_app()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="druid-ingest", description=__doc__)
    parser.add_argument("--api-key", help="the API key to send (default: INGEST_API_KEY, else the one `druid-ingest "
                                          "login` stored for the API)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="API processes (default INGEST_API_WORKERS)")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run a worker").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    push = sub.add_parser("push", help="upload a file and (with --wait) follow its job")
    push.add_argument("file")
    push.add_argument("--datasource", default="sales")
    push.add_argument("--schema-version", type=int, help="validate against this older schema version")
    push.add_argument("--on-invalid", default="reject", choices=["reject", "skip"])
    push.add_argument("--mode", default="append", choices=["append", "replace"])
    push.add_argument("--priority", default="MEDIUM", choices=["HIGH", "MEDIUM", "LOW"])
    push.add_argument("--wait", action="store_true")
    push.add_argument("--force", action="store_true", help="ingest bytes this datasource already has (else refused)")
    push.add_argument("--timeout", type=float, default=1800)
    push.set_defaults(func=cmd_push)
    jobs = sub.add_parser("jobs", help="list recent jobs")
    jobs.add_argument("--limit", type=int, default=20)
    jobs.add_argument("--kind", choices=[kind.value for kind in JobKind], help="only jobs of this kind")
    jobs.set_defaults(func=cmd_jobs)
    status = sub.add_parser("status", help="a job's state and history")
    status.add_argument("job_id")
    status.set_defaults(func=cmd_status)
    sub.add_parser("demo", help="start API + worker and ingest the sample file").set_defaults(func=cmd_demo)
    openapi = sub.add_parser("openapi", help="write the API's OpenAPI document (docs/openapi.json)")
    openapi.add_argument("--out", default=str(OPENAPI_DOCUMENT))
    openapi.add_argument("--check", action="store_true", help="fail if the file differs from what the app serves")
    graphql_schema = sub.add_parser("graphql-schema", help="write the GraphQL schema (docs/schema.graphql)")
    graphql_schema.add_argument("--out", default=str(GRAPHQL_SCHEMA))
    graphql_schema.add_argument("--check", action="store_true", help="fail if the file differs from the app's")
    graphql_schema.set_defaults(func=cmd_graphql_schema)
    openapi.set_defaults(func=cmd_openapi)
    janitor = sub.add_parser("janitor", help="abort incomplete uploads and delete orphaned raw objects in S3")
    janitor.add_argument("--min-age-s", type=float, help="only what is older (default INGEST_JANITOR_MIN_AGE_S)")
    janitor.add_argument("--prefix", action="append", help="only under this key prefix (repeatable)")
    janitor.add_argument("--delete-orphans", action="store_true",
                         help="also delete raw uploads no job holds (default INGEST_JANITOR_DELETE_ORPHANS)")
    janitor.set_defaults(func=cmd_janitor)
    supervised = sub.add_parser("supervise", help="run a command (worker) and start it again whenever it exits")
    supervised.add_argument("target", choices=["worker"])
    supervised.set_defaults(func=cmd_supervise)
    add_datasource_commands(sub, _api_url)
    add_access_commands(sub, _api_url)
    app = sub.add_parser("app", help="start or stop the background API + worker")
    app.add_argument("action", choices=["up", "down"])
    app.set_defaults(func=cmd_app)
    for command in (push, jobs, status, *add_operation_commands(sub, _api_url)):
        command.add_argument("--api", help="API base URL (default from INGEST_API_HOST/PORT)")
    parser.set_defaults(api=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValidationError as refused:
        if refused.title != "Settings":
            raise
        # Settings refused at start (a default credential in production, a malformed value): say which, briefly.
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in refused.errors())
        print(f"druid-ingest: configuration refused: {reasons}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
