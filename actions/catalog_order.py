"""A cart the shopper sent from the WhatsApp catalogue, put into the shop's cart in one turn.

The WhatsApp channel hands an `order` message to Rasa as `/add_to_cart` with the cart in the
message's metadata (channels/whatsapp_catalogue.py): {"catalog_order": {"catalog_id", "items": [{"sku",
"quantity"}], "left_out"}}, the SKU being the catalogue item's retailer id. `action_add_to_cart`
sees it and comes here. Each line is added through the shop's API at the shop's own price (the
message's item_price never reaches us); what cannot be added — a SKU the shop does not sell, a
sold-out item, a quantity the shop would not take, a product whose size or colour must be chosen —
is named to the shopper, and the rest is added all the same. The answer lists what went in (name,
quantity, the shop's price), what did not and why, the cart's total, and a checkout button.

A redelivered order message never reaches Rasa twice (the channel's message-id store), so its lines
are added once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import responses
from actions.clients.shop import (
    Cart,
    ShopClient,
    ShopConflict,
    ShopError,
    ShopNotFound,
    ShopRejected,
    get_shop_client,
)
from actions.identity import customer_id
from actions.shop_errors import tell_shop_error

logger = logging.getLogger(__name__)

CATALOG_ORDER = "catalog_order"  # channels/whatsapp_catalogue.py
# The shop takes 1 to 20 of one item in a cart (shop/app/schemas.py, crud/carts.py). Anything
# else is no quantity a shopper meant; it is named, not sent.
MIN_QUANTITY, MAX_QUANTITY = 1, 20
MAX_LINES = 100  # as many as the channel passes on
MAX_CHOICE_BUTTONS = 7  # with "Check out" and "View cart", within responses.MAX_BUTTONS
# Shop error codes that mean "say which size or colour" (actions/cart.py's VARIANT_CODES).
VARIANT_CODES = frozenset({"variant_required", "unknown_variant"})


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class CatalogOrder:
    lines: list[OrderLine]
    left_out: int = 0  # lines the channel did not pass on (more than it takes in one message)


def catalog_order_in(tracker: Tracker) -> CatalogOrder | None:
    """The catalogue cart the latest user message carries, if it carries one.

    Only the latest user event is read (a cart sent earlier is never added again); lines with the same
    SKU are one line (their quantities added), in the order first seen."""
    last_user: Mapping[str, Any] = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    metadata = last_user.get("metadata")
    order = metadata.get(CATALOG_ORDER) if isinstance(metadata, Mapping) else None
    if not isinstance(order, Mapping) or not isinstance(order.get("items"), list):
        return None
    quantities: dict[str, int] = {}
    for item in order["items"][:MAX_LINES]:
        if not isinstance(item, Mapping):
            item = {}
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            quantity = 0  # named as a quantity the shop cannot take
        sku = item["sku"].strip() if isinstance(item.get("sku"), str) else ""  # named as a line without a SKU
        quantities[sku] = quantities.get(sku, 0) + quantity
    left_out = order.get("left_out")
    return CatalogOrder([OrderLine(sku, quantity) for sku, quantity in quantities.items()],
                        left_out if isinstance(left_out, int) and left_out > 0 else 0)


@dataclass
class Outcome:
    """What became of each line of the order."""

    added: list[tuple[OrderLine, str]] = field(default_factory=list)  # (line, name)
    refused: list[str] = field(default_factory=list)  # "<name or SKU>: why", for the shopper
    to_choose: list[tuple[OrderLine, str]] = field(default_factory=list)  # needs a size or colour
    not_tried: list[str] = field(default_factory=list)  # the shop failed before these were added
    cart: Cart | None = None


async def add_catalog_order(dispatcher: CollectingDispatcher, tracker: Tracker, order: CatalogOrder,
                            action: str) -> list[EventType]:
    """Adds the order's lines to the shopper's cart and tells them what went in and what did not."""
    try:
        client = get_shop_client()
    except ShopError as exc:
        tell_shop_error(dispatcher, exc, action)
        return []
    outcome = await _add_lines(client, customer_id(tracker), order.lines, action)
    if outcome.cart is None and not outcome.not_tried:
        try:
            outcome.cart = await client.aget_cart(customer_id(tracker))
        except ShopError as exc:
            logger.warning("%s: the cart could not be read after a catalogue order (%s)", action, type(exc).__name__)
    if outcome.not_tried and not outcome.added and not outcome.refused and not outcome.to_choose:
        responses.shop_unavailable().send(dispatcher)
        return []
    catalogue_order_answer(outcome, order.left_out).send(dispatcher)
    return []


async def _add_lines(client: ShopClient, customer: str, lines: Sequence[OrderLine], action: str) -> Outcome:
    outcome = Outcome()
    for position, line in enumerate(lines):
        if not line.sku:
            outcome.refused.append("an item without a product code: not added")
            continue
        if not MIN_QUANTITY <= line.quantity <= MAX_QUANTITY:
            name = await _name(client, line.sku)
            outcome.refused.append(f"{name}: {line.quantity} is not a quantity I can add "
                                   f"({MIN_QUANTITY} to {MAX_QUANTITY} of one item)")
            continue
        try:
            outcome.cart = await client.aadd_to_cart(customer, line.sku, line.quantity)
        except ShopNotFound:
            outcome.refused.append(f"{line.sku}: not a product we sell")
        except ShopConflict as exc:
            outcome.refused.append(f"{await _name(client, line.sku)}: {_conflict(exc, line.quantity)}")
        except ShopRejected as exc:
            name = await _name(client, line.sku)
            if exc.code in VARIANT_CODES:
                outcome.to_choose.append((line, name))
            else:
                outcome.refused.append(f"{name}: {exc.detail_text or 'the shop did not take it'}")
        except ShopError as exc:  # unavailable: the rest would fail the same way
            logger.warning("%s: the shop failed during a catalogue order (%s)", action, type(exc).__name__)
            outcome.not_tried = [other.sku for other in lines[position:]]
            return outcome
        else:
            outcome.added.append((line, _line_name(outcome.cart, line.sku)))
    return outcome


def _conflict(exc: ShopConflict, wanted: int) -> str:
    if exc.code == "out_of_stock":
        available = exc.facts.get("available")
        if isinstance(available, int) and available > 0:
            return f"only {available} left, you asked for {wanted}"
        return "sold out"
    if exc.code == "product_withdrawn":
        return "no longer sold"
    return exc.detail_text or "not available now"


def _line_name(cart: Cart | None, sku: str) -> str:
    return next((line.name for line in cart.items if line.sku == sku), sku) if cart else sku


async def _name(client: ShopClient, sku: str) -> str:
    """The product's name for the shopper; its SKU when the shop cannot say."""
    try:
        return (await client.aget_product(sku)).name
    except ShopError:
        return sku


