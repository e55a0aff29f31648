"""The catalogue as the assistant's understanding needs it: every word the shop sells by.

`python -m app.cli export-catalogue --out PATH` writes departments, products (name, brand,
category, description, keywords, colours, sizes), the shop's search synonyms and the colour list as JSON,
read from the shop's database — the same catalogue shoppers search. Bottega's NLU builds its
product, brand, department and colour recognition from this file at training time
(components/catalogue.py), so a product added to the shop is understood after the next training.
The file is written only when its content changes, so an unchanged catalogue retrains nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models
from app.seed import catalog

FORMAT_VERSION = 1


def _keywords(raw: str) -> list[str]:
    # Older databases joined keywords with spaces (phrases lost); newer ones with commas.
    parts = raw.split(",") if "," in raw else raw.split()
    return [part.strip().lower() for part in parts if part.strip()]


def catalogue_export(session: Session) -> dict[str, Any]:
    """The active catalogue as a JSON-ready dict, in a stable order."""
    departments = session.scalars(select(models.Department).order_by(models.Department.slug)).all()
    products = session.scalars(
        select(models.Product).where(models.Product.active.is_(True)).order_by(models.Product.sku)
    ).all()
    return {
        "version": FORMAT_VERSION,
        "departments": [{"slug": d.slug, "name": d.name} for d in departments],
        "products": [
            {
                "sku": p.sku,
                "name": p.name,
                "department": p.department.slug,
                "brand": p.brand.name,
                "category": p.category,
                "description": p.description or "",
                "keywords": _keywords(p.keywords or ""),
                "colors": sorted({v.color for v in p.variants if v.color}),
                "sizes": sorted({v.size for v in p.variants if v.size}),
            }
            for p in products
        ],
        "colors": list(catalog.COLORS),
        "synonyms": {word: list(targets) for word, targets in sorted(catalog.SYNONYMS.items())},
    }


def write_if_changed(data: dict[str, Any], path: Path) -> bool:
    """Write `data` to `path` unless the file already holds it; True when written."""
    text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True
