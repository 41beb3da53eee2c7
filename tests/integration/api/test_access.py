"""Access control against the real stack: APIs started with INGEST_AUTH_REQUIRED=true (the product's default),
users, keys and grants made for this module, a single sign-on issuer with a key generated here, and the worker
of the suite. The matrix at the end sends every route of the app (walked from the app, so a new route is covered
at once) with each kind of caller and checks the answer its declared permission implies."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
import requests

from backend.api.access.permissions import Need, Scope
from backend.pipeline import accounts
from backend.schema.builtins import SALES_SCHEMA
from backend.schema.codec import schema_to_json, without_ids
from backend.settings import REPO_ROOT
from backend.vocabulary import Actor, Role, Via
from tests.oidc_issuer import Issuer
from tests.polling import poll_until
from tests.unit.test_route_permissions import declared_routes

from .conftest import API_PORT, Service, sales, service_env

PASSWORD = "a-password-for-tests"  # noqa: S105 - a test value
SETUP = Actor("access-test-setup", Via.key)
MAX_FAILURES = 4


def _start_api(port: int, issuer: Issuer, log_name: str) -> subprocess.Popen[bytes]:
    env = {**service_env(), "INGEST_AUTH_REQUIRED": "true", "INGEST_API_PORT": str(port), "INGEST_API_WORKERS": "1",
           "INGEST_OIDC_ISSUER": issuer.url, "INGEST_LOGIN_MAX_FAILURES": str(MAX_FAILURES)}
    log = (REPO_ROOT / "var" / "log" / log_name).open("ab")
    process = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], env=env,
                               stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    poll_until(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code, 60,
               f"the access-controlled API on port {port}", accept=lambda status: status == 200,
               ignore=(requests.RequestException,))
    return process


@dataclass
class Caller:
    """One kind of caller of the matrix, with what it may do on the module's datasource, declared here by hand
    (not computed by the code under test)."""

    name: str
    headers: dict[str, str]
    bad_credentials: bool = False  # 401 everywhere, public routes included
    signed_in: bool = True
    admin: bool = False
    metrics: bool = False
    role: Role | None = None  # on the module's datasource

    def expected(self, need: Need) -> int | str:
        if self.bad_credentials:
            return 401
        if need.scope == Scope.public:
            return "passes"
        if not self.signed_in:
            return 401
        if need.scope == Scope.signed_in:
            return "passes"
        if need.scope == Scope.admin:
            return "passes" if self.admin else 403
        if need.scope == Scope.metrics:
            return "passes" if self.admin or self.metrics else 403
        assert need.role is not None
        if need.scope == Scope.upload_form and (self.role is None or not self.role.includes(Role.upload)):
            return 403  # refused before a byte is read: no datasource lets this caller upload
        if self.role is None:
            return 404
        return "passes" if self.role.includes(need.role) else 403


@dataclass
class Acl:
    url: str
    second_url: str
    issuer: Issuer
    datasource: str
    other: str  # a datasource only the viewer reads
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # caller name -> Authorization header
    job: str = ""  # a job of `datasource` with rejected rows
    other_job: str = ""
    victim: str = ""  # a user the matrix may delete
    users: dict[str, str] = field(default_factory=dict)  # caller name -> username (this module's own)

    def get(self, path: str, who: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.url}{path}", headers=self.headers[who], timeout=30, **kwargs)


def _key(username: str, scopes: list[str]) -> dict[str, str]:
    user = accounts.user_with_grants(username)[0]
    _, secret = accounts.create_key(SETUP, user.id, f"{username} test key", scopes, None)
    return {"Authorization": f"Bearer {secret}"}


def _user(username: str, grants: dict[str, Role], *, admin: bool = False) -> None:
    accounts.create_user(SETUP, username, PASSWORD, username.title(), is_admin=admin)
    for datasource, role in grants.items():
        accounts.put_grant(SETUP, datasource, username, role)


@pytest.fixture(scope="module")
def acl(service: Service) -> Iterator[Acl]:
    tag = uuid.uuid4().hex[:8]
    issuer = Issuer()
    first = _start_api(API_PORT + 2, issuer, "test-api-access-1.log")
    second = _start_api(API_PORT + 3, issuer, "test-api-access-2.log")
    acl = Acl(f"http://127.0.0.1:{API_PORT + 2}", f"http://127.0.0.1:{API_PORT + 3}", issuer, f"acl_{tag}",
              f"acl_other_{tag}")
    try:
        acl.users = {who: f"{who}-{tag}" for who in ("admin", "reader", "uploader", "manager", "viewer", "scoped")}
        _user(f"admin-{tag}", {}, admin=True)
        acl.headers["admin"] = _key(f"admin-{tag}", ["admin"])
        definition = without_ids(schema_to_json(SALES_SCHEMA))
        for name in (acl.datasource, acl.other):
            created = requests.post(f"{acl.url}/api/v1/datasources", json={"name": name, **definition},
                                    headers=acl.headers["admin"], timeout=30)
            assert created.status_code == 201, created.text
        for who, grants in {"reader": {acl.datasource: Role.read}, "uploader": {acl.datasource: Role.upload},
                            "manager": {acl.datasource: Role.manage}, "viewer": {acl.other: Role.read},
                            "scoped": {acl.datasource: Role.upload}}.items():
            _user(f"{who}-{tag}", grants)
        for who in ("reader", "uploader", "manager", "viewer"):
            acl.headers[who] = _key(f"{who}-{tag}", ["upload", "read", "manage"])
        acl.headers["key without the scope"] = _key(f"scoped-{tag}", ["metrics"])
        revoked = _key(f"uploader-{tag}", ["upload"])
        for key, _ in accounts.list_keys(accounts.user_with_grants(f"uploader-{tag}")[0].id):
            if key.name.endswith("test key") and revoked["Authorization"].split("_")[1] == key.prefix:
                accounts.revoke_key(SETUP, key.id)
        acl.headers["revoked key"] = revoked
        acl.headers["no credentials"] = {}
        acl.headers["malformed token"] = {"Authorization": "Bearer dik_not-a-key"}
        acl.headers["expired token"] = {"Authorization": f"Bearer {issuer.token(exp=int(time.time()) - 600)}"}
        acl.headers["sso with the claim"] = {
            "Authorization": f"Bearer {issuer.token(druid_ingest_roles=[f'upload:{acl.datasource}'])}"}
        acl.headers["sso without the claim"] = {"Authorization": f"Bearer {issuer.token(sub='u-456')}"}
        acl.victim = f"victim-{tag}"
        _user(acl.victim, {})
        acl.job = _job_with_rejects(acl, service, acl.datasource, tag)
        acl.other_job = _job_with_rejects(acl, service, acl.other, tag + "o")
        yield acl
    finally:
        for process in (first, second):
            process.terminate()
            process.wait(timeout=20)
        issuer.stop()


def _job_with_rejects(acl: Acl, service: Service, datasource: str, tag: str) -> str:
    frame = sales(tag, 50, seed=31).with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(-5).otherwise(pl.col("Quantity")).alias("Quantity"))
    who = "uploader" if datasource == acl.datasource else "admin"
    response = requests.post(f"{acl.url}/api/v1/uploads", headers=acl.headers[who], timeout=60,
                             files={"file": ("acl.csv", frame.write_csv().encode())},
                             data={"datasource": datasource, "on_invalid": "skip"})
    assert response.status_code == 202, response.text
    job_id = str(response.json()["job_id"])
    assert service.wait(job_id)["state"] == "succeeded"
    return job_id


# --- reading what is not yours ----------------------------------------------------------------------------------

def test_a_job_of_a_datasource_you_cannot_read_is_not_there(acl: Acl) -> None:
    unknown = uuid.uuid4()
    for suffix in ("", "/errors", "/rejects"):
        hidden = acl.get(f"/api/v1/jobs/{acl.job}{suffix}", "viewer")
        absent = acl.get(f"/api/v1/jobs/{unknown}{suffix}", "viewer")
        assert (hidden.status_code, absent.status_code) == (404, 404), (hidden.text, absent.text)
        # Word for word the answer for a job that does not exist, but for the id.
        assert hidden.json()["message"].replace(acl.job, "ID") == absent.json()["message"].replace(str(unknown), "ID")
        assert acl.get(f"/api/v1/jobs/{acl.other_job}{suffix}", "viewer").status_code == 200
    assert acl.get(f"/api/v1/jobs/{acl.job}/rejects", "reader").status_code == 200


def test_listings_show_only_what_you_may_read(acl: Acl) -> None:
    mine = acl.get("/api/v1/jobs", "viewer", params={"limit": 500}).json()
    assert {job["datasource"] for job in mine["items"]} == {acl.other}
    assert mine["total"] == len(mine["items"])
    assert acl.get("/api/v1/jobs", "viewer", params={"datasource": acl.datasource}).json() == {"total": 0,
                                                                                             "items": []}
    assert [d["name"] for d in acl.get("/api/v1/datasources", "viewer").json()["items"]] == [acl.other]
    everything = {d["name"] for d in acl.get("/api/v1/datasources", "admin").json()["items"]}
    assert {acl.datasource, acl.other} <= everything


def test_who_am_i(acl: Acl) -> None:
    me = acl.get("/api/v1/auth/me", "uploader").json()
    assert me["grants"] == {acl.datasource: "upload"} and me["via"] == "key" and not me["is_admin"]
    sso = acl.get("/api/v1/auth/me", "sso with the claim").json()
    assert (sso["username"], sso["via"], sso["grants"]) == ("ada", "sso", {acl.datasource: "upload"})
    refused = acl.get("/api/v1/auth/me", "no credentials")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.json()["code"] == "not_authenticated"


# --- the page's session: cookies, CSRF, sign-out ------------------------------------------------------------------

def _signed_in(url: str, username: str, password: str = PASSWORD) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    answer = browser.post(f"{url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=30)
    return browser, answer


def test_a_cookie_session_refuses_cross_site_posts_and_ends_at_sign_out(acl: Acl) -> None:
    browser, answer = _signed_in(acl.url, acl.users["uploader"])
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"]
    assert "ingest_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace(
        "SameSite=Strict", "SameSite=strict")
    assert browser.get(f"{acl.url}/api/v1/jobs/{acl.job}", timeout=30).status_code == 200
    # Another site can make the browser send the cookie, not read the anti-forgery token: refused.
    forged = browser.post(f"{acl.url}/api/v1/jobs/{acl.job}/cancel", timeout=30)
    assert forged.status_code == 403 and forged.json()["details"]["permission"] == "csrf", forged.text
    token = browser.cookies["ingest_csrf"]
    assert answer.json()["csrf_token"] == token
    sent = browser.post(f"{acl.url}/api/v1/jobs/{acl.job}/cancel", headers={"X-CSRF-Token": token}, timeout=30)
    assert sent.status_code == 409  # through the guard: the job already ended
    # A bearer request needs no token (no cookie rides along with it).
    assert requests.post(f"{acl.url}/api/v1/jobs/{acl.job}/cancel", headers=acl.headers["uploader"],
                         timeout=30).status_code == 409
    out = browser.post(f"{acl.url}/api/v1/auth/logout", headers={"X-CSRF-Token": token}, timeout=30)
    assert out.status_code == 204
    stale = requests.get(f"{acl.url}/api/v1/jobs/{acl.job}", cookies={"ingest_session": answer.cookies[
        "ingest_session"]}, timeout=30)
    assert stale.status_code == 401  # the session was revoked, not just its cookie cleared
    # That stale cookie does not keep its browser from signing in again (nor from the public routes).
    again = requests.post(f"{acl.url}/api/v1/auth/login", json={"username": acl.users["uploader"],
                                                                 "password": PASSWORD},
                          cookies={"ingest_session": answer.cookies["ingest_session"]}, timeout=30)
    assert again.status_code == 200, again.text


def test_a_key_creates_no_key_wider_or_longer_lived_than_itself(acl: Acl) -> None:
    owner = accounts.user_with_grants(acl.users["uploader"])[0]
    expires = datetime.now(UTC) + timedelta(hours=1)
    _, secret = accounts.create_key(SETUP, owner.id, "short-lived", ["read"], expires)
    short_lived = {"Authorization": f"Bearer {secret}"}

    def mint(body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{acl.url}/api/v1/keys", json={"name": "child", **body}, headers=short_lived, timeout=30)

    forever = mint({"scopes": ["read"]})
    assert forever.status_code == 403 and forever.json()["details"]["permission"] == "expires_at", forever.text
    later = mint({"scopes": ["read"], "expires_at": (expires + timedelta(days=1)).isoformat()})
    assert later.status_code == 403, later.text
    wider = mint({"scopes": ["upload"], "expires_at": expires.isoformat()})
    assert wider.status_code == 403 and wider.json()["details"]["permission"] == "scopes", wider.text
    sooner = mint({"scopes": ["read"], "expires_at": (expires - timedelta(minutes=5)).isoformat()})
    assert sooner.status_code == 201, sooner.text


def test_an_unknown_datasource_names_no_other(acl: Acl) -> None:
    # An SSO claim may name a datasource that does not exist; the answer must not list those the caller may not read.
    ghost = f"ghost_{uuid.uuid4().hex[:8]}"
    token = acl.issuer.token(druid_ingest_roles=[f"read:{ghost}"])
    answer = requests.get(f"{acl.url}/api/v1/datasources/{ghost}", headers={"Authorization": f"Bearer {token}"},
                          timeout=30)
    assert answer.status_code == 404, answer.text
    assert acl.datasource not in answer.text and acl.other not in answer.text and "sales" not in answer.text


def test_repeated_failed_sign_ins_are_refused_across_two_api_processes(acl: Acl) -> None:
    username = f"throttled-{uuid.uuid4().hex[:8]}"
    accounts.create_user(SETUP, username, PASSWORD)
    answers = []
    for attempt in range(MAX_FAILURES):
        url = acl.url if attempt % 2 == 0 else acl.second_url  # alternating between the two processes
        answers.append(_signed_in(url, username, "not the password")[1])
    assert [a.status_code for a in answers] == [401] * (MAX_FAILURES - 1) + [429], [a.text for a in answers]
    assert int(answers[-1].headers["Retry-After"]) > 0
    # Locked: even the right password waits, on either process.
    for url in (acl.url, acl.second_url):
        locked = _signed_in(url, username)[1]
        assert locked.status_code == 429 and locked.json()["code"] == "too_many_attempts"


# --- the audit log ----------------------------------------------------------------------------------------------

def test_changes_and_sign_ins_are_audited_with_their_actor_and_outcome(acl: Acl) -> None:
    username = f"audited-{uuid.uuid4().hex[:8]}"
    created = requests.post(f"{acl.url}/api/v1/users", headers=acl.headers["admin"], timeout=30,
                            json={"username": username, "password": PASSWORD})
    assert created.status_code == 201, created.text
    assert _signed_in(acl.url, username, "wrong password")[1].status_code == 401
    assert _signed_in(acl.url, username)[1].status_code == 200
    refused = requests.post(f"{acl.url}/api/v1/users", headers=acl.headers["uploader"], timeout=30,
                            json={"username": f"{username}-2", "password": PASSWORD})
    assert refused.status_code == 403
    # A change that fails in its service rolls back: only the refusal is recorded, no `ok` row.
    duplicate = requests.post(f"{acl.url}/api/v1/users", headers=acl.headers["admin"], timeout=30,
                              json={"username": username, "password": PASSWORD})
    assert duplicate.status_code == 409
    events = acl.get("/api/v1/audit", "admin", params={"target": username, "limit": 50}).json()["items"]
    seen = [(e["actor"], e["via"], e["action"], e["outcome"], e["status_code"]) for e in reversed(events)]
    admin = acl.users["admin"]
    assert seen == [
        (admin, "key", "user.create", "ok", None),
        (username, "password", "auth.login", "refused", 401),
        (username, "password", "auth.login", "ok", 200),
        (admin, "key", "user.create", "refused", 409),
    ], seen
    attempted = acl.get("/api/v1/audit", "admin", params={"action": "user.create", "outcome": "refused",
                                                          "actor": acl.users["uploader"]}).json()
    assert attempted["total"] >= 1 and attempted["items"][0]["status_code"] == 403
    upload = acl.get("/api/v1/audit", "admin", params={"target": acl.job}).json()["items"]
    assert ("job.upload", "ok") in {(e["action"], e["outcome"]) for e in upload}
    everything = acl.get("/api/v1/audit", "admin", params={"limit": 500}).text
    assert PASSWORD not in everything and "dik_" not in everything
    # Nor in what the two API processes logged (every request of this module, sign-ins and failures included).
    secrets = [header["Authorization"].removeprefix("Bearer ") for header in acl.headers.values()
               if header.get("Authorization", "").startswith("Bearer dik_")]
    for log_name in ("test-api-access-1.log", "test-api-access-2.log"):
        logged = (REPO_ROOT / "var" / "log" / log_name).read_text(errors="replace")
        assert PASSWORD not in logged, log_name
        assert not [secret for secret in secrets if secret in logged], log_name
    assert acl.get("/api/v1/audit", "manager").status_code == 403


# --- the matrix: every route x every kind of caller ----------------------------------------------------------------

def _callers(acl: Acl) -> list[Caller]:
    h = acl.headers
    return [
        Caller("no credentials", h["no credentials"], signed_in=False),
        Caller("malformed token", h["malformed token"], bad_credentials=True),
        Caller("expired token", h["expired token"], bad_credentials=True),
        Caller("revoked key", h["revoked key"], bad_credentials=True),
        Caller("key without the scope", h["key without the scope"], metrics=True),
        Caller("viewer of another datasource", h["viewer"]),
        Caller("reader", h["reader"], role=Role.read),
        Caller("uploader", h["uploader"], role=Role.upload),
        Caller("manager", h["manager"], role=Role.manage),
        Caller("admin", h["admin"], admin=True, role=Role.manage),
        Caller("sso with the claim", h["sso with the claim"], role=Role.upload),
        Caller("sso without the claim", h["sso without the claim"]),
    ]


def _request(acl: Acl, method: str, path: str, headers: dict[str, str]) -> requests.Response:
    """The route with this module's objects in its path and a body the route refuses (422, 415), so a request the
    guard lets through changes nothing (where a route has no body, the matrix's objects make it a no-op or a 409)."""
    filled = (path.replace("{job_id}", acl.job).replace("{name}", acl.datasource).replace("{username}", acl.victim)
              .replace("{key_id}", str(uuid.uuid4())).replace("{version:int}", "1").replace("{a:int}", "1")
              .replace("{b:int}", "1"))
    kwargs: dict[str, Any] = {"headers": dict(headers), "timeout": 60}
    if path == "/api/v1/uploads":
        kwargs["files"] = {"file": ("x.csv", b"a,b\n1,2\n")}
        kwargs["data"] = {"datasource": acl.datasource, "priority": "NOT-A-PRIORITY"}
    elif path.endswith("/records"):
        kwargs["data"] = b"{}"
        kwargs["headers"]["Content-Type"] = "text/plain"
    elif method in {"POST", "PUT", "PATCH"}:
        kwargs["data"] = b"\x00 not json"
        kwargs["headers"]["Content-Type"] = "application/json"
    return requests.request(method, f"{acl.url}{filled}", **kwargs)  # noqa: S113 - the timeout is in kwargs


def _outcome(response: requests.Response, need: Need) -> int | str:
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    code = body.get("code") if isinstance(body, dict) else None
    if response.status_code == 401:
        return 401
    if response.status_code == 403 and code == "forbidden":
        return 403
    if response.status_code == 404 and (code == "unknown_datasource" or (
            need.scope == Scope.job and code == "not_found")):
        return 404
    return "passes"


def test_every_route_answers_each_caller_as_its_declared_permission_implies(acl: Acl) -> None:
    routes = {key: need for key, (need, _) in declared_routes().items() if not key[1].startswith("/{")}
    assert len(routes) > 30
    callers = _callers(acl)
    wrong = []
    for (method, path), need in sorted(routes.items(), key=lambda item: (item[0][1], item[0][0] == "DELETE")):
        for caller in callers:
            response = _request(acl, method, path, caller.headers)
            assert response.status_code < 500, f"{method} {path} as {caller.name}: {response.text}"
            got, want = _outcome(response, need), caller.expected(need)
            if got != want:
                wrong.append(f"{method} {path} as {caller.name}: expected {want}, got {response.status_code} "
                             f"{response.text[:200]}")
    print(f"access matrix: {len(routes)} routes x {len(callers)} callers = {len(routes) * len(callers)} requests")
    assert not wrong, "\n".join(wrong)


def test_public_pages_need_no_credentials(acl: Acl) -> None:
    for path in ("/health", "/ready", "/openapi.json"):
        assert requests.get(f"{acl.url}{path}", timeout=30).status_code == 200, path
    assert requests.get(f"{acl.url}/metrics", timeout=30).status_code == 401
    assert os.environ.get("INGEST_AUTH_REQUIRED") == "false"  # the suite's other APIs, not these


# --- the command line -------------------------------------------------------------------------------------------

def _cli(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, **env}, cwd=REPO_ROOT, timeout=120, check=False)


