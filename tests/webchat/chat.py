"""Talking to the whole stack over the REST channel, and reading what the shopper would read.

Shared by the transcript tests (test_understanding.py, test_transcripts.py): each sends the
shopper's messages to Rasa's REST webhook, with the REST channel's token, and asserts on the texts,
buttons and product cards that come back, never only on which action ran.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .conftest import Stack, http_json

# The hand-off message (actions/care_messages.py): on a channel a person can write to, "I've asked
# a person"; on REST, which is reply-only, that a person can't write to them here (and no ticket
# is opened). A complaint's ticket is not a hand-off.
HANDED_OFF = re.compile(r"asked a person|a person can't write to you")
OFFER_PERSON = "I'm sorry this isn't going smoothly"  # utter_offer_person


def chat(stack: Stack) -> str:
    return f"understanding-{uuid.uuid4().hex[:10]}"


def say(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    status, body = http_json("POST", f"{stack.rasa_url}/webhooks/rest/webhook", stack.rest_token,
                             body={"sender": sender, "message": text})
    assert status == 200, body
    replies = body.get("items", [])
    assert isinstance(replies, list) and replies, f"no answer to {text!r}"
    return replies


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def buttons(replies: list[dict[str, Any]]) -> list[str]:
    return [str(b.get("title")) for r in replies for b in r.get("buttons") or []]


def cards(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for reply in replies:
        custom = reply.get("custom") or {}
        found += list(custom.get("cards") or [])
    return found


def shop_product(stack: Stack, sku: str) -> dict[str, Any]:
    status, product = http_json("GET", f"{stack.shop_url}/products/{sku}", stack.shop_token)
    assert status == 200, product
    return product


def no_trouble(replies: list[dict[str, Any]]) -> None:
    said = texts(replies)
    for bad in ("Sorry, I didn't quite get that", "not sure I understood", "something went wrong", "Traceback"):
        assert bad not in said, f"unexpected {bad!r} in:\n{said}"
    assert not HANDED_OFF.search(said), f"an unexpected hand-off:\n{said}"


def cards_in(stack: Stack, text: str, department: str) -> list[dict[str, Any]]:
    """The product cards a new conversation's `text` gets, checked to be all from `department`."""
    replies = say(stack, chat(stack), text)
    no_trouble(replies)
    found = cards(replies)
    assert found, texts(replies)
    assert all(shop_product(stack, c["sku"])["department"] == department for c in found), [c["title"] for c in found]
    return found
