"""Carts: one per customer, lines per variant. Stock is checked here and reserved only at checkout."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models, schemas
from app.core.db import insert_ignoring_duplicates
from app.crud import customers
from app.crud.catalog import get_product
from app.errors import NotFound, OutOfStock, ShopError, UnknownVariant, VariantRequired
from app.images import image_url
from app.models import utcnow
from app.search.index import compact

MAX_LINE_QUANTITY = 20


def _cart(session: Session, customer_id: str, *, create: bool, lock: bool = False) -> models.Cart | None:
    """The customer's cart; `lock` holds its row until commit, so that requests changing one cart
    (adds, changes, checkout) run one after another and each sees the lines the last one left."""
    customer = customers.get_or_create(session, customer_id) if create else customers.find(session, customer_id)
    if customer is None:
        return None
    if create:
        # Two first requests may both find no cart: the second one's insert is a no-op, not an error.
        session.execute(insert_ignoring_duplicates(session, models.Cart)
                        .values(customer_pk=customer.id, updated_at=utcnow())
                        .on_conflict_do_nothing(index_elements=["customer_pk"]))
    query = (select(models.Cart).where(models.Cart.customer_pk == customer.id)
             .execution_options(populate_existing=True))
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def resolve_variant(product: models.Product, size: str | None, color: str | None) -> models.Variant:
    """The one variant a shopper means, or an error saying which choice is missing or unknown."""
    variants = product.variants
    matching = [
        v for v in variants
        if (size is None or compact(v.size or "") == compact(size))
        and (color is None or compact(v.color or "") == compact(color))
    ]
    sizes = list(dict.fromkeys(v.size for v in variants if v.size))
    colors = list(dict.fromkeys(v.color for v in variants if v.color))
    if not matching:
        wanted = " ".join(x for x in (color, size and f"size {size}") if x)
        raise UnknownVariant(f"{product.name} does not come in {wanted}.", sku=product.sku,
                             sizes=sizes, colors=colors)
    if len(matching) == 1:
        return matching[0]
    missing = []
    if size is None and len({v.size for v in matching}) > 1:
        missing.append("size")
    if color is None and len({v.color for v in matching}) > 1:
        missing.append("color")
    options = {"size": sizes, "color": colors}
    raise VariantRequired(
        f"Please choose a {' and a '.join(missing)} for {product.name}: "
        + "; ".join(f"{m}s {', '.join(options[m])}" for m in missing),
        sku=product.sku, missing=missing, sizes=sizes, colors=colors,
    )


def view(session: Session, customer_id: str, base_url: str, currency: str) -> schemas.Cart:
    cart = _cart(session, customer_id, create=False)
    lines = cart.lines if cart else []
    items = []
    total = Decimal("0.00")
    for line in lines:
        product = line.variant.product
        line_total = product.price * line.quantity
        total += line_total
        items.append(schemas.CartLine(
            line_id=line.id, sku=product.sku, name=product.name, size=line.variant.size,
            color=line.variant.color, quantity=line.quantity, unit_price=product.price,
            line_total=line_total, in_stock=line.variant.stock >= line.quantity, available=product.active,
            image_url=image_url(base_url, product.sku),
        ))
    return schemas.Cart(customer_id=customer_id, items=items, total=total, currency=currency,
                        item_count=sum(i.quantity for i in items))


def add_item(session: Session, customer_id: str, item: schemas.CartItemCreate) -> None:
    product = get_product(session, item.sku)
    variant = resolve_variant(product, item.size, item.color)
    cart = _cart(session, customer_id, create=True, lock=True)
    assert cart is not None
    line = next((li for li in cart.lines if li.variant_id == variant.id), None)
    quantity = item.quantity + (line.quantity if line else 0)
    if quantity > MAX_LINE_QUANTITY:
        raise ShopError(f"At most {MAX_LINE_QUANTITY} of one item per order.", max=MAX_LINE_QUANTITY)
    if variant.stock < quantity:
        raise OutOfStock(
            f"{product.name} is sold out." if variant.stock == 0
            else f"Only {variant.stock} of {product.name} left.",
            sku=product.sku, available=variant.stock,
        )
    if line is None:
        cart.lines.append(models.CartLine(variant_id=variant.id, quantity=quantity))
    else:
        line.quantity = quantity
    cart.updated_at = utcnow()
    session.commit()


def _line(session: Session, customer_id: str, line_id: int) -> tuple[models.Cart, models.CartLine]:
    cart = _cart(session, customer_id, create=False, lock=True)
    line = next((li for li in cart.lines if li.id == line_id), None) if cart else None
    if cart is None or line is None:
        raise NotFound(f"Your cart has no line {line_id}.", line_id=line_id)
    return cart, line


def update_item(session: Session, customer_id: str, line_id: int, quantity: int) -> None:
    cart, line = _line(session, customer_id, line_id)
    if line.variant.stock < quantity:
        raise OutOfStock(f"Only {line.variant.stock} left.", available=line.variant.stock)
    line.quantity = quantity
    cart.updated_at = utcnow()
    session.commit()


def remove_item(session: Session, customer_id: str, line_id: int) -> None:
    cart, line = _line(session, customer_id, line_id)
    cart.lines.remove(line)
    cart.updated_at = utcnow()
    session.commit()


def clear(session: Session, customer_id: str) -> None:
    cart = _cart(session, customer_id, create=False)
    if cart is not None:
        cart.lines.clear()
        cart.updated_at = utcnow()
        session.commit()
