"""Access control on the command line: `login` (a key stored for the CLI), `keys create|list|revoke`, and `users
create-admin` (straight into PostgreSQL: the first admin exists before anyone can sign in), `users create|grant`
(through the API, as an admin).

The CLI's API key: `--api-key`, else INGEST_API_KEY, else the one `druid-ingest login` stored for that API in
$XDG_CONFIG_HOME/druid-ingest/credentials.json (~/.config by default), a file only its owner may read (0600)."""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

import requests

from backend.client import ApiError, IngestClient, api_key_for, store_key

ApiUrl = Callable[[argparse.Namespace], str]
_CLI_SCOPES = ["read", "upload", "manage"]


def _password(args: argparse.Namespace, prompt: str) -> str:
    if getattr(args, "password_env", None):
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"druid-ingest: {args.password_env} is not set")
        return value
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def _refused(error: ApiError) -> int:
    print(f"refused: {error.body.get('code')}: {error.body.get('message')}", file=sys.stderr)
    return 2


def _client(args: argparse.Namespace, api_url: ApiUrl) -> IngestClient:
    url = api_url(args)
    return IngestClient(url, api_key=api_key_for(getattr(args, "api_key", None), url))


# --- login ----------------------------------------------------------------------------------------------------------

def cmd_login(args: argparse.Namespace, api_url: ApiUrl) -> int:
    """Sign in with username and password, create a key for this CLI and store it."""
    url = api_url(args)
    username = args.username or input("username: ")
    browser = requests.Session()
    signed = browser.post(f"{url}/api/v1/auth/login", json={"username": username,
                                                            "password": _password(args, "password: ")}, timeout=30)
    if signed.status_code != 200:
        body = signed.json() if signed.headers.get("content-type", "").startswith("application/json") else {}
        print(f"sign-in refused: {body.get('message', signed.text[:200])}", file=sys.stderr)
        return 2
    me = signed.json()
    scopes = [*_CLI_SCOPES, *(["admin", "metrics"] if me["is_admin"] else [])]
    made = browser.post(f"{url}/api/v1/keys", timeout=30, headers={"X-CSRF-Token": me["csrf_token"]},
                        json={"name": f"druid-ingest CLI on {socket.gethostname()}", "scopes": scopes})
    browser.post(f"{url}/api/v1/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]}, timeout=30)
    if made.status_code != 201:
        print(f"creating a key refused: {made.text[:300]}", file=sys.stderr)
        return 2
    key = made.json()
    path = store_key(url, username, key["secret"])
    print(f"signed in as {username}; key {key['prefix']} stored in {path} (readable by you only)")
    return 0


# --- keys -----------------------------------------------------------------------------------------------------------

def cmd_keys(args: argparse.Namespace, api_url: ApiUrl) -> int:
    client = _client(args, api_url)
    try:
        if args.action == "create":
            body: dict[str, Any] = {"name": args.name, "scopes": args.scope or _CLI_SCOPES}
            if args.user:
                return _create_key_for(args)
            key = client.call("POST", "/api/v1/keys", body)
            print(f"key {key['prefix']} ({', '.join(key['scopes'])}); the secret, shown this once:", file=sys.stderr)
            print(key["secret"])
        elif args.action == "list":
            for key in client.call("GET", "/api/v1/keys")["items"]:
                state = "revoked" if key["revoked_at"] else "active"
                print(f"{key['key_id']}  {key['prefix']}  {state:<7}  {key['owner']:<16} {','.join(key['scopes']):<30}"
                      f" {key['name']}")
        else:
            client.call("DELETE", f"/api/v1/keys/{args.key_id}")
            print(f"key {args.key_id} revoked", file=sys.stderr)
    except ApiError as error:
        return _refused(error)
    return 0


def _create_key_for(args: argparse.Namespace) -> int:
    """A key for a user, straight into PostgreSQL (for setting up: `make demo`, containers, before any key)."""
    from backend.pipeline import accounts
    from backend.vocabulary import Actor

    user, _ = accounts.user_with_grants(args.user)
    _, secret = accounts.create_key(Actor("druid-ingest CLI", None), user.id, args.name, args.scope or _CLI_SCOPES,
                                    None)
    print(secret)
    return 0


# --- users ----------------------------------------------------------------------------------------------------------

def cmd_users(args: argparse.Namespace, api_url: ApiUrl) -> int:
    from backend.errors import IngestError

    if args.action == "create-admin":
        from backend.pipeline import accounts
        from backend.vocabulary import Actor

        actor = Actor("druid-ingest CLI", None)
        password = _password(args, "new admin's password: ")
        try:
            accounts.create_user(actor, args.username, password, "Administrator", is_admin=True)
            print(f"admin {args.username} created", file=sys.stderr)
        except IngestError as error:
            if error.code.value != "user_exists" or not args.reset:
                print(f"refused: {error.code.value}: {error.message}", file=sys.stderr)
                return 2
            accounts.update_user(actor, args.username, accounts.UserChange(password=password, active=True,
                                                                           is_admin=True))
            print(f"admin {args.username} exists: password reset, active, admin", file=sys.stderr)
        return 0
    client = _client(args, api_url)
    try:
        if args.action == "create":
            client.call("POST", "/api/v1/users", {"username": args.username, "is_admin": args.admin,
                                                  "password": _password(args, f"{args.username}'s password: ")})
            print(f"user {args.username} created", file=sys.stderr)
        else:
            client.call("PUT", f"/api/v1/datasources/{args.datasource}/grants/{args.username}", {"role": args.role})
            print(f"{args.username} may now {args.role} {args.datasource}", file=sys.stderr)
    except ApiError as error:
        return _refused(error)
    return 0


def add_access_commands(sub: Any, api_url: ApiUrl) -> None:
    login = sub.add_parser("login", help="sign in and store an API key for the CLI (0600)")
    login.add_argument("--username")
    login.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    login.set_defaults(func=lambda args: cmd_login(args, api_url))

    keys = sub.add_parser("keys", help="your API keys: create, list, revoke")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create", help="a new key; its secret is printed once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append",
                        help="read, upload, manage, read:<datasource> (upload:, manage:), admin, metrics "
                             "(repeatable; default read, upload, manage)")
    create.add_argument("--user", help="for this user, straight into PostgreSQL (setting up, no API needed)")
    listing = keys_sub.add_parser("list", help="your keys (an admin: everyone's)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id")
    keys.set_defaults(func=lambda args: cmd_keys(args, api_url))

    users = sub.add_parser("users", help="create-admin (PostgreSQL), create and grant (through the API)")
    users_sub = users.add_subparsers(dest="action", required=True)
    admin = users_sub.add_parser("create-admin", help="an admin, straight into PostgreSQL (the first one)")
    admin.add_argument("--username", required=True)
    admin.add_argument("--reset", action="store_true", help="if the user exists: reset its password, make it admin")
    create_user = users_sub.add_parser("create", help="a user (needs an admin's key)")
    create_user.add_argument("username")
    create_user.add_argument("--admin", action="store_true")
    grant = users_sub.add_parser("grant", help="give a user a role on a datasource")
    grant.add_argument("username")
    grant.add_argument("datasource")
    grant.add_argument("role", choices=["read", "upload", "manage"])
    for command in (admin, create_user):
        command.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        command.add_argument("--password-env", metavar="NAME", help="read the password from this variable")
    users.set_defaults(func=lambda args: cmd_users(args, api_url))

    for command in (login, create, listing, revoke, admin, create_user, grant):
        command.add_argument("--api", help="API base URL (default from INGEST_API_HOST/PORT)")
