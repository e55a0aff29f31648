"""Throwaway databases for a test session: an SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

# The local server: trust authentication on loopback (see docs/testing.md for other set-ups).
POSTGRES_ADMIN_URL = os.environ.get("BOTTEGA_TEST_POSTGRES_URL",
                                    "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_SERVICES = os.environ.get("BOTTEGA_REQUIRE_SERVICES") == "1"


def postgres_problem() -> str | None:
    """None when the PostgreSQL server answers; otherwise why not."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as error:
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """Creates an empty database, yields its SQLAlchemy URL, and drops it afterwards."""
    name = f"bottega_test_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # name is ours: hex only
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
