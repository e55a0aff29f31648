"""The browser chat's channel emits each bot message whole, to the conversation's room, and finds
what a page that comes back missed in the conversation's events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered

from channels.webchat import WebChatInput, WebChatOutput, missed_messages, replay_since, web_message


class FakeServer:
    """Records what the channel emits, the way socketio.AsyncServer.emit is called."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []

    async def emit(self, event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        self.emitted.append((event, data, room))


CARDS = {"type": "product_cards", "cards": [{"sku": "SKU-1", "title": "Shoe", "subtitle": "64.99 EUR",
                                             "image_url": "http://127.0.0.1:8100/images/SKU-1.svg",
                                             "buttons": [{"title": "Add to cart", "payload": "/add_to_cart"}]}]}


def send(message: dict[str, Any], conversation: str = "socketio:session-1") -> list[tuple[str, Any, str | None]]:
    server = FakeServer()
    asyncio.run(WebChatOutput(server, "bot_uttered").send_response(conversation, dict(message)))  # type: ignore[arg-type]
    return server.emitted


def test_cards_text_and_buttons_are_one_event_to_the_session_room() -> None:
    emitted = send({"recipient_id": "session-1", "text": "Here's what I found:\n\n1. Shoe", "custom": CARDS,
                    "buttons": [{"title": "Show more", "payload": "/search_product"}]})
    assert emitted == [("bot_uttered", {"text": "Here's what I found:\n\n1. Shoe", "custom": CARDS,
                                        "buttons": [{"title": "Show more", "payload": "/search_product"}]},
                        "session-1")]


def test_url_buttons_keep_their_url() -> None:
    [(_, data, _)] = send({"text": "Pay here", "buttons": [{"title": "Pay", "url": "http://127.0.0.1:8100/pay/1"}]})
    assert data["buttons"] == [{"title": "Pay", "url": "http://127.0.0.1:8100/pay/1"}]


def test_quick_replies_and_images_pass_through() -> None:
    [(_, data, _)] = send({"text": "Which size?", "quick_replies": [{"title": "42", "payload": "/add_to_cart"}],
                           "image": "http://127.0.0.1:8100/images/a.svg"})
    assert data == {"text": "Which size?", "image": "http://127.0.0.1:8100/images/a.svg",
                    "quick_replies": [{"title": "42", "payload": "/add_to_cart"}]}


def test_an_empty_message_sends_nothing() -> None:
    assert send({"recipient_id": "session-1"}) == []


@pytest.mark.parametrize("conversation", ["rest:session-1", "messenger:session-1", "session-1", "socketio:"])
def test_a_conversation_of_another_channel_or_of_none_is_never_emitted_to(conversation: str) -> None:
    # The room would be `session-1`'s: a REST or Messenger conversation id must never reach it.
    assert send({"text": "Payment received for BT-7K3MZQ2P"}, conversation) == []


def test_a_persons_name_goes_with_their_message() -> None:
    assert web_message({"text": "Hi, I'm Giulia", "agent": "Giulia"}) == {"text": "Hi, I'm Giulia", "agent": "Giulia"}


def test_custom_payload_alone() -> None:
    assert web_message({"custom": CARDS}) == {"custom": CARDS}


def test_shop_notices_go_out_through_the_web_chat_output() -> None:
    channel = WebChatInput.from_credentials({"session_persistence": True, "session_secret": "s" * 32})
    assert channel.name() == "socketio"  # conversation and customer ids are socketio:<session id>
    assert channel.get_output_channel() is None  # not serving yet
    channel.blueprint(lambda _: asyncio.sleep(0))  # type: ignore[arg-type,return-value]
    assert isinstance(channel.get_output_channel(), WebChatOutput)


def test_a_recorded_bot_message_goes_out_with_its_timestamp() -> None:
    said = BotUttered("Paid, thank you!", {"buttons": [{"title": "Track it", "payload": "/track_order"}]},
                      {"utter_action": "utter_paid"}, timestamp=1700000000.25)
    assert web_message(said.message()) == {"text": "Paid, thank you!", "timestamp": 1700000000.25,
                                           "buttons": [{"title": "Track it", "payload": "/track_order"}]}
    assert web_message({"timestamp": 1700000000.25}) == {}  # nothing to show, nothing to send


def _conversation() -> list[Event]:
    return [
        UserUttered("hi", input_channel="socketio", timestamp=1.0),
        BotUttered("Hello!", {"buttons": [{"title": "Shop", "payload": "/search_product"}]}, timestamp=2.0),
        UserUttered("a person please", input_channel="socketio", timestamp=3.0),
        ActionExecuted("action_handoff", timestamp=4.0),
        BotUttered("I've asked a person (TK-12345678).", timestamp=5.0),
        BotUttered("Hi, Giulia here.", metadata={"agent": "Giulia"}, timestamp=6.0),
        # The shop's payment notice: an external message keeps the web chat as the channel.
        UserUttered.create_external("payment_received", [], "socketio"),
        BotUttered("Payment received.", {"custom": CARDS}, timestamp=8.0),
    ]


def test_missed_messages_are_those_after_since_oldest_first() -> None:
    events = _conversation()
    assert missed_messages(events, 5.0, "socketio") == [
        {"text": "Hi, Giulia here.", "agent": "Giulia", "timestamp": 6.0},
        {"text": "Payment received.", "custom": CARDS, "timestamp": 8.0},
    ]
    assert [m["text"] for m in missed_messages(events, 0, "socketio")] == [
        "Hello!", "I've asked a person (TK-12345678).", "Hi, Giulia here.", "Payment received."]
    assert missed_messages(events, 8.0, "socketio") == []
    assert [m["text"] for m in missed_messages(events, 0, "socketio", limit=2)] == ["Hi, Giulia here.",
                                                                                  "Payment received."]


def test_answers_given_on_another_channel_are_not_replayed() -> None:
    # Our REST tools may write to any conversation id: those answers went to them, not to the page.
    events = [*_conversation(), UserUttered("refund me", input_channel="rest", timestamp=9.0),
              BotUttered("Refund started for order 1042.", timestamp=10.0),
              UserUttered("thanks", input_channel="socketio", timestamp=11.0),
              BotUttered("You're welcome!", timestamp=12.0)]
    assert [m["text"] for m in missed_messages(events, 8.0, "socketio")] == ["You're welcome!"]
    assert missed_messages([BotUttered("Welcome back", timestamp=1.0)], 0, "socketio") == []


@pytest.mark.parametrize("since", [0, 0.0, 1700000000.25, 1700000000])
def test_since_is_a_timestamp(since: float) -> None:
    assert replay_since(since) == since


def test_no_since_is_none_and_anything_else_is_refused() -> None:
    assert replay_since(None) is None
    for bad in ("1700000000", -1, True, float("nan"), float("inf"), [1], {"at": 1}):
        with pytest.raises(ValueError, match="not a timestamp"):
            replay_since(bad)
