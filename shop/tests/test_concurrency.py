"""Stock never goes negative: many shoppers racing for the last units get exactly those units."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from tests.utils.api import Api
from tests.utils.factories import count_orders, make_product, stock_of
from tests.utils.server import ShopProcess

SHOPPERS = 50
UNITS = 10


def test_fifty_checkouts_on_the_last_ten_units(shop: ShopProcess, engine: Engine) -> None:
    sku = make_product(engine, name="Test Limited Edition Mug", variants=[(None, None, UNITS)])
    customers = [f"rest:race-{secrets.token_hex(5)}" for _ in range(SHOPPERS)]
    with Api(shop.url, shop.token) as api:
        for customer in customers:  # each one has the variant in their cart
            assert api.add(customer, sku).status_code == 201

    def checkout(customer: str) -> int:
        with Api(shop.url, shop.token) as own:  # one connection per shopper, all at once
            return own.checkout(customer, f"race-{customer}").status_code

    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        statuses = list(pool.map(checkout, customers))

    assert sorted(statuses) == [201] * UNITS + [409] * (SHOPPERS - UNITS)
    assert count_orders(engine, customers) == UNITS
    assert stock_of(engine, sku) == [0]


def test_replayed_checkouts_racing_create_one_order(shop: ShopProcess, engine: Engine) -> None:
    sku = make_product(engine, variants=[(None, None, 5)])
    customer = f"rest:replay-{secrets.token_hex(5)}"
    with Api(shop.url, shop.token) as api:
        assert api.add(customer, sku, 2).status_code == 201

    def checkout(_: int) -> tuple[int, str]:
        with Api(shop.url, shop.token) as own:
            response = own.checkout(customer, "same-key-raced")
            return response.status_code, response.json().get("order_id", "")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(checkout, range(10)))
    assert {status for status, _ in results} == {201}
    assert len({order_id for _, order_id in results}) == 1
    assert count_orders(engine, [customer]) == 1 and stock_of(engine, sku) == [3]
