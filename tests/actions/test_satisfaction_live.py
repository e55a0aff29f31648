""""Did that help?" and feedback, against the real shop: what is asked, when, and what is recorded."""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests
from rasa_sdk import Tracker

from actions.care import ActionFindStores
from actions.clients.shop import ShopClient
from actions.orders import ActionShowDeliveryOptions
from actions.satisfaction import ActionAskSatisfaction, ActionRecordFeedback
from actions.slots import ANSWERED_TOPIC
from tests.actions.builders import entity, run_action, slots_set, texts
from tests.actions.builders import user_tracker as tracker

pytestmark = [pytest.mark.shop, pytest.mark.asyncio]


def _after(current: Tracker, events: list[dict[str, Any]]) -> Tracker:
    """`current` with the events an action of this turn returned, as Rasa passes them on."""
    current.events.extend(events)
    for event in events:
        if event.get("event") == "slot":
            current.slots[event["name"]] = event["value"]
    return current


def _summary(shop: ShopClient) -> dict[str, Any]:
    """The merchant's view: satisfaction per topic and the number of comments."""
    answer = requests.get(f"{shop.base_url}/admin/feedback/summary", timeout=10,
                          headers={"Authorization": f"Bearer {os.environ['SHOP_ADMIN_TOKEN']}"})
    assert answer.status_code == 200
    return dict(answer.json())


def _topic(shop: ShopClient, topic: str) -> dict[str, Any]:
    return next((t for t in _summary(shop)["topics"] if t["topic"] == topic), {"good": 0, "bad": 0})


async def test_an_answer_is_followed_by_the_question_once_a_session(sender: str, domain: dict[str, Any]) -> None:
    turn = tracker(sender, "how much is delivery?", "delivery_options")
    _, answer_events = await run_action(ActionShowDeliveryOptions(), turn, domain)
    assert slots_set(answer_events) == {ANSWERED_TOPIC: "delivery_options"}

    asked, _ = await run_action(ActionAskSatisfaction(), _after(turn, answer_events), domain)
    assert texts(asked) == "Did that answer your question?"
    assert [b["payload"] for b in asked[0]["buttons"]] == ['/feedback{"rating":"good"}', '/feedback{"rating":"bad"}']

    # Later in the same session: answered again, but not asked again.
    again = tracker(sender, "and express delivery?", "delivery_options")
    again.events[:0] = [{"event": "session_started"}, {"event": "bot", "text": asked[0]["text"],
                                                        "data": {"buttons": asked[0]["buttons"]}}]
    _, again_events = await run_action(ActionShowDeliveryOptions(), again, domain)
    silent, silent_events = await run_action(ActionAskSatisfaction(), _after(again, again_events), domain)
    assert silent == [] and slots_set(silent_events) == {ANSWERED_TOPIC: None}


async def test_no_question_when_the_action_asked_something_back(sender: str, domain: dict[str, Any]) -> None:
    turn = tracker(sender, "where are your stores?", "store_locator")
    question, events = await run_action(ActionFindStores(), turn, domain)
    assert "Which city are you in?" in texts(question)
    assert ANSWERED_TOPIC not in slots_set(events)

    asked, _ = await run_action(ActionAskSatisfaction(), _after(turn, events), domain)
    assert asked == []


async def test_ratings_are_recorded_per_topic(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    topic = "store_locator"
    before = _topic(shop, topic)

    good, good_events = await run_action(
        ActionRecordFeedback(),
        tracker(sender, '/feedback{"rating":"good"}', "feedback", [entity("rating", "good")],
                slots={ANSWERED_TOPIC: topic}),
        domain,
    )
    bad, _ = await run_action(
        ActionRecordFeedback(), tracker(sender, "no", "deny", slots={ANSWERED_TOPIC: topic}), domain
    )

    after = _topic(shop, topic)
    assert (after["good"] - before["good"], after["bad"] - before["bad"]) == (1, 1)
    assert "glad I could help" in texts(good)
    assert slots_set(good_events) == {ANSWERED_TOPIC: None}
    assert "Sorry that didn't help" in texts(bad)
    assert bad[0]["buttons"] == [{"title": "Talk to a person", "payload": "/human_handoff"}]


async def test_feedback_in_words_is_kept_and_a_stray_no_is_not_a_rating(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    comments_before = _summary(shop)["comments"]
    words, _ = await run_action(
        ActionRecordFeedback(), tracker(sender, "the delivery was super fast, well done", "feedback"), domain
    )
    stray, stray_events = await run_action(ActionRecordFeedback(), tracker(sender, "no", "deny"), domain)

    assert "goes straight to the team" in texts(words)
    assert _summary(shop)["comments"] == comments_before + 1
    assert "If you have feedback" in texts(stray) and stray_events == []
