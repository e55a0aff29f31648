"""Authentication on every API route, and bad input that never becomes a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from tests.utils.api import Api
from tests.utils.server import ShopProcess

API_ROUTES = [
    ("GET", "/departments"), ("GET", "/products"), ("GET", "/products/EL-0001"),
    ("GET", "/customers/rest:a/cart"), ("POST", "/customers/rest:a/cart/items"),
    ("DELETE", "/customers/rest:a/cart/items/1"), ("POST", "/orders"), ("GET", "/customers/rest:a/orders"),
    ("GET", "/orders/BT-AAAAAAAA"), ("POST", "/orders/BT-AAAAAAAA/cancel"),
    ("POST", "/orders/BT-AAAAAAAA/returns"), ("GET", "/stores"), ("GET", "/promotions"),
    ("POST", "/tickets"), ("DELETE", "/customers/rest:a"), ("POST", "/admin/orders/BT-AAAAAAAA/status"),
    ("DELETE", "/admin/products/SKU-1"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-0123456789", "Basic dXNlcjpwYXNz", "Bearer "])
def test_api_needs_the_bearer_token(shop: ShopProcess, method: str, path: str, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    response = requests.request(method, shop.url + path, headers=headers, json={}, timeout=30)
    assert response.status_code == 401
    assert response.json()["detail"] and response.headers["WWW-Authenticate"] == "Bearer"


def test_public_pages_need_no_token(shop: ShopProcess) -> None:
    assert requests.get(f"{shop.url}/health", timeout=30).json() == {"status": "ok"}
    image = requests.get(f"{shop.url}/images/EL-0001.svg", timeout=30)
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    assert requests.get(f"{shop.url}/images/NOPE.svg", timeout=30).status_code == 404
    spec = requests.get(f"{shop.url}/openapi.json", timeout=30).json()
    assert {"/products", "/orders", "/customers/{customer_id}/cart/items"} <= set(spec["paths"])


def test_oversized_bodies_are_refused(shop: ShopProcess) -> None:
    response = requests.post(f"{shop.url}/tickets", data=b"x" * 70_000, timeout=30,
                             headers={"Authorization": f"Bearer {shop.token}", "Content-Type": "application/json"})
    assert response.status_code == 413


def _chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@pytest.mark.parametrize("token", [None, "right"])
def test_oversized_chunked_bodies_are_refused(shop: ShopProcess, token: str | None) -> None:
    # No Content-Length: the limit has to count the bytes as they are read, before authentication.
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {shop.token}"
    response = requests.post(f"{shop.url}/tickets", data=_chunks(70_000), headers=headers, timeout=30)
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413 and "bytes" in response.json()["detail"]


def test_chunked_bodies_under_the_limit_still_work(shop: ShopProcess, api: Api) -> None:
    body = json.dumps({"customer_id": "rest:chunked", "kind": "question", "subject": "Chunked"}).encode()
    response = requests.post(f"{shop.url}/tickets", data=iter([body[:10], body[10:]]), timeout=30, headers={
        "Authorization": f"Bearer {shop.token}", "Content-Type": "application/json"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/orders", b"\xff\xfe"), ("POST", "/orders", b"null"), ("POST", "/orders", b"[1,2]"),
    ("POST", "/tickets", b'{"customer_id": "rest:a", "kind": "complaint", "subject": "' + b"s" * 300 + b'"}'),
    ("POST", "/customers/rest:a/consents", b'{"channel": 5, "topic": "news", "granted": "perhaps"}'),
    ("POST", "/orders/BT-AAAAAAAA/returns", b'{"customer_id": "rest:a", "reason": "x", "lines": [{"line_id": -1}]}'),
    ("PATCH", "/customers/rest:a/cart/items/99999999999", b'{"quantity": 1}'),
    ("POST", "/admin/orders/BT-AAAAAAAA/status", b'{"status": "lost"}'),
    ("GET", "/orders/not-an-id?customer_id=rest:a", None),
    ("GET", "/products?limit=1e9", None),
])
def test_bad_input_gets_a_4xx_with_detail(shop: ShopProcess, method: str, path: str, body: bytes | None) -> None:
    response = requests.request(method, shop.url + path, data=body, timeout=30, headers={
        "Authorization": f"Bearer {shop.token}", "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert "detail" in response.json()
