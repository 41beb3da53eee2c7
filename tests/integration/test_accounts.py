"""Users, API keys, grants and signing in (backend.pipeline.accounts) against the real PostgreSQL: each change with
its audit event in one transaction, none for a change that rolled back, the login limiter's counts in the
database, and no secret in the audit log. (The HTTP routes and permission checks come with the API layer.)"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from backend.db import audit_repository
from backend.db.models import ApiKey, AuditEvent
from backend.db.session import session_scope
from backend.errors import ErrorCode, IngestError
from backend.pipeline import accounts
from backend.security.api_keys import digest_matches, key_prefix
from backend.vocabulary import Actor, Role, Via

PASSWORD = "a long enough password"  # noqa: S105 - a test value
ADMIN = Actor("test-admin", Via.key, "127.0.0.1", "req-1")


def _name(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}"


def _audit(target: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.target == target).order_by(AuditEvent.id)))


def _error(call: object) -> IngestError:
    with pytest.raises(IngestError) as raised:
        call()  # type: ignore[operator]
    return raised.value


def test_creating_a_user_is_audited_and_a_second_of_the_same_name_refused() -> None:
    username = _name("ada")
    user = accounts.create_user(ADMIN, username, PASSWORD, "Ada")
    assert user.password_hash is not None and PASSWORD not in user.password_hash
    assert _error(lambda: accounts.create_user(ADMIN, username, PASSWORD)).code == ErrorCode.user_exists
    assert _error(lambda: accounts.create_user(ADMIN, "Not Valid!", PASSWORD)).code == ErrorCode.invalid_field
    short = _error(lambda: accounts.create_user(ADMIN, _name("bo"), "short"))
    assert short.code == ErrorCode.invalid_field and "12 characters" in short.message
    [event] = _audit(username)
    assert (event.actor, event.via, event.action, event.outcome) == ("test-admin", "key", "user.create", "ok")
    assert str(event.client_address) == "127.0.0.1" and event.request_id == "req-1"


def test_signing_in_and_the_limiter_counting_failures_in_postgresql() -> None:
    username = _name("cy")
    accounts.create_user(ADMIN, username, PASSWORD)
    policy = accounts.LoginPolicy(max_failures=3, window_s=600, lockout_s=600)
    caller = Actor(None, None, f"10.{uuid.uuid4().int % 250}.8.7", "req-2")
    assert accounts.sign_in(policy, username, "wrong password!", caller) == 1
    assert accounts.sign_in(policy, username, "wrong again!!!!", caller) == 2
    assert accounts.locked_for(username, None) == 0
    assert accounts.sign_in(policy, username, "and again!!!!!!", caller) == 3
    assert 590 < accounts.locked_for(username, None) <= 600  # the route answers 429 until then
    # One address locks after five times as many failures (many users may share it), whatever the usernames.
    assert accounts.locked_for(_name("other"), caller.client_address) == 0
    for _ in range(3 * accounts.LoginPolicy.ADDRESS_FACTOR - 3):
        accounts.sign_in(policy, _name("guess"), "wrong password!", caller)
    assert accounts.locked_for(_name("other"), caller.client_address) > 590
    # An unknown username is counted the same way, and says nothing about which names exist.
    assert accounts.sign_in(policy, _name("nobody"), PASSWORD, Actor(None, None, "10.1.1.1", None)) == 1
    events = _audit(username)
    assert [(e.action, e.outcome, e.status_code) for e in events[1:]] == [("auth.login", "refused", 401)] * 3
    assert all(PASSWORD not in str(e.details) and "wrong" not in str(e.details) for e in events)


def test_concurrent_guesses_are_counted_one_by_one() -> None:
    # Eight wrong guesses at once against a limit of three: three are checked and counted, five are refused unchecked
    # (before, all eight passed the lock check before any failure was counted), and so is the right password then.
    username = _name("gu")
    accounts.create_user(ADMIN, username, PASSWORD)
    policy = accounts.LoginPolicy(max_failures=3, window_s=600, lockout_s=600)
    nobody = Actor(None, None, None, None)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda i: accounts.sign_in(policy, username, f"wrong guess {i:04d}", nobody),
                                 range(8)))
    assert sorted(o for o in outcomes if isinstance(o, int)) == [1, 2, 3], outcomes
    assert sum(isinstance(o, accounts.Locked) for o in outcomes) == 5, outcomes
    assert isinstance(accounts.sign_in(policy, username, PASSWORD, nobody), accounts.Locked)


def test_a_successful_sign_in_opens_a_session_and_a_deactivation_closes_it() -> None:
    username = _name("di")
    accounts.create_user(ADMIN, username, PASSWORD)
    signed = accounts.sign_in(accounts.LoginPolicy(), username, PASSWORD, Actor(None, None, "127.0.0.1", None))
    assert isinstance(signed, accounts.SignedIn) and signed.user.username == username
    accounts.update_user(ADMIN, username, accounts.UserChange(active=False))
    with session_scope() as session:
        revoked = session.scalar(text("SELECT revoked_at IS NOT NULL FROM web_sessions WHERE id = :id"),
                                 {"id": signed.session_id})
    assert revoked is True
    assert accounts.sign_in(accounts.LoginPolicy(), username, PASSWORD, Actor(None, None, None, None)) == 1
    assert [e.action for e in _audit(username)] == ["user.create", "auth.login", "user.update", "auth.login"]


def test_an_api_key_is_shown_once_and_only_its_digest_kept() -> None:
    owner = accounts.create_user(ADMIN, _name("ed"), PASSWORD)
    key, secret = accounts.create_key(ADMIN, owner.id, "ci", ["read", "upload"], None)
    assert key_prefix(secret) == key.prefix and digest_matches(key.digest, secret)
    with session_scope() as session:
        stored = session.scalar(select(ApiKey).where(ApiKey.id == key.id))
    assert stored is not None and secret not in (stored.digest, stored.prefix, stored.name)
    accounts.revoke_key(ADMIN, key.id)
    events = _audit(key.prefix)
    assert [e.action for e in events] == ["key.create", "key.revoke"]
    assert all(secret not in str(e.details) for e in events)
    assert _error(lambda: accounts.revoke_key(ADMIN, uuid.uuid4())).code == ErrorCode.not_found


def test_a_change_that_rolls_back_leaves_no_audit_row() -> None:
    username = _name("fa")
    accounts.create_user(ADMIN, username, PASSWORD)
    datasource = _name("nowhere")
    assert _error(lambda: accounts.put_grant(ADMIN, datasource, username, Role.read)).code in {
        ErrorCode.unknown_datasource, ErrorCode.not_found}
    assert _audit(f"{datasource}/{username}") == []


def test_the_last_active_admin_cannot_be_removed() -> None:
    with session_scope() as session:
        admins = session.scalar(text("SELECT count(*) FROM users WHERE is_admin AND active"))
    if admins == 0:
        first = accounts.create_user(ADMIN, _name("root"), PASSWORD, is_admin=True)
        assert _error(lambda: accounts.delete_user(ADMIN, first.username)).code == ErrorCode.conflict
        assert _error(lambda: accounts.update_user(ADMIN, first.username, accounts.UserChange(active=False))
                      ).code == ErrorCode.conflict
    second = accounts.create_user(ADMIN, _name("root"), PASSWORD, is_admin=True)
    accounts.delete_user(ADMIN, second.username)  # another active admin remains
    assert [e.action for e in _audit(second.username)] == ["user.create", "user.delete"]


def test_the_audit_log_refuses_changes() -> None:
    accounts.record_refusal(ADMIN, "job.cancel", "some-job", 404, "refused")
    with session_scope() as session:
        total, [latest, *_] = audit_repository.list_events(session, audit_repository.AuditFilter(target="some-job"),
                                                           limit=5, before_id=None)
    assert total >= 1 and latest.action == "job.cancel"
    for statement in ("UPDATE audit_events SET outcome = 'ok' WHERE id = :id",
                      "DELETE FROM audit_events WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
            session.execute(text(statement), {"id": latest.id})
