"""The shopper's orders: status, cancelling, changing the address, invoices and payment news.

A shopper only ever sees their own orders: every call carries the conversation's customer
id, and the shop answers another customer's order exactly like a missing one (404).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import order_messages as messages
from actions import responses
from actions.clients.shop import ShopConflict, ShopError, ShopNotFound, ShopRejected, get_shop_client
from actions.clients.shop_orders import DeliveryOption, Order, OrderSummary
from actions.forms import address_problem, pick_delivery, stop_form, wants_to_stop
from actions.identity import customer_id
from actions.message import entity_value, latest_intent, order_id_in_message
from actions.order_choice import RECENT_ORDERS, choose_order
from actions.responses import BotMessage
from actions.shop_errors import tell_shop_error
from actions.slots import CONFIRMING, ORDER_ID, answered

logger = logging.getLogger(__name__)

IS_EXTERNAL = "is_external"  # Rasa's mark on the intent trigger_intent adds (rasa.shared.core.constants)

NEW_SHIPPING_ADDRESS = "new_shipping_address"
ADDRESS_CHANGE_READY = "address_change_ready"

CANCELLABLE = ("pending_payment", "paid")
CHANGEABLE = ("pending_payment", "paid")


def _newest(orders: list[OrderSummary], statuses: Collection[str]) -> OrderSummary | None:
    return next((o for o in orders if o.status in statuses), None)


class ActionOrderStatus(Action):
    """One order in words (status, items, total, tracking, delivery), or the recent ones to pick from."""

    def name(self) -> str:
        return "action_order_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        who = customer_id(tracker)
        named = order_id_in_message(tracker)
        try:
            client = get_shop_client()
            if named:
                order = await client.aget_order(who, named)
            else:
                recent = await client.alist_orders(who, RECENT_ORDERS)
                if not recent:
                    messages.no_orders().send(dispatcher)
                    return []
                if len(recent) > 1:
                    messages.pick_order("Here are your recent orders. Which one would you like to see?",
                                        recent, "order_status").send(dispatcher)
                    return []
                order = await client.aget_order(who, recent[0].order_id)  # the only one: no question
        except (ShopNotFound, ShopRejected):
            messages.order_not_found(named or "").send(dispatcher)
            return []
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        messages.order_details(order).send(dispatcher)
        return [SlotSet(ORDER_ID, order.order_id)]


class ActionReviewCancellation(Action):
    """Find the order to cancel; ask to confirm when it can be cancelled, else say why not."""

    def name(self) -> str:
        return "action_review_cancellation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            choice = await choose_order(
                tracker,
                get_shop_client(),
                CANCELLABLE,
                "cancel_order",
                "Which order would you like to cancel?",
                responses.text(
                    "None of your recent orders can still be cancelled: they have shipped already. "
                    "Once an order is delivered you can return it within 30 days.",
                    [responses.button("My orders", "order_status")],
                ),
            )
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CONFIRMING, None)]
        if choice.order is None:
            if choice.message:
                choice.message.send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        order = choice.order
        if not order.can_cancel:
            messages.cannot_cancel(order).send(dispatcher)
            return [SlotSet(CONFIRMING, None), SlotSet(ORDER_ID, order.order_id)]
        messages.confirm_cancellation(order).send(dispatcher)
        return [SlotSet(ORDER_ID, order.order_id), SlotSet(CONFIRMING, "cancellation")]


class ActionCancelOrder(Action):
    """The shopper confirmed: cancel the order under discussion."""

    def name(self) -> str:
        return "action_cancel_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order_id = tracker.get_slot(ORDER_ID)
        if tracker.get_slot(CONFIRMING) != "cancellation" or not order_id:
            responses.text("Which order would you like to cancel?", [responses.button("My orders", "order_status")]
                           ).send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        try:
            order = await get_shop_client().acancel_order(customer_id(tracker), order_id, "cancelled in chat")
        except ShopConflict as exc:
            # Shipped in the meantime: the shop's own sentence says so and suggests a return.
            messages.cannot_any_more(order_id, exc.facts.get("status"), "cancelled").send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        except (ShopNotFound, ShopRejected):
            messages.order_not_found(order_id).send(dispatcher)
            return [SlotSet(CONFIRMING, None)]
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CONFIRMING, None)]
        messages.order_cancelled(order).send(dispatcher)
        return [SlotSet(CONFIRMING, None)]


class ActionKeepOrder(Action):
    """The shopper said no to cancelling."""

    def name(self) -> str:
        return "action_keep_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order_id = tracker.get_slot(ORDER_ID)
        responses.text(f"OK, I won't cancel it: order {order_id or 'your order'} stays as it is.").send(dispatcher)
        return [SlotSet(CONFIRMING, None)]


_NOT_CHANGEABLE = responses.text(
    "None of your recent orders can be changed any more: they have shipped already.",
    [responses.button("My orders", "order_status")],
)


class ActionReviewOrderChange(Action):
    """"Change my order": say what can change (address, the delivery while unpaid; items only by
    cancelling) — or make the delivery change the message asks for ("switch it to express", or
    the button `/change_order{"order_id", "delivery_code"}`)."""

    def name(self) -> str:
        return "action_review_order_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            choice = await choose_order(tracker, get_shop_client(), CHANGEABLE, "change_order",
                                        "Which order would you like to change?", _NOT_CHANGEABLE)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        if choice.order is None:
            if choice.message:
                choice.message.send(dispatcher)
            return []
        order = choice.order
        if order.status not in CHANGEABLE:
            messages.cannot_change(order).send(dispatcher)
            return [SlotSet(ORDER_ID, order.order_id)]
        client = get_shop_client()
        try:
            options = (await client.adelivery_options()).items
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(ORDER_ID, order.order_id)]
        wanted = _wanted_delivery(tracker, options)
        if wanted is None:
            messages.change_choices(order, options).send(dispatcher)
        elif wanted.code == order.delivery_option:
            messages.delivery_unchanged(order, wanted).send(dispatcher)
        elif order.status != "pending_payment":
            messages.delivery_fixed_once_paid(order).send(dispatcher)
        else:
            try:
                changed = await client.achange_order(customer_id(tracker), order.order_id, delivery_option=wanted.code)
            except (ShopConflict, ShopRejected) as exc:
                messages.cannot_any_more(order.order_id, exc.facts.get("status"), "changed").send(dispatcher)
            except ShopError as exc:
                tell_shop_error(dispatcher, exc, self.name())
            else:
                logger.info("Order %s now ships by %s", changed.order_id, wanted.code)
                messages.delivery_changed(changed, wanted).send(dispatcher)
        return [SlotSet(ORDER_ID, order.order_id)]


def _wanted_delivery(tracker: Tracker, options: Sequence[DeliveryOption]) -> DeliveryOption | None:
    """The delivery option the message asks for: a button's `delivery_code`, or named in words."""
    code = entity_value(tracker, "delivery_code")
    if code:
        return next((o for o in options if o.code == code), None)
    said = str(tracker.latest_message.get("text") or "")
    return None if said.startswith("/") else pick_delivery(said, options)


