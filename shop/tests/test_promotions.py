"""Promotion limits: one use per customer where the promotion says so, and a total number of uses."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from tests.utils.api import Api
from tests.utils.factories import count_orders, make_product, make_promotion, stock_of
from tests.utils.server import ShopProcess


def test_welcome5_is_one_use_per_customer(api: Api, engine: Engine, customer: str) -> None:
    sku = make_product(engine, price="35.00", department="home", variants=[(None, None, 9)])
    api.add(customer, sku)
    first = api.checkout(customer, "welcome-01", promo_code="WELCOME5")
    assert first.status_code == 201 and first.json()["total"] == "34.90"  # 35.00 - 5.00 + 4.90
    api.add(customer, sku)
    again = api.checkout(customer, "welcome-02", promo_code="welcome5")
    assert again.status_code == 422, again.text
    assert again.json()["code"] == "invalid_promotion" and "already used" in again.json()["detail"]
    assert count_orders(engine, [customer]) == 1 and stock_of(engine, sku) == [8]
    # Another shopper still gets it.
    other = f"rest:test-{secrets.token_hex(6)}"
    api.add(other, sku)
    assert api.checkout(other, "welcome-03", promo_code="WELCOME5").status_code == 201


def test_a_cancelled_order_gives_its_use_back(api: Api, engine: Engine, customer: str) -> None:
    sku = make_product(engine, price="35.00", department="home", variants=[(None, None, 9)])
    api.add(customer, sku)
    first = api.checkout(customer, "welcome-cancel-01", promo_code="WELCOME5").json()
    assert api.post(f"/orders/{first['order_id']}/cancel", json={"customer_id": customer}).status_code == 200
    api.add(customer, sku)
    assert api.checkout(customer, "welcome-cancel-02", promo_code="WELCOME5").status_code == 201


def test_the_listed_promotion_says_its_limit(api: Api) -> None:
    welcome = {p["code"]: p for p in api.get("/promotions").json()["items"]}["WELCOME5"]
    assert welcome["uses_per_customer"] == 1


def test_a_total_limit_holds_when_shoppers_race(shop: ShopProcess, engine: Engine) -> None:
    code = make_promotion(engine, uses_total=2)
    sku = make_product(engine, price="20.00", department="home", variants=[(None, None, 50)])
    shoppers = [f"rest:promo-race-{secrets.token_hex(5)}" for _ in range(8)]
    with Api(shop.url, shop.token, shop.admin_token) as api:
        for shopper in shoppers:
            assert api.add(shopper, sku).status_code == 201

    def checkout(shopper: str) -> int:
        with Api(shop.url, shop.token, shop.admin_token) as own:
            return own.checkout(shopper, f"promo-race-{shopper}", promo_code=code).status_code

    with ThreadPoolExecutor(max_workers=len(shoppers)) as pool:
        statuses = list(pool.map(checkout, shoppers))
    assert sorted(statuses) == [201, 201] + [422] * (len(shoppers) - 2)
    assert count_orders(engine, shoppers) == 2 and stock_of(engine, sku) == [48]
