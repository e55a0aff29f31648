"""Checkout and the shopper's orders, returns and refunds."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.exceptions import RequestValidationError

from app import catalog_policy, schemas
from app.api.deps import CustomerPath, CustomerQuery, OrderIdPath, ReadDB, SettingsDep, WriteDB
from app.api.openapi import DOMAIN_422, errors
from app.catalog_policy import PAYMENT_METHODS
from app.crud import orders

router = APIRouter(tags=["orders"])

IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$",
    description="One key per checkout attempt; the same key again returns the same order.")]


@router.post("/orders", response_model=schemas.OrderCreated, status_code=status.HTTP_201_CREATED,
             responses={**errors(409), **DOMAIN_422})
def create_order(order_in: schemas.OrderCreate, key: IdempotencyKey, response: Response, db: WriteDB,
                 settings: SettingsDep) -> schemas.OrderCreated:
    created, is_new = orders.create(db, order_in, key, settings.public_url, settings.shop_free_shipping_over,
                                    timedelta(minutes=settings.shop_unpaid_order_minutes))
    if not is_new:
        response.headers["Idempotent-Replayed"] = "true"
    return created


@router.get("/customers/{customer_id}/orders", response_model=schemas.Orders)
def list_orders(customer_id: CustomerPath, db: ReadDB,
                limit: Annotated[int, Query(ge=1, le=50)] = 10,
                offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> schemas.Orders:
    return orders.list_for(db, customer_id, limit, offset)


@router.get("/orders/{order_id}", response_model=schemas.OrderPublic, responses=errors(404))
def get_order(order_id: OrderIdPath, customer_id: CustomerQuery, db: ReadDB,
              settings: SettingsDep) -> schemas.OrderPublic:
    order = orders.get(db, order_id, customer_id)
    return orders.public(order, settings)


@router.post("/orders/{order_id}/cancel", response_model=schemas.OrderPublic, responses=errors(404, 409))
def cancel_order(order_id: OrderIdPath, db: WriteDB, settings: SettingsDep,
                 body: schemas.OrderCancel | None = None,
                 customer_id: Annotated[schemas.CustomerId | None, Query()] = None) -> schemas.OrderPublic:
    owner = body.customer_id if body else customer_id
    if owner is None:
        raise RequestValidationError([{"type": "missing", "loc": ("query", "customer_id"),
                                       "msg": "customer_id is required (in the body or the query)."}])
    order = orders.cancel(db, order_id, owner, body.reason if body else None)
    return orders.public(order, settings)


@router.patch("/orders/{order_id}", response_model=schemas.OrderPublic, responses=errors(400, 404, 409))
def change_order(order_id: OrderIdPath, change: schemas.OrderChange, db: WriteDB,
                 settings: SettingsDep) -> schemas.OrderPublic:
    order = orders.change(db, order_id, change, settings.shop_free_shipping_over)
    return orders.public(order, settings)


@router.post("/orders/{order_id}/returns", response_model=schemas.ReturnPublic,
             status_code=status.HTTP_201_CREATED, responses={**errors(400, 404, 409), **DOMAIN_422})
def request_return(order_id: OrderIdPath, return_in: schemas.ReturnCreate, db: WriteDB,
                   settings: SettingsDep) -> schemas.ReturnPublic:
    request = orders.request_return(db, order_id, return_in, settings.shop_return_window_days)
    return schemas.ReturnPublic(
        return_id=request.return_id, order_id=request.order.order_id, status=request.status.value,
        reason=request.reason, amount=request.amount, currency=request.order.currency,
        lines=request.lines, created_at=request.created_at)


@router.get("/customers/{customer_id}/refunds", response_model=schemas.Refunds)
def list_refunds(customer_id: CustomerPath, db: ReadDB) -> schemas.Refunds:
    return schemas.Refunds(items=[schemas.RefundPublic(
        refund_id=r.refund_id, order_id=r.order.order_id,
        return_id=r.return_request.return_id if r.return_request else None, amount=r.amount,
        currency=r.currency, status=r.status.value, reason=r.reason, created_at=r.created_at,
        completed_at=r.completed_at) for r in orders.refunds_for(db, customer_id)])


@router.get("/delivery-options", response_model=schemas.DeliveryOptions)
def delivery_options(settings: SettingsDep) -> schemas.DeliveryOptions:
    offered = catalog_policy.delivery_options(settings.shop_free_shipping_over)
    return schemas.DeliveryOptions(currency=settings.shop_currency, items=[schemas.DeliveryOption(
        code=d.code, name=d.name, price=d.price, free_over=d.free_over, days_min=d.days_min,
        days_max=d.days_max) for d in offered])


@router.get("/payment-methods", response_model=schemas.PaymentMethods)
def payment_methods() -> schemas.PaymentMethods:
    return schemas.PaymentMethods(items=[schemas.PaymentMethod(code=c, name=n)
                                         for c, n in PAYMENT_METHODS.items()])
