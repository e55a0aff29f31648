"""Which of the shopper's orders a request is about (orders and returns ask the same way)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rasa_sdk import Tracker

from actions import order_messages as messages
from actions import responses
from actions.clients.shop import ShopClient, ShopNotFound, ShopRejected
from actions.clients.shop_orders import Order
from actions.identity import customer_id
from actions.message import order_id_in_message

# How many of the shopper's newest orders are looked at, and offered to pick from.
RECENT_ORDERS = 5


@dataclass(frozen=True)
class OrderChoice:
    """The order a request is about, or the message that asks which one (or says none)."""

    order: Order | None = None
    message: responses.BotMessage | None = None


async def choose_order(
    tracker: Tracker,
    client: ShopClient,
    statuses: Collection[str],
    intent: str,
    question: str,
    none_left: responses.BotMessage,
    no_orders: responses.BotMessage | None = None,
) -> OrderChoice:
    """The order named in the message; else the only recent order in `statuses`; else
    buttons (`/intent{"order_id": ...}`) for those orders. `no_orders` replaces the
    "you have no orders" answer. Raises ShopError."""
    who = customer_id(tracker)
    named = order_id_in_message(tracker)
    if named:
        try:
            return OrderChoice(order=await client.aget_order(who, named))
        except (ShopNotFound, ShopRejected):
            # 404 for a missing or someone else's order, 422 for a malformed id: the same to the shopper.
            return OrderChoice(message=messages.order_not_found(named))
    recent = await client.alist_orders(who, RECENT_ORDERS)
    if not recent:
        return OrderChoice(message=no_orders or messages.no_orders())
    fitting = [o for o in recent if o.status in statuses]
    if not fitting:
        return OrderChoice(message=none_left)
    if len(fitting) == 1:
        return OrderChoice(order=await client.aget_order(who, fitting[0].order_id))
    return OrderChoice(message=messages.pick_order(question, fitting, intent))

