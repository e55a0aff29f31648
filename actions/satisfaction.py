""""Did that help?" after a care answer, and what shoppers say about the help they get.

A care action that answered (delivery, payment methods, stores, refunds, offers) marks it with
`answered(topic)` (actions/slots.py); the rules then run `action_ask_satisfaction`, which asks
once per conversation session — a shop assistant that asks after every answer is tiring. The
answer (a button, or a typed yes or no) and any feedback in the shopper's own words go to the shop
(POST /feedback), where the merchant sees satisfaction per topic (GET /admin/feedback/summary).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import care_messages as messages
from actions.clients.shop import ShopError, get_shop_client
from actions.identity import customer_id
from actions.message import entity_value, latest_intent
from actions.slots import ANSWERED_TOPIC, SATISFACTION_ASKED

logger = logging.getLogger(__name__)

RATING_PAYLOAD = '/feedback{"rating"'
RATINGS = {"good", "bad"}
COMMENT_LENGTH = 2000


def _current_turn(tracker: Tracker) -> list[dict[str, Any]]:
    last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=-1)
    return tracker.events[last_user + 1:]


def _session(tracker: Tracker) -> list[dict[str, Any]]:
    start = max((i for i, e in enumerate(tracker.events) if e.get("event") == "session_started"), default=0)
    return tracker.events[start:]


def asked_this_session(tracker: Tracker) -> bool:
    """True when "did that help?" was asked since the conversation session started: the slot, or
    (conversations from before the slot) a question with rating buttons among the session's events."""
    if tracker.get_slot(SATISFACTION_ASKED):
        return True
    for event in _session(tracker):
        buttons = (event.get("data") or {}).get("buttons") or [] if event.get("event") == "bot" else []
        if any(str(b.get("payload", "")).startswith(RATING_PAYLOAD) for b in buttons):
            return True
    return False


def answered_this_turn(tracker: Tracker) -> str | None:
    for event in _current_turn(tracker):
        if event.get("event") == "slot" and event.get("name") == ANSWERED_TOPIC and event.get("value"):
            return str(event["value"])
    return None


class ActionAskSatisfaction(Action):
    """Asks "did that help?" after a care answer, once a session; says nothing otherwise."""

    def name(self) -> str:
        return "action_ask_satisfaction"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        topic = answered_this_turn(tracker)
        if topic is None:
            # The action asked a question back, or the shop failed: nothing to rate, and an
            # earlier unanswered question must not collect a later "yes".
            return [SlotSet(ANSWERED_TOPIC, None)] if tracker.get_slot(ANSWERED_TOPIC) else []
        if asked_this_session(tracker):
            return [SlotSet(ANSWERED_TOPIC, None)]
        messages.did_that_help().send(dispatcher)
        return [SlotSet(SATISFACTION_ASKED, True)]


class ActionRecordFeedback(Action):
    """A rating of the last care answer, or feedback in the shopper's words: recorded, answered."""

    def name(self) -> str:
        return "action_record_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = latest_intent(tracker)
        rating = self._rating(tracker, intent)
        topic = tracker.get_slot(ANSWERED_TOPIC) if rating else None
        # Words are kept only when they are feedback; a typed "yes" to the question is just the rating.
        said = " ".join(str(tracker.latest_message.get("text") or "").split())
        comment = said[:COMMENT_LENGTH] if intent == "feedback" and not said.startswith("/") else ""
        if rating is None and not comment:
            messages.feedback_unclear().send(dispatcher)
            return []
        try:
            await get_shop_client().arecord_feedback(customer_id(tracker), rating, topic, comment)
        except ShopError as exc:
            # Losing one rating must not cost the shopper an error message.
            logger.warning("Feedback could not be recorded: %s", type(exc).__name__)
        else:
            logger.info("Feedback recorded (rating %s, topic %s)", rating, topic)
        if rating == "bad":
            messages.sorry_it_did_not_help().send(dispatcher)
        elif rating == "good":
            messages.glad_it_helped().send(dispatcher)
        else:
            messages.thanks_for_feedback().send(dispatcher)
        return [SlotSet(ANSWERED_TOPIC, None)]

    @staticmethod
    def _rating(tracker: Tracker, intent: str | None) -> str | None:
        pressed = entity_value(tracker, "rating")
        if pressed in RATINGS:
            return pressed
        if tracker.get_slot(ANSWERED_TOPIC) and intent in ("affirm", "deny"):
            return "good" if intent == "affirm" else "bad"  # a typed answer to "did that help?"
        return None
