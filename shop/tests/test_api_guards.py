"""Authentication on every API route, and bad input that never becomes a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from fastapi.routing import iter_route_contexts
from pydantic import SecretStr

from app.api.main import create_app
from app.core.config import Settings
from tests.utils.api import Api
from tests.utils.server import ShopProcess

# The routes anyone may reach; every other route of the app needs the token.
PUBLIC = {("GET", "/health"), ("GET", "/images/{sku}.svg"), ("GET", "/images/{sku}.png"),
          ("GET", "/pay/{token}"), ("POST", "/pay/{token}"),
          ("GET", "/invoices/{token}"), ("GET", "/openapi.json"), ("GET", "/docs"),
          ("GET", "/docs/oauth2-redirect"), ("GET", "/redoc")}
# A value for each path parameter that passes its validation, so that only the token is missing.
SAMPLES = {"customer_id": "rest:a", "line_id": "1", "order_id": "BT-AAAAAAAA", "sku": "EL-0001",
           "ticket_id": "TK-AAAAAAAA", "token": "x" * 32}


def _app_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves, read from the app itself: a new route cannot be missed."""
    app = create_app(Settings(shop_api_token=SecretStr("t" * 32)))
    return sorted({(method, str(context.path_format)) for context in iter_route_contexts(app.routes)
                   for method in (context.methods or ()) if method != "HEAD"})


API_ROUTES = [route for route in _app_routes() if route not in PUBLIC]


def test_the_public_routes_are_exactly_the_intended_ones() -> None:
    assert {route for route in _app_routes() if route in PUBLIC} == PUBLIC
    assert len(API_ROUTES) >= 30


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-0123456789", "Basic dXNlcjpwYXNz", "Bearer "])
def test_api_needs_the_bearer_token(shop: ShopProcess, method: str, path: str, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    url = shop.url + path.format(**SAMPLES)
    response = requests.request(method, url, headers=headers, json={}, timeout=30)
    assert response.status_code == 401
    assert response.json()["detail"] and response.headers["WWW-Authenticate"] == "Bearer"


def test_every_route_documents_its_answers(shop: ShopProcess) -> None:
    spec = requests.get(f"{shop.url}/openapi.json", timeout=30).json()
    operations = {(method.upper(), path): op for path, ops in spec["paths"].items() for method, op in ops.items()}
    assert set(operations) == {route for route in _app_routes() if route not in
                               {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
                                ("GET", "/redoc")}}
    for route, operation in operations.items():
        answers = set(operation["responses"])
        assert ("401" in answers) == (route in API_ROUTES), route
        assert ("429" in answers) == (route not in API_ROUTES), route
        assert "422" in answers, route
    assert {"404", "409"} <= set(operations[("POST", "/orders/{order_id}/cancel")]["responses"])
    assert "400" in operations[("POST", "/orders/{order_id}/returns")]["responses"]


@pytest.mark.parametrize(("path", "params"), [("/stores", {"lat": "45"}), ("/stores", {"lon": "9"}),
                                              ("/orders/BT-AAAAAAAA/cancel", {})])
def test_every_422_sends_a_list_of_errors(shop: ShopProcess, path: str, params: dict[str, str]) -> None:
    method = "POST" if path.endswith("cancel") else "GET"
    response = requests.request(method, shop.url + path, params=params, timeout=30,
                                headers={"Authorization": f"Bearer {shop.token}"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail[0]["msg"] and detail[0]["loc"][0] == "query"


def test_head_answers_like_get_without_a_body(shop: ShopProcess) -> None:
    for path, headers in (("/health", {}), ("/images/EL-0001.svg", {}), ("/images/EL-0001.png", {}),
                          ("/departments", {"Authorization": f"Bearer {shop.token}"})):
        got = requests.get(shop.url + path, headers=headers, timeout=30)
        head = requests.head(shop.url + path, headers=headers, timeout=30)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
    assert requests.head(f"{shop.url}/departments", timeout=30).status_code == 401


@pytest.mark.parametrize(("path", "methods"), [
    ("/health", "GET, HEAD, OPTIONS"),
    ("/customers/rest:a/cart", "DELETE, GET, HEAD, OPTIONS"),
    ("/customers/rest:a/cart/items/1", "DELETE, OPTIONS, PATCH"),
    ("/pay/" + "x" * 32, "GET, HEAD, OPTIONS, POST"),
])
def test_options_and_405_name_every_allowed_method(shop: ShopProcess, path: str, methods: str) -> None:
    options = requests.options(shop.url + path, timeout=30)
    assert options.status_code == 204 and options.headers["Allow"] == methods
    refused = requests.put(shop.url + path, timeout=30)
    assert refused.status_code == 405 and refused.headers["Allow"] == methods and refused.json()["detail"]
    assert requests.options(f"{shop.url}/no-such-thing", timeout=30).status_code == 404


def test_public_pages_need_no_token(shop: ShopProcess) -> None:
    assert requests.get(f"{shop.url}/health", timeout=30).json() == {"status": "ok"}
    image = requests.get(f"{shop.url}/images/EL-0001.svg", timeout=30)
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    png = requests.get(f"{shop.url}/images/EL-0001.png", timeout=30)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    for unknown in ("/images/NOPE.svg", "/images/NOPE.png", "/images/EL-0001.gif", "/images/EL-0001"):
        missing = requests.get(shop.url + unknown, timeout=30)
        assert missing.status_code == 404 and missing.json()["detail"], unknown
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
    token = shop.admin_token if path.startswith("/admin/") else shop.token
    response = requests.request(method, shop.url + path, data=body, timeout=30, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert "detail" in response.json()
