"""The catalogue export the assistant's NLU is built from (`python -m app.cli export-catalogue`)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select

from app import models
from app.core.db import make_sessionmaker
from app.export import catalogue_export, write_if_changed
from app.seed import catalog


def test_the_export_holds_every_product_with_the_words_it_is_sold_by(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        data = catalogue_export(session)
        # Other tests share this database and add or retire products: the export is what is on sale.
        on_sale = set(session.scalars(select(models.Product.sku).where(models.Product.active.is_(True))))
    by_sku = {p["sku"]: p for p in data["products"]}
    assert set(by_sku) == on_sale
    seeded = next(p for p in catalog.PRODUCTS if p["sku"] in by_sku)
    exported = by_sku[seeded["sku"]]
    assert exported["name"] == seeded["name"] and exported["department"] == seeded["department"]
    # Keyword phrases survive the database ("phone case" stays one keyword).
    assert exported["keywords"] == [k.lower() for k in seeded["keywords"]]
    assert {d["slug"] for d in data["departments"]} == {d["slug"] for d in catalog.DEPARTMENTS}
    assert data["synonyms"]["kicks"] == ["trainers"]


def test_an_unchanged_catalogue_is_not_rewritten(engine: Engine, tmp_path: Path) -> None:
    with make_sessionmaker(engine)() as session:
        data = catalogue_export(session)
    out = tmp_path / "nlu" / "catalogue.json"
    assert write_if_changed(data, out) is True
    assert json.loads(out.read_text(encoding="utf-8"))["products"] == data["products"]
    stamp = out.stat().st_mtime_ns
    assert write_if_changed(data, out) is False
    assert out.stat().st_mtime_ns == stamp
    changed = {**data, "products": data["products"][1:]}
    assert write_if_changed(changed, out) is True
