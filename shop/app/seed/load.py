"""Loading catalogues into the database: the curated seed, or a generated one for scale tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import models
from app.models import utcnow

# Keywords are phrases ("phone case"): a comma keeps them apart, and search reads words either way.
KEYWORD_SEPARATOR = ", "

Progress = Callable[[int], None]


def _ids(session: Session, key: InstrumentedAttribute[str], value: InstrumentedAttribute[int]) -> dict[str, int]:
    return dict(session.execute(select(key, value)).tuples().all())


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(models.Product))


def load_reference(session: Session, departments: list[dict[str, Any]], stores: list[dict[str, Any]],
                   promotions: list[dict[str, Any]]) -> None:
    """Departments, stores and promotions (promotion dates are relative to today)."""
    known = set(session.scalars(select(models.Department.slug)))
    session.add_all(models.Department(**d) for d in departments if d["slug"] not in known)
    session.flush()
    dept_ids = _ids(session, models.Department.slug, models.Department.id)
    existing_stores = set(session.scalars(select(models.Store.code)))
    session.add_all(models.Store(**s) for s in stores if s["code"] not in existing_stores)
    existing_promos = set(session.scalars(select(models.Promotion.code)))
    now = utcnow()
    for p in promotions:
        if p["code"] in existing_promos:
            continue
        session.add(models.Promotion(
            code=p["code"], title=p["title"], description=p["description"],
            department_id=dept_ids[p["department"]] if p.get("department") else None,
            percent_off=p.get("percent_off"),
            amount_off=Decimal(p["amount_off"]) if p.get("amount_off") else None,
            min_order=Decimal(p["min_order"]) if p.get("min_order") else None,
            starts_at=now + timedelta(days=p["starts_days_from_now"]),
            ends_at=now + timedelta(days=p["ends_days_from_now"]),
            uses_per_customer=p.get("uses_per_customer"), uses_total=p.get("uses_total"),
        ))
    session.commit()


def load_products(session: Session, products: Iterable[dict[str, Any]], *, batch_size: int = 2000,
                  progress: Progress | None = None) -> int:
    """Bulk-inserts products and their variants; returns how many products were added."""
    dept_ids = _ids(session, models.Department.slug, models.Department.id)
    brand_ids = _ids(session, models.Brand.name, models.Brand.id)
    next_product = (session.scalar(select(func.max(models.Product.id))) or 0) + 1
    count = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal next_product
        if not batch:
            return
        new_brands = sorted({p["brand"] for p in batch} - brand_ids.keys())
        if new_brands:
            session.execute(insert(models.Brand), [{"name": b} for b in new_brands])
            brand_ids.update(_ids(session, models.Brand.name, models.Brand.id))
        now = utcnow()
        product_rows: list[dict[str, Any]] = []
        variant_rows: list[dict[str, Any]] = []
        for p in batch:
            pid = next_product
            next_product += 1
            product_rows.append({
                "id": pid, "sku": p["sku"], "name": p["name"], "department_id": dept_ids[p["department"]],
                "brand_id": brand_ids[p["brand"]], "category": p["category"],
                "description": p["description"], "keywords": KEYWORD_SEPARATOR.join(p["keywords"]),
                "price": Decimal(p["price"]), "currency": p["currency"],
                "popularity": p["popularity"], "active": True, "created_at": now, "updated_at": now,
            })
            variant_rows.extend({"product_id": pid, "size": v["size"], "color": v["color"],
                                 "stock": v["stock"], "updated_at": now} for v in p["variants"])
        session.execute(insert(models.Product), product_rows)
        session.execute(insert(models.Variant), variant_rows)
        session.commit()
        batch.clear()

    for product in products:
        batch.append(product)
        count += 1
        if len(batch) >= batch_size:
            flush()
            if progress:
                progress(count)
    if batch:
        flush()
        if progress:
            progress(count)
    if session.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly; move the sequence past them for products created later.
        session.execute(text("SELECT setval(pg_get_serial_sequence('products', 'id'), "
                             "(SELECT max(id) FROM products))"))
        session.commit()
    return count


def printing_progress(total: int, label: str) -> Progress:
    started = time.monotonic()

    def report(done: int) -> None:
        elapsed = time.monotonic() - started
        rate = done / elapsed if elapsed > 0 else 0.0
        print(f"  {label}: {done:,}/{total:,} products ({100 * done / total:.0f}%, {rate:,.0f}/s)",
              flush=True)

    return report
