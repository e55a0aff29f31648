"""Races, on both databases: many shoppers for the last units get exactly those units; paying while
cancelling or changing never deadlocks; concurrent adds to one cart neither fail nor get lost."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import requests
from sqlalchemy import Engine

from tests.utils.api import Api
from tests.utils.factories import count_orders, make_product, stock_of
from tests.utils.server import ShopProcess

SHOPPERS = 50
UNITS = 10


def test_fifty_checkouts_on_the_last_ten_units(shop: ShopProcess, engine: Engine) -> None:
    sku = make_product(engine, name="Test Limited Edition Mug", variants=[(None, None, UNITS)])
    customers = [f"rest:race-{secrets.token_hex(5)}" for _ in range(SHOPPERS)]
    with Api(shop.url, shop.token, shop.admin_token) as api:
        for customer in customers:  # each one has the variant in their cart
            assert api.add(customer, sku).status_code == 201

    def checkout(customer: str) -> int:
        with Api(shop.url, shop.token, shop.admin_token) as own:  # one connection per shopper, all at once
            return own.checkout(customer, f"race-{customer}").status_code

    with ThreadPoolExecutor(max_workers=SHOPPERS) as pool:
        statuses = list(pool.map(checkout, customers))

    assert sorted(statuses) == [201] * UNITS + [409] * (SHOPPERS - UNITS)
    assert count_orders(engine, customers) == UNITS
    assert stock_of(engine, sku) == [0]


def test_replayed_checkouts_racing_create_one_order(shop: ShopProcess, engine: Engine) -> None:
    sku = make_product(engine, variants=[(None, None, 5)])
    customer = f"rest:replay-{secrets.token_hex(5)}"
    with Api(shop.url, shop.token, shop.admin_token) as api:
        assert api.add(customer, sku, 2).status_code == 201

    def checkout(_: int) -> tuple[int, str]:
        with Api(shop.url, shop.token, shop.admin_token) as own:
            response = own.checkout(customer, "same-key-raced")
            return response.status_code, response.json().get("order_id", "")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(checkout, range(10)))
    assert {status for status, _ in results} == {201}
    assert len({order_id for _, order_id in results}) == 1
    assert count_orders(engine, [customer]) == 1 and stock_of(engine, sku) == [3]


ROUNDS = 8


def _race(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Runs the calls at the same moment, each on its own connection; their responses in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _pending_orders(shop: ShopProcess, engine: Engine, count: int) -> tuple[str, str, list[dict[str, Any]]]:
    sku = make_product(engine, variants=[(None, None, count)], price="10.00")
    customer = f"rest:pay-race-{secrets.token_hex(5)}"
    orders = []
    with Api(shop.url, shop.token, shop.admin_token) as api:
        for i in range(count):
            assert api.add(customer, sku).status_code == 201
            created = api.checkout(customer, f"pay-race-{i:04d}")
            assert created.status_code == 201, created.text
            orders.append(created.json())
    return sku, customer, orders


def test_paying_while_the_shopper_cancels(shop: ShopProcess, engine: Engine) -> None:
    sku, customer, orders = _pending_orders(shop, engine, ROUNDS)
    with Api(shop.url, shop.token, shop.admin_token) as a, Api(shop.url, shop.token, shop.admin_token) as b:
        for order in orders:
            paid, cancelled = _race(
                partial(a.http.post, order["payment_url"], data={"action": "pay"}, timeout=30),
                partial(b.post, f"/orders/{order['order_id']}/cancel", json={"customer_id": customer}))
            assert (paid.status_code, cancelled.status_code) in {(200, 200), (409, 200)}, (
                paid.status_code, cancelled.text)
            final = a.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
            assert final["status"] == "cancelled"
        refunds = a.get(f"/customers/{customer}/refunds").json()["items"]
    paid_first = [o for o in orders if any(r["order_id"] == o["order_id"] for r in refunds)]
    assert len(refunds) == len(paid_first)  # every payment that went through was refunded, once
    assert stock_of(engine, sku) == [ROUNDS]


def test_paying_while_the_shopper_changes_delivery(shop: ShopProcess, engine: Engine) -> None:
    _, customer, orders = _pending_orders(shop, engine, ROUNDS)
    with Api(shop.url, shop.token, shop.admin_token) as a, Api(shop.url, shop.token, shop.admin_token) as b:
        for order in orders:
            paid, changed = _race(
                partial(a.http.post, order["payment_url"], data={"action": "pay"}, timeout=30),
                partial(b.patch, f"/orders/{order['order_id']}",
                        json={"customer_id": customer, "delivery_option": "express"}))
            assert paid.status_code == 200 and changed.status_code in {200, 409}, (paid.text, changed.text)
            final = a.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
            assert final["status"] == "paid"
            # What was paid is what the order says it costs, whichever came first.
            assert final["total"] == ("19.90" if changed.status_code == 200 else "14.90")
            assert f"paid: {final['total']} EUR" in paid.text


def test_first_adds_of_the_same_item_racing_to_a_new_cart(shop: ShopProcess, engine: Engine) -> None:
    sku = make_product(engine, variants=[(None, None, 50)])
    customer = f"rest:cart-race-{secrets.token_hex(5)}"
    apis = [Api(shop.url, shop.token, shop.admin_token) for _ in range(6)]
    try:
        responses = _race(*[partial(own.add, customer, sku) for own in apis])
    finally:
        for own in apis:
            own.http.close()
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    with Api(shop.url, shop.token, shop.admin_token) as api:
        cart = api.get(f"/customers/{customer}/cart").json()
    assert [(i["sku"], i["quantity"]) for i in cart["items"]] == [(sku, 6)]  # no add lost


def test_first_adds_of_different_items_racing_to_a_new_cart(shop: ShopProcess, engine: Engine) -> None:
    skus = [make_product(engine, variants=[(None, None, 5)]) for _ in range(5)]
    customer = f"rest:cart-race-{secrets.token_hex(5)}"
    apis = [Api(shop.url, shop.token, shop.admin_token) for _ in skus]
    try:
        responses = _race(*[partial(own.add, customer, sku) for own, sku in zip(apis, skus, strict=True)])
    finally:
        for own in apis:
            own.http.close()
    assert [r.status_code for r in responses] == [201] * len(skus), [r.text for r in responses]
    with Api(shop.url, shop.token, shop.admin_token) as api:
        cart = api.get(f"/customers/{customer}/cart").json()
    assert sorted(i["sku"] for i in cart["items"]) == sorted(skus)
