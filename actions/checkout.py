"""Checkout: the cart check, the checkout form (address, delivery, payment), the summary
and placing the order.

Placing an order is the one shop call that must never happen twice for one "yes". Its
Idempotency-Key is derived from the shopper's *confirming* message (customer id + that
message's id), not from the time or a random value: when a channel redelivers the same
message, or Rasa replays the turn after a crash, `action_place_order` runs again with the
same key, and the shop answers with the order it already made (`Idempotent-Replayed`)
instead of creating a second one. A new "yes" is a new message, hence a new key.
"""

from __future__ import annotations

import hashlib
import logging
import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import order_messages as messages
from actions import responses
from actions.clients.shop import CartLine, ShopConflict, ShopError, ShopRejected, ShopUnavailable, get_shop_client
from actions.clients.shop_orders import DeliveryOption
from actions.forms import address_problem, pick_delivery, pick_payment, stop_form, wants_to_stop
from actions.identity import customer_id
from actions.shop_errors import tell_shop_error
from actions.slots import CART_READY, CONFIRMING, ORDER_ID

logger = logging.getLogger(__name__)

SHIPPING_ADDRESS = "shipping_address"
DELIVERY_OPTION = "delivery_option"
PAYMENT_METHOD = "payment_method"

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,200}$")


def order_idempotency_key(tracker: Tracker) -> str:
    """The key of the checkout confirmed by the latest user message (see the module docstring)."""
    message_id = tracker.latest_message.get("message_id") or _latest_user_event_id(tracker)
    key = f"{customer_id(tracker)}:{message_id}"
    if _KEY_PATTERN.match(key):
        return key
    # Sender ids may hold characters the header refuses ("+", "@", "="): hash, still stable.
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _latest_user_event_id(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str(event.get("message_id") or event.get("timestamp") or "")
    return ""


def shipping_cost(option: DeliveryOption, subtotal: Decimal) -> Decimal:
    """What the shop will charge for delivery (catalog_policy.shipping_cost, mirrored)."""
    if option.free_over is not None and subtotal >= option.free_over:
        return Decimal("0.00")
    return option.price


def _reset_checkout() -> list[EventType]:
    return [SlotSet(SHIPPING_ADDRESS, None), SlotSet(DELIVERY_OPTION, None), SlotSet(PAYMENT_METHOD, None)]


class ActionPrepareCheckout(Action):
    """Start a checkout only for a cart with something in it; start the form afresh."""

    def name(self) -> str:
        return "action_prepare_checkout"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            cart = await get_shop_client().aget_cart(customer_id(tracker))
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CART_READY, False)]
        if not cart.items:
            # After "the shop didn't answer, check out again": the order may have gone through.
            await _tell_pending_order_or_empty_cart(dispatcher, customer_id(tracker))
            return [SlotSet(CART_READY, False)]
        return [*_reset_checkout(), SlotSet(CONFIRMING, None), SlotSet(CART_READY, True)]


class ActionAskShippingAddress(Action):
    """The form's address question."""

    def name(self) -> str:
        return "action_ask_shipping_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        messages.ask_shipping_address().send(dispatcher)
        return []


class ActionAskDeliveryOption(Action):
    """The form's delivery question, with the shop's options as buttons."""

    def name(self) -> str:
        return "action_ask_delivery_option"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            options = await get_shop_client().adelivery_options()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            responses.text("How should we deliver it: standard, express, next day or click & collect?").send(
                dispatcher
            )
            return []
        messages.ask_delivery_option(options).send(dispatcher)
        return []


class ActionAskPaymentMethod(Action):
    """The form's payment question, with the shop's methods as buttons."""

    def name(self) -> str:
        return "action_ask_payment_method"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            methods = await get_shop_client().apayment_methods()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            responses.text("How would you like to pay: card, PayPal, Apple Pay or Google Pay?").send(dispatcher)
            return []
        messages.ask_payment_method(methods).send(dispatcher)
        return []


