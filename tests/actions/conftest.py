"""Fixtures for the action tests."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from actions.clients.desk import get_desk_client
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
def shop_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shop's address refuses every connection: how actions behave when the shop is down."""
    monkeypatch.setenv("SHOP_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SHOP_API_TOKEN", os.environ.get("SHOP_API_TOKEN") or "token-of-a-shop-that-is-down")
    monkeypatch.setenv("SHOP_TIMEOUT_SECONDS", "1")
    get_shop_client.cache_clear()


@pytest.fixture
def sender() -> str:
    """A new shopper for each test: carts and orders never collide."""
    return f"test-{uuid.uuid4().hex[:12]}"


@dataclass
class DeskRecorder:
    """A stand-in for the Rasa server's care desk: records each request and answers 202."""

    url: str
    token: str
    requests: list[tuple[str, str, str]] = field(default_factory=list)


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeskRecorder]:
    """The actions reach the desk at RASA_URL with DESK_API_TOKEN; this one only records."""
    recorded: list[tuple[str, str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_DELETE(self) -> None:
            recorded.append(("DELETE", self.path, self.headers.get("Authorization", "")))
            body = b'{"erasing": true}'
            self.send_response(202)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder = DeskRecorder(f"http://127.0.0.1:{server.server_address[1]}", "desk-" + uuid.uuid4().hex, recorded)
    monkeypatch.setenv("RASA_URL", recorder.url)
    monkeypatch.setenv("DESK_API_TOKEN", recorder.token)
    get_desk_client.cache_clear()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
        get_desk_client.cache_clear()
