"""Reading the catalogue: departments and product details (search lives in app.search)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import models, schemas
from app.errors import UnknownProduct
from app.images import image_url
from app.models import utcnow


def departments(session: Session) -> schemas.Departments:
    rows = session.execute(
        select(models.Department.slug, models.Department.name, func.count(models.Product.id))
        .join(models.Product, (models.Product.department_id == models.Department.id)
              & models.Product.active, isouter=True)
        .group_by(models.Department.id)
        .order_by(models.Department.name)
    )
    return schemas.Departments(
        items=[schemas.Department(slug=s, name=n, product_count=c) for s, n, c in rows]
    )


def get_product(session: Session, sku: str) -> models.Product:
    product = session.scalar(
        select(models.Product).where(models.Product.sku == sku.upper(), models.Product.active)
    )
    if product is None:
        raise UnknownProduct(f"There is no product with SKU {sku!r}.", sku=sku)
    return product


def withdraw(session: Session, sku: str) -> None:
    """Stops selling a product: search, details and checkout no longer offer it (carts keep the line)."""
    product = get_product(session, sku)
    product.active = False
    product.updated_at = utcnow()
    session.commit()


def product_detail(session: Session, sku: str, base_url: str) -> schemas.ProductDetail:
    product = get_product(session, sku)
    variants = product.variants
    return schemas.ProductDetail(
        sku=product.sku,
        name=product.name,
        department=product.department.slug,
        brand=product.brand.name,
        category=product.category,
        description=product.description,
        price=product.price,
        currency=product.currency,
        colors=list(dict.fromkeys(v.color for v in variants if v.color)),
        sizes=list(dict.fromkeys(v.size for v in variants if v.size)),
        in_stock=any(v.stock > 0 for v in variants),
        image_url=image_url(base_url, product.sku),
        variants=[schemas.VariantPublic(size=v.size, color=v.color, stock=v.stock) for v in variants],
    )
