"""ShopClient: how HTTP failures become ShopError subclasses, retries, settings.

A tiny canned HTTP server on 127.0.0.1 stands in for the shop *only* here, to produce
statuses, timeouts and dropped connections on demand. Everything about what the shop
returns for real is tested against a real shop in test_actions_live.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from actions.clients.shop import (
    DEFAULT_SHOP_URL,
    MAX_CONNECT_TIMEOUT_SECONDS,
    ProductQuery,
    ShopClient,
    ShopConfigurationError,
    ShopConflict,
    ShopError,
    ShopNotFound,
    ShopRejected,
    ShopSettings,
    ShopUnavailable,
    get_shop_client,
)

TOKEN = "test-token"
EMPTY_CART = {"customer_id": "rest:alice", "items": [], "total": 0, "currency": "EUR", "item_count": 0}


@dataclass
class Canned:
    status: int = 200
    body: Any = None  # dict/list → JSON; str → sent as is
    delay: float = 0.0
    drop_connections: int = 0  # close the first N connections without answering


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class CannedShop:
    url: str
    routes: dict[tuple[str, str], Canned] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0  # requests being answered at the same time, at most
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, method: str, path: str, canned: Canned) -> None:
        self.routes[(method, path)] = canned


def _handler(shop: CannedShop) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            path = self.path.split("?", 1)[0]
            shop.seen.append(Seen(self.command, self.path, dict(self.headers), body))
            canned = shop.routes.get((self.command, path), Canned(404, {"detail": "Not Found"}))
            if canned.drop_connections > 0:
                canned.drop_connections -= 1
                self.close_connection = True
                return
            if canned.delay:
                with shop.lock:
                    shop.in_flight += 1
                    shop.most_in_flight = max(shop.most_in_flight, shop.in_flight)
                time.sleep(canned.delay)
                with shop.lock:
                    shop.in_flight -= 1
            raw = canned.body if isinstance(canned.body, str) else json.dumps(canned.body)
            data = raw.encode()
            try:
                self.send_response(canned.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        # http.server's dispatch names
        do_GET = do_POST = do_DELETE = _serve  # noqa: N815

    return Handler


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: twenty connections at once overflowed it on a busy
    # machine, and a dropped SYN is retried a second later, after the others were answered.
    request_queue_size = 128


@pytest.fixture
def canned_shop() -> Iterator[CannedShop]:
    server = _Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    shop = CannedShop(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(shop)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield shop
    server.shutdown()
    server.server_close()


def make_client(url: str, timeout: float = 2.0) -> ShopClient:
    return ShopClient(ShopSettings(url, TOKEN, min(timeout, 1.0), timeout))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- status → error type ------------------------------------------------------------


def test_404_is_not_found_with_the_shops_code(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/products/NOPE-1", Canned(404, {"detail": "No product NOPE-1", "code": "unknown_product"}))

    with pytest.raises(ShopNotFound) as caught:
        make_client(canned_shop.url).get_product("NOPE-1")

    assert caught.value.status == 404
    assert caught.value.code == "unknown_product"
    assert caught.value.detail == "No product NOPE-1"


def test_409_is_a_conflict(canned_shop: CannedShop) -> None:
    canned_shop.on(
        "POST", "/customers/rest:alice/cart/items", Canned(409, {"detail": "Sold out", "code": "out_of_stock"})
    )

    with pytest.raises(ShopConflict) as caught:
        make_client(canned_shop.url).add_to_cart("rest:alice", "SHOE-1", 1, "42", "red")

    assert caught.value.code == "out_of_stock"
    sent = json.loads(canned_shop.seen[0].body or b"{}")
    assert sent == {"sku": "SHOE-1", "quantity": 1, "size": "42", "color": "red"}


def test_422_variant_required_is_rejected_with_code_and_detail(
    canned_shop: CannedShop,
) -> None:
    canned_shop.on(
        "POST",
        "/customers/rest:alice/cart/items",
        Canned(422, {"detail": "Choose a size for SHOE-1", "code": "variant_required"}),
    )

    with pytest.raises(ShopRejected) as caught:
        make_client(canned_shop.url).add_to_cart("rest:alice", "SHOE-1")

    assert caught.value.status == 422
    assert caught.value.code == "variant_required"
    assert caught.value.detail_text == "Choose a size for SHOE-1"
    # Only what was given is sent: no null size/colour.
    assert json.loads(canned_shop.seen[0].body or b"{}") == {"sku": "SHOE-1", "quantity": 1}


def test_422_validation_error_list_is_rejected_without_code(
    canned_shop: CannedShop,
) -> None:
    detail = [{"loc": ["body", "quantity"], "msg": "Input should be greater than 0", "type": "greater_than"}]
    canned_shop.on("POST", "/customers/rest:alice/cart/items", Canned(422, {"detail": detail}))

    with pytest.raises(ShopRejected) as caught:
        make_client(canned_shop.url).add_to_cart("rest:alice", "SHOE-1", 0)

    assert caught.value.code is None
    assert caught.value.detail == detail
    assert caught.value.detail_text == "Input should be greater than 0"


def test_401_is_rejected(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/departments", Canned(401, {"detail": "Not authenticated"}))

    with pytest.raises(ShopRejected) as caught:
        make_client(canned_shop.url).list_departments()

    assert caught.value.status == 401


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_unavailable(canned_shop: CannedShop, status: int) -> None:
    canned_shop.on("GET", "/departments", Canned(status, {"detail": "Internal Server Error"}))

    with pytest.raises(ShopUnavailable) as caught:
        make_client(canned_shop.url).list_departments()

    assert caught.value.status == status
    assert len(canned_shop.seen) == 1  # statuses are never retried


def test_5xx_with_a_non_json_body_is_still_unavailable(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/departments", Canned(502, "<html>Bad Gateway</html>"))

    with pytest.raises(ShopUnavailable):
        make_client(canned_shop.url).list_departments()


def test_ok_status_with_a_non_json_body_is_a_shop_error(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/departments", Canned(200, "<html>hello</html>"))

    with pytest.raises(ShopError) as caught:
        make_client(canned_shop.url).list_departments()

    assert not isinstance(caught.value, ShopUnavailable)


def test_ok_status_with_an_unexpected_shape_is_a_shop_error(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/products", Canned(200, {"results": []}))

    with pytest.raises(ShopError):
        make_client(canned_shop.url).search_products(ProductQuery())


# --- network failures and retries ---------------------------------------------------


def test_read_timeout_is_unavailable_and_not_retried(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/departments", Canned(200, {"items": []}, delay=1.5))

    started = time.monotonic()
    with pytest.raises(ShopUnavailable, match="did not answer"):
        make_client(canned_shop.url, timeout=0.3).list_departments()

    assert time.monotonic() - started < 1.2
    assert len(canned_shop.seen) == 1


def test_connection_refused_is_unavailable() -> None:
    url = closed_port_url()

    started = time.monotonic()
    with pytest.raises(ShopUnavailable, match="Cannot connect"):
        make_client(url).get_cart("rest:alice")

    assert time.monotonic() - started < 2


def test_get_is_retried_once_after_a_dropped_connection(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/products", Canned(200, {"items": [], "total": 0}, drop_connections=1))

    page = make_client(canned_shop.url).search_products(ProductQuery(q="shoes", color="red", in_stock=True, limit=5))

    assert page.total == 0
    assert len(canned_shop.seen) == 2
    last = canned_shop.seen[-1]
    assert last.headers["Authorization"] == f"Bearer {TOKEN}"
    # Unset filters are left out; booleans go as true/false.
    assert last.path == "/products?q=shoes&color=red&in_stock=true&limit=5&offset=0"


def test_get_gives_up_after_the_second_dropped_connection(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/departments", Canned(200, {"items": []}, drop_connections=5))

    with pytest.raises(ShopUnavailable):
        make_client(canned_shop.url).list_departments()

    assert len(canned_shop.seen) == 2


def test_post_is_never_retried(canned_shop: CannedShop) -> None:
    canned_shop.on("POST", "/customers/rest:alice/cart/items", Canned(201, EMPTY_CART, drop_connections=1))

    with pytest.raises(ShopUnavailable):
        make_client(canned_shop.url).add_to_cart("rest:alice", "SHOE-1")

    assert len(canned_shop.seen) == 1


def test_customer_id_is_quoted_and_kept_out_of_error_messages(
    canned_shop: CannedShop,
) -> None:
    with pytest.raises(ShopNotFound) as caught:
        make_client(canned_shop.url).get_cart("whatsapp:+49 151/123")

    assert canned_shop.seen[0].path == "/customers/whatsapp:%2B49%20151%2F123/cart"
    assert "151" not in str(caught.value)
    assert "/customers/<customer>/cart" in str(caught.value)


@pytest.mark.asyncio
async def test_async_calls_leave_the_event_loop_free(canned_shop: CannedShop) -> None:
    canned_shop.on("GET", "/customers/rest:alice/cart", Canned(200, EMPTY_CART, delay=0.4))
    client = make_client(canned_shop.url)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticker = asyncio.create_task(tick())
    cart = await client.aget_cart("rest:alice")
    ticker.cancel()

    assert cart.items == []
    assert ticks >= 10  # the loop kept running while the shop was slow


# --- settings -----------------------------------------------------------------------


def test_missing_token_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_API_TOKEN", raising=False)

    with pytest.raises(ShopConfigurationError, match="SHOP_API_TOKEN"):
        get_shop_client()


def test_blank_token_is_a_configuration_error() -> None:
    with pytest.raises(ShopConfigurationError):
        ShopSettings.from_env({"SHOP_API_TOKEN": "  "})


@pytest.mark.parametrize("timeout", ["soon", "0", "-1"])
def test_bad_timeout_is_a_configuration_error(timeout: str) -> None:
    with pytest.raises(ShopConfigurationError, match="SHOP_TIMEOUT_SECONDS"):
        ShopSettings.from_env({"SHOP_API_TOKEN": "t", "SHOP_TIMEOUT_SECONDS": timeout})


@pytest.mark.parametrize("concurrency", ["many", "0", "-3", "2.5", "1000"])
def test_bad_concurrency_is_a_configuration_error(concurrency: str) -> None:
    with pytest.raises(ShopConfigurationError, match="SHOP_CLIENT_CONCURRENCY must be a whole number from 1 to 256"):
        ShopSettings.from_env({"SHOP_API_TOKEN": "t", "SHOP_CLIENT_CONCURRENCY": concurrency})


def test_defaults() -> None:
    settings = ShopSettings.from_env({"SHOP_API_TOKEN": "t"})

    assert settings.base_url == DEFAULT_SHOP_URL
    assert settings.read_timeout == 5.0
    assert settings.connect_timeout == MAX_CONNECT_TIMEOUT_SECONDS
    assert settings.concurrency == 32
    assert ShopSettings.from_env({"SHOP_API_TOKEN": "t", "SHOP_CLIENT_CONCURRENCY": "64"}).concurrency == 64


def test_twenty_shoppers_calls_reach_a_slow_shop_at_once(canned_shop: CannedShop) -> None:
    # asyncio's default threads (cores + 4) let 6 through on a 2-core machine; the rest queued.
    canned_shop.on("GET", "/customers/rest:alice/cart", Canned(200, EMPTY_CART, delay=2.0))
    client = make_client(canned_shop.url, timeout=10.0)

    async def twenty() -> list[Any]:
        return list(await asyncio.gather(*(client.aget_cart("rest:alice") for _ in range(20))))

    carts = asyncio.run(twenty())

    assert [cart.item_count for cart in carts] == [0] * 20
    assert canned_shop.most_in_flight == 20
    client.close()


def test_settings_are_read_when_first_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_API_TOKEN", "late-token")
    monkeypatch.setenv("SHOP_URL", "http://shop.internal:9000/")
    monkeypatch.setenv("SHOP_TIMEOUT_SECONDS", "1.5")

    client = get_shop_client()

    assert client.base_url == "http://shop.internal:9000"
    assert get_shop_client() is client
