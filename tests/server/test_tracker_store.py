"""server/tracker_store.py on SQLite and on the real PostgreSQL: every event stored once, the loaded
conversation compacted with its state whole, never compacted while paused, erased whole, and
refused with a clear error when misconfigured."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from server.tracker_store import ConversationStore
from tests import services

DOMAIN = Domain.from_dict({
    "intents": ["greet", "search_product", "change_address"],
    "actions": ["action_search", "address_form"],
    "forms": {"address_form": {"required_slots": ["new_address"]}},
    "slots": {
        "product": {"type": "text", "mappings": [{"type": "custom"}]},
        "cart_ready": {"type": "bool", "influence_conversation": True, "mappings": [{"type": "custom"}]},
        "new_address": {"type": "text", "mappings": [{"type": "custom"}]},
    },
})
KEEP = 6
ROOT = Path(__file__).resolve().parents[2]


def _turn(number: int) -> list[Event]:
    return [UserUttered(f"shoes number {number}", {"name": "search_product", "confidence": 0.9}),
            ActionExecuted("action_search"), SlotSet("product", f"shoes {number}"),
            BotUttered(f"Here are shoes {number}"), ActionExecuted("action_listen")]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.sqlite3'}"
        return
    with services.postgres_database("bottega_conversations") as name:
        yield services.postgres_url(name)


@pytest.fixture
def store(url: str) -> Iterator[ConversationStore]:
    opened = ConversationStore(DOMAIN, host=url, keep_turns=KEEP)
    yield opened
    opened.engine.dispose()


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def _talk(store: ConversationStore, sender: str, turns: range, before: list[Event] | None = None) -> list[Event]:
    """Says `turns` the way the server does: load, add a message's events, save; returns all events."""
    said: list[Event] = []
    tracker = _run(store.get_or_create_tracker(sender))
    said += list(tracker.events)
    for event in before or []:
        tracker.update(event)
        said.append(event)
    _run(store.save(tracker))
    for number in turns:
        tracker = _run(store.retrieve(sender))
        for event in _turn(number):
            tracker.update(event)
            said.append(event)
        _run(store.save(tracker))
    return said


def _set_slots(tracker: DialogueStateTracker) -> set[str]:
    return {name for name, slot in tracker.slots.items() if slot.has_been_set}


def _messages(tracker: DialogueStateTracker) -> list[str]:
    return [str(event.text) for event in tracker.events if isinstance(event, UserUttered)]


def test_a_short_conversation_is_stored_and_loaded_as_it_was(store: ConversationStore) -> None:
    said = _talk(store, "rest:ada", range(5))
    loaded = _run(store.retrieve("rest:ada"))
    assert [e.as_dict() for e in loaded.events] == [e.as_dict() for e in said]
    assert _run(store.retrieve("rest:nobody")) is None


def test_a_long_conversation_loads_its_last_messages_with_its_whole_state(store: ConversationStore) -> None:
    form = [UserUttered("change my address", {"name": "change_address"}), ActionExecuted("address_form"),
            ActiveLoop("address_form"), SlotSet("requested_slot", "new_address"), SlotSet("cart_ready", True),
            ActionExecutionRejected("address_form"), ActionExecuted("action_listen")]
    said = _talk(store, "rest:ada", range(40), before=form)
    full = DialogueStateTracker.from_events("rest:ada", said, DOMAIN.slots)

    loaded = _run(store.retrieve("rest:ada"))

    # The last keep_turns messages, in order.
    assert _messages(loaded) == _messages(full)[-KEEP:]
    assert len(loaded.events) < len(said) / 3
    # The state is whole: slots (those set before the boundary too), the form, its rejection.
    assert loaded.current_slot_values() == full.current_slot_values()
    assert _set_slots(loaded) == _set_slots(full)
    assert loaded.active_loop_name == full.active_loop_name == "address_form"
    assert loaded.active_loop is not None and loaded.active_loop.rejected
    assert loaded.latest_action_name == full.latest_action_name
    assert loaded.past_states(DOMAIN)[-5:] == full.past_states(DOMAIN)[-5:]
    # Every event stays in the database, once, in order.
    whole = _run(store.retrieve_full_tracker("rest:ada"))
    assert [e.as_dict() for e in whole.events] == [e.as_dict() for e in said]


