"""Fixtures: every HTTP test runs against a real shop process, once on SQLite and once on PostgreSQL.

PostgreSQL is required where BOTTEGA_REQUIRE_SERVICES=1 (CI): there a missing server fails the run.
Elsewhere its tests are skipped with a banner at the end of the run saying so.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from app.core.db import create_db_engine
from tests.utils.api import Api
from tests.utils.databases import REQUIRE_SERVICES, postgres_database, postgres_problem
from tests.utils.server import RasaRecorder, ShopProcess, rasa_recorder, shop_process

BACKENDS = ["sqlite", "postgresql"]
_postgres_missing: list[str] = []


@pytest.fixture(scope="session")
def recorder() -> Iterator[RasaRecorder]:
    with rasa_recorder() as rec:
        yield rec


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'shop.sqlite3'}"
        return
    problem = postgres_problem()
    if problem is not None:
        message = f"PostgreSQL is not reachable ({problem})"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} and BOTTEGA_REQUIRE_SERVICES=1 requires it", pytrace=False)
        _postgres_missing.append(message)
        pytest.skip(f"{message}: PostgreSQL tests NOT RUN")
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def shop(database_url: str, recorder: RasaRecorder,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopProcess]:
    with shop_process(database_url, "test-" + secrets.token_urlsafe(24), recorder.url,
                      tmp_path_factory.mktemp("logs")) as process:
        yield process


@pytest.fixture(scope="session")
def engine(shop: ShopProcess) -> Iterator[Engine]:
    """The shop's own database, for arranging states no API offers (a delivery 31 days ago)."""
    eng = create_db_engine(shop.database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def api(shop: ShopProcess) -> Iterator[Api]:
    with Api(shop.url, shop.token, shop.admin_token) as client:
        yield client


@pytest.fixture
def customer() -> str:
    return f"rest:test-{secrets.token_hex(6)}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_missing:
        terminalreporter.write_sep("!", "PostgreSQL NOT TESTED", red=True, bold=True)
        terminalreporter.write_line(f"{_postgres_missing[0]}. Every PostgreSQL test was skipped; "
                                    "CI (BOTTEGA_REQUIRE_SERVICES=1) fails in this case.", red=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()) and "[postgresql" in item.nodeid:
            item.add_marker(pytest.mark.postgresql)


