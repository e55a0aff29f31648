"""deploy/nginx.conf exposes only what a shopper's browser needs; everything else is a 404.

The configuration is read with a small parser of nginx's syntax (blocks, directives); the test
does not need nginx installed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


def parse(text: str) -> list[Any]:
    """[(name, args, children | None)] for nginx's syntax: `name args;` and `name args { ... }`."""
    tokens = re.findall(r"'[^']*'|\"[^\"]*\"|[{};]|[^\s{};]+", re.sub(r"#[^\n]*", "", text))
    position = 0

    def block() -> list[Any]:
        nonlocal position
        items: list[Any] = []
        words: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                items.append((words[0], words[1:], None))
                words = []
            elif token == "{":
                items.append((words[0], words[1:], block()))
                words = []
            elif token == "}":
                return items
            else:
                words.append(token)
        return items

    return block()


@pytest.fixture(scope="module")
def servers() -> dict[str, list[Any]]:
    [http] = [children for name, _, children in parse(CONFIG.read_text()) if name == "http"]
    return {next(args[0] for n, args, _ in children if n == "server_name"): children
            for name, _, children in http if name == "server"}


def _locations(server: list[Any]) -> dict[str, list[Any]]:
    return {" ".join(args): children for name, args, children in server if name == "location"}


def _route(server: list[Any], path: str) -> list[Any]:
    """The location nginx picks for `path`: exact (=), then the first matching regex (~), then the
    longest prefix."""
    locations = _locations(server)
    for key, children in locations.items():
        if key.startswith("= ") and key[2:] == path:
            return children
    for key, children in locations.items():
        if key.startswith("~ ") and re.search(key[2:], path):
            return children
    prefixes = [k for k in locations if not k.startswith(("=", "~")) and path.startswith(k)]
    return locations[max(prefixes, key=len)]


def _public(children: list[Any]) -> bool:
    return not any(name == "return" and args[0] == "404" for name, args, _ in children)


def _upstream(children: list[Any]) -> str | None:
    return next((args[0] for name, args, _ in children if name == "proxy_pass"), None)


CHAT_PUBLIC = ["/", "/index.html", "/app.js", "/style.css", "/config.js", "/vendor/socket.io.min.js",
               "/socket.io/?EIO=4&transport=websocket", "/webhooks/messenger/webhook", "/webhooks/whatsapp/webhook"]
META_WEBHOOKS = ["/webhooks/messenger/webhook", "/webhooks/whatsapp/webhook"]
CHAT_PRIVATE = ["/webhooks/rest/webhook", "/webhooks/desk/conversations/abc", "/webhooks/messenger/",
                "/webhooks/whatsapp/", "/webhooks/messenger/webhook/../../desk/conversations/abc",
                "/webhooks/desk/conversations/abc/takeover",
                "/conversations/abc/trigger_intent", "/conversations/abc/tracker", "/model", "/status", "/version",
                "/webhooks/socketio/", "/webhook", "/actions", "/node_modules/socket.io-client/package.json",
                "/socket.io.evil", "/.env"]
SHOP_PUBLIC = ["/pay/AbC_123-xyzAbC_123-xyzAbC_123-x", "/invoices/BT-7K3MZQ2P.1767225600.abc_DEF-123",
               "/images/EL-0001.svg", "/images/EL-0001.png"]
SHOP_PRIVATE = ["/admin/tickets", "/admin/orders/BT-7K3MZQ2P/status", "/customers/rest:a/cart", "/orders",
                "/products", "/tickets", "/feedback", "/docs", "/openapi.json", "/health", "/pay/x/../../admin/tickets",
                "/images/../admin/tickets", "/pay/", "/images/EL-0001.gif", "/images/EL-0001.png.svg.x"]


@pytest.mark.parametrize("path", CHAT_PUBLIC)
def test_the_chat_host_serves_the_page_and_its_socket(servers: dict[str, list[Any]], path: str) -> None:
    assert _public(_route(servers["chat.example.com"], path.split("?")[0]))


@pytest.mark.parametrize("path", CHAT_PRIVATE)
def test_the_chat_host_hides_rasas_api_rest_channel_and_desk(servers: dict[str, list[Any]], path: str) -> None:
    assert not _public(_route(servers["chat.example.com"], path))


@pytest.mark.parametrize("path", SHOP_PUBLIC)
def test_the_shop_host_serves_pay_pages_invoices_and_images(servers: dict[str, list[Any]], path: str) -> None:
    children = _route(servers["shop.example.com"], path)
    assert _public(children) and _upstream(children) == "http://shop"


@pytest.mark.parametrize("path", SHOP_PRIVATE)
def test_the_shop_host_hides_the_api_and_admin(servers: dict[str, list[Any]], path: str) -> None:
    assert not _public(_route(servers["shop.example.com"], path))


def test_only_the_socket_and_metas_webhooks_reach_rasa_and_nothing_the_action_server(
        servers: dict[str, list[Any]]) -> None:
    proxied = {key: _upstream(children) for server in servers.values()
               for key, children in _locations(server).items() if _upstream(children)}
    assert proxied["/socket.io/"] == "http://rasa"
    assert set(proxied.values()) == {"http://rasa", "http://shop"}
    assert [key for key, upstream in proxied.items() if upstream == "http://rasa"] == [
        "/socket.io/", *(f"= {path}" for path in META_WEBHOOKS)]


@pytest.mark.parametrize("path", META_WEBHOOKS)
def test_metas_webhooks_take_get_and_post_of_at_most_a_megabyte(servers: dict[str, list[Any]], path: str) -> None:
    children = _route(servers["chat.example.com"], path)
    assert _upstream(children) == "http://rasa"
    assert ("limit_except", ["GET", "POST"]) in [(name, args) for name, args, _ in children]
    assert ("client_max_body_size", ["1m"]) in [(name, args) for name, args, _ in children]
    assert "5055" not in CONFIG.read_text()