def test_a_paused_conversation_is_not_compacted_until_the_person_hands_back(store: ConversationStore) -> None:
    said = _talk(store, "rest:ada", range(3))
    tracker = _run(store.retrieve("rest:ada"))
    tracker.update(ConversationPaused())
    _run(store.save(tracker))
    for number in range(3, 40):  # the shopper writes to the person; the bot only listens
        tracker = _run(store.retrieve("rest:ada"))
        tracker.update(UserUttered(f"still there? {number}", {"name": "greet"}))
        _run(store.save(tracker))
    assert len(_messages(_run(store.retrieve("rest:ada")))) == 40
    assert _run(store.retrieve("rest:ada")).is_paused()

    tracker = _run(store.retrieve("rest:ada"))
    tracker.update(ConversationResumed())
    tracker.update(ActionExecuted("action_listen"))
    _run(store.save(tracker))
    _talk(store, "rest:ada", range(40, 41))
    loaded = _run(store.retrieve("rest:ada"))
    assert len(_messages(loaded)) == KEEP and not loaded.is_paused()
    assert len(said) < len(_run(store.retrieve_full_tracker("rest:ada")).events)


def test_a_tracker_the_store_did_not_load_adds_only_its_new_events(store: ConversationStore) -> None:
    said = _talk(store, "rest:ada", range(2))
    copy = DialogueStateTracker.from_events("rest:ada", said, DOMAIN.slots)  # e.g. built by other code
    copy.update(UserUttered("one more", {"name": "greet"}))
    _run(store.save(copy))
    whole = _run(store.retrieve_full_tracker("rest:ada"))
    assert _messages(whole) == ["shoes number 0", "shoes number 1", "one more"]


def test_two_workers_on_one_database_continue_each_other(url: str) -> None:
    first, second = (ConversationStore(DOMAIN, host=url, keep_turns=KEEP) for _ in range(2))
    try:
        for number in range(30):
            worker = first if number % 2 else second
            tracker = _run(worker.get_or_create_tracker("rest:ada"))
            for event in _turn(number):
                tracker.update(event)
            _run(worker.save(tracker))
        whole = _run(first.retrieve_full_tracker("rest:ada"))
        assert _messages(whole) == [f"shoes number {n}" for n in range(30)]
        assert _messages(_run(second.retrieve("rest:ada"))) == _messages(_run(first.retrieve("rest:ada")))
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_erasing_a_conversation_removes_its_events_and_its_snapshot(store: ConversationStore) -> None:
    _talk(store, "rest:ada", range(30))
    _talk(store, "rest:bob", range(2))
    assert sorted(_run(store.keys())) == ["rest:ada", "rest:bob"]
    assert store.delete_conversation("rest:ada") is True
    assert _run(store.retrieve("rest:ada")) is None and _run(store.retrieve_full_tracker("rest:ada")) is None
    assert store.delete_conversation("rest:ada") is False
    assert _messages(_run(store.retrieve("rest:bob"))) == ["shoes number 0", "shoes number 1"]
    _talk(store, "rest:ada", range(1))  # the same id starts afresh, with no old snapshot in front
    assert _messages(_run(store.retrieve("rest:ada"))) == ["shoes number 0"]


class _Recording(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def test_the_event_broker_gets_each_event_once(url: str) -> None:
    broker = _Recording()
    store = ConversationStore(DOMAIN, host=url, event_broker=broker, keep_turns=KEEP)
    try:
        said = _talk(store, "rest:ada", range(20))
    finally:
        store.engine.dispose()
    assert [e["timestamp"] for e in broker.published] == [e.timestamp for e in said]
    assert {e["sender_id"] for e in broker.published} == {"rest:ada"}


def test_misconfiguration_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TRACKER_STORE_URL is not a database URL"):
        ConversationStore(DOMAIN, host="not a url")
    with pytest.raises(ValueError, match="keep_turns must be a whole number of at least 6"):
        ConversationStore(DOMAIN, host=f"sqlite:///{tmp_path / 'c.sqlite3'}", keep_turns=3)
    # Nothing listens on this port: a clear error at once, not Rasa's endless retry; no password shown.
    secret = secrets.token_hex(8)
    with pytest.raises(ConnectionError, match="cannot reach the tracker store's database") as refused:
        ConversationStore(DOMAIN, host=f"postgresql://bottega:{secret}@127.0.0.1:9/bottega?connect_timeout=2")
    assert secret not in str(refused.value)


def test_the_default_is_a_sqlite_file_under_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'deep' / 'er' / 'c.sqlite3'}")
    store = ConversationStore(DOMAIN)
    _talk(store, "rest:ada", range(1))
    assert (tmp_path / "deep" / "er" / "c.sqlite3").exists()
    store.engine.dispose()
    # Unset: the project's var/ folder, not wherever Rasa was started from.
    monkeypatch.delenv("TRACKER_STORE_URL")
    default = ConversationStore(DOMAIN)
    assert default.engine.url.database == str(ROOT / "var" / "rasa" / "conversations.sqlite3")
    default.engine.dispose()
