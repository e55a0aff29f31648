"""Handing a conversation to a person, and taking it back.

A hand-off happens when the shopper asks for a person, when the bot failed two turns in a row
(the two-stage fallback found nothing twice), or when a message is clearly angry (the
HandoffPolicy, components/handoff_policy.py, predicts `action_handoff` then). Each opens a
`handoff` ticket in the shop — the desk's queue — and pauses the bot (ConversationPaused): the
shopper's messages are still recorded, but only the agent answers, through the care desk
(channels/desk.py). When the agent hands back, the desk triggers the `handback` intent and
`action_handback` tells the shopper the bot is back, with their cart and any payment news.

If the shop cannot take the ticket, nothing is paused: a paused bot that no one will answer
would leave the shopper alone. On a channel a person cannot write to (REST) no ticket is opened at
all — nobody could answer or close it — and the shopper is told where a person can answer them.

A hand-off stops any open form: what the shopper then writes is for the person, and must not
answer the form's question (nor may the hand-back). The time-out brings the bot back only if no
person has joined since the pause (a reply, or a take-over that cancelled the time-out).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActiveLoop,
    ConversationPaused,
    ConversationResumed,
    EventType,
    FollowupAction,
    ReminderCancelled,
    ReminderScheduled,
    SlotSet,
    UserUtteranceReverted,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import care_messages as messages
from actions.clients.shop import ShopError, get_shop_client
from actions.identity import a_person_can_write, customer_id
from actions.message import entity_value, latest_intent, order_id_in_message, ticket_subject
from components.anger import is_clearly_angry

logger = logging.getLogger(__name__)

HANDOFF_TICKET = "handoff_ticket"
REQUESTED_SLOT = "requested_slot"
# The bot's answers that mean it did not understand the turn.
FALLBACK_ACTIONS = {"action_two_stage_fallback", "action_default_fallback"}
PAYMENT_INTENTS = {"payment_received", "payment_failed"}
# Questions left open when the agent took over: their yes/no can't be answered after hand-back.
PENDING_QUESTIONS = {"confirming": None, "confirming_erasure": False, "awaiting_variant": False,
                     "pending_cart_item": None}
# If no person has answered this long after a hand-off, the bot comes back (the ticket stays open):
# a Rasa reminder named by timeout_reminder() triggers `handback` with handback_reason "timeout";
# the care desk cancels it as soon as a person takes over or replies.
HANDOFF_TIMEOUT = "handoff_timeout"
DEFAULT_TIMEOUT_MINUTES = 10.0
SUBJECTS = {
    "asked": "Shopper asked for a person",
    "angry": "Angry shopper: handed to a person",
    "not_understood": "The bot did not understand twice",
}


def previous_turn_failed(tracker: Tracker) -> bool:
    """True when the bot's answer to the shopper's previous message was a fallback."""
    user_turns = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    if len(user_turns) < 2:
        return False
    previous, current = user_turns[-2], user_turns[-1]
    return any(
        e.get("event") == "action" and e.get("name") in FALLBACK_ACTIONS
        for e in tracker.events[previous + 1:current]
    )


def handoff_reason(tracker: Tracker) -> str:
    if is_clearly_angry(tracker.latest_message.get("text")):
        return "angry"
    if latest_intent(tracker) in ("human_handoff", "complaint", "payment_issue"):
        return "asked"
    return "not_understood"


async def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    """Opens the hand-off ticket, tells the shopper and pauses the bot (not paused if the shop fails)."""
    if not a_person_can_write(tracker):
        logger.info("Hand-off (%s) asked on a reply-only channel: no ticket, the bot keeps answering", reason)
        messages.handoff_reply_only(reason).send(dispatcher)
        return []
    subject, body = ticket_subject(tracker, SUBJECTS[reason])
    if reason != "asked":
        subject = f"{SUBJECTS[reason]}: {subject}" if body else subject
    try:
        ticket = await get_shop_client().aopen_ticket(
            customer_id(tracker), "handoff", subject[:200], body, order_id_in_message(tracker)
        )
    except ShopError as exc:
        logger.warning("Hand-off ticket could not be opened (%s): the bot keeps answering", type(exc).__name__)
        messages.handoff_unavailable().send(dispatcher)
        return []
    logger.info("Hand-off ticket %s opened (%s); the bot pauses", ticket.ticket_id, reason)
    messages.handoff(ticket, reason).send(dispatcher)
    events: list[EventType] = [SlotSet(HANDOFF_TICKET, ticket.ticket_id), ConversationPaused()]
    if tracker.active_loop_name:
        # The form stops: the shopper now talks to a person (channels/desk.py does the same on a take-over).
        events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
    timeout = handoff_timeout()
    if timeout is not None:
        events.append(ReminderScheduled(
            "handback", datetime.now(timezone.utc) + timeout, entities=[TIMEOUT_ENTITY],
            name=timeout_reminder(tracker.sender_id), kill_on_user_message=False,
        ))
    return events


TIMEOUT_ENTITY = {"entity": "handback_reason", "value": "timeout"}


def timeout_reminder(conversation_id: str) -> str:
    """The name of a conversation's hand-off time-out (channels/desk.py names it the same way).

    Rasa schedules a reminder under its name as the job id, replacing any job of that name: one
    name for every conversation would let each hand-off cancel the previous shopper's time-out.
    """
    return f"{HANDOFF_TIMEOUT}:{conversation_id}"


def handoff_timeout() -> timedelta | None:
    """How long a hand-off waits for a person (HANDOFF_TIMEOUT_MINUTES, default 10; 0: for ever)."""
    raw = os.environ.get("HANDOFF_TIMEOUT_MINUTES", "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_TIMEOUT_MINUTES
    except ValueError:
        logger.error("HANDOFF_TIMEOUT_MINUTES=%r is not a number: using %g", raw, DEFAULT_TIMEOUT_MINUTES)
        minutes = DEFAULT_TIMEOUT_MINUTES
    return timedelta(minutes=minutes) if minutes > 0 else None


class ActionHandoff(Action):
    """A person was asked for, or the HandoffPolicy heard clear anger."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await hand_off(dispatcher, tracker, handoff_reason(tracker))


