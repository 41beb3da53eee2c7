"""`druid-ingest datasource ...`: the schema registry from the command line.

    druid-ingest datasource infer events.csv > schema.json     # a proposed definition, to read and edit
    druid-ingest datasource create web_events --schema schema.json
    druid-ingest datasource check web_events schema.json       # dry run: changes, violations; exit 1 if incompatible
    druid-ingest datasource apply web_events schema.json       # register it as the next version
    druid-ingest datasource list | show NAME | diff NAME 1 2 | restore NAME 1 | delete NAME

Exit codes: 0 done, 1 refused by the registry (incompatible, invalid, unknown), 2 a usage or connection problem.
JSON goes to stdout (pipe it), everything for people to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend.client import ApiError, IngestClient, api_key_for
from backend.display import display_text

_COMPATIBILITY = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FULL", "NONE"]


def add_datasource_commands(sub: Any, api_url: Callable[[argparse.Namespace], str]) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser("datasource", help="declare, evolve and inspect datasources")
    commands = parser.add_subparsers(dest="datasource_command", required=True)
    infer = commands.add_parser("infer", help="propose a schema definition from a sample file (JSON to stdout)")
    infer.add_argument("file")
    infer.add_argument("--time-column")
    infer.add_argument("--max-rows", type=int)
    create = commands.add_parser("create", help="declare a datasource from a definition file")
    create.add_argument("name")
    create.add_argument("--schema", required=True, help="a definition (what `datasource infer` prints)")
    create.add_argument("--description", default="")
    create.add_argument("--druid-datasource")
    create.add_argument("--compatibility", choices=_COMPATIBILITY, default="BACKWARD")
    for name, text in (("check", "dry run: what registering the definition would change, and whether it may"),
                       ("apply", "register the definition as the datasource's next version")):
        command = commands.add_parser(name, help=text)
        command.add_argument("name")
        command.add_argument("schema")
    commands.add_parser("list", help="the datasources")
    show = commands.add_parser("show", help="a datasource, or one schema version (JSON to stdout)")
    show.add_argument("name")
    show.add_argument("--version", type=int)
    diff = commands.add_parser("diff", help="the changes from one schema version to another")
    diff.add_argument("name")
    diff.add_argument("a", type=int)
    diff.add_argument("b", type=int)
    restore = commands.add_parser("restore", help="register an old version's definition as the next version")
    restore.add_argument("name")
    restore.add_argument("version", type=int)
    delete = commands.add_parser("delete", help="soft-delete: refuse uploads; jobs, history and Druid data stay")
    delete.add_argument("name")
    for command in commands.choices.values():
        command.add_argument("--api", help="API base URL (default from INGEST_API_HOST/PORT)")
    parser.set_defaults(func=lambda args: run(args, IngestClient(api_url(args), api_key=api_key_for(
        getattr(args, "api_key", None), api_url(args)))))
    return parser


def run(args: argparse.Namespace, client: IngestClient) -> int:
    try:
        return _COMMANDS[args.datasource_command](args, client)
    except ApiError as error:
        _print_refusal(error)
        return 1 if error.status < 500 else 2
    except (OSError, ValueError) as error:
        print(f"druid-ingest datasource: {error}", file=sys.stderr)
        return 2


def _infer(args: argparse.Namespace, client: IngestClient) -> int:
    fields = {k: str(v) for k, v in (("time_column", args.time_column), ("max_rows", args.max_rows)) if v is not None}
    proposal = client.upload(Path(args.file), fields, endpoint="/api/v1/datasources/infer")
    for warning in proposal["warnings"]:
        print(f"warning: {_shown(warning.get('column') or '')}: {_shown(warning['message'])}", file=sys.stderr)
    print(f"{len(proposal['columns'])} columns from {proposal['rows_read']} rows"
          f"{' (more not read)' if proposal['truncated'] else ''}; time column: {proposal['time_column']}",
          file=sys.stderr)
    _print_json(proposal["definition"])
    return 0


def _create(args: argparse.Namespace, client: IngestClient) -> int:
    body = {"name": args.name, "description": args.description, "compatibility": args.compatibility,
            **_definition(args.schema)}
    if args.druid_datasource:
        body["druid_datasource"] = args.druid_datasource
    created = client.call("POST", "/api/v1/datasources", body)
    print(f"created {created['name']} at version {created['schema_version']} "
          f"({len(created['columns'])} columns, Druid datasource {created['druid_datasource']})", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace, client: IngestClient) -> int:
    result = client.call("POST", f"/api/v1/datasources/{args.name}/schemas/check", _definition(args.schema))
    _print_changes(result["changes"])
    druid = result["druid"]
    for key, label in (("dimensions_added", "added"), ("dimensions_removed", "removed")):
        for dimension in druid[key]:
            print(f"  Druid: {label} dimension {_shown(dimension['name'])} ({dimension['type']})", file=sys.stderr)
    for dimension in druid["dimensions_retyped"]:
        print(f"  Druid: {_shown(dimension['name'])} {dimension['from']} -> {dimension['to']}", file=sys.stderr)
    if result["compatible"]:
        print(f"compatible under {result['compatibility']} with version {result['current_version']}", file=sys.stderr)
        return 0
    _print_violations(result["violations"], result["compatibility"])
    return 1


def _apply(args: argparse.Namespace, client: IngestClient) -> int:
    registered = client.call("POST", f"/api/v1/datasources/{args.name}/schemas", _definition(args.schema))
    return _say_registered(registered)


def _list(_: argparse.Namespace, client: IngestClient) -> int:
    items = client.call("GET", "/api/v1/datasources")["items"]
    print(f"{'name':<24} {'version':>7}  {'compatibility':<19} {'jobs':>6}  last ingest")
    for ds in items:
        last = (ds["last_ingest_at"] or "-")[:19].replace("T", " ")
        print(f"{_shown(ds['name']):<24} {ds['schema_version']:>7}  {ds['compatibility']:<19} "
              f"{ds['jobs']['total']:>6}  {last}")
    return 0


def _show(args: argparse.Namespace, client: IngestClient) -> int:
    path = f"/api/v1/datasources/{args.name}"
    _print_json(client.call("GET", f"{path}/schemas/{args.version}" if args.version else path))
    return 0


def _diff(args: argparse.Namespace, client: IngestClient) -> int:
    result = client.call("GET", f"/api/v1/datasources/{args.name}/schemas/{args.a}/diff/{args.b}")
    print(f"version {args.a} -> {args.b}: {len(result['changes'])} change(s)", file=sys.stderr)
    _print_changes(result["changes"], out=sys.stdout)
    return 0


def _restore(args: argparse.Namespace, client: IngestClient) -> int:
    registered = client.call("POST", f"/api/v1/datasources/{args.name}/schemas/{args.version}/restore")
    return _say_registered(registered)


def _delete(args: argparse.Namespace, client: IngestClient) -> int:
    client.call("DELETE", f"/api/v1/datasources/{args.name}")
    print(f"deleted {args.name}: uploads are refused; its jobs, versions and Druid data stay", file=sys.stderr)
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace, IngestClient], int]] = {
    "infer": _infer, "create": _create, "check": _check, "apply": _apply, "list": _list, "show": _show,
    "diff": _diff, "restore": _restore, "delete": _delete,
}


def _definition(path: str) -> dict[str, Any]:
    """A definition file: what `datasource infer` prints, or a whole proposal or version holding one."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("definition"), dict):
        data = data["definition"]
    if not isinstance(data, dict):
        raise ValueError(f"{path} holds no schema definition (a JSON object with time_column and columns)")
    return data


