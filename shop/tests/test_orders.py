"""Checkout, idempotency, ownership, the status lifecycle, payments, returns and refunds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import Engine

from app.models import utcnow
from tests.utils.api import Api
from tests.utils.factories import count_orders, make_product, set_delivered_at, stock_of
from tests.utils.server import RasaRecorder


@pytest.fixture
def sku(engine: Engine) -> str:
    return make_product(engine, name="Test Espresso Cups", price="12.50", department="home",
                        variants=[(None, "White", 8), (None, "Black", 8)])


def place(api: Api, customer: str, sku: str, key: str, quantity: int = 2, **overrides: object) -> dict:
    assert api.add(customer, sku, quantity, color="White").status_code == 201
    response = api.checkout(customer, key, **overrides)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def pay(api: Api, payment_url: str, action: str = "pay") -> requests.Response:
    return requests.post(payment_url, data={"action": action}, timeout=30)


def operator(api: Api, order_id: str, status: str, **extra: str) -> requests.Response:
    return api.post(f"/admin/orders/{order_id}/status", json={"status": status, **extra})


def test_checkout_reserves_stock_empties_cart_and_links_payment(api: Api, engine: Engine, customer: str,
                                                                sku: str) -> None:
    order = place(api, customer, sku, "checkout-0001")
    assert order["status"] == "pending_payment" and order["currency"] == "EUR"
    assert order["total"] == "29.90"  # standard delivery under the free-shipping threshold
    assert order["order_id"].startswith("BT-") and "/pay/" in order["payment_url"]
    assert stock_of(engine, sku) == [6, 8]
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []
    detail = api.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
    assert detail["lines"][0]["quantity"] == 2 and detail["shipping_address"] == {
        "text": "Via Roma 1, 20121 Milano, Italy"}
    assert detail["can_cancel"] and not detail["can_return"] and detail["estimated_delivery"]


def test_same_idempotency_key_returns_the_same_order(api: Api, engine: Engine, customer: str, sku: str) -> None:
    first = place(api, customer, sku, "replay-key-01")
    api.add(customer, sku, 1, color="White")  # a new cart must not turn the replay into a new order
    again = api.checkout(customer, "replay-key-01")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first
    assert count_orders(engine, [customer]) == 1
    assert stock_of(engine, sku) == [6, 8]
    assert len(api.get(f"/customers/{customer}/cart").json()["items"]) == 1


def test_key_reused_for_a_different_order_is_refused(api: Api, customer: str, sku: str) -> None:
    place(api, customer, sku, "reused-key-01")
    response = api.checkout(customer, "reused-key-01", delivery_option="express")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "short"}, {"Idempotency-Key": "bad key!"}])
def test_checkout_needs_a_valid_key(api: Api, customer: str, sku: str, headers: dict[str, str]) -> None:
    api.add(customer, sku, 1, color="White")
    body = {"customer_id": customer, "shipping_address": "Via Roma 1, Milano",
            "delivery_option": "standard", "payment_method": "card"}
    assert api.post("/orders", json=body, headers=headers).status_code == 422
    assert len(api.get(f"/customers/{customer}/cart").json()["items"]) == 1


@pytest.mark.parametrize("overrides", [
    {"delivery_option": "teleport"}, {"payment_method": "bitcoin"}, {"shipping_address": ""},
    {"shipping_address": "x" * 301}, {"customer_id": "nobody"},
    {"shipping_address": {"name": "A", "line1": "B", "city": "C", "postcode": "1", "country": "Italy"}},
])
def test_bad_checkout_bodies_change_nothing(api: Api, engine: Engine, customer: str, sku: str,
                                            overrides: dict[str, object]) -> None:
    api.add(customer, sku, 1, color="White")
    response = api.checkout(customer, "bad-body-0001", **overrides)
    assert response.status_code == 422
    assert stock_of(engine, sku) == [8, 8] and count_orders(engine, [customer]) == 0


def test_structured_address_and_department_promotion(api: Api, engine: Engine, customer: str) -> None:
    scarf = make_product(engine, name="Test Wool Scarf", price="40.00", department="fashion",
                         variants=[(None, "White", 5)])
    address = {"name": "Ada Rossi", "line1": "Via Roma 1", "city": "Milano", "postcode": "20121",
               "country": "IT"}
    order = place(api, customer, scarf, "promo-key-001", quantity=1, shipping_address=address,
                  promo_code="spring10")  # 10% off fashion, codes are case-insensitive
    detail = api.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
    assert (detail["subtotal"], detail["discount"], detail["promo_code"]) == ("40.00", "4.00", "SPRING10")
    assert detail["shipping_address"]["city"] == "Milano"
    assert detail["total"] == "40.90"


@pytest.mark.parametrize("code", ["PAWS10", "WELCOME5", "WINTER20", "RUN25"])
def test_promotions_that_do_not_apply_are_refused(api: Api, engine: Engine, customer: str, sku: str,
                                                  code: str) -> None:
    # pets only / minimum 30 EUR / expired / not started yet, on 12.50 EUR of home goods
    api.add(customer, sku, 1, color="White")
    response = api.checkout(customer, f"promo-{code}-01", promo_code=code)
    assert response.status_code == 422 and response.json()["code"] == "invalid_promotion"
    assert stock_of(engine, sku) == [8, 8] and count_orders(engine, [customer]) == 0


def test_unknown_promo_code_is_refused(api: Api, engine: Engine, customer: str, sku: str) -> None:
    api.add(customer, sku, 1, color="White")
    response = api.checkout(customer, "promo-bad-001", promo_code="NOSUCHCODE")
    assert response.status_code == 422 and response.json()["code"] == "invalid_promotion"
    assert stock_of(engine, sku) == [8, 8]


def test_empty_cart_cannot_check_out(api: Api, customer: str) -> None:
    response = api.checkout(customer, "empty-cart-01")
    assert response.status_code == 409 and response.json()["code"] == "cart_empty"


def test_orders_are_private(api: Api, customer: str, sku: str) -> None:
    order = place(api, customer, sku, "private-key-01")
    stranger = "rest:someone-else"
    assert api.get(f"/orders/{order['order_id']}", params={"customer_id": stranger}).status_code == 404
    assert api.post(f"/orders/{order['order_id']}/cancel", json={"customer_id": stranger}).status_code == 404
    assert api.get(f"/orders/{order['order_id']}").status_code == 422  # who is asking must be said
    theirs = api.get(f"/customers/{stranger}/orders").json()["items"]
    assert order["order_id"] not in [o["order_id"] for o in theirs]


def test_orders_list_newest_first(api: Api, customer: str, sku: str) -> None:
    ids = [place(api, customer, sku, f"list-key-{i:04d}", quantity=1)["order_id"] for i in range(3)]
    listed = api.get(f"/customers/{customer}/orders").json()
    assert listed["total"] == 3 and [o["order_id"] for o in listed["items"]] == ids[::-1]


def test_cancel_releases_stock_and_only_in_allowed_states(api: Api, engine: Engine, customer: str,
                                                          sku: str) -> None:
    order = place(api, customer, sku, "cancel-key-01")
    cancelled = api.post(f"/orders/{order['order_id']}/cancel", json={"customer_id": customer})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert stock_of(engine, sku) == [8, 8]
    again = api.post(f"/orders/{order['order_id']}/cancel", params={"customer_id": customer})
    assert again.status_code == 409 and again.json()["code"] == "invalid_status"
    assert stock_of(engine, sku) == [8, 8]


def test_payment_page_pays_and_tells_the_assistant(api: Api, customer: str, sku: str,
                                                   recorder: RasaRecorder) -> None:
    order = place(api, customer, sku, "pay-key-0001")
    page = requests.get(order["payment_url"], timeout=30)
    assert page.status_code == 200 and "Pay 29.90 EUR" in page.text and "Decline" in page.text
    before = len(recorder.calls)
    declined = pay(api, order["payment_url"], "decline")
    assert declined.status_code == 200 and "declined" in declined.text
    status = api.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
    assert (status["status"], status["payment_status"]) == ("pending_payment", "failed")
    assert pay(api, order["payment_url"]).status_code == 200
    paid = api.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
    assert (paid["status"], paid["payment_status"], paid["payment_url"]) == ("paid", "paid", None)
    assert pay(api, order["payment_url"]).status_code == 409  # paid once, not twice
    calls = recorder.wait_for(before + 2)[before:]
    assert [c["body"]["name"] for c in calls] == ["payment_failed", "payment_received"]
    # Rasa's conversation id is the customer id itself (`rest:test-…`), its colon as it is: Rasa's
    # HTTP API does not decode conversation ids, so `rest%3Atest-…` would be another conversation.
    assert all(c["path"] == f"/conversations/{customer}/trigger_intent?output_channel=latest" for c in calls)
    assert calls[-1]["body"]["entities"] == {"order_id": order["order_id"]}


def test_invalid_pay_links(api: Api) -> None:
    assert requests.get(f"{api.base_url}/pay/{'x' * 32}", timeout=30).status_code == 404
    assert requests.post(f"{api.base_url}/pay/{'x' * 32}", data={"action": "pay"}, timeout=30).status_code == 404
    assert requests.post(f"{api.base_url}/pay/{'x' * 32}", data={"action": "steal"}, timeout=30).status_code == 422


def test_full_lifecycle_to_refund(api: Api, engine: Engine, customer: str, sku: str) -> None:
    order = place(api, customer, sku, "life-key-0001")
    oid = order["order_id"]
    assert operator(api, oid, "shipped").status_code == 409  # not paid yet
    pay(api, order["payment_url"])
    shipped = operator(api, oid, "shipped").json()
    assert shipped["status"] == "shipped" and shipped["tracking_number"].startswith("BTX")
    assert api.post(f"/orders/{oid}/cancel", json={"customer_id": customer}).status_code == 409
    early = api.post(f"/orders/{oid}/returns", json={"customer_id": customer, "reason": "too small"})
    assert early.status_code == 409
    delivered = operator(api, oid, "delivered").json()
    assert delivered["can_return"] and delivered["return_deadline"]
    line_id = delivered["lines"][0]["line_id"]
    ret = api.post(f"/orders/{oid}/returns", json={
        "customer_id": customer, "reason": "wrong colour", "lines": [{"line_id": line_id, "quantity": 1}]})
    assert ret.status_code == 201 and ret.json()["amount"] == "12.50" and ret.json()["return_id"].startswith("RT-")
    assert operator(api, oid, "returned").json()["status"] == "returned"
    assert stock_of(engine, sku) == [7, 8]  # the returned cup is back on the shelf
    refunds = api.get(f"/customers/{customer}/refunds").json()["items"]
    assert [(r["status"], r["amount"], r["return_id"]) for r in refunds] == [
        ("pending", "12.50", ret.json()["return_id"])]
    final = operator(api, oid, "refunded").json()
    assert final["status"] == "refunded"
    assert [h["status"] for h in final["history"]] == [
        "pending_payment", "paid", "shipped", "delivered", "return_requested", "returned", "refunded"]
    assert api.get(f"/customers/{customer}/refunds").json()["items"][0]["status"] == "completed"


def test_return_window_is_30_days(api: Api, engine: Engine, customer: str, sku: str) -> None:
    order = place(api, customer, sku, "window-key-01")
    pay(api, order["payment_url"])
    operator(api, order["order_id"], "shipped")
    operator(api, order["order_id"], "delivered")
    set_delivered_at(engine, order["order_id"], utcnow() - timedelta(days=31))
    response = api.post(f"/orders/{order['order_id']}/returns", json={"customer_id": customer, "reason": "late"})
    assert response.status_code == 409 and response.json()["code"] == "return_window_closed"
    assert "30 days" in response.json()["detail"]
    set_delivered_at(engine, order["order_id"], utcnow() - timedelta(days=29))
    assert api.post(f"/orders/{order['order_id']}/returns",
                    json={"customer_id": customer, "reason": "changed my mind"}).status_code == 201


def test_cancelling_a_paid_order_refunds_it(api: Api, customer: str, sku: str) -> None:
    order = place(api, customer, sku, "refund-key-01")
    pay(api, order["payment_url"])
    assert api.post(f"/orders/{order['order_id']}/cancel", json={"customer_id": customer}).status_code == 200
    refunds = api.get(f"/customers/{customer}/refunds").json()["items"]
    assert [(r["order_id"], r["amount"], r["status"]) for r in refunds] == [(order["order_id"], "29.90", "completed")]
    assert requests.get(order["payment_url"], timeout=30).text.count("can't be paid") == 1


def test_change_address_and_delivery_before_payment(api: Api, customer: str, sku: str) -> None:
    order = place(api, customer, sku, "change-key-01")
    changed = api.patch(f"/orders/{order['order_id']}", json={
        "customer_id": customer, "shipping_address": "Corso Buenos Aires 5, Milano", "delivery_option": "express"})
    assert changed.status_code == 200
    body = changed.json()
    assert body["shipping_address"] == {"text": "Corso Buenos Aires 5, Milano"}
    assert (body["delivery_option"], body["shipping_cost"], body["total"]) == ("express", "9.90", "34.90")
    assert "34.90" in requests.get(order["payment_url"], timeout=30).text
    pay(api, order["payment_url"])
    late = api.patch(f"/orders/{order['order_id']}", json={"customer_id": customer, "delivery_option": "standard"})
    assert late.status_code == 409
    operator(api, order["order_id"], "shipped")
    shipped = api.patch(f"/orders/{order['order_id']}",
                        json={"customer_id": customer, "shipping_address": "Elsewhere 1"})
    assert shipped.status_code == 409


def test_invoice_page(api: Api, customer: str, sku: str) -> None:
    order = place(api, customer, sku, "invoice-key-01")
    detail = api.get(f"/orders/{order['order_id']}", params={"customer_id": customer}).json()
    unpaid = requests.get(detail["invoice_url"], timeout=30)
    assert unpaid.status_code == 200 and order["order_id"] in unpaid.text and "Not paid" in unpaid.text
    assert "Via Roma 1, 20121 Milano, Italy" in unpaid.text and "29.90 EUR" in unpaid.text
    pay(api, order["payment_url"])
    assert "Paid " in requests.get(detail["invoice_url"], timeout=30).text
    assert requests.get(f"{api.base_url}/invoices/{'y' * 32}", timeout=30).status_code == 404


def test_a_withdrawn_product_in_the_cart_is_refused_at_checkout(api: Api, engine: Engine, customer: str,
                                                                sku: str) -> None:
    gone = make_product(engine, name="Test Recalled Kettle", price="30.00", department="home",
                        variants=[(None, None, 5)])
    api.add(customer, sku, 1, color="White")
    api.add(customer, gone)
    assert api.delete(f"/admin/products/{gone}").status_code == 204  # the shop stops selling it
    cart = api.get(f"/customers/{customer}/cart").json()
    assert {i["sku"]: i["available"] for i in cart["items"]} == {sku: True, gone: False}
    response = api.checkout(customer, "withdrawn-key-01")
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "product_withdrawn" and body["skus"] == [gone]
    assert "Test Recalled Kettle is no longer sold" in body["detail"]
    assert count_orders(engine, [customer]) == 0
    assert stock_of(engine, sku) == [8, 8] and stock_of(engine, gone) == [5]
    assert len(api.get(f"/customers/{customer}/cart").json()["items"]) == 2  # nothing removed behind their back
    assert api.get(f"/products/{gone}").status_code == 404
    # Without it, the rest can be ordered.
    line = next(i for i in cart["items"] if i["sku"] == gone)
    api.delete(f"/customers/{customer}/cart/items/{line['line_id']}")
    assert api.checkout(customer, "withdrawn-key-02").status_code == 201
