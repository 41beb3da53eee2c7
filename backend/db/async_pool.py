"""The API process's async PostgreSQL connection pool, for the endpoints that clients poll hardest.

Opened with the application and closed with it (backend.app's lifespan); one per API process. Everything
else in the API uses the SQLAlchemy sessions of backend.db.session.
"""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from backend.settings import Settings

# A caller waiting longer than this for a connection gets a 503 instead of hanging (PostgreSQL down or saturated).
_CONNECTION_WAIT_S = 5.0


def libpq_conninfo(database_url: str) -> str:
    """The SQLAlchemy URL (postgresql+psycopg://...) as a libpq connection string."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def new_pool(settings: Settings) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        libpq_conninfo(settings.database_url),
        min_size=1,
        max_size=settings.api_status_connections,
        timeout=_CONNECTION_WAIT_S,
        open=False,
        # autocommit: a read needs no transaction block (one round trip, not three).
        kwargs={"autocommit": True},
        name="api-status",
    )