def test_the_cli_signs_in_stores_its_key_privately_and_sends_it(acl: Acl, tmp_path: Any) -> None:
    config = {"XDG_CONFIG_HOME": str(tmp_path)}
    refused = _cli("jobs", "--api", acl.url, **config)
    assert refused.returncode != 0 and "not_authenticated" in refused.stderr + refused.stdout
    admin = f"cli-admin-{uuid.uuid4().hex[:8]}"
    made = _cli("users", "create-admin", "--username", admin, "--password-stdin", stdin=PASSWORD + "\n", **config)
    assert made.returncode == 0, made.stderr
    signed = _cli("login", "--api", acl.url, "--username", admin, "--password-stdin", stdin=PASSWORD + "\n",
                  **config)
    assert signed.returncode == 0, signed.stderr
    stored = tmp_path / "druid-ingest" / "credentials.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in stored.read_text()
    listed = _cli("keys", "list", "--api", acl.url, **config)
    assert listed.returncode == 0 and "druid-ingest CLI on" in listed.stdout, listed.stderr
    created = _cli("keys", "create", "--name", "ci", "--scope", f"upload:{acl.datasource}", "--api", acl.url,
                   **config)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("dik_")
    # The new key, by INGEST_API_KEY, sees the datasource it was scoped to (and nothing else).
    jobs = _cli("jobs", "--api", acl.url, "--limit", "500", INGEST_API_KEY=secret)
    assert jobs.returncode == 0 and acl.job in jobs.stdout and acl.other_job not in jobs.stdout, jobs.stderr
    granted = _cli("users", "grant", acl.victim, acl.other, "read", "--api", acl.url, **config)
    assert granted.returncode == 0 or "not_found" in granted.stderr  # the matrix may have deleted the victim
    wrong = _cli("--api-key", "dik_AAAAAAAAAA_" + "x" * 43, "jobs", "--api", acl.url)
    assert wrong.returncode != 0


