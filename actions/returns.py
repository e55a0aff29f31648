"""Returns and refunds: the return form (order, item, reason), where a refund comes from,
and the refunds the shopper already has.

Returns are accepted for delivered orders within 30 days of delivery; the shop decides and
says when the window closed, the actions only put its answer in words.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import order_messages as messages
from actions import responses
from actions.clients.shop import ShopConflict, ShopError, ShopNotFound, ShopRejected, get_shop_client
from actions.clients.shop_orders import Order
from actions.forms import said_stop, stop_form, wants_to_stop
from actions.identity import customer_id
from actions.message import ORDER_ID_PATTERN, entity_value, order_id_in_message, parse_position
from actions.order_choice import RECENT_ORDERS, choose_order
from actions.shop_errors import tell_shop_error
from actions.slots import answered

logger = logging.getLogger(__name__)

RETURN_ORDER_ID = "return_order_id"
RETURN_LINE = "return_line"
RETURN_REASON = "return_reason"
RETURN_READY = "return_ready"
ALL_LINES = "all"

_EVERYTHING = re.compile(r"\b(all|everything|whole order|all of (it|them))\b", re.IGNORECASE)


def returnable_problem(order: Order) -> responses.BotMessage | None:
    """Why this order can't be returned now, or None if it can."""
    if order.can_return:
        return None
    if order.status in ("pending_payment", "paid", "shipped"):
        return messages.not_delivered_yet(order)
    if order.status == "delivered":
        return messages.return_window_closed(order.order_id, (order.return_deadline or "")[:10] or None)
    return messages.return_not_possible(order)


def _return_order_id(tracker: Tracker) -> str:
    """The order of the return form: the form asks for it before the item, so it is set by then."""
    return str(tracker.get_slot(RETURN_ORDER_ID))


def _line_meant(tracker: Tracker, value: Any, order: Order) -> str | None:
    """The line id (or "all") the reply means: a button's position, a number, or a name."""
    said = str(value or "")
    position = parse_position(entity_value(tracker, "product_index"))
    if entity_value(tracker, "product_index") == ALL_LINES or _EVERYTHING.search(said):
        return ALL_LINES
    if position is None and not said.startswith("/"):
        position = parse_position(said.strip())
    if position is not None:
        index = len(order.lines) - 1 if position == -1 else position - 1
        return order.lines[index].line_id if 0 <= index < len(order.lines) else None
    words = {w.casefold() for w in re.findall(r"\w+", said) if len(w) > 2}
    named = [li for li in order.lines if words & {w.casefold() for w in re.findall(r"\w+", li.name)}]
    return named[0].line_id if len(named) == 1 else None


class ActionStartReturn(Action):
    """Open the return form only when there is something to return; prefill the order."""

    def name(self) -> str:
        return "action_start_return"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        fresh: list[EventType] = [SlotSet(RETURN_ORDER_ID, None), SlotSet(RETURN_LINE, None),
                                  SlotSet(RETURN_REASON, None)]
        who = customer_id(tracker)
        named = order_id_in_message(tracker)
        try:
            client = get_shop_client()
            if named:
                order = await client.aget_order(who, named)
                problem = returnable_problem(order)
                if problem:
                    problem.send(dispatcher)
                    return [*fresh, SlotSet(RETURN_READY, False)]
                return [*fresh, SlotSet(RETURN_ORDER_ID, order.order_id), SlotSet(RETURN_READY, True)]
            recent = await client.alist_orders(who, RECENT_ORDERS)
        except (ShopNotFound, ShopRejected):
            messages.order_not_found(named or "").send(dispatcher)
            return [*fresh, SlotSet(RETURN_READY, False)]
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [*fresh, SlotSet(RETURN_READY, False)]
        delivered = [o for o in recent if o.status == "delivered"]
        if not delivered:
            on_the_way = next((o for o in recent if o.status in ("pending_payment", "paid", "shipped")), None)
            if on_the_way is not None:
                responses.text(
                    f"Your order {on_the_way.order_id} hasn't been delivered yet "
                    f"({responses.status_words(on_the_way.status)}). You can return items once they arrive, "
                    "within 30 days of delivery."
                ).send(dispatcher)
            else:
                messages.no_returnable_orders().send(dispatcher)
            return [*fresh, SlotSet(RETURN_READY, False)]
        prefill = [SlotSet(RETURN_ORDER_ID, delivered[0].order_id)] if len(delivered) == 1 else []
        return [*fresh, *prefill, SlotSet(RETURN_READY, True)]


class ActionAskReturnOrderId(Action):
    def name(self) -> str:
        return "action_ask_return_order_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            recent = await get_shop_client().alist_orders(customer_id(tracker), RECENT_ORDERS)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        delivered = [o for o in recent if o.status == "delivered"]
        messages.ask_return_order(delivered or recent).send(dispatcher)
        return []


class ActionAskReturnLine(Action):
    def name(self) -> str:
        return "action_ask_return_line"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            order = await get_shop_client().aget_order(customer_id(tracker), _return_order_id(tracker))
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        messages.ask_return_line(order).send(dispatcher)
        return []


class ActionAskReturnReason(Action):
    def name(self) -> str:
        return "action_ask_return_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        messages.ask_return_reason().send(dispatcher)
        return []