def _say_registered(registered: dict[str, Any]) -> int:
    if registered["created"]:
        print(f"registered version {registered['version']}: {_shown(registered['summary'])}", file=sys.stderr)
    else:
        print(f"no change: identical to the current version {registered['version']}", file=sys.stderr)
    print(registered["version"])
    return 0


def _print_changes(changes: list[dict[str, Any]], out: Any = sys.stderr) -> None:
    for change in changes:
        print(f"  {change['kind']:<18} {_shown(change['description'])}", file=out)


def _print_violations(violations: list[dict[str, Any]], mode: str) -> None:
    print(f"incompatible under {mode}:", file=sys.stderr)
    for violation in violations:
        print(f"  {violation['kind']:<18} {_shown(violation['reason'])}", file=sys.stderr)


def _print_refusal(error: ApiError) -> None:
    body = error.body
    print(f"refused: {body.get('code')}: {_shown(body.get('message'))}", file=sys.stderr)
    details = body.get("details") or {}
    for problem in details.get("problems", []):
        print(f"  {_shown(problem['path'])}: {_shown(problem['message'])}", file=sys.stderr)
    if body.get("code") == "incompatible_schema":
        _print_violations(details.get("violations", []), details.get("compatibility", "?"))


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _shown(text: object) -> str:
    return display_text("" if text is None else str(text))
