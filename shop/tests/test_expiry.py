"""Unpaid orders expire: after SHOP_UNPAID_ORDER_MINUTES their stock goes back on sale, by the
periodic sweep or, if the sweep has not come yet, at the moment someone tries to pay."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from app.models import utcnow
from tests.utils.api import Api
from tests.utils.factories import make_product, set_payment_due_at, stock_of
from tests.utils.server import RasaRecorder, shop_process


def _order(api: Api, engine: Engine, customer: str, units: int = 2) -> tuple[str, dict[str, Any]]:
    sku = make_product(engine, price="10.00", department="home", variants=[(None, None, 5)])
    assert api.add(customer, sku, units).status_code == 201
    created = api.checkout(customer, f"expiry-{secrets.token_hex(4)}")
    assert created.status_code == 201, created.text
    return sku, created.json()


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def quick_shop(recorder: RasaRecorder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Engine]]:
    """A shop of its own that gives shoppers 5 minutes to pay and never sweeps."""
    from app.core.db import create_db_engine

    database = f"sqlite:///{tmp_path_factory.mktemp('expiry') / 'shop.sqlite3'}"
    with shop_process(database, "test-" + secrets.token_urlsafe(24), recorder.url,
                      Path(tmp_path_factory.mktemp("logs")),
                      extra_env={"SHOP_UNPAID_ORDER_MINUTES": "5", "SHOP_EXPIRY_SWEEP_SECONDS": "0"}) as process:
        engine = create_db_engine(process.database_url)
        with Api(process.url, process.token, process.admin_token) as client:
            yield client, engine
        engine.dispose()


def test_an_order_says_by_when_it_must_be_paid(api: Api, engine: Engine, customer: str) -> None:
    _, created = _order(api, engine, customer)
    due = _when(created["payment_due_at"])
    assert timedelta(minutes=59) < due - utcnow() <= timedelta(minutes=60)  # the default: 60 minutes
    order = api.get(f"/orders/{created['order_id']}", params={"customer_id": customer}).json()
    assert order["payment_due_at"] == created["payment_due_at"]
    page = requests.get(created["payment_url"], timeout=30).text
    assert f"Please pay by {due:%Y-%m-%d %H:%M} UTC" in page and "go back on sale" in page


def test_an_expired_order_cannot_be_paid_and_its_stock_returns(quick_shop: tuple[Api, Engine]) -> None:
    # This shop does not sweep: paying finds the deadline passed by itself.
    api, engine = quick_shop
    customer = f"rest:test-{secrets.token_hex(6)}"
    sku, created = _order(api, engine, customer)
    assert stock_of(engine, sku) == [3]
    set_payment_due_at(engine, created["order_id"], utcnow() - timedelta(seconds=1))
    page = requests.get(created["payment_url"], timeout=30)
    assert "ran out" in page.text and "<form" not in page.text
    paid = requests.post(created["payment_url"], data={"action": "pay"}, timeout=30)
    assert paid.status_code == 409 and "ran out" in paid.text
    order = api.get(f"/orders/{created['order_id']}", params={"customer_id": customer}).json()
    assert (order["status"], order["payment_status"], order["payment_url"]) == ("cancelled", "cancelled", None)
    assert order["history"][-1]["note"] == "not paid in time"
    assert stock_of(engine, sku) == [5]
    # Cancelling it again changes nothing.
    assert api.post(f"/orders/{created['order_id']}/cancel", json={"customer_id": customer}).status_code == 409
    assert stock_of(engine, sku) == [5]


def test_the_sweep_releases_unpaid_stock_by_itself(api: Api, engine: Engine, customer: str) -> None:
    sku, created = _order(api, engine, customer)
    _, kept = _order(api, engine, customer)
    set_payment_due_at(engine, created["order_id"], utcnow() - timedelta(seconds=1))
    deadline = time.monotonic() + 15
    while stock_of(engine, sku) != [5] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stock_of(engine, sku) == [5]  # nobody touched the order: the sweep did it
    paid = requests.post(created["payment_url"], data={"action": "pay"}, timeout=30)
    assert paid.status_code == 409 and "ran out" in paid.text
    status = api.get(f"/orders/{created['order_id']}", params={"customer_id": customer}).json()["status"]
    assert status == "cancelled"
    still = api.get(f"/orders/{kept['order_id']}", params={"customer_id": customer}).json()["status"]
    assert still == "pending_payment"  # not due yet


def test_the_time_to_pay_is_a_setting(quick_shop: tuple[Api, Engine]) -> None:
    api, engine = quick_shop
    _, created = _order(api, engine, f"rest:test-{secrets.token_hex(6)}")
    assert timedelta(minutes=4) < _when(created["payment_due_at"]) - utcnow() <= timedelta(minutes=5)
