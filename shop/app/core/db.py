"""Engine and sessions. SQLite gets WAL, foreign keys and write transactions that take the lock up front."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Execution option naming a session that will write: on SQLite it begins with BEGIN IMMEDIATE.
WRITE_OPTION = "bottega_write"


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # hide_parameters: a failed statement's error (logged with its traceback) would quote customer
    # ids, addresses and tokens.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True)


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # A deferred transaction that reads and then writes can fail with SQLITE_BUSY when another
        # writer got in between; writers therefore take the write lock before their first read.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def make_sessionmaker(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions for reading, or (`write=True`) for requests that may change data.

    The write flag rides on the engine's execution options, so the transaction (and on SQLite the
    write lock) begins at the first statement, in the thread that runs the route, and not when
    the session is created: a lock taken while waiting for a worker thread could deadlock a busy
    thread pool.
    """
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)


def insert_ignoring_duplicates(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of this session's dialect, which has `on_conflict_do_nothing` on both databases."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def open_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session
