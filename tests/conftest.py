"""Shared test setup for the assistant's tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.clients.desk import get_desk_client
from actions.clients.shop import get_shop_client
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[1]
SHOP_PYTHON = ROOT / ".venv" / "shop" / "bin" / "python"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "shop: needs a running shop at $SHOP_URL with $SHOP_API_TOKEN; fails (never skips) when it is unreachable",
    )
    for server in ("postgresql", "redis", "rabbitmq"):
        config.addinivalue_line(
            "markers",
            f"{server}: needs the local {server} server; fails where BOTTEGA_REQUIRE_SERVICES=1, "
            "elsewhere skipped with the reason in the summary",
        )


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    """Each test builds the shared clients (shop, care desk) from its own environment."""
    get_shop_client.cache_clear()
    get_desk_client.cache_clear()
    yield
    get_shop_client.cache_clear()
    get_desk_client.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def real_shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """A real shop service for the session (its own process, a fresh SQLite database, seeded).

    Started only when a collected test is marked `shop`; its URL and token reach the actions the
    way they do in production, through SHOP_URL and SHOP_API_TOKEN.
    """
    if not any(item.get_closest_marker("shop") for item in request.session.items):
        yield None
        return
    port = free_port()
    token = "test-" + secrets.token_urlsafe(24)
    admin_token = "test-admin-" + secrets.token_urlsafe(24)
    workdir = tmp_path_factory.mktemp("shop")
    env = {**os.environ, "SHOP_API_TOKEN": token, "SHOP_ADMIN_TOKEN": admin_token, "SHOP_PORT": str(port),
           "SHOP_LINK_SECRET": "test-link-" + secrets.token_urlsafe(32),
           "SHOP_HOST": "127.0.0.1",
           "SHOP_DATABASE_URL": f"sqlite:///{workdir / 'shop.sqlite3'}", "SHOP_SEARCH_REFRESH_SECONDS": "0"}
    url = f"http://127.0.0.1:{port}"
    with running("the shop service", [str(SHOP_PYTHON), "-m", "app.cli", "serve"], cwd=ROOT / "shop", env=env,
                 log_path=workdir / "shop.log", ready_url=f"{url}/health", ready=lambda r: r.status_code == 200,
                 start_timeout=120):
        os.environ["SHOP_URL"], os.environ["SHOP_API_TOKEN"] = url, token
        # For the tests' own operator moves (ship, refund, withdraw); the actions never read it.
        os.environ["SHOP_ADMIN_TOKEN"] = admin_token
        yield url
