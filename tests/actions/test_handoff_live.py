"""Hand-off to a person and back, against the real shop (tickets are the desk's queue).

The pause itself is Rasa's (ConversationPaused); what the care desk does with it is tested with a
whole stack in tests/webchat/test_handoff.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import pytest_asyncio
from rasa.core import jobs
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ReminderScheduled, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker

from actions.clients.shop import ShopClient
from actions.handoff import (
    HANDOFF_TICKET,
    ActionDefaultAskRephrase,
    ActionDefaultFallback,
    ActionHandback,
    ActionHandoff,
    payment_news_while_paused,
    previous_turn_failed,
)
from channels.desk import _person_is_here
from tests.actions.builders import run_action, slots_set, texts, user_tracker
from tests.actions.test_care_live import _add_something, open_tickets

pytestmark = [pytest.mark.shop, pytest.mark.asyncio]

# The web chat: a channel a person can write to, where the bot pauses for them.
CHANNEL = "socketio"
tracker = functools.partial(user_tracker, channel=CHANNEL)


def _reference(messages: list[dict[str, Any]]) -> str:
    return next(w.strip("().:,") for w in texts(messages).split() if w.strip("(").startswith("TK-"))


def _paused(events: list[dict[str, Any]]) -> bool:
    return any(e.get("event") == "pause" for e in events)


def _after_a_failed_turn(sender: str, text: str, intent: str) -> Tracker:
    """A conversation whose previous message got the two-stage fallback's "did you mean …?"."""
    current = tracker(sender, text, intent)
    earlier: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "blorp zzk", "parse_data": {"intent": {"name": "nlu_fallback"}},
         "input_channel": CHANNEL},
        {"event": "action", "name": "action_two_stage_fallback"},
        {"event": "bot", "text": "Sorry, I'm not sure I understood. Did you want to:"},
    ]
    current.events[:0] = earlier
    return current


# --- asked for, and back -----------------------------------------------------------


async def test_asking_for_a_person_opens_a_ticket_and_pauses_the_bot(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    messages, events = await run_action(
        ActionHandoff(), tracker(sender, "can i talk to a real person please", "human_handoff"), domain
    )

    reference = _reference(messages)
    ticket = shop.get_ticket(f"{CHANNEL}:{sender}", reference)
    assert ticket.kind == "handoff" and ticket.status == "open"
    assert ticket.subject == "can i talk to a real person please"
    assert slots_set(events) == {HANDOFF_TICKET: reference}
    assert _paused(events)
    assert "reply right here" in texts(messages)
    # If nobody answers, a reminder brings the bot back (the care desk cancels it when a person does).
    [reminder] = [e for e in events if e["event"] == "reminder"]
    assert (reminder["name"], reminder["intent"]) == (f"handoff_timeout:{sender}", "handback")
    assert reminder["kill_on_user_msg"] is False  # the shopper writing to the person doesn't cancel it
    assert reminder["entities"] == [{"entity": "handback_reason", "value": "timeout"}]
    due = datetime.fromisoformat(reminder["date_time"]) - datetime.now(timezone.utc)
    assert timedelta(minutes=9) < due <= timedelta(minutes=10)


async def test_the_time_out_can_be_set_or_switched_off(
    sender: str, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_TIMEOUT_MINUTES", "0")
    _, never = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)
    monkeypatch.setenv("HANDOFF_TIMEOUT_MINUTES", "2.5")
    _, soon = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)

    assert _paused(never) and not [e for e in never if e["event"] == "reminder"]
    [reminder] = [e for e in soon if e["event"] == "reminder"]
    due = datetime.fromisoformat(reminder["date_time"]) - datetime.now(timezone.utc)
    assert timedelta(minutes=2) < due <= timedelta(minutes=2.5)


