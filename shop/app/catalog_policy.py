"""Shop policies that are configuration, not data: delivery options and payment methods."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal


@dataclass(frozen=True)
class Delivery:
    code: str
    name: str
    price: Decimal
    days_min: int
    days_max: int
    # Free when the order (after discounts) reaches the shop's SHOP_FREE_SHIPPING_OVER.
    free_over_threshold: bool = False
    free_over: Decimal | None = None  # filled in from the settings by delivery_options()


DELIVERY_OPTIONS: dict[str, Delivery] = {
    d.code: d
    for d in (
        Delivery("standard", "Standard delivery", Decimal("4.90"), 3, 5, free_over_threshold=True),
        Delivery("express", "Express delivery", Decimal("9.90"), 1, 2),
        Delivery("next_day", "Next-day delivery (order by 18:00)", Decimal("14.90"), 1, 1),
        Delivery("click_and_collect", "Click & collect in a Bottega store", Decimal("0.00"), 2, 3),
    )
}

PAYMENT_METHODS: dict[str, str] = {
    "card": "Credit or debit card",
    "paypal": "PayPal",
    "apple_pay": "Apple Pay",
    "google_pay": "Google Pay",
}


def delivery_options(free_shipping_over: Decimal) -> list[Delivery]:
    """The options as checkout offers them, with the shop's free-shipping threshold filled in."""
    return [replace(d, free_over=free_shipping_over) if d.free_over_threshold else d
            for d in DELIVERY_OPTIONS.values()]


def shipping_cost(code: str, subtotal: Decimal, free_shipping_over: Decimal) -> Decimal:
    """What delivery costs for an order of `subtotal` (after discounts)."""
    option = DELIVERY_OPTIONS[code]
    if option.free_over_threshold and subtotal >= free_shipping_over:
        return Decimal("0.00")
    return option.price
