"""A private PostgreSQL cluster under var/postgres, from the distribution's server binaries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from backend.settings import REPO_ROOT
from stack import LOOPBACK
from stack.processes import run_as
from stack.settings import StackSettings

SUPERUSER = "postgres"  # the cluster's bootstrap role; reached only through the private socket
STOP_TIMEOUT_S = 30


class PostgresError(RuntimeError):
    """The cluster could not be prepared, provisioned or migrated."""


def os_user() -> str | None:
    """The OS user to run the server as: postgres refuses to run as root."""
    return "postgres" if os.geteuid() == 0 else None


def bin_dir() -> Path:
    """The newest installed server's bin directory (/usr/lib/postgresql/<major>/bin on Debian)."""
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
    if not candidates:
        raise PostgresError("no PostgreSQL server under /usr/lib/postgresql: run stack/install.sh")
    return max(candidates, key=lambda path: int(path.parent.name))


def data_dir(settings: StackSettings) -> Path:
    return settings.var_dir / "postgres" / "data"


def socket_dir(settings: StackSettings) -> Path:
    return settings.var_dir / "postgres" / "socket"


def _run_as_server_user(argv: list[str], log_path: Path) -> None:
    with log_path.open("ab") as log:
        done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=False, **run_as(os_user()))
    if done.returncode != 0:
        raise PostgresError(f"{' '.join(argv)} exited {done.returncode} (see {log_path})")


def prepare(settings: StackSettings, log_path: Path) -> None:
    """Create the cluster on first use; the directories belong to the server's OS user."""
    owner = os_user()
    for directory in (data_dir(settings), socket_dir(settings)):
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        if owner is not None:
            shutil.chown(directory, user=owner, group=owner)
    if (data_dir(settings) / "PG_VERSION").exists():
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    initdb = [
        str(bin_dir() / "initdb"),
        f"--pgdata={data_dir(settings)}",
        f"--username={SUPERUSER}",
        "--encoding=UTF8",
        "--no-locale",
        # Trust only on the private socket (mode 0700); TCP clients give the password from database_url.
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
    ]
    _run_as_server_user(initdb, log_path)


def command(settings: StackSettings) -> list[str]:
    return [
        str(bin_dir() / "postgres"),
        "-D",
        str(data_dir(settings)),
        "-p",
        str(settings.postgres_port),
        "-c",
        f"listen_addresses={LOOPBACK}",
        "-c",
        f"unix_socket_directories={socket_dir(settings)}",
    ]


def is_ready(settings: StackSettings) -> bool:
    argv = [str(bin_dir() / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(settings.postgres_port)]
    return subprocess.run(argv, check=False).returncode == 0


def _superuser_connection(settings: StackSettings) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=str(socket_dir(settings)),
        port=settings.postgres_port,
        user=SUPERUSER,
        dbname="postgres",
        autocommit=True,
    )


def provision(settings: StackSettings) -> None:
    """Create the role and database named in settings.database_url if they do not exist yet."""
    url = make_url(settings.database_url)
    if url.port is not None and url.port != settings.postgres_port:
        print(f"note: database_url port {url.port} differs from postgres_port {settings.postgres_port}")
    role, password, database = url.username, url.password, url.database
    if not role or not database:
        raise PostgresError("database_url must name a user and a database")
    with _superuser_connection(settings) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(str(password or ""))
                )
            )
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(role)))


def migrate(log_path: Path) -> None:
    """`alembic upgrade head` when the project has migrations (alembic.ini at the repo root)."""
    if not (REPO_ROOT / "alembic.ini").exists():
        print("note: no alembic.ini at the repo root yet: migrations skipped")
        return
    # The interpreter running us is the project's, so alembic and backend import the same way.
    argv = [sys.executable, "-m", "alembic", "upgrade", "head"]
    with log_path.open("ab") as log:
        done = subprocess.run(argv, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise PostgresError(f"alembic upgrade head exited {done.returncode} (see {log_path})")


def stop(settings: StackSettings) -> None:
    """A fast shutdown through pg_ctl: rolls back open transactions, then a clean checkpoint."""
    argv = [
        str(bin_dir() / "pg_ctl"),
        "stop",
        "-D",
        str(data_dir(settings)),
        "-m",
        "fast",
        "-w",
        "-t",
        str(STOP_TIMEOUT_S),
    ]
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, **run_as(os_user()))
