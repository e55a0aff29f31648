"""Arrangements written straight to the shop's database, for states the API cannot make."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from app import models
from app.core.db import WRITE_OPTION
from app.models import utcnow


def _writer(engine: Engine) -> Session:
    # Takes SQLite's write lock up front, like the shop does, so a busy shop makes it wait, not fail.
    return Session(engine.execution_options(**{WRITE_OPTION: True}))


def make_product(engine: Engine, *, variants: list[tuple[str | None, str | None, int]],
                 name: str | None = None, price: str = "19.99", department: str = "sports",
                 brand: str = "Testbrand") -> str:
    """A new product with (size, colour, stock) variants; returns its SKU."""
    sku = f"TST-{secrets.token_hex(4).upper()}"
    now = utcnow()
    with _writer(engine) as session:
        dept_id = session.scalar(select(models.Department.id).where(models.Department.slug == department))
        brand_id = session.scalar(select(models.Brand.id).where(models.Brand.name == brand))
        if brand_id is None:
            brand_id = session.execute(insert(models.Brand).values(name=brand)
                                       .returning(models.Brand.id)).scalar_one()
        product_id = session.execute(insert(models.Product).values(
            sku=sku, name=name or f"Test Item {sku}", department_id=dept_id, brand_id=brand_id,
            category="Test", description="", keywords="", price=Decimal(price), currency="EUR",
            popularity=0, active=True, created_at=now, updated_at=now,
        ).returning(models.Product.id)).scalar_one()
        session.execute(insert(models.Variant), [
            {"product_id": product_id, "size": s, "color": c, "stock": n, "updated_at": now}
            for s, c, n in variants])
        session.commit()
    return sku


def stock_of(engine: Engine, sku: str) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(models.Variant.stock).join(models.Product)
                                    .where(models.Product.sku == sku).order_by(models.Variant.id)))


def set_delivered_at(engine: Engine, order_id: str, when: datetime) -> None:
    with _writer(engine) as session:
        session.execute(update(models.Order).where(models.Order.order_id == order_id)
                        .values(delivered_at=when))
        session.commit()


def count_orders(engine: Engine, customer_ids: list[str]) -> int:
    with Session(engine) as session:
        return len(session.scalars(select(models.Order.id).join(models.Customer)
                                   .where(models.Customer.customer_id.in_(customer_ids))).all())


def make_promotion(engine: Engine, *, amount_off: str = "1.00", uses_total: int | None = None,
                   uses_per_customer: int | None = None) -> str:
    """A promotion running now, on anything, with the given limits; returns its code."""
    code = f"TEST{secrets.token_hex(3).upper()}"
    now = utcnow()
    with _writer(engine) as session:
        session.add(models.Promotion(
            code=code, title="Test promotion", description="For tests.", department_id=None,
            percent_off=None, amount_off=Decimal(amount_off), min_order=None,
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1),
            uses_total=uses_total, uses_per_customer=uses_per_customer))
        session.commit()
    return code


def set_payment_due_at(engine: Engine, order_id: str, when: datetime) -> None:
    with _writer(engine) as session:
        session.execute(update(models.Order).where(models.Order.order_id == order_id)
                        .values(payment_due_at=when))
        session.commit()


def set_product_active(engine: Engine, sku: str, active: bool) -> None:
    """Withdraw a product from sale (or bring it back); the search index sees it at its next poll."""
    with _writer(engine) as session:
        session.execute(update(models.Product).where(models.Product.sku == sku)
                        .values(active=active, updated_at=utcnow()))
        session.commit()