async def test_when_nobody_answers_in_time_the_bot_comes_back_and_the_ticket_stays_open(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    _, asked_events = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)
    reference = slots_set(asked_events)[HANDOFF_TICKET]
    timeout = {"entity": "handback_reason", "value": "timeout"}

    late = tracker(sender, "EXTERNAL: handback", "handback", [timeout], slots={HANDOFF_TICKET: reference},
                   paused=True)
    messages, events = await run_action(ActionHandback(), late, domain)
    stale = tracker(sender, "EXTERNAL: handback", "handback", [timeout], slots={HANDOFF_TICKET: reference})
    stale_messages, stale_events = await run_action(ActionHandback(), stale, domain)

    assert events == [{"event": "resume", "timestamp": None}]
    assert "nobody from our team has been able to answer yet" in texts(messages)
    assert reference in texts(messages)
    assert shop.get_ticket(f"{CHANNEL}:{sender}", reference).status == "open"  # the team still owes an answer
    assert (stale_messages, stale_events) == ([], [])  # a person or the shopper ended it already


class _Processor:
    """Rasa's own reminder scheduling (MessageProcessor._schedule_reminders, what Rasa runs on an
    action's events), with a `handle_reminder` that records what fired instead of running a model."""

    _schedule_reminders = MessageProcessor._schedule_reminders

    def __init__(self) -> None:
        self.fired: list[tuple[str, str | None, Any]] = []

    async def handle_reminder(self, reminder: ReminderScheduled, sender_id: str, output_channel: Any) -> None:
        self.fired.append((sender_id, reminder.intent, reminder.entities))


def _forget_rasa_scheduler() -> None:
    with contextlib.suppress(RuntimeError):  # started on an event loop an earlier test has closed
        jobs.kill_scheduler()
    vars(jobs)["__scheduler"] = None


@pytest_asyncio.fixture
async def rasa_scheduler() -> AsyncIterator[None]:
    """Rasa's process-wide scheduler, fresh on this test's event loop."""
    _forget_rasa_scheduler()
    yield
    _forget_rasa_scheduler()


async def _hand_off_as_rasa_does(processor: _Processor, sender: str, domain: dict[str, Any]) -> DialogueStateTracker:
    """The hand-off action's events, deserialised and scheduled as Rasa does with an action's answer."""
    _, events = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)
    rasa_events = deserialise_events(events)
    conversation = DialogueStateTracker.from_events(sender, rasa_events)
    await processor._schedule_reminders(rasa_events, conversation, CollectingOutputChannel())
    return conversation


