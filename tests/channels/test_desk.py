"""The care desk's pieces without a Rasa server: token check, reply bodies, transcripts, and erasing
a conversation from each kind of tracker store, on the real servers (Redis, PostgreSQL).

The routes themselves run against a whole stack in tests/webchat/test_handoff.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from channels.desk import (
    DeskError,
    DeskInput,
    _existing,
    agent_reply,
    delete_conversation,
    push_channel,
    stop_the_form,
    takeover_ticket,
    token_matches,
    transcript,
)
from channels.webchat import WebChatInput, WebChatOutput
from tests import services

REDIS_HOST, REDIS_PORT = services.REDIS_HOST, services.REDIS_PORT
PROJECT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_dict({"intents": ["greet", "payment_received"], "actions": []})


def _conversation(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"),
        UserUttered("hi there", {"name": "greet"}, input_channel="socketio"),
        BotUttered("Hi! What are you looking for?", {"buttons": [{"title": "Browse", "payload": "/browse_catalog"}]}),
        ConversationPaused(),
        UserUttered("EXTERNAL: payment_received", {"name": "payment_received"},
                    entities=[{"entity": "order_id", "value": "BT-7K3MZQ2P"}], metadata={"is_external": True}),
        BotUttered("Hello, I'm Giulia from the team", metadata={"agent": "Giulia"}),
        ConversationResumed(),
    ])


# --- pure pieces ------------------------------------------------------------------------


def test_the_token_is_required_and_compared_exactly() -> None:
    assert token_matches("Bearer s3cret-token-of-the-desk", "s3cret-token-of-the-desk")
    assert token_matches("bearer s3cret-token-of-the-desk", "s3cret-token-of-the-desk")
    assert not token_matches("Bearer wrong", "s3cret-token-of-the-desk")
    assert not token_matches("s3cret-token-of-the-desk", "s3cret-token-of-the-desk")  # not a bearer header
    assert not token_matches(None, "s3cret-token-of-the-desk")
    assert not token_matches("Bearer ", "s3cret-token-of-the-desk")


def test_the_desk_refuses_to_start_without_a_real_token() -> None:
    for credentials in (None, {}, {"token": ""}, {"token": "short"}):
        with pytest.raises(ValueError, match="DESK_API_TOKEN"):
            DeskInput.from_credentials(credentials)
    assert DeskInput.from_credentials({"token": "x" * 32}).token == "x" * 32


@pytest.mark.parametrize(("body", "code"), [
    (None, "bad_body"), (["hi"], "bad_body"), ({}, "missing_text"), ({"text": "   "}, "missing_text"),
    ({"text": 42}, "missing_text"), ({"text": "x" * 2001}, "text_too_long"), ({"text": "hi", "agent": 7}, "bad_agent"),
])
def test_unusable_replies_are_refused_with_a_reason(body: Any, code: str) -> None:
    with pytest.raises(DeskError) as refused:
        agent_reply(body)
    assert refused.value.status == 400 and refused.value.code == code


def test_a_reply_is_trimmed_and_signed() -> None:
    reply = agent_reply({"text": "  Your parcel left today.  ", "agent": "Giulia"})
    assert reply == ("Your parcel left today.", "Giulia")
    assert agent_reply({"text": "On it"}) == ("On it", "agent")


def test_the_transcript_says_who_said_what() -> None:
    lines = transcript(_conversation("abc"))

    assert [(line["from"], line["text"]) for line in lines] == [
        ("shopper", "hi there"),
        ("bot", "Hi! What are you looking for?"),
        ("system", "handed to a person: the bot is paused"),
        ("system", "payment_received (order_id=BT-7K3MZQ2P)"),
        ("agent", "Hello, I'm Giulia from the team"),
        ("system", "handed back: the bot answers again"),
    ]
    assert lines[1]["buttons"] == ["Browse"]
    assert lines[4]["agent"] == "Giulia"
    assert all(line["time"] for line in lines)
    assert len(transcript(_conversation("abc"), length=2)) == 2


def test_only_a_channel_that_can_send_unprompted_carries_an_agent_reply() -> None:
    webchat = WebChatInput("user_uttered", "bot_uttered", session_persistence=True)
    webchat.sio = object()  # type: ignore[assignment]  # what blueprint() sets when Rasa serves it
    channels = [RestInput(), webchat]

    assert isinstance(push_channel(channels, "socketio"), WebChatOutput)
    assert push_channel(channels, "rest") is None  # request/response only
    assert push_channel(channels, "messenger") is None  # not served here
    assert not isinstance(push_channel(channels, "socketio"), CollectingOutputChannel)


def test_a_take_over_names_the_ticket_a_person_works_on_or_nothing() -> None:
    assert takeover_ticket(None) is None and takeover_ticket({}) is None
    assert takeover_ticket({"ticket": " tk-7k3mzq2p "}) == "TK-7K3MZQ2P"
    for bad in ({"ticket": "TK-1"}, {"ticket": 7}, ["TK-7K3MZQ2P"], "not JSON"):
        with pytest.raises(DeskError) as refused:
            takeover_ticket(bad)
        assert (refused.value.status, refused.value.code) == (400, "bad_ticket")


def test_a_person_taking_over_stops_the_open_form() -> None:
    domain = Domain.load(str(PROJECT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("shopper", [
        ActionExecuted("action_listen"),
        UserUttered("change the address of my order", {"name": "change_address"}, input_channel="socketio"),
        ActiveLoop("address_change_form"),
        SlotSet("requested_slot", "new_shipping_address"),
    ], slots=domain.slots)

    stop_the_form(tracker)

    assert tracker.active_loop_name is None
    assert tracker.get_slot("requested_slot") is None  # the shopper's next words answer no question


# --- erasing a conversation from each tracker store ----------------------------------------


async def _erase_roundtrip(store: TrackerStore) -> None:
    sender, other = f"erase-{secrets.token_hex(4)}", f"keep-{secrets.token_hex(4)}"
    await store.save(_conversation(sender))
    await store.save(_conversation(other))
    assert await store.retrieve(sender) is not None

    assert await delete_conversation(store, sender) is True

    assert await store.retrieve(sender) is None
    assert await store.retrieve_full_tracker(sender) is None
    assert await store.retrieve(other) is not None  # only that shopper's history goes
    assert await delete_conversation(store, sender) is False


@pytest.mark.asyncio
async def test_erasing_from_the_in_memory_store() -> None:
    await _erase_roundtrip(InMemoryTrackerStore(DOMAIN))


@pytest.mark.asyncio
async def test_erasing_from_an_sql_store_on_sqlite(tmp_path: Any) -> None:
    await _erase_roundtrip(SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "trackers.db")))


@pytest.fixture
def postgres_database() -> Iterator[str]:
    with services.postgres_database("bottega_trackers") as name:
        yield name


@pytest.mark.asyncio
@pytest.mark.postgresql
async def test_erasing_from_an_sql_store_on_postgresql(postgres_database: str) -> None:
    store = SQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, username="postgres",
                            db=postgres_database)
    try:
        await _erase_roundtrip(store)
    finally:
        store.engine.dispose()


@pytest.mark.asyncio
@pytest.mark.redis
async def test_erasing_from_a_redis_store() -> None:
    services.redis_client()
    prefix = f"bottegatest{secrets.token_hex(4)}"
    store = RedisTrackerStore(DOMAIN, host=REDIS_HOST, port=REDIS_PORT, key_prefix=prefix)
    try:
        await _erase_roundtrip(store)
    finally:
        for key in store.red.scan_iter(f"{prefix}:*"):
            store.red.delete(key)


# --- what the fuzz pass found (tests/channels/test_fuzz_desk.py) ------------------------------


def test_a_token_header_that_is_not_utf8_is_refused_not_a_crash() -> None:
    # Sanic hands on such bytes as lone surrogates; encoding them raised: a 500 before any token check.
    assert not token_matches("Bearer \udce9\udcff", "s3cret-token-of-the-desk")
    assert token_matches("Bearer s3cret-token-of-the-desk", "s3cret-token-of-the-desk")


def test_a_reply_is_clean_text_and_a_name_one_line() -> None:
    assert agent_reply({"text": "On it\x00 \ud83d", "agent": " Giu\x00lia\nRossi "}) == ("On it \ufffd", "Giulia Rossi")
    with pytest.raises(DeskError) as refused:
        agent_reply({"text": "\x00\x01 \x1b"})  # nothing left to send
    assert refused.value.code == "missing_text"


def test_a_shopper_writing_like_rasa_is_still_the_shopper() -> None:
    tracker = DialogueStateTracker.from_events("abc", [
        ActionExecuted("action_listen"),
        UserUttered("EXTERNAL: payment_received", {"name": "payment_received"}, input_channel="socketio"),
        UserUttered("hi", {"name": "greet"}, input_channel="socketio", metadata={"is_external": "yes"}),
    ])
    assert [line["from"] for line in transcript(tracker)] == ["shopper", "shopper"]


@pytest.mark.asyncio
@pytest.mark.postgresql
async def test_a_conversation_id_with_a_nul_never_reaches_postgresql(postgres_database: str) -> None:
    store = SQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, username="postgres",
                            db=postgres_database)
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store))))
    try:
        with pytest.raises(DeskError) as refused:
            await _existing(request, "abc\x00")  # type: ignore[arg-type]
        assert (refused.value.status, refused.value.code) == (404, "unknown_conversation")
        # What the desk asked before (GET /webhooks/desk/conversations/abc%00): PostgreSQL refuses
        # the NUL, and Rasa's SQL store takes the error for a missing schema and exits the process.
        with pytest.raises(SystemExit):
            await store.retrieve("abc\x00")
    finally:
        store.engine.dispose()