# --- GraphQL: the same callers, the same answers as REST gives them -----------------------------------------------

def test_graphql_shows_each_caller_only_what_rest_lets_it_read(acl: Acl) -> None:
    query = ('query Q($job: ID!, $ds: String!, $other: String!) { job(id: $job) { id } '
             'jobs(first: 100, filter: {datasource: $ds}) { totalCount } datasources(includeDeleted: true) { name } '
             'other: datasource(name: $other) { name } me { username } }')
    variables = {"job": acl.job, "ds": acl.datasource, "other": acl.other}

    def ask(who: str) -> requests.Response:
        return requests.post(f"{acl.url}/graphql", json={"query": query, "variables": variables},
                             headers=acl.headers[who], timeout=30)

    for stranger in ("no credentials", "malformed token", "expired token", "revoked key"):
        assert ask(stranger).status_code == 401, stranger
    reader = ask("reader").json()["data"]
    assert reader["job"] == {"id": acl.job} and reader["jobs"]["totalCount"] >= 1
    assert reader["datasources"] == [{"name": acl.datasource}] and reader["other"] is None
    assert reader["me"] == {"username": acl.users["reader"]}
    viewer = ask("viewer").json()["data"]  # reads only the other datasource: the job is not there for it
    assert viewer["job"] is None and viewer["jobs"]["totalCount"] == 0
    assert viewer["datasources"] == [{"name": acl.other}] and viewer["other"] == {"name": acl.other}
    admin = ask("admin").json()["data"]
    assert admin["job"] == {"id": acl.job} and {acl.datasource, acl.other} <= {d["name"] for d in admin["datasources"]}
    # REST says the same.
    assert acl.get("/api/v1/jobs/" + acl.job, "viewer").status_code == 404
