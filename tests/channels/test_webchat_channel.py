"""The browser chat's channel emits each bot message whole, to the conversation's room."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.webchat import WebChatInput, WebChatOutput, web_message


class FakeServer:
    """Records what the channel emits, the way socketio.AsyncServer.emit is called."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []

    async def emit(self, event: str, data: Any = None, room: str | None = None, **_: Any) -> None:
        self.emitted.append((event, data, room))


CARDS = {"type": "product_cards", "cards": [{"sku": "SKU-1", "title": "Shoe", "subtitle": "64.99 EUR",
                                             "image_url": "http://127.0.0.1:8100/images/SKU-1.svg",
                                             "buttons": [{"title": "Add to cart", "payload": "/add_to_cart"}]}]}


def send(message: dict[str, Any]) -> list[tuple[str, Any, str | None]]:
    server = FakeServer()
    asyncio.run(WebChatOutput(server, "bot_uttered").send_response("session-1", dict(message)))  # type: ignore[arg-type]
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


def test_a_persons_name_goes_with_their_message() -> None:
    assert web_message({"text": "Hi, I'm Giulia", "agent": "Giulia"}) == {"text": "Hi, I'm Giulia", "agent": "Giulia"}


def test_custom_payload_alone() -> None:
    assert web_message({"custom": CARDS}) == {"custom": CARDS}


def test_shop_notices_go_out_through_the_web_chat_output() -> None:
    channel = WebChatInput.from_credentials({"session_persistence": True, "session_secret": "s" * 32})
    assert channel.name() == "socketio"  # customer ids stay socketio:<session id>
    assert channel.get_output_channel() is None  # not serving yet
    channel.blueprint(lambda _: asyncio.sleep(0))  # type: ignore[arg-type,return-value]
    assert isinstance(channel.get_output_channel(), WebChatOutput)