def catalogue_order_answer(outcome: Outcome, left_out: int = 0) -> responses.BotMessage:
    """What the shopper reads: added lines at the shop's prices, the rest with the reason, the
    total, and buttons to check out, see the cart and choose a size or colour where one is needed."""
    cart = outcome.cart
    parts: list[str] = []
    if outcome.added:
        lines = ["From your WhatsApp cart, I've added:"]
        for line, name in outcome.added:
            lines.append(f"- {line.quantity} × {name} — {_price(cart, line)}")
        parts.append("\n".join(lines))
    else:
        parts.append("I couldn't add anything from your WhatsApp cart.")
    refused = list(outcome.refused)
    if left_out:
        refused.append(f"{left_out} more item{'s' if left_out != 1 else ''}: a cart message holds at most "
                       f"{MAX_LINES} here — send them in another")
    if outcome.not_tried:
        refused.append(f"the shop didn't answer in time for {', '.join(outcome.not_tried)}: please send them again")
    if refused:
        parts.append("\n".join(["Not added:", *(f"- {reason}" for reason in refused)]))
    if outcome.to_choose:
        names = ", ".join(name for _, name in outcome.to_choose)
        parts.append(f"{names} come{'s' if len(outcome.to_choose) == 1 else ''} in several sizes or colours: "
                     "tap below to choose, and I'll add it.")
    buttons: list[responses.Button] = []
    for line, name in outcome.to_choose[:MAX_CHOICE_BUTTONS]:
        buttons.append(responses.button(f"Choose {name}", "add_to_cart", sku=line.sku, quantity=line.quantity))
    if cart is not None and cart.items:
        parts.append(f"Your cart: {responses.format_price(cart.total, cart.currency)} for {cart.item_count} "
                     f"item{'s' if cart.item_count != 1 else ''}.")
        buttons = [responses.button("Check out", "checkout"), responses.button("View cart", "view_cart"), *buttons]
    return responses.text("\n\n".join(parts), buttons)


def _price(cart: Cart | None, line: OrderLine) -> str:
    found = next((item for item in cart.items if item.sku == line.sku), None) if cart else None
    if found is None:
        return "price in your cart"
    return responses.format_price(found.unit_price * Decimal(line.quantity), cart.currency if cart else "")
