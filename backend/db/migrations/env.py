"""Alembic environment: the URL from settings, the metadata from our models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from backend.db import models  # noqa: F401 - registers the tables on the metadata
from backend.db.base import Base
from backend.settings import get_settings

target_metadata = Base.metadata


def run_migrations() -> None:
    engine = create_engine(get_settings().database_url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
