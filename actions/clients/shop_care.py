"""Typed results of the shop's care routes: stores, promotions, consents, tickets, erasure.

Kept apart from `shop.py` like `shop_orders.py`, so each module stays readable. Dates stay
ISO strings: the actions only show them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Store:
    code: str
    name: str
    address: str
    city: str
    postcode: str
    country: str
    phone: str
    # Weekday ("mon" … "sun") → "09:00-20:00" or "closed".
    opening_hours: dict[str, str]
    distance_km: Decimal | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Store:
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            address=str(data.get("address") or ""),
            city=str(data.get("city") or ""),
            postcode=str(data.get("postcode") or ""),
            country=str(data.get("country") or ""),
            phone=str(data.get("phone") or ""),
            opening_hours={str(day): str(hours) for day, hours in (data.get("opening_hours") or {}).items()},
            distance_km=_money(data.get("distance_km")),
        )


@dataclass(frozen=True)
class Promotion:
    code: str
    title: str
    description: str
    department: str | None
    percent_off: int | None
    amount_off: Decimal | None
    min_order: Decimal | None
    ends_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Promotion:
        percent = data.get("percent_off")
        department = data.get("department")
        return cls(
            code=str(data["code"]),
            title=str(data["title"]),
            description=str(data.get("description") or ""),
            department=None if department is None else str(department),
            percent_off=None if percent is None else int(percent),
            amount_off=_money(data.get("amount_off")),
            min_order=_money(data.get("min_order")),
            ends_at=str(data.get("ends_at") or ""),
        )


@dataclass(frozen=True)
class Consent:
    """The consent in force for one channel and topic (the shop keeps the history)."""

    channel: str
    topic: str
    granted: bool
    at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Consent:
        return cls(
            channel=str(data["channel"]),
            topic=str(data["topic"]),
            granted=bool(data["granted"]),
            at=str(data.get("at") or ""),
        )


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    kind: str
    status: str
    subject: str
    order_id: str | None
    created_at: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ticket:
        order_id = data.get("order_id")
        return cls(
            ticket_id=str(data["ticket_id"]),
            kind=str(data["kind"]),
            status=str(data["status"]),
            subject=str(data.get("subject") or ""),
            order_id=None if order_id is None else str(order_id),
            created_at=str(data.get("created_at") or ""),
        )
