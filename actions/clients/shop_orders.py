"""Typed results of the shop's checkout, order, return and refund routes.

Kept apart from `shop.py` (which holds the client and the catalogue/cart shapes) so each
module stays readable; `shop.py` re-exports nothing from here, callers import what they use.
Dates stay ISO strings: the actions only show them, they never compute with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def _money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _address_text(value: Any) -> str:
    """The address on one line, whether the shop kept it as text or structured."""
    if not isinstance(value, Mapping):
        return "" if value is None else str(value)
    if value.get("text"):
        return str(value["text"])
    parts = ("name", "line1", "line2", "postcode", "city", "country")
    return ", ".join(str(value[p]) for p in parts if value.get(p))


@dataclass(frozen=True)
class DeliveryOption:
    code: str
    name: str
    price: Decimal
    free_over: Decimal | None
    days_min: int
    days_max: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeliveryOption:
        free_over = data.get("free_over")
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            price=_money(data["price"]),
            free_over=None if free_over is None else _money(free_over),
            days_min=int(data["days_min"]),
            days_max=int(data["days_max"]),
        )


@dataclass(frozen=True)
class DeliveryOptions:
    items: list[DeliveryOption]
    currency: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeliveryOptions:
        return cls(
            items=[DeliveryOption.from_json(item) for item in data["items"]],
            currency=str(data.get("currency") or ""),
        )


@dataclass(frozen=True)
class PaymentMethod:
    code: str
    name: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PaymentMethod:
        return cls(code=str(data["code"]), name=str(data["name"]))


@dataclass(frozen=True)
class OrderCreated:
    """The answer to checkout; `replayed` is True when the key had already made this order."""

    order_id: str
    status: str
    total: Decimal
    currency: str
    payment_url: str | None
    replayed: bool = False
    # ISO time after which an unpaid order is cancelled (None once it is paid or cancelled).
    payment_due_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any], replayed: bool = False) -> OrderCreated:
        return cls(
            order_id=str(data["order_id"]),
            status=str(data["status"]),
            total=_money(data["total"]),
            currency=str(data.get("currency") or ""),
            payment_url=_text(data.get("payment_url")),
            replayed=replayed,
            payment_due_at=_text(data.get("payment_due_at")),
        )


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku: str
    name: str
    size: str | None
    color: str | None
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrderLine:
        return cls(
            line_id=str(data["line_id"]),
            sku=str(data["sku"]),
            name=str(data["name"]),
            size=_text(data.get("size")),
            color=_text(data.get("color")),
            quantity=int(data["quantity"]),
            unit_price=_money(data["unit_price"]),
            line_total=_money(data["line_total"]),
        )


@dataclass(frozen=True)
class Order:
    """One order as its owner sees it (GET /orders/{id}?customer_id=)."""

    order_id: str
    status: str
    created_at: str
    lines: list[OrderLine]
    subtotal: Decimal
    discount: Decimal
    shipping_cost: Decimal
    total: Decimal
    currency: str
    shipping_address: str
    delivery_option: str
    payment_method: str
    payment_status: str | None
    payment_url: str | None
    invoice_url: str | None
    tracking_number: str | None
    estimated_delivery: str | None
    can_cancel: bool
    can_return: bool
    return_deadline: str | None
    payment_due_at: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Order:
        return cls(
            order_id=str(data["order_id"]),
            status=str(data["status"]),
            created_at=str(data.get("created_at") or ""),
            lines=[OrderLine.from_json(line) for line in data["lines"]],
            subtotal=_money(data["subtotal"]),
            discount=_money(data.get("discount") or 0),
            shipping_cost=_money(data.get("shipping_cost") or 0),
            total=_money(data["total"]),
            currency=str(data.get("currency") or ""),
            shipping_address=_address_text(data.get("shipping_address")),
            delivery_option=str(data.get("delivery_option") or ""),
            payment_method=str(data.get("payment_method") or ""),
            payment_status=_text(data.get("payment_status")),
            payment_url=_text(data.get("payment_url")),
            # Older shops don't send it yet: the actions then say the invoice isn't available.
            invoice_url=_text(data.get("invoice_url")),
            tracking_number=_text(data.get("tracking_number")),
            estimated_delivery=_text(data.get("estimated_delivery")),
            can_cancel=bool(data.get("can_cancel", False)),
            can_return=bool(data.get("can_return", False)),
            return_deadline=_text(data.get("return_deadline")),
            payment_due_at=_text(data.get("payment_due_at")),
        )


@dataclass(frozen=True)
class OrderSummary:
    """One order in the customer's list (newest first)."""

    order_id: str
    status: str
    created_at: str
    total: Decimal
    currency: str
    item_count: int
    tracking_number: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OrderSummary:
        return cls(
            order_id=str(data["order_id"]),
            status=str(data["status"]),
            created_at=str(data.get("created_at") or ""),
            total=_money(data["total"]),
            currency=str(data.get("currency") or ""),
            item_count=int(data.get("item_count") or 0),
            tracking_number=_text(data.get("tracking_number")),
        )


@dataclass(frozen=True)
class ReturnCreated:
    return_id: str
    order_id: str
    status: str
    amount: Decimal
    currency: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReturnCreated:
        return cls(
            return_id=str(data["return_id"]),
            order_id=str(data["order_id"]),
            status=str(data["status"]),
            amount=_money(data["amount"]),
            currency=str(data.get("currency") or ""),
        )


@dataclass(frozen=True)
class Refund:
    refund_id: str
    order_id: str
    return_id: str | None
    amount: Decimal
    currency: str
    status: str
    reason: str
    created_at: str
    completed_at: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Refund:
        return cls(
            refund_id=str(data["refund_id"]),
            order_id=str(data["order_id"]),
            return_id=_text(data.get("return_id")),
            amount=_money(data["amount"]),
            currency=str(data.get("currency") or ""),
            status=str(data["status"]),
            reason=str(data.get("reason") or ""),
            created_at=str(data.get("created_at") or ""),
            completed_at=_text(data.get("completed_at")),
        )
