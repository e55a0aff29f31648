"""The fallback's clarifying question: buttons from the likeliest intents, in a shopper's words."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import INTENT_DESCRIPTIONS, ActionDefaultAskAffirmation, suggestions
from tests.actions.builders import build_tracker
from tests.actions.conftest import PROJECT


def ranking(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_every_domain_intent_has_a_description() -> None:
    domain = yaml.safe_load((PROJECT / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) <= set(INTENT_DESCRIPTIONS) | {"out_of_scope", "affirm", "deny", "handback"}


def test_buttons_are_the_likeliest_intents_with_their_entities() -> None:
    message = {
        "intent_ranking": ranking(("nlu_fallback", 0.4), ("order_status", 0.31), ("return_item", 0.2),
                                  ("deny", 0.1), ("refund_status", 0.08), ("checkout", 0.06)),
        "entities": [{"entity": "order_id", "value": "BT-7K3MZQ2P"}],
    }
    assert suggestions(message) == [
        {"title": "Track an order", "payload": '/order_status{"order_id": "BT-7K3MZQ2P"}'},
        {"title": "Return an item", "payload": '/return_item{"order_id": "BT-7K3MZQ2P"}'},
        {"title": "Check a refund", "payload": '/refund_status{"order_id": "BT-7K3MZQ2P"}'},
    ]


def test_unlikely_intents_are_not_offered() -> None:
    message = {"intent_ranking": ranking(("search_product", 0.3), ("feedback", 0.01)), "entities": []}
    assert [b["payload"] for b in suggestions(message)] == ["/search_product"]


def test_retrieval_intents_are_not_offered_as_buttons() -> None:
    # "/faq" carries no question: the answer would be a guess.
    message = {"intent_ranking": ranking(("chitchat", 0.3), ("faq", 0.2), ("promotions", 0.1)), "entities": []}
    assert [b["payload"] for b in suggestions(message)] == ["/promotions"]


@pytest.mark.asyncio
async def test_the_question_always_offers_something_else(domain: dict[str, Any]) -> None:
    tracker = build_tracker("wat abt the thing", "nlu_fallback")
    tracker.latest_message["intent_ranking"] = ranking(("nlu_fallback", 0.4), ("search_product", 0.3))
    dispatcher = CollectingDispatcher()
    assert await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain) == []
    [message] = dispatcher.messages
    assert message["text"].startswith("Sorry, I'm not sure I understood.")
    assert [b["title"] for b in message["buttons"]] == ["Find a product", "Something else"]
    assert message["buttons"][-1]["payload"] == "/out_of_scope"  # Rasa's "none of these"