class ValidateCheckoutForm(FormValidationAction):
    """Address as free text; delivery and payment as one of the shop's codes."""

    def name(self) -> str:
        return "validate_checkout_form"

    async def validate_shipping_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        problem = address_problem(value)
        if wants_to_stop(tracker) and (problem or len(str(value).split()) <= 3):
            return stop_form(SHIPPING_ADDRESS)
        if problem:
            responses.text(f"{problem} Please write the delivery address on one line, e.g. "
                           '"Via Roma 1, 20121 Milano".').send(dispatcher)
            return {SHIPPING_ADDRESS: None}
        return {SHIPPING_ADDRESS: " ".join(str(value).split())}

    async def validate_delivery_option(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            options = (await get_shop_client().adelivery_options()).items
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return {DELIVERY_OPTION: None}
        chosen = pick_delivery(str(value or ""), options)
        if chosen is None and wants_to_stop(tracker):
            return stop_form(DELIVERY_OPTION)
        if chosen is None:
            responses.text("Sorry, which delivery would you like? Please pick one of the options.").send(dispatcher)
            return {DELIVERY_OPTION: None}
        return {DELIVERY_OPTION: chosen.code}

    async def validate_payment_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            methods = await get_shop_client().apayment_methods()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return {PAYMENT_METHOD: None}
        chosen = pick_payment(str(value or ""), methods)
        if chosen is None and wants_to_stop(tracker):
            return stop_form(PAYMENT_METHOD)
        if chosen is None:
            responses.text("Sorry, how would you like to pay? Please pick one of the methods.").send(dispatcher)
            return {PAYMENT_METHOD: None}
        return {PAYMENT_METHOD: chosen.code}


class ActionCheckoutSummary(Action):
    """Show what will be ordered and what it costs, and ask to confirm."""

    def name(self) -> str:
        return "action_checkout_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        address = tracker.get_slot(SHIPPING_ADDRESS)
        delivery_code = tracker.get_slot(DELIVERY_OPTION)
        payment_code = tracker.get_slot(PAYMENT_METHOD)
        if not (address and delivery_code and payment_code):
            messages.checkout_incomplete().send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        try:
            client = get_shop_client()
            cart = await client.aget_cart(customer_id(tracker))
            options = await client.adelivery_options()
            methods = await client.apayment_methods()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CONFIRMING, None)]
        if not cart.items:
            messages.cart_empty_at_checkout().send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        delivery = next((o for o in options.items if o.code == delivery_code), None)
        payment = next((m for m in methods if m.code == payment_code), None)
        if delivery is None or payment is None:
            messages.checkout_incomplete().send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        shipping = shipping_cost(delivery, cart.total)
        messages.checkout_summary(cart, address, delivery, shipping, payment).send(dispatcher)
        return [SlotSet(CONFIRMING, "order")]


class ActionPlaceOrder(Action):
    """Place the confirmed order and send the pay link (idempotent per confirming message)."""

    def name(self) -> str:
        return "action_place_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        address = tracker.get_slot(SHIPPING_ADDRESS)
        delivery = tracker.get_slot(DELIVERY_OPTION)
        payment = tracker.get_slot(PAYMENT_METHOD)
        if not (address and delivery and payment):
            messages.checkout_incomplete().send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        who = customer_id(tracker)
        cart_lines: list[CartLine] = []
        try:
            client = get_shop_client()
            # The cart is read first only to name a sold-out item; the order is built by the shop.
            cart_lines = (await client.aget_cart(who)).items
            created = await client.aplace_order(who, order_idempotency_key(tracker), address, delivery, payment)
        except ShopConflict as exc:
            if exc.code == "out_of_stock":
                sku = exc.facts.get("sku")
                name = next((li.name for li in cart_lines if li.sku == sku), "one of the items")
                messages.sold_out_at_checkout(name).send(dispatcher)
            elif exc.code == "product_withdrawn":
                skus = exc.facts.get("skus") or []
                names = [li.name for li in cart_lines if li.sku in skus] or ["one of the items"]
                messages.withdrawn_at_checkout(names).send(dispatcher)
            elif exc.code == "cart_empty":
                # Perhaps an earlier "yes" did place it and only the answer was lost (a timeout).
                await _tell_pending_order_or_empty_cart(dispatcher, who)
            else:
                tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CONFIRMING, None)]
        except ShopRejected as exc:
            if exc.code == "invalid_promotion":
                messages.promotion_refused(exc.facts.get("promo_code"), exc.facts.get("reason")).send(dispatcher)
            else:
                tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CONFIRMING, None)]
        except ShopUnavailable:
            # The same "yes" may be retried safely: the key is the message's.
            logger.warning("%s: shop unavailable while placing an order", self.name())
            messages.order_not_placed_shop_down().send(dispatcher)
            return []
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CONFIRMING, None)]
        if created.replayed:
            logger.info("%s: replayed checkout answered with the existing order", self.name())
        messages.order_placed(created).send(dispatcher)
        return [*_reset_checkout(), SlotSet(CONFIRMING, None), SlotSet(ORDER_ID, created.order_id)]


async def _tell_pending_order_or_empty_cart(dispatcher: CollectingDispatcher, who: str) -> None:
    try:
        client = get_shop_client()
        newest = (await client.alist_orders(who, 1))[:1]
        order = await client.aget_order(who, newest[0].order_id) if newest else None
    except ShopError:
        order = None
    if order is not None and order.status == "pending_payment" and order.payment_url:
        messages.order_already_placed(order, order.payment_url).send(dispatcher)
    else:
        messages.cart_empty_at_checkout().send(dispatcher)


class ActionDeclineCheckout(Action):
    """The shopper said no to the summary: nothing is ordered, the cart stays."""

    def name(self) -> str:
        return "action_decline_checkout"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        messages.checkout_declined().send(dispatcher)
        return [SlotSet(CONFIRMING, None)]
