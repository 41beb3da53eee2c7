"""The tests' own PostgreSQL database, beside the main one on the same server.

The API and workers the integration tests start, and every test that reads PostgreSQL itself, use
`<main database>_test` (druid_ingest_test by default): a demo API or worker left running against the main
database (`make demo`, `druid-ingest app up`) can then neither claim the tests' jobs nor count in their listings.
S3 and Druid stay shared: keys are per job id, and tests count Druid rows by the job's ingest_job_id.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from backend.settings import REPO_ROOT, Settings

SUFFIX = "_test"
# pg_advisory_lock key: two test sessions starting together create and migrate the database one after the other.
_LOCK_KEY = 0x7E57_DB


def session_lane() -> int:
    """INGEST_TEST_LANE=N (1-9) gives a test session a database and ports of its own, so that several sessions
    (people or agents working side by side) can run against one local stack; 0, the default, is CI's."""
    lane = int(os.environ.get("INGEST_TEST_LANE", "0") or 0)
    if not 0 <= lane <= 9:
        raise RuntimeError(f"INGEST_TEST_LANE must be 0-9, got {lane}")
    return lane


def url_for_tests(main_url: str) -> str:
    """The tests' database URL: the main one with `_test` (`_laneN_test` in lane N) after the database name,
    unchanged if already there."""
    url = make_url(main_url)
    name = url.database or "druid_ingest"
    if name.endswith(SUFFIX):
        return url.render_as_string(hide_password=False)
    lane = session_lane()
    return url.set(database=name + (f"_lane{lane}" if lane else "") + SUFFIX).render_as_string(hide_password=False)


def use_test_database() -> str:
    """Point INGEST_DATABASE_URL of this process (and of every process it starts) at the tests' database.

    Called before anything reads backend.settings; returns the URL."""
    from backend.settings import get_settings

    url = url_for_tests(Settings().database_url)
    os.environ["INGEST_DATABASE_URL"] = url
    get_settings.cache_clear()
    return url


def _connect(url: URL, database: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username,
                           password=url.password, dbname=database, autocommit=True, connect_timeout=5)


def _create(url: URL, admin: psycopg.Connection[tuple[object, ...]]) -> None:
    """CREATE DATABASE owned by the role: through the local stack's superuser socket (stack/postgres.py, as
    `make up` provisions the main database), else as the role itself if it may create databases."""
    from stack import postgres
    from stack.settings import StackSettings

    try:
        postgres.provision(StackSettings(database_url=url.render_as_string(hide_password=False)))
        return
    except (psycopg.Error, OSError) as exc:
        via_stack = f"{type(exc).__name__}: {exc}".strip()
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(url.database))))
    except psycopg.errors.DuplicateDatabase:
        pass
    except psycopg.Error as exc:
        raise RuntimeError(
            f"cannot create the test database {url.database}: not through the local stack's superuser socket "
            f"({via_stack}), nor as role {url.username} ({str(exc).strip()}). Run `make up`, or create it: "
            f"CREATE DATABASE {url.database} OWNER {url.username}"
        ) from exc


def ensure_test_database(settings: Settings) -> None:
    """Create the tests' database if missing and migrate it to head (alembic, in a child process)."""
    url = make_url(settings.database_url)
    if not str(url.database).endswith(SUFFIX):
        raise RuntimeError(f"refusing to prepare {url.database} for tests: not a *{SUFFIX} database")
    # The maintenance database every role may connect to: where the lock is held and pg_database read.
    with _connect(url, "postgres") as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
            if exists is None:
                _create(url, admin)
            done = subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], cwd=REPO_ROOT,
                                  env={**os.environ, "INGEST_DATABASE_URL": settings.database_url},
                                  capture_output=True, text=True, timeout=300, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"migrating the test database {url.database} exited {done.returncode}:\n"
                                   f"{(done.stdout + done.stderr)[-3000:]}")
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
