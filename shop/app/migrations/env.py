"""Alembic environment: migrates the database the shop is configured for."""

from __future__ import annotations

from alembic import context

from app.core.db import create_db_engine
from app.models import Base

config = context.config


def _url() -> str:
    # An explicit URL (tests, the CLI) wins; otherwise the shop's own settings decide.
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from app.core.config import get_settings

    return get_settings().shop_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_db_engine(_url())
    with engine.connect() as connection:
        # render_as_batch: SQLite can only change tables by copying them; batch mode does that.
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
