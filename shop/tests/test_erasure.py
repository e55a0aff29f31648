"""Erasure: what an order's state demands (stock released, payment refunded, or wait while it travels),
the records accounting must keep kept without the person, and everything else deleted."""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app import models
from tests.utils.api import Api
from tests.utils.factories import make_product, stock_of

ADDRESS = "Via Roma 1, 20121 Milano, Italy"


def _order(api: Api, customer: str, sku: str, key: str, *, pay: bool = False,
           to: tuple[str, ...] = ()) -> dict[str, Any]:
    assert api.add(customer, sku).status_code == 201
    created = api.checkout(customer, key, shipping_address=ADDRESS)
    assert created.status_code == 201, created.text
    order = created.json()
    if pay:
        assert requests.post(order["payment_url"], data={"action": "pay"}, timeout=30).status_code == 200
    for status in to:
        assert api.post(f"/admin/orders/{order['order_id']}/status", json={"status": status}).status_code == 200
    return order


def _kept(engine: Engine, order_id: str) -> models.Order | None:
    with Session(engine) as session:
        order = session.scalar(select(models.Order).where(models.Order.order_id == order_id))
        if order is not None:
            order.lines, order.payments  # noqa: B018  # loaded before the session closes
            session.expunge_all()
        return order


def _refunds(engine: Engine, order_id: str) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(str(r.amount), r.status.value) for r in session.scalars(
            select(models.Refund).join(models.Order).where(models.Order.order_id == order_id))]


def test_erasure_releases_refunds_and_keeps_only_anonymous_records(api: Api, engine: Engine,
                                                                   customer: str) -> None:
    sku = make_product(engine, price="20.00", department="home", variants=[(None, None, 10)])
    unpaid = _order(api, customer, sku, "erase-unpaid-01")
    paid = _order(api, customer, sku, "erase-paid-01", pay=True)
    delivered = _order(api, customer, sku, "erase-delivered-01", pay=True, to=("shipped", "delivered"))
    api.add(customer, sku)
    api.post(f"/customers/{customer}/consents", json={"channel": "rest", "topic": "news", "granted": True})
    api.post("/tickets", json={"customer_id": customer, "kind": "question", "subject": "Hello there"})
    assert stock_of(engine, sku) == [7]

    erased = api.delete(f"/customers/{customer}")
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"] is True

    # The unpaid and the paid order are cancelled and their units back on sale; the delivered one was sold.
    assert stock_of(engine, sku) == [9]
    assert _refunds(engine, paid["order_id"]) == [("24.90", "completed")]
    assert _refunds(engine, unpaid["order_id"]) == []
    # Accounting keeps each order (amounts, lines, dates, payments), with nobody's name or address on it.
    for created in (unpaid, paid, delivered):
        kept = _kept(engine, created["order_id"])
        assert kept is not None and kept.customer_pk is None
        assert ADDRESS not in str(kept.shipping_address) and customer not in kept.idempotency_key
        assert str(kept.total) == "24.90" and len(kept.lines) == 1 and kept.payments
    assert _kept(engine, unpaid["order_id"]).status == models.OrderStatus.cancelled  # type: ignore[union-attr]
    assert _kept(engine, paid["order_id"]).status == models.OrderStatus.cancelled  # type: ignore[union-attr]
    assert _kept(engine, delivered["order_id"]).status == models.OrderStatus.delivered  # type: ignore[union-attr]
    # The old links open nothing any more.
    assert requests.get(delivered["payment_url"], timeout=30).status_code == 404
    # Nothing is left under the customer's id.
    assert api.get(f"/customers/{customer}/orders").json() == {"items": [], "total": 0}
    assert api.get(f"/customers/{customer}/consents").json()["items"] == []
    assert api.get(f"/customers/{customer}/cart").json()["items"] == []
    assert api.get(f"/customers/{customer}/refunds").json()["items"] == []
    assert api.delete(f"/customers/{customer}").json()["erased"] is False


def test_erasure_waits_while_an_order_is_on_its_way(api: Api, engine: Engine, customer: str) -> None:
    sku = make_product(engine, price="20.00", department="home", variants=[(None, None, 10)])
    unpaid = _order(api, customer, sku, "erase-wait-01")
    shipped = _order(api, customer, sku, "erase-wait-02", pay=True, to=("shipped",))
    api.post(f"/customers/{customer}/consents", json={"channel": "rest", "topic": "news", "granted": True})

    refused = api.delete(f"/customers/{customer}")
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["code"] == "erasure_blocked" and body["order_ids"] == [shipped["order_id"]]
    assert shipped["order_id"] in body["detail"]
    # Nothing was done: the unpaid order still holds its unit, the consent is still there.
    assert stock_of(engine, sku) == [8]
    status = api.get(f"/orders/{unpaid['order_id']}", params={"customer_id": customer}).json()["status"]
    assert status == "pending_payment"
    assert len(api.get(f"/customers/{customer}/consents").json()["items"]) == 1

    api.post(f"/admin/orders/{shipped['order_id']}/status", json={"status": "delivered"})
    assert api.delete(f"/customers/{customer}").json()["erased"] is True
    assert stock_of(engine, sku) == [9]