@pytest.mark.usefixtures("rasa_scheduler")
async def test_each_hand_off_times_out_in_its_own_conversation(
    sender: str, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_TIMEOUT_MINUTES", "0.02")  # 1.2 s
    processor = _Processor()
    others = [f"{sender}-second", f"{sender}-third"]

    for who in (sender, *others):
        await _hand_off_as_rasa_does(processor, who, domain)
    await asyncio.sleep(3)

    timeout = [{"entity": "handback_reason", "value": "timeout"}]
    assert sorted(processor.fired) == sorted((who, "handback", timeout) for who in (sender, *others))


@pytest.mark.usefixtures("rasa_scheduler")
async def test_a_person_joining_cancels_only_that_conversations_time_out(
    sender: str, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_TIMEOUT_MINUTES", "0.02")
    processor = _Processor()
    answered = await _hand_off_as_rasa_does(processor, sender, domain)
    await _hand_off_as_rasa_does(processor, f"{sender}-waiting", domain)

    await _person_is_here(answered)  # what the care desk does when a person takes over or replies
    await asyncio.sleep(3)

    assert [who for who, _, _ in processor.fired] == [f"{sender}-waiting"]


async def test_clear_anger_is_apologised_for_and_handed_to_a_person(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    angry = "WHERE IS MY ORDER??? two weeks of waiting, this is unacceptable!!!"
    messages, events = await run_action(ActionHandoff(), tracker(sender, angry, "order_status"), domain)

    ticket = shop.get_ticket(f"{CHANNEL}:{sender}", _reference(messages))
    assert ticket.subject.startswith("Angry shopper: handed to a person: WHERE IS MY ORDER")
    assert "really sorry" in texts(messages)
    assert _paused(events)


async def test_handback_closes_the_ticket_and_comes_back_with_the_cart(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"{CHANNEL}:{sender}"
    _add_something(shop, who)
    _, asked_events = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)
    reference = slots_set(asked_events)[HANDOFF_TICKET]

    back = tracker(sender, "EXTERNAL: handback", "handback",
                   slots={HANDOFF_TICKET: reference, "confirming": "order", "awaiting_variant": True})
    messages, events = await run_action(ActionHandback(), back, domain)

    assert shop.get_ticket(who, reference).status == "closed"
    assert {"event": "cancel_reminder", "timestamp": None, "intent": None, "entities": None,
            "name": f"handoff_timeout:{sender}"} in events
    assert "You're back with Bottega's assistant" in texts(messages)
    assert "Your cart still has 1 item in it" in texts(messages)
    assert {"title": "View my cart", "payload": "/view_cart"} in messages[0]["buttons"]
    # Questions left open before the agent took over are dropped: a later "yes" can't answer them.
    assert slots_set(events) == {HANDOFF_TICKET: None, "confirming": None, "awaiting_variant": False}
    assert not _paused(events)


async def test_the_shopper_can_take_the_bot_back_while_paused(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    _, asked_events = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)
    reference = slots_set(asked_events)[HANDOFF_TICKET]

    back = tracker(sender, "back to the bot please", "handback", slots={HANDOFF_TICKET: reference}, paused=True)
    messages, events = await run_action(ActionHandback(), back, domain)

    assert {"event": "resume", "timestamp": None} in events  # the bot answers again
    assert "told our team you don't need them any more" in texts(messages)
    assert shop.get_ticket(f"{CHANNEL}:{sender}", reference).status == "closed"


async def test_handback_tells_of_a_payment_notice_that_arrived_during_the_pause(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    back = tracker(sender, "EXTERNAL: handback", "handback")
    back.events[:0] = [
        {"event": "pause"},
        {"event": "user", "text": "EXTERNAL: payment_received",
         "parse_data": {"intent": {"name": "payment_received"},
                        "entities": [{"entity": "order_id", "value": "BT-7K3MZQ2P"}]}},
        {"event": "resume"},
        {"event": "user", "text": "EXTERNAL: payment_received",  # after the pause: answered then
         "parse_data": {"intent": {"name": "payment_received"},
                        "entities": [{"entity": "order_id", "value": "BT-ANSWERED1"}]}},
    ]

    messages, _ = await run_action(ActionHandback(), back, domain)

    assert payment_news_while_paused(back) == ["BT-7K3MZQ2P"]
    assert "news about the payment for BT-7K3MZQ2P" in texts(messages)
    check = {"title": "Check BT-7K3MZQ2P", "payload": '/order_status{"order_id":"BT-7K3MZQ2P"}'}
    assert check in messages[0]["buttons"]


# --- two failed turns in a row -------------------------------------------------------


async def test_a_failed_turn_is_one_the_fallback_answered(sender: str) -> None:
    assert not previous_turn_failed(tracker(sender, "hello", "greet"))
    assert previous_turn_failed(_after_a_failed_turn(sender, "qwxz plonk", "nlu_fallback"))


async def test_a_first_failed_turn_asks_to_rephrase_and_forgets_the_message(
    sender: str, domain: dict[str, Any]
) -> None:
    messages, events = await run_action(ActionDefaultFallback(), tracker(sender, "qwxz plonk", "nlu_fallback"),
                                        domain)

    assert events == [{"event": "rewind", "timestamp": None}]
    assert "in other words" in texts(messages)


async def test_a_second_failed_turn_in_a_row_goes_to_a_person(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    messages, events = await run_action(
        ActionDefaultFallback(), _after_a_failed_turn(sender, "qwxz plonk", "nlu_fallback"), domain
    )

    ticket = shop.get_ticket(f"{CHANNEL}:{sender}", _reference(messages))
    assert ticket.subject.startswith("The bot did not understand twice")
    assert "not getting this right" in texts(messages)
    assert _paused(events)


async def test_refusing_the_suggestions_is_the_second_failed_turn(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    first, first_events = await run_action(
        ActionDefaultAskRephrase(), tracker(sender, "/out_of_scope", "out_of_scope"), domain
    )
    second, second_events = await run_action(
        ActionDefaultAskRephrase(), _after_a_failed_turn(sender, "/out_of_scope", "out_of_scope"), domain
    )

    assert first_events == [] and "in other words" in texts(first)
    assert _paused(second_events)
    assert {"event": "active_loop", "name": None, "timestamp": None} in second_events
    assert shop.get_ticket(f"{CHANNEL}:{sender}", _reference(second)).kind == "handoff"


# --- the shop is down: no pause without a ticket -------------------------------------


@pytest.mark.usefixtures("shop_down")
async def test_without_the_shop_the_bot_keeps_answering(sender: str, domain: dict[str, Any]) -> None:
    messages, events = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)

    assert events == []  # not paused: nobody would know to answer
    assert "can't reach our team right now" in texts(messages)
    assert "Traceback" not in texts(messages)


async def test_on_a_reply_only_channel_the_ticket_goes_out_but_the_bot_stays(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    rest = user_tracker(sender, "can i talk to a real person please", "human_handoff", channel="rest")
    before = open_tickets(os.environ["SHOP_URL"])

    messages, events = await run_action(ActionHandoff(), rest, domain)

    assert events == []  # not paused: nobody could write to this shopper here
    # Nor a ticket: nobody could answer or close it (the desk cannot write to a REST shopper).
    assert open_tickets(os.environ["SHOP_URL"]) == before
    assert "TK-" not in texts(messages)
    assert "a person can't write to you in this chat" in texts(messages)
    assert "web chat" in texts(messages)


# --- a person joins ------------------------------------------------------------------


async def test_handing_off_inside_a_form_stops_the_form(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    # e.g. the two-stage fallback gave up while the address form was asking
    in_form = _after_a_failed_turn(sender, "qwxz plonk", "nlu_fallback")
    in_form.active_loop = {"name": "address_change_form"}
    in_form.slots["requested_slot"] = "new_shipping_address"

    _, events = await run_action(ActionDefaultFallback(), in_form, domain)

    assert _paused(events)
    # What the shopper writes to the person, or the hand-back, must not answer the form's question.
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    assert slots_set(events)["requested_slot"] is None


def _timed_out_after(sender: str, reference: str, *since_pause: dict[str, Any]) -> Tracker:
    """The time-out's hand-back, in a conversation paused for a person, with `since_pause` in between."""
    timeout = {"entity": "handback_reason", "value": "timeout"}
    late = tracker(sender, "EXTERNAL: handback", "handback", [timeout], slots={HANDOFF_TICKET: reference},
                   paused=True)
    late.events[-1:-1] = [{"event": "pause"}, *since_pause]
    return late


@pytest.mark.parametrize("person", [
    # the agent answered (the care desk records the reply with the agent's name)
    {"event": "bot", "text": "Hi, I'm Giulia. Let me check.", "metadata": {"agent": "Giulia"}},
    # the agent took the conversation over (in `make agent`) and is still writing
    {"event": "cancel_reminder", "name": "handoff_timeout:{sender}"},
])
async def test_the_time_out_leaves_a_conversation_a_person_has_joined(
    shop: ShopClient, sender: str, domain: dict[str, Any], person: dict[str, Any]
) -> None:
    _, asked_events = await run_action(ActionHandoff(), tracker(sender, "agent please", "human_handoff"), domain)
    reference = slots_set(asked_events)[HANDOFF_TICKET]
    joined = {**person, **({"name": person["name"].format(sender=sender)} if "name" in person else {})}
    shopper = {"event": "user", "text": "ok thanks", "parse_data": {"intent": {"name": "affirm"}}}

    messages, events = await run_action(ActionHandback(), _timed_out_after(sender, reference, joined, shopper),
                                        domain)

    assert (messages, events) == ([], [])  # the person carries on; the bot stays quiet
    assert shop.get_ticket(f"{CHANNEL}:{sender}", reference).status == "open"
