"""Orders: checkout with atomic stock reservation and idempotency, then the status lifecycle.

pending_payment -> paid -> shipped -> delivered -> return_requested -> returned -> refunded
pending_payment | paid -> cancelled (stock released; a paid order is refunded)
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import models, schemas
from app.catalog_policy import DELIVERY_OPTIONS, shipping_cost
from app.core.config import Settings
from app.crud import customers
from app.crud.carts import _cart
from app.errors import (
    CartEmpty,
    DuplicateReturnLine,
    IdempotencyMismatch,
    InvalidPromotion,
    InvalidTransition,
    OutOfStock,
    PaymentExpired,
    ProductWithdrawn,
    ReturnWindowClosed,
    ShopError,
    UnknownOrder,
)
from app.links import invoice_token
from app.models import OrderStatus, PaymentStatus, RefundStatus, ReturnStatus, utcnow

CENT = Decimal("0.01")
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: ids get read out and typed
CANCELLABLE = {OrderStatus.pending_payment, OrderStatus.paid}
CHANGEABLE = {OrderStatus.pending_payment, OrderStatus.paid}
EXPIRED_NOTE = "not paid in time"  # the status note of an order the expiry cancelled


def new_public_id(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def payment_url(base_url: str, payment: models.Payment | None) -> str | None:
    return f"{base_url}/pay/{payment.token}" if payment is not None else None


def invoice_url(settings: Settings, order: models.Order, payment: models.Payment | None) -> str | None:
    """A fresh invoice link, valid for SHOP_INVOICE_LINK_DAYS; its token never opens the pay page."""
    if payment is None:
        return None
    expires = int(utcnow().timestamp()) + settings.shop_invoice_link_days * 86400
    token = invoice_token(settings.link_secrets()[0], order.order_id, payment.token, expires)
    return f"{settings.public_url}/invoices/{token}"


def _request_hash(order: schemas.OrderCreate) -> str:
    return hashlib.sha256(json.dumps(order.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def _address(value: schemas.Address | str) -> dict[str, str | None]:
    return {"text": value} if isinstance(value, str) else value.model_dump()


def _by_key(session: Session, customer_pk: int, key: str) -> models.Order | None:
    return session.scalar(select(models.Order).where(
        models.Order.customer_pk == customer_pk, models.Order.idempotency_key == key))


def _created(order: models.Order, base_url: str) -> schemas.OrderCreated:
    payment = order.payments[-1] if order.payments else None
    payable = order.status == OrderStatus.pending_payment and not is_overdue(order)
    return schemas.OrderCreated(
        order_id=order.order_id, status=order.status.value, total=order.total,
        currency=order.currency, payment_url=payment_url(base_url, payment) if payable else None,
        payment_due_at=order.payment_due_at if order.status == OrderStatus.pending_payment else None,
    )


def was_expired(order: models.Order) -> bool:
    """Cancelled by the expiry: its time to pay ran out."""
    return (order.status == OrderStatus.cancelled and bool(order.history)
            and order.history[-1].note == EXPIRED_NOTE)


def is_overdue(order: models.Order) -> bool:
    """Waiting for a payment that can no longer come: its time to pay ran out."""
    return (order.status == OrderStatus.pending_payment and order.payment_due_at is not None
            and order.payment_due_at <= utcnow())


def expire(session: Session, order: models.Order) -> None:
    """Cancels an order whose time to pay ran out and puts its stock back on sale.

    The caller holds the order's row lock and commits."""
    _release_stock(session, order)
    now = utcnow()
    for payment in order.payments:
        if payment.status in {PaymentStatus.pending, PaymentStatus.failed}:
            payment.status = PaymentStatus.cancelled
            payment.updated_at = now
    order.cancelled_at = now
    _set_status(order, OrderStatus.cancelled, EXPIRED_NOTE)


def overdue_orders(session: Session, limit: int) -> list[int]:
    """Ids of orders past their time to pay, oldest deadline first."""
    return list(session.scalars(
        select(models.Order.id).where(models.Order.status == OrderStatus.pending_payment,
                                      models.Order.payment_due_at <= utcnow())
        .order_by(models.Order.payment_due_at).limit(limit)))