class ValidateReturnForm(FormValidationAction):
    """Order: a delivered order of this shopper still in its window; item: one of its lines
    (or all); reason: a few words."""

    def name(self) -> str:
        return "validate_return_form"

    async def validate_return_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = order_id_in_message(tracker) or _order_id_in(value)
        if not found:
            if wants_to_stop(tracker):
                return stop_form(RETURN_ORDER_ID)
            responses.text("Please pick one of your orders, or give me its number (like BT-7K3MZQ2P).").send(
                dispatcher
            )
            return {RETURN_ORDER_ID: None}
        try:
            order = await get_shop_client().aget_order(customer_id(tracker), found)
        except (ShopNotFound, ShopRejected):
            messages.order_not_found(found).send(dispatcher)
            return {RETURN_ORDER_ID: None}
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return {RETURN_ORDER_ID: None}
        problem = returnable_problem(order)
        if problem:
            problem.send(dispatcher)
            return {RETURN_ORDER_ID: None}
        # One line: nothing to choose, so the item question is skipped.
        only_line = order.lines[0].line_id if len(order.lines) == 1 else None
        return {RETURN_ORDER_ID: order.order_id, RETURN_LINE: only_line}

    async def validate_return_line(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            order = await get_shop_client().aget_order(customer_id(tracker), _return_order_id(tracker))
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return {RETURN_LINE: None}
        if len(order.lines) == 1:
            return {RETURN_LINE: order.lines[0].line_id}
        line = _line_meant(tracker, value, order)
        if line is None:
            if wants_to_stop(tracker):
                return stop_form(RETURN_LINE)
            responses.text("Sorry, which item? Please pick one of the buttons, or say \"everything\".").send(
                dispatcher
            )
            return {RETURN_LINE: None}
        return {RETURN_LINE: line}

    async def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reason = " ".join(str(value or "").split())
        if wants_to_stop(tracker) and (len(reason.split()) <= 3 or said_stop(reason)):
            return stop_form(RETURN_REASON)  # "never mind", "no", "cancel the return" — not a reason
        if len(reason) < 2 or reason.startswith("/"):
            responses.text("Could you tell me in a few words why you're returning it?").send(dispatcher)
            return {RETURN_REASON: None}
        return {RETURN_REASON: reason[:500]}


def _order_id_in(value: Any) -> str | None:
    match = ORDER_ID_PATTERN.search(str(value or ""))
    return match.group(1).upper() if match else None


class ActionSubmitReturn(Action):
    """POST the return; explain the shop's refusals (not delivered, window closed)."""

    def name(self) -> str:
        return "action_submit_return"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        done: list[EventType] = [SlotSet(RETURN_LINE, None), SlotSet(RETURN_REASON, None),
                                 SlotSet(RETURN_READY, False)]
        order_id = tracker.get_slot(RETURN_ORDER_ID)
        line = tracker.get_slot(RETURN_LINE)
        reason = tracker.get_slot(RETURN_REASON)
        if not (order_id and line and reason):
            responses.text("OK, I've stopped the return. Nothing was sent to the shop.").send(dispatcher)
            return done
        try:
            client = get_shop_client()
            who = customer_id(tracker)
            lines: list[tuple[str, int]] = []
            if line != ALL_LINES:
                order = await client.aget_order(who, order_id)
                lines = [(li.line_id, li.quantity) for li in order.lines if li.line_id == line]
            created = await client.arequest_return(who, order_id, reason, lines)
        except ShopConflict as exc:
            if exc.code == "return_window_closed":
                deadline = str(exc.facts.get("deadline") or "")[:10] or None
                days = exc.facts.get("window_days")
                days = days if isinstance(days, int) else 30
                messages.return_window_closed(order_id, deadline, days).send(dispatcher)
            else:
                messages.cannot_any_more(order_id, exc.facts.get("status"), "returned").send(dispatcher)
            return done
        except (ShopNotFound, ShopRejected):
            messages.order_not_found(order_id).send(dispatcher)
            return done
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return done
        messages.return_requested(created.return_id, created.order_id, created.amount, created.currency).send(
            dispatcher
        )
        return done


# Every order but a cancelled one may still be the subject of a refund request.
REFUNDABLE = ("pending_payment", "paid", "shipped", "delivered", "return_requested", "returned", "refunded")


class ActionRequestRefund(Action):
    """ "I want my money back": cancel if it hasn't shipped, return if it's delivered."""

    def name(self) -> str:
        return "action_request_refund"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        nothing_to_refund = responses.text("I can't see an order of yours to refund. Here's how refunds work:")
        try:
            choice = await choose_order(
                tracker,
                get_shop_client(),
                REFUNDABLE,
                "request_refund",
                "Which order would you like a refund for?",
                nothing_to_refund,
                no_orders=nothing_to_refund,
            )
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        if choice.order is None:
            if choice.message:
                choice.message.send(dispatcher)
            if choice.message is nothing_to_refund:
                dispatcher.utter_message(response="utter_refund_policy")
            return []
        order = choice.order
        if order.can_cancel:
            messages.refund_by_cancelling(order).send(dispatcher)
        elif order.can_return:
            messages.refund_by_returning(order).send(dispatcher)
        elif order.status in ("return_requested", "returned", "refunded", "cancelled"):
            messages.refund_on_the_way(order).send(dispatcher)
        elif order.status == "shipped":
            messages.refund_after_delivery(order).send(dispatcher)
        else:
            messages.no_refund_possible(order).send(dispatcher)
        return []


class ActionRefundStatus(Action):
    """The shopper's refunds, in words."""

    def name(self) -> str:
        return "action_refund_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            refunds = await get_shop_client().alist_refunds(customer_id(tracker))
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        messages.refunds(refunds).send(dispatcher)
        return [answered("refund_status")]
