"""What the forms share (checkout, the address change, returns): leaving a form, and reading an
address, a delivery option or a payment method from an answer."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rasa_sdk import Tracker

from actions.clients.shop_orders import DeliveryOption, PaymentMethod
from actions.message import latest_intent

# The shop's limits on a written address (shop/app/schemas.py AddressText; checked against the
# shop's OpenAPI document by tests/actions/test_actions_live.py).
MIN_ADDRESS_LENGTH = 5
MAX_ADDRESS_LENGTH = 300
_QUESTION_START = re.compile(
    r"^(what|which|how|why|when|where|who|can|could|do|does|is|are|will|would|should)\b", re.IGNORECASE
)

# Words shoppers use for the shop's codes, beyond the codes and names themselves.
_DELIVERY_WORDS = {
    "standard": ("standard", "normal", "regular", "cheapest", "cheap"),
    "express": ("express", "fast", "quick"),
    "next_day": ("next day", "next-day", "nextday", "tomorrow", "overnight"),
    "click_and_collect": ("click and collect", "click & collect", "collect", "pick up", "pickup", "in store"),
}
_PAYMENT_WORDS = {
    "card": ("card", "credit", "debit", "visa", "mastercard", "amex"),
    "paypal": ("paypal", "pay pal"),
    "apple_pay": ("apple",),
    "google_pay": ("google",),
}


_STOP = re.compile(r"^\s*(stop|cancel|never ?mind|forget it|quit|no thanks)\b", re.IGNORECASE)


def wants_to_stop(tracker: Tracker) -> bool:
    """ "stop", "never mind" or a plain no while a form asks something."""
    intent = latest_intent(tracker)
    return intent == "deny" or said_stop(str(tracker.latest_message.get("text") or ""))


def said_stop(text: str) -> bool:
    """The words open with "stop", "cancel", "never mind", "forget it"…"""
    return _STOP.match(text) is not None


def stop_form(slot: str) -> dict[str, Any]:
    """What a validation returns to end its form: the submit action then sees what is missing.

    The slot being validated is emptied too: the form has already filled it with the words
    ("never mind", "stop"), and rasa-sdk keeps an extracted value its validation doesn't return.
    """
    return {"requested_slot": None, slot: None}


def matches_option(said: str, code: str, name: str, words: Mapping[str, Sequence[str]]) -> bool:
    said = said.casefold().replace("_", " ").strip(" .!")
    if not said:
        return False
    if said in (code, code.replace("_", " "), name.casefold()):
        return True
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", said) for word in words.get(code, ()))


def pick_delivery(said: str, options: Sequence[DeliveryOption]) -> DeliveryOption | None:
    found = [o for o in options if matches_option(said, o.code, o.name, _DELIVERY_WORDS)]
    return found[0] if len(found) == 1 else None


def pick_payment(said: str, methods: Sequence[PaymentMethod]) -> PaymentMethod | None:
    found = [m for m in methods if matches_option(said, m.code, m.name, _PAYMENT_WORDS)]
    return found[0] if len(found) == 1 else None


def address_problem(value: Any) -> str | None:
    """Why `value` can't be a shipping address, or None if it can."""
    address = str(value or "").strip()
    if len(address) < MIN_ADDRESS_LENGTH:
        return "That looks too short for an address."
    if len(address) > MAX_ADDRESS_LENGTH:
        return f"That's too long for an address: please keep it under {MAX_ADDRESS_LENGTH} characters."
    if address.endswith("?") or _QUESTION_START.match(address):
        return "That looks like a question rather than an address."
    return None
