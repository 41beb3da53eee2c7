"""Failed sign-ins per username and per client address, counted in PostgreSQL so every API process sees the same
counts (a limiter in process memory would give an attacker a fresh allowance per process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from backend.db.models import LoginFailures

# One statement: a window older than `window` starts again at one failure; reaching `limit` locks the subject.
_RECORD_SQL = text("""
INSERT INTO login_failures AS f (subject, window_started_at, failures, locked_until)
VALUES (:subject, now(), 1, CASE WHEN :limit <= 1 THEN now() + make_interval(secs => :lockout) END)
ON CONFLICT (subject) DO UPDATE SET
    window_started_at = CASE WHEN f.window_started_at < now() - make_interval(secs => :window)
                             THEN now() ELSE f.window_started_at END,
    failures = CASE WHEN f.window_started_at < now() - make_interval(secs => :window) THEN 1 ELSE f.failures + 1 END,
    locked_until = CASE
        WHEN f.window_started_at >= now() - make_interval(secs => :window) AND f.failures + 1 >= :limit
        THEN now() + make_interval(secs => :lockout)
        ELSE f.locked_until END
RETURNING failures
""")


def serialize(session: Session, subjects: list[str]) -> None:
    """Sign-ins of the same subjects wait for each other until this transaction ends, so concurrent guesses cannot all
    pass the lock check before any of their failures is counted. Taken in sorted order: no two sign-ins deadlock."""
    for subject in sorted(set(subjects)):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"login:{subject}"})


def locked_until(session: Session, subjects: list[str]) -> datetime | None:
    """The latest lock still in force on any of the subjects, or None."""
    now = datetime.now(UTC)
    return session.scalar(select(func.max(LoginFailures.locked_until)).where(
        LoginFailures.subject.in_(subjects), LoginFailures.locked_until > now))


def record_failure(session: Session, subject: str, limit: int, window_s: float, lockout_s: float) -> int:
    """Counts one failure; the failures in the subject's current window."""
    return int(session.scalar(_RECORD_SQL, {"subject": subject, "limit": limit, "window": window_s,
                                            "lockout": lockout_s}) or 0)


def clear(session: Session, subject: str) -> None:
    session.execute(delete(LoginFailures).where(LoginFailures.subject == subject))


def expire_old(session: Session, older_than_s: float) -> None:
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    session.execute(delete(LoginFailures).where(LoginFailures.window_started_at < cutoff,
                                                (LoginFailures.locked_until.is_(None))
                                                | (LoginFailures.locked_until < datetime.now(UTC))))
