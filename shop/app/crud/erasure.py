"""Right to erasure: settle what each order's state demands, keep what accounting must keep, delete
the rest. All in one transaction: an erasure that cannot finish changes nothing."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models, schemas
from app.crud import customers
from app.crud.orders import EXPIRED_NOTE, cancel_locked
from app.errors import ErasureBlocked
from app.models import OrderStatus

NOTE = "customer data erased"
# Goods travelling to or from the shopper: their address is needed until they arrive.
IN_TRANSIT = {OrderStatus.shipped, OrderStatus.return_requested}
CANCELLABLE = {OrderStatus.pending_payment, OrderStatus.paid}
SHOPPER_NOTES = {OrderStatus.cancelled, OrderStatus.return_requested}


def erase(session: Session, customer_id: str) -> schemas.ErasureResult:
    customer = customers.find(session, customer_id)
    if customer is None:
        return schemas.ErasureResult(customer_id=customer_id, erased=False)
    orders = list(session.scalars(
        select(models.Order).where(models.Order.customer_pk == customer.id)
        .order_by(models.Order.id).with_for_update(of=models.Order)
        .execution_options(populate_existing=True)))
    travelling = [o.order_id for o in orders if o.status in IN_TRANSIT]
    if travelling:
        session.rollback()
        raise ErasureBlocked(
            f"Order {', '.join(travelling)} is on its way to or from you, and its address is needed until "
            "it arrives: ask again once it has been delivered or your return received.",
            order_ids=travelling)
    result = schemas.ErasureResult(customer_id=customer_id, erased=True)
    for order in orders:
        if order.status in CANCELLABLE:
            if order.status == OrderStatus.paid:
                result.refunded.append(order.order_id)
            cancel_locked(session, order, NOTE)
            result.cancelled.append(order.order_id)
        else:
            result.kept.append(order.order_id)
        _anonymise(session, order)
    session.flush()
    # Cart, consents, tickets and feedback go with the customer (ON DELETE CASCADE); orders stay
    # (ON DELETE SET NULL).
    session.delete(customer)
    session.commit()
    return result


def _anonymise(session: Session, order: models.Order) -> None:
    """What an invoice needs stays (id, dates, lines, amounts, payments, refunds, the country for
    VAT); whatever names or reaches the person goes."""
    address = order.shipping_address or {}
    order.shipping_address = {"erased": True, **({"country": address["country"]} if address.get("country") else {})}
    order.idempotency_key = f"erased:{order.order_id}"
    order.request_hash = ""
    for change in order.history:
        # A cancel or return reason is the shopper's own words; the shop's own notes stay.
        if change.status in SHOPPER_NOTES and change.note not in (NOTE, EXPIRED_NOTE):
            change.note = None
    for payment in order.payments:
        payment.token = secrets.token_urlsafe(24)  # the old pay and invoice links open nothing
    for request in session.scalars(select(models.ReturnRequest).where(models.ReturnRequest.order_pk == order.id)):
        request.reason = "(erased)"
    order.customer_pk = None
