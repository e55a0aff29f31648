"""A Sanic server with the care desk's routes, for tests/channels/test_fuzz_desk.py.

`python -m tests.channels.desk_server <port>` with DESK_API_TOKEN and WEBCHAT_SESSION_SECRET set.
The desk and the web chat are registered as `rasa run` registers channels, on an agent whose
tracker store and lock store are Rasa's own in-memory ones (what Bottega runs with until the
deployment brings a persistent store; ids PostgreSQL would refuse are refused too). What would
need a model is recorded instead: messages a channel passes on, the hand-back's external intent
(added to the tracker as Rasa adds it), and what reaches a shopper's web chat.

    POST /test/reset      erase every conversation and store the SEEDS again; forget the records
    GET  /test/snapshot   {"conversations": {id: [event, ...]}, "messages", "handbacks", "pushed"}
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.desk import DeskInput, delete_conversation
from channels.webchat import WebChatInput, WebChatOutput

ROOT = Path(__file__).resolve().parents[2]


def _turn(channel: str, text: str) -> list[Event]:
    return [ActionExecuted("action_listen"), UserUttered(text, {"name": "greet"}, input_channel=channel),
            BotUttered("Hi! What are you looking for?")]


# Conversation id -> events. Ids are what channels make, `<channel>:<platform id>`: the web chat's
# hex, REST senders (one that URLs must quote); and one id from before ids named their channel.
SEEDS: dict[str, list[Event]] = {
    "socketio:0123456789abcdef0123456789abcdef": _turn("socketio", "hi"),  # the bot answers it
    "socketio:fedcba9876543210fedcba9876543210": [*_turn("socketio", "a person please"), ConversationPaused()],
    "socketio:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": [  # paused in the middle of a form, with the hand-off's ticket
        *_turn("socketio", "change my address"), ActiveLoop("address_change_form"),
        SlotSet("requested_slot", "new_shipping_address"), SlotSet("handoff_ticket", "TK-7K3MZQ2P"),
        ConversationPaused()],
    "rest:rest shopper": [*_turn("rest", "hello"), ConversationPaused()],  # a channel that cannot push
    "rest:émile+café@example.com": _turn("rest", "bonjour"),  # a sender that URLs must quote
    # An old web chat conversation, kept in a persistent store: read and erased, never written to.
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": [*_turn("socketio", "a person please"), ConversationPaused()],
}


class NulRefusingStore(InMemoryTrackerStore):
    """Rasa's in-memory store, refusing a NUL in a conversation id as PostgreSQL does (psycopg2 raises
    a ValueError, on which Rasa's SQL store exits the process)."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if "\x00" in sender_id:
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        return await super().retrieve(sender_id)


class RecordingWebChat(WebChatInput):
    """The web chat's channel, noting each message the desk sends a shopper through it."""

    pushed: list[list[Any]]

    def get_output_channel(self) -> WebChatOutput | None:
        output = super().get_output_channel()
        if output is None:
            return None
        pushed = self.pushed

        class Recording(WebChatOutput):
            async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
                pushed.append([recipient_id, message])
                await super().send_response(recipient_id, message)

        return Recording(output.sio, output.bot_message_evt)


class RecordingProcessor:
    """What the desk's hand-back uses of Rasa's MessageProcessor, without a model."""

    def __init__(self, store: InMemoryTrackerStore) -> None:
        self.store, self.handbacks = store, []

    async def trigger_external_user_uttered(self, intent_name: str, entities: Any, tracker: DialogueStateTracker,
                                            output_channel: OutputChannel) -> None:
        self.handbacks.append([tracker.sender_id, intent_name, output_channel.name()])
        tracker.update(UserUttered.create_external(intent_name, entities, input_channel=output_channel.name()))
        await self.store.save(tracker)


class RecordingAgent:
    def __init__(self, store: InMemoryTrackerStore) -> None:
        self.tracker_store, self.lock_store = store, InMemoryLockStore()
        self.processor = RecordingProcessor(store)
        self.messages: list[list[str]] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append([str(message.sender_id), str(message.text), str(message.input_channel)])


def build() -> Sanic:
    app = Sanic("desk_test")
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 1
    domain = Domain.load(str(ROOT / "domain.yml"))
    store = NulRefusingStore(domain)
    agent = RecordingAgent(store)
    webchat = RecordingWebChat.from_credentials({
        "user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True,
        "session_secret": os.environ["WEBCHAT_SESSION_SECRET"]})
    webchat.pushed = []
    app.ctx.agent = agent
    register([webchat, DeskInput.from_credentials({"token": os.environ["DESK_API_TOKEN"]})], app, "/webhooks/")

    @app.post("/test/reset")
    async def reset(_: Request) -> HTTPResponse:
        for conversation_id in list(await store.keys()):
            await delete_conversation(store, conversation_id)
        for conversation_id, events in SEEDS.items():
            await store.save(DialogueStateTracker.from_events(conversation_id, events, slots=domain.slots))
        agent.messages.clear()
        agent.processor.handbacks.clear()
        webchat.pushed.clear()
        return response.json({"reset": True})

    @app.get("/test/snapshot")
    async def snapshot(_: Request) -> HTTPResponse:
        conversations = {}
        for conversation_id in sorted(await store.keys()):
            tracker = await store.retrieve_full_tracker(conversation_id)
            conversations[conversation_id] = [e.as_dict() for e in tracker.events] if tracker else None
        return response.json({"conversations": conversations, "messages": agent.messages,
                              "handbacks": agent.processor.handbacks, "pushed": webchat.pushed})

    return app


if __name__ == "__main__":
    build().run("127.0.0.1", int(sys.argv[1]), access_log=False)
