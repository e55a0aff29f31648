"""Carts: adding with and without choices, stock checks, changes, and bad input that changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.utils.api import Api
from tests.utils.factories import make_product


@pytest.fixture
def shirt(engine: Engine) -> str:
    return make_product(engine, name="Test Linen Shirt", price="30.00", department="fashion", variants=[
        ("M", "Blue", 5), ("L", "Blue", 0), ("M", "White", 2)])


def test_add_view_and_total(api: Api, customer: str, shirt: str) -> None:
    response = api.add(customer, shirt, 2, size="M", color="blue")
    assert response.status_code == 201
    cart = response.json()
    assert cart["customer_id"] == customer and cart["item_count"] == 2
    assert cart["total"] == "60.00" and cart["currency"] == "EUR"
    line = cart["items"][0]
    assert (line["sku"], line["size"], line["color"], line["quantity"]) == (shirt, "M", "Blue", 2)
    assert api.get(f"/customers/{customer}/cart").json() == cart


def test_empty_cart_of_a_new_customer(api: Api, customer: str) -> None:
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []


def test_choice_required_when_the_product_has_several(api: Api, customer: str, shirt: str) -> None:
    response = api.add(customer, shirt, size="M")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "variant_required" and body["missing"] == ["color"]
    assert body["colors"] == ["Blue", "White"] and "color" in body["detail"]
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []


def test_single_variant_products_need_no_choice(api: Api, customer: str, engine: Engine) -> None:
    sku = make_product(engine, variants=[(None, None, 3)])
    assert api.add(customer, sku).status_code == 201


def test_unknown_choice_lists_what_exists(api: Api, customer: str, shirt: str) -> None:
    response = api.add(customer, shirt, size="XXL", color="Blue")
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_variant" and response.json()["sizes"] == ["M", "L"]


def test_sold_out_and_not_enough_stock(api: Api, customer: str, shirt: str) -> None:
    sold_out = api.add(customer, shirt, size="L", color="Blue")
    assert sold_out.status_code == 409 and sold_out.json()["available"] == 0
    too_many = api.add(customer, shirt, 3, size="M", color="White")
    assert too_many.status_code == 409 and too_many.json()["available"] == 2
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []


def test_adding_again_merges_the_line(api: Api, customer: str, shirt: str) -> None:
    api.add(customer, shirt, 1, size="M", color="Blue")
    cart = api.add(customer, shirt, 2, size="M", color="Blue").json()
    assert [line["quantity"] for line in cart["items"]] == [3]
    over = api.add(customer, shirt, 3, size="M", color="Blue")
    assert over.status_code == 409  # 6 wanted, 5 in stock
    assert api.get(f"/customers/{customer}/cart").json()["items"][0]["quantity"] == 3


def test_update_and_remove_lines(api: Api, customer: str, shirt: str) -> None:
    line_id = api.add(customer, shirt, 1, size="M", color="Blue").json()["items"][0]["line_id"]
    assert api.patch(f"/customers/{customer}/cart/items/{line_id}", json={"quantity": 4}).json()["total"] == "120.00"
    assert api.delete(f"/customers/{customer}/cart/items/{line_id}").json()["items"] == []
    assert api.delete(f"/customers/{customer}/cart/items/{line_id}").status_code == 404


def test_another_customers_line_is_not_reachable(api: Api, customer: str, shirt: str) -> None:
    line_id = api.add(customer, shirt, 1, size="M", color="Blue").json()["items"][0]["line_id"]
    assert api.delete(f"/customers/rest:intruder/cart/items/{line_id}").status_code == 404
    assert len(api.get(f"/customers/{customer}/cart").json()["items"]) == 1


def test_clear(api: Api, customer: str, shirt: str) -> None:
    api.add(customer, shirt, 1, size="M", color="Blue")
    assert api.delete(f"/customers/{customer}/cart").json()["item_count"] == 0


@pytest.mark.parametrize("body", [
    {"sku": "X", "quantity": -1}, {"sku": "X", "quantity": 0}, {"sku": "X", "quantity": 10**9},
    {"sku": "X", "quantity": "two"}, {"quantity": 1}, {"sku": "X" * 41, "quantity": 1},
    {"sku": "X", "quantity": 1, "size": "S" * 61}, {"sku": "X", "quantity": 1, "price": 0.01},
    {"sku": ["X"], "quantity": 1}, [], "text",
])
def test_bad_cart_bodies_are_refused_and_change_nothing(api: Api, customer: str, shirt: str,
                                                        body: object) -> None:
    if isinstance(body, dict) and body.get("sku") == "X":
        body = {**body, "sku": shirt}
    response = api.post(f"/customers/{customer}/cart/items", json=body)
    assert response.status_code == 422, response.text
    assert "detail" in response.json()
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []


def test_malformed_json_is_refused(api: Api, customer: str) -> None:
    response = api.post(f"/customers/{customer}/cart/items", data=b'{"sku": "A", "quantity":',
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "detail" in response.json()


def test_unknown_sku_is_404(api: Api, customer: str) -> None:
    response = api.add(customer, "NOPE-1")
    assert response.status_code == 404 and response.json()["code"] == "unknown_product"


@pytest.mark.parametrize("customer_id", ["nochannel", "rest:", "REST:x", "rest:a b", "rest:" + "x" * 129])
def test_malformed_customer_ids_are_refused(api: Api, customer_id: str) -> None:
    assert api.get(f"/customers/{customer_id}/cart").status_code == 422