class ActionReviewAddressChange(Action):
    """Find the order whose address should change; open the address form if it still can."""

    def name(self) -> str:
        return "action_review_address_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            choice = await choose_order(tracker, get_shop_client(), CHANGEABLE, "change_shipping_address",
                                        "Which order should go to a new address?", _NOT_CHANGEABLE)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(ADDRESS_CHANGE_READY, False)]
        if choice.order is None:
            if choice.message:
                choice.message.send(dispatcher)
            return [SlotSet(ADDRESS_CHANGE_READY, False)]
        order = choice.order
        if order.status not in CHANGEABLE:
            messages.cannot_change(order).send(dispatcher)
            return [SlotSet(ADDRESS_CHANGE_READY, False)]
        return [SlotSet(ORDER_ID, order.order_id), SlotSet(NEW_SHIPPING_ADDRESS, None),
                SlotSet(ADDRESS_CHANGE_READY, True)]


class ActionAskNewShippingAddress(Action):
    def name(self) -> str:
        return "action_ask_new_shipping_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order_id = tracker.get_slot(ORDER_ID) or "your order"
        responses.text(f"What's the new delivery address for {order_id}? Please write it on one line.").send(
            dispatcher
        )
        return []


# Intents that mean the shopper wants something else than a new address ("I want to cancel it
# instead"): with no digit in it (no house number, no postcode) the answer is no address.
_OTHER_WISHES = frozenset({"cancel_order", "order_status", "return_item", "request_refund", "human_handoff",
                           "complaint", "checkout"})


class ValidateAddressChangeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_address_change_form"

    async def validate_new_shipping_address(
        self, value: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, str | None]:
        problem = address_problem(value)
        left = stop_form(NEW_SHIPPING_ADDRESS)
        if wants_to_stop(tracker) and (problem or len(str(value).split()) <= 3):
            return left
        has_digit = any(ch.isdigit() for ch in str(value))
        if latest_intent(tracker) in _OTHER_WISHES and not has_digit:
            return left  # "I want to cancel it instead": the address stays, they are told how
        if problem:
            responses.text(f"{problem} Please write the new address on one line.").send(dispatcher)
            return {NEW_SHIPPING_ADDRESS: None}
        return {NEW_SHIPPING_ADDRESS: " ".join(str(value).split())}


class ActionChangeAddress(Action):
    """The address form is done: ask before anything changes ("Send BT-… to …?")."""

    def name(self) -> str:
        return "action_change_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order_id = tracker.get_slot(ORDER_ID)
        address = tracker.get_slot(NEW_SHIPPING_ADDRESS)
        if not (order_id and address):
            messages.address_kept(order_id, latest_intent(tracker)).send(dispatcher)
            return _address_settled()
        messages.confirm_address_change(order_id, address).send(dispatcher)
        return [SlotSet(ADDRESS_CHANGE_READY, True), SlotSet(CONFIRMING, "address")]


class ActionConfirmAddressChange(Action):
    """Yes to the new address: PATCH the order's address (the shop refuses once it has shipped)."""

    def name(self) -> str:
        return "action_confirm_address_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order_id = tracker.get_slot(ORDER_ID)
        address = tracker.get_slot(NEW_SHIPPING_ADDRESS)
        done = _address_settled()
        if tracker.get_slot(CONFIRMING) != "address" or not (order_id and address):
            messages.address_kept(order_id, None).send(dispatcher)
            return done
        try:
            order = await get_shop_client().achange_order(customer_id(tracker), order_id, shipping_address=address)
        except ShopConflict as exc:
            messages.cannot_any_more(order_id, exc.facts.get("status"), "changed").send(dispatcher)
            return done
        except ShopNotFound:
            messages.order_not_found(order_id).send(dispatcher)
            return done
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return done
        messages.address_changed(order).send(dispatcher)
        return done


class ActionKeepAddress(Action):
    """No to the new address: nothing changes."""

    def name(self) -> str:
        return "action_keep_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        messages.address_kept(tracker.get_slot(ORDER_ID), None).send(dispatcher)
        return _address_settled()


def _address_settled() -> list[EventType]:
    """The address question is over, changed or not."""
    return [SlotSet(NEW_SHIPPING_ADDRESS, None), SlotSet(ADDRESS_CHANGE_READY, False), SlotSet(CONFIRMING, None)]


class ActionGetInvoice(Action):
    """The order's invoice page as a link."""

    def name(self) -> str:
        return "action_get_invoice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            choice = await choose_order(
                tracker,
                get_shop_client(),
                ("pending_payment", "paid", "shipped", "delivered", "return_requested", "returned", "refunded",
                 "cancelled"),
                "get_invoice",
                "Which order's invoice would you like?",
                messages.no_orders(),
            )
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        if choice.order is None:
            if choice.message:
                choice.message.send(dispatcher)
            return []
        messages.invoice(choice.order).send(dispatcher)
        return [SlotSet(ORDER_ID, choice.order.order_id)]


class ActionPaymentUpdate(Action):
    """A payment arrived (the shop's notice names the order) or the shopper says they paid:
    read the order and say honestly whether the payment is there."""

    def name(self) -> str:
        return "action_payment_update"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = await _order_for_payment(dispatcher, tracker, self.name())
        if order is None:
            return []
        if order.payment_status == "paid" or order.status in ("paid", "shipped", "delivered"):
            said = messages.payment_received(order)
        elif order.status == "pending_payment":
            said = messages.payment_not_received(order)
        else:
            said = responses.text(f"Order {order.order_id} is {responses.status_words(order.status)}.")
        _as_notice_if_the_shop_sent_it(said, tracker).send(dispatcher)
        return [SlotSet(ORDER_ID, order.order_id)]


class ActionPaymentFailed(Action):
    """The payment was declined: offer the link again and payment help."""

    def name(self) -> str:
        return "action_payment_failed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = await _order_for_payment(dispatcher, tracker, self.name())
        if order is None:
            return []
        if order.status == "pending_payment":
            said = messages.payment_declined(order)
        elif order.payment_status == "paid" or order.status in ("paid", "shipped", "delivered"):
            # A later attempt went through before this notice was read.
            said = messages.payment_received(order)
        else:
            said = responses.text(f"Order {order.order_id} is {responses.status_words(order.status)}.")
        _as_notice_if_the_shop_sent_it(said, tracker).send(dispatcher)
        return [SlotSet(ORDER_ID, order.order_id)]