def expire_if_overdue(session: Session, order_pk: int) -> bool:
    """Expires one order if it is still overdue once locked (a payment may have just come in)."""
    # skip_locked: an order someone is paying or cancelling right now is theirs; pay re-checks.
    order = session.scalar(select(models.Order).where(models.Order.id == order_pk)
                           .with_for_update(of=models.Order, skip_locked=True)
                           .execution_options(populate_existing=True))
    if order is None or not is_overdue(order):
        session.rollback()
        return False
    expire(session, order)
    session.commit()
    return True


def raise_expired(order: models.Order) -> None:
    due = order.payment_due_at
    when = f" at {due:%Y-%m-%d %H:%M} UTC" if due else ""
    raise PaymentExpired(f"The time to pay for order {order.order_id} ran out{when}: the order is cancelled "
                         "and its items went back on sale.", order_id=order.order_id,
                         payment_due_at=due.isoformat() if due else None)


def _set_status(order: models.Order, status: OrderStatus, note: str | None = None) -> None:
    now = utcnow()
    order.status = status
    order.updated_at = now
    order.history.append(models.OrderStatusChange(status=status, note=note, at=now))


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`amount` split in proportion to `weights`, in whole cents that add up to exactly `amount`.

    Each share is rounded down, and the cents left over go to the largest remainders.
    """
    total = sum(weights, Decimal("0"))
    if not amount or total <= 0:
        return [Decimal("0.00")] * len(weights)
    exact = [amount * w / total for w in weights]
    shares = [e.quantize(CENT, ROUND_DOWN) for e in exact]
    leftover = int((amount - sum(shares, Decimal("0"))) / CENT)
    for i in sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])[:leftover]:
        shares[i] += CENT
    return shares


def _uses(session: Session, promo: models.Promotion, customer_pk: int | None = None) -> int:
    """Orders that used the promotion (all, or one customer's); cancelled ones gave their use back."""
    query = select(func.count(models.Order.id)).where(
        models.Order.promo_code == promo.code.upper(), models.Order.status != OrderStatus.cancelled)
    if customer_pk is not None:
        query = query.where(models.Order.customer_pk == customer_pk)
    return session.scalar(query) or 0


def _discount(session: Session, code: str | None, lines: list[models.CartLine],
              subtotal: Decimal, customer_pk: int) -> list[Decimal]:
    """The promotion's discount on each cart line (zero on lines it does not cover)."""
    if not code:
        return [Decimal("0.00")] * len(lines)
    now = utcnow()
    # Locked, so that shoppers racing for a promotion's last uses are counted one after another.
    promo = session.scalar(select(models.Promotion).where(
        func.upper(models.Promotion.code) == code.upper()).with_for_update(of=models.Promotion))
    if promo is None or not (promo.starts_at <= now <= promo.ends_at):
        raise InvalidPromotion(f"The code {code!r} is not valid or has expired.", promo_code=code)
    if promo.uses_per_customer is not None and _uses(session, promo, customer_pk) >= promo.uses_per_customer:
        times = "once" if promo.uses_per_customer == 1 else f"{promo.uses_per_customer} times"
        raise InvalidPromotion(f"You have already used the code {promo.code}: it can be used {times} "
                               "per customer.", promo_code=code, reason="used_by_customer")
    if promo.uses_total is not None and _uses(session, promo) >= promo.uses_total:
        raise InvalidPromotion(f"The code {promo.code} has been used up.", promo_code=code,
                               reason="used_up")
    if promo.min_order is not None and subtotal < promo.min_order:
        raise InvalidPromotion(f"The code {promo.code} needs an order of at least {promo.min_order}.",
                               promo_code=code)
    covered = [li.variant.product.price * li.quantity
               if promo.department_id in (None, li.variant.product.department_id) else Decimal("0.00")
               for li in lines]
    eligible = sum(covered, Decimal("0.00"))
    if eligible == 0:
        raise InvalidPromotion(f"The code {promo.code} does not apply to anything in your cart.",
                               promo_code=code)
    if promo.percent_off:
        amount = (eligible * promo.percent_off / 100).quantize(CENT)
    else:
        amount = min(promo.amount_off or Decimal("0.00"), eligible)
    return allocate(amount, covered)


def create(session: Session, order_in: schemas.OrderCreate, key: str, base_url: str,
           free_shipping_over: Decimal, pay_within: timedelta) -> tuple[schemas.OrderCreated, bool]:
    """Places an order from the customer's cart; the same key returns the same order (created=False)."""
    request_hash = _request_hash(order_in)
    customer = customers.get_or_create(session, order_in.customer_id)
    # Lock the cart first: concurrent checkouts of one customer then run one after the other, and
    # the second one sees the first's order under its key, or an empty cart.
    cart = _cart(session, order_in.customer_id, create=True, lock=True)
    assert cart is not None
    existing = _by_key(session, customer.id, key)
    if existing is not None:
        if existing.request_hash != request_hash:
            raise IdempotencyMismatch("This Idempotency-Key was already used for a different order.")
        return _created(existing, base_url), False
    lines = list(cart.lines)
    if not lines:
        raise CartEmpty("The cart is empty: add something before checking out.")
    withdrawn = [li.variant.product for li in lines if not li.variant.product.active]
    if withdrawn:
        names = " and ".join(p.name for p in withdrawn)
        is_, it = ("is", "it") if len(withdrawn) == 1 else ("are", "them")
        raise ProductWithdrawn(f"Sorry, {names} {is_} no longer sold: remove {it} from the cart to order "
                               "the rest.", skus=[p.sku for p in withdrawn])

    subtotal = sum((li.variant.product.price * li.quantity for li in lines), Decimal("0.00"))
    line_discounts = _discount(session, order_in.promo_code, lines, subtotal, customer.id)
    discount = sum(line_discounts, Decimal("0.00"))
    shipping = shipping_cost(order_in.delivery_option, subtotal - discount, free_shipping_over)
    total = subtotal - discount + shipping
    now = utcnow()
    for line in sorted(lines, key=lambda li: li.variant_id):  # one lock order: no deadlocks
        reserved = cast(CursorResult[Any], session.execute(
            update(models.Variant)
            .where(models.Variant.id == line.variant_id, models.Variant.stock >= line.quantity)
            .values(stock=models.Variant.stock - line.quantity, updated_at=now)
            .execution_options(synchronize_session=False)
        )).rowcount
        if reserved != 1:
            product = line.variant.product
            session.rollback()
            raise OutOfStock(f"Sorry, {product.name} sold out before your order went through.",
                             sku=product.sku)
    order = models.Order(
        order_id=new_public_id("BT"), customer_pk=customer.id, currency=lines[0].variant.product.currency,
        subtotal=subtotal, discount=discount, shipping_cost=shipping, total=total,
        promo_code=order_in.promo_code.upper() if order_in.promo_code else None,
        shipping_address=_address(order_in.shipping_address), delivery_option=order_in.delivery_option,
        payment_method=order_in.payment_method, idempotency_key=key, request_hash=request_hash,
        created_at=now, updated_at=now, payment_due_at=now + pay_within,
        lines=[models.OrderLine(
            variant_id=li.variant_id, sku=li.variant.product.sku, name=li.variant.product.name,
            size=li.variant.size, color=li.variant.color, unit_price=li.variant.product.price,
            quantity=li.quantity, line_total=li.variant.product.price * li.quantity, discount=line_discount,
        ) for li, line_discount in zip(lines, line_discounts, strict=True)],
        payments=[models.Payment(token=secrets.token_urlsafe(24), status=PaymentStatus.pending,
                                 amount=total, currency=lines[0].variant.product.currency)],
    )
    _set_status(order, OrderStatus.pending_payment)
    session.add(order)
    cart.lines.clear()
    try:
        session.commit()
    except IntegrityError:
        # The same key committed by a concurrent request between our check and our insert.
        session.rollback()
        existing = _by_key(session, customer.id, key)
        if existing is None:
            raise
        return _created(existing, base_url), False
    return _created(order, base_url), True


def _owned(session: Session, order_id: str, customer_id: str, *, lock: bool = False) -> models.Order:
    query = (select(models.Order).join(models.Customer)
             .where(models.Order.order_id == order_id.upper(), models.Customer.customer_id == customer_id))
    if lock:
        query = query.with_for_update(of=models.Order)
    order = session.scalar(query)
    if order is None:
        raise UnknownOrder(f"No order {order_id} was found for you.", order_id=order_id)
    return order


def _estimated_delivery(order: models.Order) -> str | None:
    option = DELIVERY_OPTIONS.get(order.delivery_option)
    if option is None or order.status in {OrderStatus.cancelled, OrderStatus.delivered,
                                          OrderStatus.return_requested, OrderStatus.returned,
                                          OrderStatus.refunded}:
        return None
    start = order.shipped_at or order.paid_at or order.created_at
    return (start + timedelta(days=option.days_max)).date().isoformat()


def return_deadline(order: models.Order, window_days: int) -> datetime | None:
    return order.delivered_at + timedelta(days=window_days) if order.delivered_at else None


def public(order: models.Order, settings: Settings) -> schemas.OrderPublic:
    base_url, window_days = settings.public_url, settings.shop_return_window_days
    payment = order.payments[-1] if order.payments else None
    deadline = return_deadline(order, window_days)
    return schemas.OrderPublic(
        order_id=order.order_id, customer_id=order.customer.customer_id if order.customer else None,
        status=order.status.value,
        created_at=order.created_at,
        lines=[schemas.OrderLinePublic(
            line_id=li.id, sku=li.sku, name=li.name, size=li.size, color=li.color, quantity=li.quantity,
            unit_price=li.unit_price, line_total=li.line_total, discount=li.discount) for li in order.lines],
        subtotal=order.subtotal, discount=order.discount,
        shipping_cost=order.shipping_cost, total=order.total, currency=order.currency,
        promo_code=order.promo_code, shipping_address=order.shipping_address,
        delivery_option=order.delivery_option, payment_method=order.payment_method,
        payment_status=payment.status.value if payment else None,
        payment_url=(payment_url(base_url, payment)
                     if order.status == OrderStatus.pending_payment and not is_overdue(order) else None),
        payment_due_at=order.payment_due_at if order.status == OrderStatus.pending_payment else None,
        invoice_url=invoice_url(settings, order, payment),
        tracking_number=order.tracking_number, estimated_delivery=_estimated_delivery(order),
        can_cancel=order.status in CANCELLABLE,
        can_return=order.status == OrderStatus.delivered and deadline is not None and utcnow() <= deadline,
        return_deadline=deadline,
        history=[schemas.StatusChange(status=h.status.value, at=h.at, note=h.note) for h in order.history],
    )


def get(session: Session, order_id: str, customer_id: str) -> models.Order:
    return _owned(session, order_id, customer_id)


def list_for(session: Session, customer_id: str, limit: int, offset: int) -> schemas.Orders:
    customer = customers.find(session, customer_id)
    if customer is None:
        return schemas.Orders(items=[], total=0)
    where = models.Order.customer_pk == customer.id
    total = session.scalar(select(func.count(models.Order.id)).where(where)) or 0
    orders = session.scalars(select(models.Order).where(where)
                             .order_by(models.Order.created_at.desc(), models.Order.id.desc())
                             .limit(limit).offset(offset))
    return schemas.Orders(total=total, items=[schemas.OrderSummary(
        order_id=o.order_id, status=o.status.value, created_at=o.created_at, total=o.total,
        currency=o.currency, item_count=sum(li.quantity for li in o.lines),
        tracking_number=o.tracking_number) for o in orders])


def _release_stock(session: Session, order: models.Order) -> None:
    now = utcnow()
    for line in sorted(order.lines, key=lambda li: li.variant_id):
        session.execute(update(models.Variant).where(models.Variant.id == line.variant_id)
                        .values(stock=models.Variant.stock + line.quantity, updated_at=now)
                        .execution_options(synchronize_session=False))


def _refund(order: models.Order, amount: Decimal, reason: str,
            return_request: models.ReturnRequest | None = None) -> models.Refund:
    return models.Refund(refund_id=new_public_id("RF"), order_pk=order.id, amount=amount,
                         currency=order.currency, status=RefundStatus.pending, reason=reason,
                         return_pk=return_request.id if return_request else None)


def cancel(session: Session, order_id: str, customer_id: str, reason: str | None) -> models.Order:
    order = _owned(session, order_id, customer_id, lock=True)
    if order.status not in CANCELLABLE:
        raise InvalidTransition(
            f"Order {order.order_id} is {order.status.value.replace('_', ' ')} and can no longer be "
            "cancelled." + (" You can return it instead." if order.status == OrderStatus.delivered else ""),
            status=order.status.value)
    cancel_locked(session, order, reason)
    session.commit()
    return order


def cancel_locked(session: Session, order: models.Order, note: str | None) -> None:
    """Cancels a pending or paid order: stock released, payments cancelled, a paid one refunded.

    The caller holds the order's row lock and commits."""
    was_paid = order.status == OrderStatus.paid
    _release_stock(session, order)
    for payment in order.payments:
        if payment.status in {PaymentStatus.pending, PaymentStatus.failed}:
            payment.status = PaymentStatus.cancelled
            payment.updated_at = utcnow()
    if was_paid:
        # The sandbox provider refunds a cancelled payment at once; a real one reports back later.
        refund = _refund(order, order.total, "order cancelled")
        refund.status, refund.completed_at = RefundStatus.completed, utcnow()
        session.add(refund)
    order.cancelled_at = utcnow()
    _set_status(order, OrderStatus.cancelled, note)


def change(session: Session, order_id: str, change_in: schemas.OrderChange,
           free_shipping_over: Decimal) -> models.Order:
    order = _owned(session, order_id, change_in.customer_id, lock=True)
    if is_overdue(order):
        expire(session, order)
        session.commit()
        raise_expired(order)
    if order.status not in CHANGEABLE:
        raise InvalidTransition(f"Order {order.order_id} has already shipped and can't be changed.",
                                status=order.status.value)
    if change_in.shipping_address is None and change_in.delivery_option is None:
        raise ShopError("Nothing to change: give a shipping_address or a delivery_option.")
    if change_in.shipping_address is not None:
        order.shipping_address = _address(change_in.shipping_address)
    if change_in.delivery_option is not None and change_in.delivery_option != order.delivery_option:
        if order.status != OrderStatus.pending_payment:
            raise InvalidTransition("The delivery option can only change before payment.",
                                    status=order.status.value)
        order.delivery_option = change_in.delivery_option
        order.shipping_cost = shipping_cost(change_in.delivery_option, order.subtotal - order.discount,
                                            free_shipping_over)
        order.total = order.subtotal - order.discount + order.shipping_cost
        for payment in order.payments:
            if payment.status in {PaymentStatus.pending, PaymentStatus.failed}:
                payment.amount = order.total
    order.updated_at = utcnow()
    order.history.append(models.OrderStatusChange(status=order.status, note="order changed", at=utcnow()))
    session.commit()
    return order


def request_return(session: Session, order_id: str, return_in: schemas.ReturnCreate,
                   window_days: int) -> models.ReturnRequest:
    order = _owned(session, order_id, return_in.customer_id, lock=True)
    if order.status != OrderStatus.delivered:
        raise InvalidTransition(
            f"Order {order.order_id} is {order.status.value.replace('_', ' ')}: only delivered orders "
            "can be returned.", status=order.status.value)
    deadline = return_deadline(order, window_days)
    if deadline is None or utcnow() > deadline:
        raise ReturnWindowClosed(
            f"Returns are accepted within {window_days} days of delivery; the window for "
            f"{order.order_id} closed on {deadline.date().isoformat() if deadline else 'delivery'}.",
            deadline=deadline.isoformat() if deadline else None, window_days=window_days)
    by_id = {li.id: li for li in order.lines}
    wanted = return_in.lines or [schemas.ReturnLineCreate(line_id=li.id, quantity=li.quantity)
                                 for li in order.lines]
    returned_before = _returned_quantities(session, order)
    seen: set[int] = set()
    lines, amount = [], Decimal("0.00")
    for item in wanted:
        line = by_id.get(item.line_id)
        if line is None:
            raise ShopError(f"Order {order.order_id} has no line {item.line_id}.", line_id=item.line_id)
        if item.line_id in seen:
            raise DuplicateReturnLine(f"Line {item.line_id} is listed more than once: give each line once, "
                                      "with the quantity to return.", line_id=item.line_id)
        seen.add(item.line_id)
        before = returned_before.get(line.id, 0)
        if before + item.quantity > line.quantity:
            left = line.quantity - before
            raise ShopError(f"Only {line.quantity} of {line.name} were ordered"
                            + (f" and {left} can still be returned." if before else "."),
                            line_id=line.id, returnable=left)
        lines.append({"line_id": line.id, "sku": line.sku, "name": line.name, "quantity": item.quantity})
        amount += _paid_for(line, before + item.quantity) - _paid_for(line, before)
    # Whatever the lines say, an order never refunds more than it cost.
    refunded = sum((r.amount for r in session.scalars(select(models.Refund).where(
        models.Refund.order_pk == order.id))), Decimal("0.00"))
    amount = min(amount, order.total - refunded)
    request = models.ReturnRequest(return_id=new_public_id("RT"), order_pk=order.id,
                                   reason=return_in.reason, status=ReturnStatus.requested,
                                   lines=lines, amount=amount)
    session.add(request)
    _set_status(order, OrderStatus.return_requested, return_in.reason[:200])
    session.commit()
    return request


def _paid_for(line: models.OrderLine, units: int) -> Decimal:
    """What the first `units` units of a line cost after its share of the discount; all of them
    cost exactly what the line cost, so returns in parts add up to what was paid."""
    if units >= line.quantity:
        return line.paid
    return (line.paid * units / line.quantity).quantize(CENT, ROUND_HALF_UP)


def _returned_quantities(session: Session, order: models.Order) -> dict[int, int]:
    """Units of each line already in a return of this order."""
    returned: dict[int, int] = {}
    for request in session.scalars(select(models.ReturnRequest).where(models.ReturnRequest.order_pk == order.id)):
        for item in request.lines:
            returned[item["line_id"]] = returned.get(item["line_id"], 0) + int(item["quantity"])
    return returned


def refunds_for(session: Session, customer_id: str) -> list[models.Refund]:
    customer = customers.find(session, customer_id)
    if customer is None:
        return []
    return list(session.scalars(
        select(models.Refund).join(models.Order).where(models.Order.customer_pk == customer.id)
        .order_by(models.Refund.created_at.desc(), models.Refund.id.desc())))


_OPERATOR_TRANSITIONS = {
    OrderStatus.shipped: {OrderStatus.paid},
    OrderStatus.delivered: {OrderStatus.shipped},
    OrderStatus.returned: {OrderStatus.return_requested},
    OrderStatus.refunded: {OrderStatus.returned},
}


def operator_update(session: Session, order_id: str, update_in: schemas.StatusUpdate) -> models.Order:
    """Warehouse, carrier and returns desk moves; the shopper's own moves have their own functions."""
    order = session.scalar(select(models.Order).where(models.Order.order_id == order_id.upper())
                           .with_for_update(of=models.Order))
    if order is None:
        raise UnknownOrder(f"No order {order_id}.", order_id=order_id)
    target = OrderStatus(update_in.status)
    if order.status not in _OPERATOR_TRANSITIONS[target]:
        raise InvalidTransition(f"Order {order.order_id} is {order.status.value}; it can't become "
                                f"{target.value}.", status=order.status.value)
    now = utcnow()
    if target == OrderStatus.shipped:
        order.tracking_number = update_in.tracking_number or f"BTX{secrets.randbelow(10**10):010d}"
        order.shipped_at = now
    elif target == OrderStatus.delivered:
        order.delivered_at = now
    elif target == OrderStatus.returned:
        request = session.scalar(select(models.ReturnRequest).where(
            models.ReturnRequest.order_pk == order.id, models.ReturnRequest.status == ReturnStatus.requested))
        if request is not None:
            request.status = ReturnStatus.received
            request.updated_at = now
            _release_returned(session, order, request)
            session.add(_refund(order, request.amount, "items returned", request))
    elif target == OrderStatus.refunded:
        for refund in session.scalars(select(models.Refund).where(
                models.Refund.order_pk == order.id, models.Refund.status == RefundStatus.pending)):
            refund.status = RefundStatus.completed
            refund.completed_at = now
        for request in session.scalars(select(models.ReturnRequest).where(
                models.ReturnRequest.order_pk == order.id)):
            request.status = ReturnStatus.refunded
    _set_status(order, target)
    session.commit()
    return order


def _release_returned(session: Session, order: models.Order, request: models.ReturnRequest) -> None:
    by_id = {li.id: li for li in order.lines}
    now = utcnow()
    for item in request.lines:
        line = by_id[item["line_id"]]
        session.execute(update(models.Variant).where(models.Variant.id == line.variant_id)
                        .values(stock=models.Variant.stock + item["quantity"], updated_at=now)
                        .execution_options(synchronize_session=False))
