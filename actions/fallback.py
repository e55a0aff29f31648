"""The first stage of the two-stage fallback: "Did you mean …?" with the likeliest intents.

Rasa runs `action_two_stage_fallback` when NLU is unsure (FallbackClassifier → nlu_fallback); it
asks through `action_default_ask_affirmation`, which this module replaces so the buttons are the
two or three most likely intents in words a shopper understands — each button re-sends the
message as that intent with its entities — plus "Something else". Refusing the suggestions, or
a second message it can't understand, is a second failed turn in a row: the shopper is handed
to a person (actions/handoff.py).
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# What each intent means, as a button a shopper would press.
INTENT_DESCRIPTIONS: dict[str, str] = {
    "greet": "Say hello",
    "goodbye": "Say goodbye",
    "thank": "Say thanks",
    "help": "See what I can do",
    "bot_challenge": "Ask if I'm a bot",
    "browse_catalog": "Browse the departments",
    "search_product": "Find a product",
    "refine_search": "Change my last search",
    "product_details": "Learn more about a product",
    "add_to_cart": "Add something to my cart",
    "remove_from_cart": "Remove something from my cart",
    "view_cart": "See my cart",
    "checkout": "Check out and pay",
    "order_status": "Track an order",
    "cancel_order": "Cancel an order",
    "change_order": "Change an order",
    "change_shipping_address": "Change a delivery address",
    "return_item": "Return an item",
    "request_refund": "Get a refund",
    "refund_status": "Check a refund",
    "refund_policy": "How refunds work",
    "delivery_options": "Delivery options and costs",
    "delivery_time": "How long delivery takes",
    "payment_methods": "Ways to pay",
    "payment_issue": "A problem with a payment",
    "payment_received": "I've paid",
    "payment_failed": "My payment didn't go through",
    "get_invoice": "Get an invoice",
    "complaint": "Make a complaint",
    "human_handoff": "Talk to a person",
    "feedback": "Give feedback",
    "subscribe_news": "Get news and offers",
    "unsubscribe": "Stop news and offers",
    "account_help": "Help with my account",
    "delete_my_data": "Delete my data",
    "store_locator": "Find a store",
    "promotions": "See current offers",
    "faq": "A question about our policies",
    "chitchat": "Just chatting",
}
# Never offered: what the fallback is about, answers without a question, the desk's own intent, and
# the retrieval intents, whose answer depends on words a button can't carry ("/faq" answers nothing).
NOT_OFFERED = {"nlu_fallback", "out_of_scope", "affirm", "deny", "handback", "faq", "chitchat"}
MAX_SUGGESTIONS = 3
MIN_CONFIDENCE = 0.05


# Entities our NLU adds to every message (its topic, sentiment, register): readings of the
# message, never something a button should say again.
MESSAGE_READINGS = frozenset({"topic", "sentiment", "register"})


def suggestions(latest_message: dict[str, Any]) -> list[dict[str, str]]:
    """Buttons for the likeliest intents of the message, each carrying its entities."""
    entities = {
        e["entity"]: e["value"] for e in latest_message.get("entities") or []
        if isinstance(e, dict) and e.get("entity") and isinstance(e.get("value"), str)
        and e["entity"] not in MESSAGE_READINGS
    }
    payload_entities = json.dumps(entities, ensure_ascii=False) if entities else ""
    buttons = []
    for ranked in latest_message.get("intent_ranking") or []:
        name = ranked.get("name")
        if name in NOT_OFFERED or name not in INTENT_DESCRIPTIONS:
            continue
        if float(ranked.get("confidence") or 0.0) < MIN_CONFIDENCE:
            break
        buttons.append({"title": INTENT_DESCRIPTIONS[name], "payload": f"/{name}{payload_entities}"})
        if len(buttons) == MAX_SUGGESTIONS:
            break
    return buttons


class ActionDefaultAskAffirmation(Action):
    """Asks which of the likeliest meanings the shopper had in mind."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        buttons = suggestions(tracker.latest_message)
        # out_of_scope is what Rasa's two-stage fallback reads as "none of these".
        buttons.append({"title": "Something else", "payload": "/out_of_scope"})
        text = ("Sorry, I'm not sure I understood. Did you want to:" if len(buttons) > 1
                else "Sorry, I'm not sure I understood. Could you say it another way?")
        dispatcher.utter_message(text=text, buttons=buttons)
        return []
