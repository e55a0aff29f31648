"""The links a shopper gets: the pay link pays, the invoice link shows the invoice, neither opens the
other; invoice links expire; the pages tell browsers not to keep, frame or refer them."""

from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import Engine, text

from app.links import invoice_token
from tests.utils.api import Api
from tests.utils.factories import make_product
from tests.utils.server import LINK_SECRET

PRIVATE_PAGE_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}


@pytest.fixture
def order(api: Api, engine: Engine, customer: str) -> dict[str, str]:
    sku = make_product(engine, name="Test Link Mug", price="12.50", department="home", variants=[(None, "White", 9)])
    assert api.add(customer, sku, 1, color="White").status_code == 201
    placed = api.checkout(customer, "links-" + customer).json()
    detail = api.get(f"/orders/{placed['order_id']}", params={"customer_id": customer}).json()
    return {"order_id": placed["order_id"], "pay": placed["payment_url"], "invoice": detail["invoice_url"]}


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_the_pay_and_invoice_links_carry_different_tokens(order: dict[str, str]) -> None:
    assert _token(order["pay"]) != _token(order["invoice"])
    assert _token(order["pay"]) not in order["invoice"]


def test_neither_token_opens_the_other_page(api: Api, order: dict[str, str]) -> None:
    assert requests.get(order["invoice"], timeout=30).status_code == 200
    assert requests.get(f"{api.base_url}/invoices/{_token(order['pay'])}", timeout=30).status_code == 404
    wrong = requests.get(f"{api.base_url}/pay/{_token(order['invoice'])}", timeout=30)
    assert wrong.status_code == 404 and "Payment link not valid" in wrong.text
    posted = requests.post(f"{api.base_url}/pay/{_token(order['invoice'])}", data={"action": "decline"}, timeout=30)
    assert posted.status_code == 404


def test_a_tampered_invoice_token_is_refused(api: Api, order: dict[str, str]) -> None:
    token = _token(order["invoice"])
    order_id, expires, signature = token.split(".")
    for forged in (f"{order_id}.{int(expires) + 3600}.{signature}", f"{order_id}.{expires}.{'A' * 43}",
                   f"BT-AAAAAAAA.{expires}.{signature}"):
        assert requests.get(f"{api.base_url}/invoices/{forged}", timeout=30).status_code == 404


def test_an_expired_invoice_link_says_so(api: Api, order: dict[str, str], engine: Engine) -> None:
    with engine.connect() as connection:
        pay_token = connection.execute(
            text("SELECT p.token FROM payments p JOIN orders o ON o.id = p.order_pk WHERE o.order_id = :id"),
            {"id": order["order_id"]}).scalar_one()
    expired = invoice_token(LINK_SECRET, order["order_id"], pay_token, int(time.time()) - 60)
    page = requests.get(f"{api.base_url}/invoices/{expired}", timeout=30)
    assert page.status_code == 410 and "expired" in page.text
    assert order["order_id"] not in page.text  # nothing of the order on an expired link


def test_invoice_links_expire_after_the_configured_days(order: dict[str, str]) -> None:
    expires = int(_token(order["invoice"]).split(".")[1])
    assert 6.9 * 86400 < expires - time.time() <= 7 * 86400  # SHOP_INVOICE_LINK_DAYS, 7


@pytest.mark.parametrize("page", ["pay", "invoice"])
def test_private_pages_are_not_cached_framed_or_referred(order: dict[str, str], page: str) -> None:
    response = requests.get(order[page], timeout=30)
    assert response.status_code == 200
    for header, value in PRIVATE_PAGE_HEADERS.items():
        assert response.headers.get(header) == value, header
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    assert not re.search(r"script-src", policy)


def test_a_paid_orders_pay_link_no_longer_shows_the_order(order: dict[str, str]) -> None:
    assert requests.post(order["pay"], data={"action": "pay"}, timeout=30).status_code == 200
    page = requests.get(order["pay"], timeout=30)
    assert "This order is paid" in page.text and "Test Link Mug" not in page.text
    assert page.headers["cache-control"] == "no-store"
