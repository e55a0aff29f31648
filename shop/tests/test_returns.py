"""Returns refund what was paid for the lines returned: discounts pro-rated, each line once, never more
than the order cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import requests
from sqlalchemy import Engine

from tests.utils.api import Api
from tests.utils.factories import make_product, stock_of


def _delivered(api: Api, customer: str, key: str, **overrides: Any) -> dict[str, Any]:
    """Checks the cart out, pays, ships and delivers; returns the order as its owner sees it."""
    created = api.checkout(customer, key, **overrides)
    assert created.status_code == 201, created.text
    order_id = created.json()["order_id"]
    assert requests.post(created.json()["payment_url"], data={"action": "pay"}, timeout=30).status_code == 200
    for status in ("shipped", "delivered"):
        assert api.post(f"/admin/orders/{order_id}/status", json={"status": status}).status_code == 200
    return api.get(f"/orders/{order_id}", params={"customer_id": customer}).json()  # type: ignore[no-any-return]


def _return(api: Api, customer: str, order_id: str, lines: list[dict[str, int]] | None = None) -> requests.Response:
    body: dict[str, Any] = {"customer_id": customer, "reason": "changed my mind"}
    if lines is not None:
        body["lines"] = lines
    return api.post(f"/orders/{order_id}/returns", json=body)


def test_a_discounted_order_refunds_what_was_paid(api: Api, engine: Engine, customer: str) -> None:
    bed = make_product(engine, name="Test Dog Bed", price="34.99", department="pets", variants=[(None, None, 4)])
    api.add(customer, bed)
    order = _delivered(api, customer, "paws-return-01", promo_code="PAWS10", delivery_option="click_and_collect")
    assert (order["subtotal"], order["discount"], order["total"]) == ("34.99", "3.50", "31.49")
    assert order["lines"][0]["discount"] == "3.50"
    returned = _return(api, customer, order["order_id"])
    assert returned.status_code == 201, returned.text
    assert returned.json()["amount"] == "31.49"  # was 34.99: the discount was refunded too


def test_the_discount_is_pro_rated_over_the_lines_it_applied_to(api: Api, engine: Engine,
                                                                 customer: str) -> None:
    toy = make_product(engine, name="Test Cat Toy", price="10.00", department="pets", variants=[(None, None, 9)])
    mug = make_product(engine, name="Test Plain Mug", price="15.00", department="home", variants=[(None, None, 9)])
    api.add(customer, toy, 3)
    api.add(customer, mug, 1)
    order = _delivered(api, customer, "paws-return-02", promo_code="PAWS10")
    lines = {li["sku"]: li for li in order["lines"]}
    assert (lines[toy]["discount"], lines[mug]["discount"]) == ("3.00", "0.00")  # pets only
    returned = _return(api, customer, order["order_id"], [{"line_id": lines[toy]["line_id"], "quantity": 1}])
    assert returned.json()["amount"] == "9.00"  # one toy at 10.00, less its 10%


def test_an_uneven_discount_never_refunds_more_than_the_goods_cost(api: Api, engine: Engine,
                                                                   customer: str) -> None:
    # 10% of 3 x 3.33 = 0.999 -> 1.00 off 9.99: each unit paid 2.99666…; the three units together 8.99.
    treat = make_product(engine, price="3.33", department="pets", variants=[(None, None, 9)])
    api.add(customer, treat, 3)
    order = _delivered(api, customer, "paws-return-03", promo_code="PAWS10", delivery_option="click_and_collect")
    assert order["total"] == "8.99"
    returned = _return(api, customer, order["order_id"])
    assert returned.json()["amount"] == "8.99"


def test_a_line_listed_twice_is_refused_and_changes_nothing(api: Api, engine: Engine, customer: str) -> None:
    cup = make_product(engine, price="24.99", department="home", variants=[(None, None, 5)])
    api.add(customer, cup)
    order = _delivered(api, customer, "dup-return-01")
    line_id = order["lines"][0]["line_id"]
    assert stock_of(engine, cup) == [4]
    response = _return(api, customer, order["order_id"], [{"line_id": line_id, "quantity": 1}] * 50)
    assert response.status_code == 422
    assert response.json()["code"] == "duplicate_return_line" and response.json()["line_id"] == line_id
    after = api.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
    assert after["status"] == "delivered"
    assert api.get(f"/customers/{customer}/refunds").json()["items"] == []
    # The one honest return still works, and puts back one unit, not fifty.
    assert _return(api, customer, order["order_id"], [{"line_id": line_id, "quantity": 1}]).json()["amount"] == "24.99"
    assert api.post(f"/admin/orders/{order['order_id']}/status", json={"status": "returned"}).status_code == 200
    assert stock_of(engine, cup) == [5]


def test_refunds_of_an_order_never_exceed_what_it_cost(api: Api, engine: Engine, customer: str) -> None:
    shoe = make_product(engine, price="40.00", department="sports", variants=[(None, None, 5)])
    api.add(customer, shoe, 2)
    order = _delivered(api, customer, "cap-return-01", promo_code="WELCOME5")
    assert order["total"] == "75.00"  # 80.00 less 5.00, free delivery
    assert _return(api, customer, order["order_id"]).json()["amount"] == "75.00"
    assert _return(api, customer, order["order_id"]).status_code == 409  # one return per order
    for status in ("returned", "refunded"):
        api.post(f"/admin/orders/{order['order_id']}/status", json={"status": status})
    refunds = api.get(f"/customers/{customer}/refunds").json()["items"]
    assert sum(Decimal(r["amount"]) for r in refunds) == Decimal("75.00")
