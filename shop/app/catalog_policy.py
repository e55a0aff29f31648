"""Shop policies that are configuration, not data: delivery options and payment methods."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Delivery:
    code: str
    name: str
    price: Decimal
    free_over: Decimal | None  # None: never free
    days_min: int
    days_max: int


DELIVERY_OPTIONS: dict[str, Delivery] = {
    d.code: d
    for d in (
        Delivery("standard", "Standard delivery", Decimal("4.90"), Decimal("50.00"), 3, 5),
        Delivery("express", "Express delivery", Decimal("9.90"), None, 1, 2),
        Delivery("next_day", "Next-day delivery (order by 18:00)", Decimal("14.90"), None, 1, 1),
        Delivery("click_and_collect", "Click & collect in a Bottega store", Decimal("0.00"), None, 2, 3),
    )
}

PAYMENT_METHODS: dict[str, str] = {
    "card": "Credit or debit card",
    "paypal": "PayPal",
    "apple_pay": "Apple Pay",
    "google_pay": "Google Pay",
}


def shipping_cost(code: str, subtotal: Decimal) -> Decimal:
    option = DELIVERY_OPTIONS[code]
    if option.free_over is not None and subtotal >= option.free_over:
        return Decimal("0.00")
    return option.price