class ActionDefaultFallback(Action):
    """Rasa's last resort (the two-stage fallback gave up, or no policy was sure).

    A second failed turn in a row goes to a person; a first one asks to rephrase and forgets the
    message, as Rasa's own fallback does.
    """

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if previous_turn_failed(tracker):
            return await hand_off(dispatcher, tracker, "not_understood")
        messages.not_understood().send(dispatcher)
        return [UserUtteranceReverted()]


class ActionDefaultAskRephrase(Action):
    """The shopper answered "none of these" to the two-stage fallback's suggestions.

    That is the second failed turn in a row (the suggestions were the first): a person takes
    over instead of a third attempt. Without a failed turn before, it asks to rephrase. A typed
    out-of-scope message is no "none of these" (the button sends /out_of_scope): it is answered.
    """

    def name(self) -> str:
        return "action_default_ask_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        said = str(tracker.latest_message.get("text") or "")
        if latest_intent(tracker) == "out_of_scope" and not said.startswith("/"):
            # Rasa reads out_of_scope as "none of these", but this one was typed: a clear message
            # about something Bottega doesn't do ("can you fix my bike"), answered as such.
            dispatcher.utter_message(response="utter_out_of_scope")
            return [ActiveLoop(None), FollowupAction("action_listen")]
        if previous_turn_failed(tracker):
            events = await hand_off(dispatcher, tracker, "not_understood")
            # The fallback loop ends with the hand-off; after hand-back the bot starts afresh.
            return [*events, ActiveLoop(None)] if events else events
        messages.not_understood().send(dispatcher)
        return []


class ActionHandback(Action):
    """The agent handed the conversation back (the desk triggered `handback`), or the shopper
    asked for the bot again — also while paused, when this action resumes the conversation."""

    def name(self) -> str:
        return "action_handback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if entity_value(tracker, "handback_reason") == "timeout":
            return _timed_out(dispatcher, tracker)
        client = get_shop_client()
        ticket_id = tracker.get_slot(HANDOFF_TICKET)
        if ticket_id:
            try:
                await client.aclose_ticket(customer_id(tracker), str(ticket_id))
            except ShopError as exc:
                logger.warning("Hand-off ticket %s could not be closed: %s", ticket_id, type(exc).__name__)
        try:
            cart = await client.aget_cart(customer_id(tracker))
            cart_items: int | None = cart.item_count
        except ShopError:
            cart_items = None  # the greeting still works without the count
        # Paused still: the shopper asked for the bot themselves (server/pause.py let it through).
        by_shopper = tracker.is_paused()
        messages.handed_back(cart_items, payment_news_while_paused(tracker), by_shopper).send(dispatcher)
        events: list[EventType] = [ConversationResumed()] if by_shopper else []
        events += [ReminderCancelled(name=timeout_reminder(tracker.sender_id)), SlotSet(HANDOFF_TICKET, None)]
        events += [SlotSet(slot, value) for slot, value in PENDING_QUESTIONS.items()
                   if tracker.get_slot(slot) not in (None, value)]
        return events


def _timed_out(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Nobody answered in time: the bot comes back, the ticket stays open for the team."""
    if not tracker.is_paused():
        return []  # a person or the shopper ended the hand-off already
    if a_person_has_joined(tracker):
        # The desk cancels the time-out when a person joins, but one already on its way (waiting for
        # the conversation's lock) still arrives here: the person keeps the conversation.
        return []
    messages.handoff_timed_out(tracker.get_slot(HANDOFF_TICKET)).send(dispatcher)
    return [ConversationResumed()]


def a_person_has_joined(tracker: Tracker) -> bool:
    """A person replied (a message with the agent's name) or took the conversation over (the desk
    cancelled the time-out) since the bot last paused."""
    paused_at = max((i for i, e in enumerate(tracker.events) if e.get("event") == "pause"), default=-1)
    for event in tracker.events[paused_at + 1:]:
        if event.get("event") == "bot" and (event.get("metadata") or {}).get("agent"):
            return True
        if event.get("event") == "cancel_reminder" and event.get("name") == timeout_reminder(tracker.sender_id):
            return True
    return False


def payment_news_while_paused(tracker: Tracker) -> list[str]:
    """Order ids of the payment notices the shop sent while the bot was paused (unanswered then)."""
    paused_at = max((i for i, e in enumerate(tracker.events) if e.get("event") == "pause"), default=None)
    if paused_at is None:
        return []
    found: list[str] = []
    for event in tracker.events[paused_at + 1:]:
        if event.get("event") == "resume":
            break  # notices after that were answered as they came
        parse: dict[str, Any] = event.get("parse_data") or {}
        if event.get("event") != "user" or (parse.get("intent") or {}).get("name") not in PAYMENT_INTENTS:
            continue
        for entity in parse.get("entities") or []:
            value = entity.get("value")
            if entity.get("entity") == "order_id" and isinstance(value, str) and value not in found:
                found.append(value)
    return found
