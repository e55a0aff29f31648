"""The built-in sandbox payment provider: a pay link whose page marks the order paid or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models
from app.crud import orders
from app.errors import InvalidTransition, LinkExpired, NotFound
from app.links import read_invoice_token, signed_by
from app.models import OrderStatus, PaymentStatus, utcnow


@dataclass(frozen=True)
class PaymentOutcome:
    """What the assistant is told: whose conversation, which order, what happened."""

    customer_id: str
    order_id: str
    status: str  # "paid" or "failed"
    total: str
    currency: str
    repeated: bool = False  # the same decline again: nothing changed, nobody needs telling


def by_token(session: Session, token: str, *, lock: bool = False) -> models.Payment:
    query = select(models.Payment).where(models.Payment.token == token)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    payment = session.scalar(query) if 16 <= len(token) <= 64 else None
    if payment is None:
        raise NotFound("This payment link is not valid.")
    return payment


def by_invoice_token(session: Session, token: str, secrets: list[str], now: datetime) -> models.Payment:
    """The payment an invoice link names, if one of `secrets` signed it for this payment; LinkExpired
    once its time is up (and only then: an unsigned token is a NotFound, whatever it claims)."""
    claim = read_invoice_token(token)
    order = (session.scalar(select(models.Order).where(models.Order.order_id == claim.order_id))
             if claim is not None else None)
    payment = order.payments[-1] if order is not None and order.payments else None
    if claim is None or payment is None or not signed_by(claim, secrets, payment.token):
        raise NotFound("This invoice link is not valid.")
    if claim.expires < now.timestamp():
        raise LinkExpired("This invoice link has expired: ask the chat for your invoice again for a new one.")
    return payment


def settle(session: Session, token: str, approve: bool) -> PaymentOutcome:
    """Pay or decline. A declined payment can be tried again; a paid one is final. Declining a
    declined payment again changes nothing (idempotent): no history entry, no second notice."""
    # Locks in the order every writer of an order takes them: the order, then its payments.
    # (Locking the payment first deadlocked with a cancel or change of the same order.)
    order_pk = by_token(session, token).order_pk
    order = session.scalars(select(models.Order).where(models.Order.id == order_pk)
                            .with_for_update(of=models.Order)
                            .execution_options(populate_existing=True)).one()
    payment = by_token(session, token, lock=True)
    if order.customer is None:  # erased: its orders were cancelled or are past paying
        raise InvalidTransition(f"Order {order.order_id} can't be paid.", status=order.status.value)
    if orders.was_expired(order):
        orders.raise_expired(order)
    if orders.is_overdue(order):
        # The sweep has not come yet: the time to pay ran out all the same.
        orders.expire(session, order)
        session.commit()
        orders.raise_expired(order)
    if payment.status == PaymentStatus.paid:
        raise InvalidTransition(f"Order {order.order_id} is already paid.", status="paid")
    if order.status != OrderStatus.pending_payment or payment.status == PaymentStatus.cancelled:
        raise InvalidTransition(f"Order {order.order_id} is {order.status.value} and can't be paid.",
                                status=order.status.value)
    if not approve and payment.status == PaymentStatus.failed:
        return PaymentOutcome(order.customer.customer_id, order.order_id, "failed", f"{order.total:.2f}",
                              order.currency, repeated=True)
    now = utcnow()
    payment.updated_at = now
    if approve:
        payment.status = PaymentStatus.paid
        order.paid_at = now
        order.status = OrderStatus.paid
        order.updated_at = now
        order.history.append(models.OrderStatusChange(status=OrderStatus.paid, at=now, note="sandbox payment"))
    else:
        payment.status = PaymentStatus.failed
        order.history.append(models.OrderStatusChange(status=order.status, at=now, note="payment declined"))
    outcome = PaymentOutcome(order.customer.customer_id, order.order_id,
                             "paid" if approve else "failed", f"{order.total:.2f}", order.currency)
    session.commit()
    return outcome
