"""Least privilege: the assistant's token opens the assistant's routes, the operators' token /admin.

Ship, refund, every ticket and every piece of feedback used to open with the token the action
server holds. During a rotation the previous token of each is accepted too.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.core.db import create_db_engine
from tests.utils.api import Api
from tests.utils.factories import make_product
from tests.utils.server import RasaRecorder, ShopProcess, shop_process

ADMIN_ROUTES = [("GET", "/admin/tickets"), ("GET", "/admin/feedback/summary"),
                ("POST", "/admin/orders/BT-AAAAAAAA/status"), ("POST", "/admin/tickets/TK-AAAAAAAA/close"),
                ("DELETE", "/admin/products/NOPE-1")]


def _call(shop: ShopProcess, method: str, path: str, token: str) -> requests.Response:
    return requests.request(method, shop.url + path, headers={"Authorization": f"Bearer {token}"},
                            json={"status": "shipped"}, timeout=30)


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_the_assistants_token_does_not_open_the_operators_routes(shop: ShopProcess, method: str, path: str) -> None:
    response = _call(shop, method, path, shop.token)
    assert response.status_code == 403
    assert response.json() == {"detail": "This route needs the operators' token (SHOP_ADMIN_TOKEN)."}


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_the_operators_token_opens_them(shop: ShopProcess, method: str, path: str) -> None:
    assert _call(shop, method, path, shop.admin_token).status_code not in (401, 403)


def test_the_operators_token_does_not_speak_for_shoppers(shop: ShopProcess) -> None:
    response = _call(shop, "GET", "/customers/rest:a/cart", shop.admin_token)
    assert response.status_code == 403
    assert response.json() == {"detail": "This route needs the assistant's token (SHOP_API_TOKEN)."}


def test_the_assistant_closes_its_own_customers_ticket_without_the_operators_token(shop: ShopProcess) -> None:
    headers = {"Authorization": f"Bearer {shop.token}"}
    ticket = requests.post(f"{shop.url}/tickets", headers=headers, timeout=30, json={
        "customer_id": "rest:closer", "kind": "handoff", "subject": "A person, please"}).json()["ticket_id"]
    other = requests.post(f"{shop.url}/tickets/{ticket}/close", params={"customer_id": "rest:someone-else"},
                          headers=headers, timeout=30)
    assert other.status_code == 404
    closed = requests.post(f"{shop.url}/tickets/{ticket}/close", params={"customer_id": "rest:closer"},
                           headers=headers, timeout=30)
    assert closed.status_code == 204
    assert requests.get(f"{shop.url}/tickets/{ticket}", params={"customer_id": "rest:closer"}, headers=headers,
                        timeout=30).json()["status"] == "closed"


@pytest.fixture(scope="module")
def rotating_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ShopProcess, dict[str, str]]]:
    tokens = {name: f"test-{name}-{secrets.token_urlsafe(16)}" for name in ("old_api", "old_admin")}
    directory: Path = tmp_path_factory.mktemp("rotation")
    with shop_process(f"sqlite:///{directory / 'shop.sqlite3'}", "test-" + secrets.token_urlsafe(24),
                      "http://127.0.0.1:9", directory, extra_env={
                          "SHOP_API_TOKEN_PREVIOUS": tokens["old_api"],
                          "SHOP_ADMIN_TOKEN_PREVIOUS": tokens["old_admin"]}) as process:
        yield process, tokens


def test_previous_tokens_keep_working_during_a_rotation(rotating_shop: tuple[ShopProcess, dict[str, str]]) -> None:
    shop, old = rotating_shop
    for token in (shop.token, old["old_api"]):
        assert _call(shop, "GET", "/customers/rest:a/cart", token).status_code == 200
    for token in (shop.admin_token, old["old_admin"]):
        assert _call(shop, "GET", "/admin/tickets", token).status_code == 200
    assert _call(shop, "GET", "/admin/tickets", old["old_api"]).status_code == 403
    assert _call(shop, "GET", "/customers/rest:a/cart", old["old_admin"]).status_code == 403


def test_payment_notices_carry_rasas_token_in_a_header_not_the_url(
        recorder: RasaRecorder, tmp_path_factory: pytest.TempPathFactory) -> None:
    rasa_token = "test-rasa-" + secrets.token_urlsafe(16)
    directory: Path = tmp_path_factory.mktemp("notices")
    with shop_process(f"sqlite:///{directory / 'shop.sqlite3'}", "test-" + secrets.token_urlsafe(24), recorder.url,
                      directory, extra_env={"RASA_API_TOKEN": rasa_token}) as shop, \
            Api(shop.url, shop.token, shop.admin_token) as api:
        engine = create_db_engine(shop.database_url)
        sku = make_product(engine, name="Notice Mug", price="9.50", department="home", variants=[(None, "White", 3)])
        engine.dispose()
        customer = "rest:notice-" + secrets.token_hex(4)
        assert api.add(customer, sku, color="White").status_code == 201
        order = api.checkout(customer, "notice-key-1").json()
        before = len(recorder.calls)
        assert requests.post(order["payment_url"], data={"action": "pay"}, timeout=30).status_code == 200
        [call] = recorder.wait_for(before + 1)[before:]
    assert call["authorization"] == f"Bearer {rasa_token}"
    assert "token" not in call["path"] and rasa_token not in call["path"]