def _as_notice_if_the_shop_sent_it(said: BotMessage, tracker: Tracker) -> BotMessage:
    """The shop's payment notice (Rasa's trigger_intent, marked external) is answered with an order
    update, which Messenger and WhatsApp deliver even after their 24-hour window (channels/window.py);
    the shopper's own "I've paid" gets an ordinary answer."""
    metadata = tracker.latest_message.get("metadata") or {}
    return said.as_order_update() if metadata.get(IS_EXTERNAL) is True else said


async def _order_for_payment(dispatcher: CollectingDispatcher, tracker: Tracker, action: str) -> Order | None:
    """The order named in the message, else the shopper's newest order that isn't cancelled."""
    who = customer_id(tracker)
    named = order_id_in_message(tracker)
    try:
        client = get_shop_client()
        if named:
            return await client.aget_order(who, named)
        newest = _newest(await client.alist_orders(who, RECENT_ORDERS), ("pending_payment", "paid", "shipped"))
        if newest is None:
            messages.nothing_to_pay().send(dispatcher)
            return None
        return await client.aget_order(who, newest.order_id)
    except (ShopNotFound, ShopRejected):
        messages.order_not_found(named or "").send(dispatcher)
    except ShopError as exc:
        tell_shop_error(dispatcher, exc, action)
    return None


# "where do u deliver", "which countries do you ship to", "do you send stuff anywhere? where"
_ASKS_WHERE_TO = re.compile(
    r"\bwhere\b[^?.!]*\b(deliver|ship|send|post)|\b(deliver|ship|send|post)\w*\b[^?.!]*\bwhere\b"
    r"|\b(which|what) (countries|country)\b", re.I)


class ActionShowDeliveryOptions(Action):
    """Delivery options with prices and days; for a named order, its estimated delivery."""

    def name(self) -> str:
        return "action_show_delivery_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        named = order_id_in_message(tracker)
        if named:
            return await ActionOrderStatus().run(dispatcher, tracker, domain)
        if _ASKS_WHERE_TO.search(str(tracker.latest_message.get("text") or "")):
            # "where do u deliver": the places first (the countries' answer names the options too).
            dispatcher.utter_message(response="utter_faq/shipping_countries")
            return [answered("delivery_options")]
        try:
            options = await get_shop_client().adelivery_options()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        lines = ["We deliver with:"]
        for option in options.items:
            free = ""
            if option.free_over is not None:
                free = f" (free over {responses.format_price(option.free_over, options.currency)})"
            lines.append(f"- {messages.delivery_option_title(option, options.currency)}{free}")
        if tracker.active_loop_name:
            # Asked while a form waits for an answer (data/rules/commerce.yml): the form asks its
            # question next, so no button that would leave it, and no "did that help?" to follow.
            lines.append(_IN_FORM_DELIVERY.get(tracker.active_loop_name, ""))
            responses.text("\n".join(line for line in lines if line)).send(dispatcher)
            return []
        lines.append("You choose at checkout. For an order you've placed, ask me \"where is my order?\".")
        responses.text("\n".join(lines), [responses.button("Track my order", "order_status")]).send(dispatcher)
        return [answered("delivery_time" if latest_intent(tracker) == "delivery_time" else "delivery_options")]


# What follows the delivery options or payment methods when they are asked in the middle of a form.
_IN_FORM_DELIVERY = {"checkout_form": "You'll pick one right after the address.",
                     "address_change_form": "A new address keeps the order's delivery option."}
_IN_FORM_PAYMENT = {"checkout_form": "You'll pick one after the delivery, and pay with a secure link.",
                    "address_change_form": "A new address doesn't change how the order is paid."}


class ActionShowPaymentMethods(Action):
    """The payment methods the shop accepts."""

    def name(self) -> str:
        return "action_show_payment_methods"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            methods = await get_shop_client().apayment_methods()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        names = ", ".join(m.name for m in methods)
        if tracker.active_loop_name:  # asked in the middle of a form, which asks its question next
            then = _IN_FORM_PAYMENT.get(tracker.active_loop_name, "")
            responses.text(f"You can pay with {names}. {then}".strip()).send(dispatcher)
            return []
        responses.text(f"You can pay with {names}. You choose at checkout and pay with a secure link.").send(
            dispatcher
        )
        return [answered("payment_methods")]
