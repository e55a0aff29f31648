"""Fixtures for the action tests."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from actions.clients.shop import DEFAULT_SHOP_URL, ShopClient, get_shop_client

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The assistant's domain as a dict, as the action server receives it."""
    with open(PROJECT / "domain.yml", encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch) -> ShopClient:
    """The real shop's client; fails the test when the shop can't be used."""
    url = os.environ.get("SHOP_URL") or DEFAULT_SHOP_URL
    token = os.environ.get("SHOP_API_TOKEN")
    if not token:
        pytest.fail("SHOP_API_TOKEN is not set: the live action tests need the shop's token")
    try:
        answer = requests.get(
            f"{url.rstrip('/')}/departments", timeout=(3, 10), headers={"Authorization": f"Bearer {token}"}
        )
    except requests.RequestException as exc:
        pytest.fail(f"The shop at {url} is unreachable: {exc}")
    if answer.status_code != 200:
        pytest.fail(f"The shop at {url} answered {answer.status_code} to GET /departments")
    monkeypatch.setenv("SHOP_URL", url)
    get_shop_client.cache_clear()
    return get_shop_client()


@pytest.fixture
def sender() -> str:
    """A new shopper for each test: carts and orders never collide."""
    return f"test-{uuid.uuid4().hex[:12]}"
