"""Money leaves the shop as decimal strings with two places, and the shop's money settings are obeyed."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine

from app.core.db import create_db_engine
from tests.utils.api import Api
from tests.utils.factories import make_product
from tests.utils.server import RasaRecorder, shop_process

MONEY = re.compile(r"^-?\d+\.\d{2}$")


def _is_money(value: object) -> bool:
    return isinstance(value, str) and MONEY.match(value) is not None


def test_every_amount_is_a_decimal_string(api: Api, engine: Engine, customer: str) -> None:
    sku = make_product(engine, name="Test Money Mug", price="10.10", department="home",
                       variants=[(None, None, 9)])
    product = api.get(f"/products/{sku}").json()
    assert product["price"] == "10.10"
    found = api.get("/products", params={"q": "money mug", "min_price": "10.10", "max_price": "10.10"}).json()
    assert [(i["sku"], i["price"]) for i in found["items"]] == [(sku, "10.10")]
    cart = api.add(customer, sku, 3).json()
    assert (cart["total"], cart["items"][0]["unit_price"], cart["items"][0]["line_total"]) == (
        "30.30", "10.10", "30.30")
    created = api.checkout(customer, "money-key-01").json()
    assert created["total"] == "35.20"  # 30.30 + 4.90 delivery: the sum a float would get wrong
    order = api.get(f"/orders/{created['order_id']}", params={"customer_id": customer}).json()
    for key in ("subtotal", "discount", "shipping_cost", "total"):
        assert _is_money(order[key]), (key, order[key])
    assert all(_is_money(li["unit_price"]) and _is_money(li["line_total"]) for li in order["lines"])
    listed = api.get(f"/customers/{customer}/orders").json()["items"]
    assert listed[0]["total"] == "35.20"
    options = api.get("/delivery-options").json()["items"]
    assert all(_is_money(o["price"]) and (o["free_over"] is None or _is_money(o["free_over"])) for o in options)
    for promo in api.get("/promotions").json()["items"]:
        assert all(promo[k] is None or _is_money(promo[k]) for k in ("amount_off", "min_order"))


def test_the_openapi_document_says_money_is_a_string(api: Api) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["OrderPublic"]["properties"]["total"]["type"] == "string"
    assert schemas["ProductSummary"]["properties"]["price"]["type"] == "string"


@pytest.fixture(scope="module")
def cheap_shipping_shop(recorder: RasaRecorder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A shop of its own whose free-shipping threshold is 20.00 instead of 50.00."""
    database = f"sqlite:///{tmp_path_factory.mktemp('free-shipping') / 'shop.sqlite3'}"
    with shop_process(database, "test-" + secrets.token_urlsafe(24), recorder.url,
                      Path(tmp_path_factory.mktemp("logs")),
                      extra_env={"SHOP_FREE_SHIPPING_OVER": "20.00"}) as process:
        engine = create_db_engine(process.database_url)
        with Api(process.url, process.token, process.admin_token) as client:
            client.engine = engine  # type: ignore[attr-defined]
            yield client
        engine.dispose()


def test_free_shipping_threshold_comes_from_the_settings(cheap_shipping_shop: Api) -> None:
    api = cheap_shipping_shop
    engine: Engine = api.engine  # type: ignore[attr-defined]
    standard = {o["code"]: o for o in api.get("/delivery-options").json()["items"]}["standard"]
    assert standard["free_over"] == "20.00"
    customer = f"rest:test-{secrets.token_hex(6)}"
    sku = make_product(engine, price="25.00", department="home", variants=[(None, None, 3)])
    api.add(customer, sku)
    created = api.checkout(customer, "free-ship-01").json()
    assert created["total"] == "25.00"  # over 20.00: standard delivery is free
    order = api.get(f"/orders/{created['order_id']}", params={"customer_id": customer}).json()
    assert order["shipping_cost"] == "0.00"
    page = requests.get(created["payment_url"], timeout=30).text
    assert "Pay 25.00 EUR" in page
