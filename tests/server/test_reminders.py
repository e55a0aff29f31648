"""server/reminders.py on SQLite and on the real PostgreSQL: one reminder per (conversation, name),
replaced and cancelled as Rasa does it, claimed by exactly one of several workers, fired through
Rasa's own `handle_reminder` on the conversation's channel, and kept in a compacted tracker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, ReminderCancelled, ReminderScheduled
from rasa.shared.core.trackers import DialogueStateTracker

from server import reminders
from server.reminders import CLAIM_SECONDS, ReminderStore
from server.tracker_store import ConversationStore
from tests import services
from tests.server.test_tracker_store import DOMAIN, KEEP, _run, _talk

TIMEOUT = [{"entity": "handback_reason", "value": "timeout"}]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def conversations(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    """The tracker store whose database the reminders live in."""
    if request.param == "sqlite":
        store = ConversationStore(DOMAIN, host=f"sqlite:///{tmp_path / 'conversations.sqlite3'}", keep_turns=KEEP)
        yield store
        store.engine.dispose()
        return
    with services.postgres_database("bottega_reminders") as name:
        store = ConversationStore(DOMAIN, host=services.postgres_url(name), keep_turns=KEEP)
        yield store
        store.engine.dispose()


@pytest.fixture
def store(conversations: ConversationStore) -> ReminderStore:
    return ReminderStore(conversations.engine)


def timeout(conversation: str, seconds: float = 0.0, name: str | None = None) -> ReminderScheduled:
    """What action_handoff schedules (actions/handoff.py)."""
    return ReminderScheduled("handback", datetime.now(timezone.utc) + timedelta(seconds=seconds), entities=TIMEOUT,
                             name=name or f"handoff_timeout:{conversation}", kill_on_user_message=False)


def test_each_conversation_has_its_own_reminder_of_a_name_and_scheduling_again_replaces_it(
    store: ReminderStore
) -> None:
    store.schedule("messenger:ada", timeout("x", 60, name="nudge"))
    store.schedule("messenger:bob", timeout("x", 60, name="nudge"))
    later = timeout("x", 120, name="nudge")
    store.schedule("messenger:ada", later)

    [ada] = store.pending("messenger:ada")
    assert ada.trigger_date_time == later.trigger_date_time and ada.entities == TIMEOUT
    assert ada.kill_on_user_message is False and ada.intent == "handback"
    assert len(store.pending("messenger:bob")) == 1


def test_a_cancellation_matches_as_rasas_does_in_its_conversation_only(store: ReminderStore) -> None:
    for who in ("messenger:ada", "messenger:bob"):
        store.schedule(who, timeout(who, 60))
        store.schedule(who, ReminderScheduled("greet", datetime.now(timezone.utc) + timedelta(minutes=5), name="hello"))

    assert store.cancel("messenger:ada", ReminderCancelled(name="handoff_timeout:messenger:ada")) == 1
    assert [r.name for r in store.pending("messenger:ada")] == ["hello"]
    assert store.cancel("messenger:ada", ReminderCancelled(intent="handback")) == 0  # gone already
    assert store.cancel("messenger:bob", ReminderCancelled(intent="greet")) == 1
    assert store.cancel("messenger:bob", ReminderCancelled(entities=[{"entity": "x", "value": "y"}])) == 0
    assert store.cancel("messenger:bob", ReminderCancelled()) == 1  # nothing named: all of them
    assert store.pending("messenger:bob") == [] and len(store.pending("messenger:ada")) == 1


def test_only_due_reminders_are_claimed_and_each_by_one_worker_only(conversations: ConversationStore) -> None:
    workers = [ReminderStore(conversations.engine, worker=name) for name in ("A", "B", "C")]
    conversation_ids = [f"messenger:{number}" for number in range(120)]
    for who in conversation_ids:
        workers[0].schedule(who, timeout(who))
    workers[0].schedule("messenger:later", timeout("messenger:later", 3600))
    won: dict[str, list[str]] = {worker.worker: [] for worker in workers}
    start = threading.Barrier(len(workers))

    def claim(worker: ReminderStore) -> None:
        start.wait()
        for _ in range(20):
            won[worker.worker] += [due.sender_id for due in worker.claim_due(limit=15)]

    threads = [threading.Thread(target=claim, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [who for claimed in won.values() for who in claimed]
    assert sorted(every) == sorted(conversation_ids)  # each fired once: none lost, none twice
    assert "messenger:later" not in every


def test_a_dead_workers_claim_goes_stale_and_another_fires_it(conversations: ConversationStore) -> None:
    dead, alive = ReminderStore(conversations.engine, "dead"), ReminderStore(conversations.engine, "alive")
    dead.schedule("messenger:ada", timeout("messenger:ada"))
    [claimed] = dead.claim_due()
    assert alive.claim_due() == []  # claimed, and the claim is fresh
    [again] = alive.claim_due(now=time.time() + CLAIM_SECONDS + 1)
    assert (again.sender_id, again.token) == (claimed.sender_id, claimed.token)


def test_firing_forgets_only_the_reminder_it_fired(store: ReminderStore) -> None:
    store.schedule("messenger:ada", timeout("messenger:ada"))
    [due] = store.claim_due()
    newer = timeout("messenger:ada", 600)
    store.schedule("messenger:ada", newer)  # the shopper handed off again while it was firing
    store.done(due)
    assert [r.trigger_date_time for r in store.pending("messenger:ada")] == [newer.trigger_date_time]


# --- in Rasa --------------------------------------------------------------------------------------------


class _Pushing(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "messenger"


class _Messenger(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "messenger"

    def get_output_channel(self) -> OutputChannel:
        return _Pushing()


class _Processor:
    def __init__(self) -> None:
        self.fired: list[tuple[str, str | None, type[OutputChannel]]] = []

    async def handle_reminder(self, reminder: ReminderScheduled, sender_id: str, output: OutputChannel) -> None:
        self.fired.append((sender_id, reminder.intent, type(output)))


@pytest.fixture
def patched() -> Iterator[None]:
    reminders.apply()
    yield
    reminders.use(None)


@pytest.mark.usefixtures("patched")
def test_rasa_schedules_and_the_desk_cancels_through_the_store(store: ReminderStore) -> None:
    reminders.use(store)
    tracker = DialogueStateTracker.from_events("messenger:ada", [ActionExecuted("action_listen")])
    reminder = timeout("messenger:ada", 600)
    processor: Any = SimpleNamespace()
    _run(MessageProcessor._schedule_reminders(processor, [reminder], tracker, CollectingOutputChannel()))
    assert [r.name for r in store.pending("messenger:ada")] == ["handoff_timeout:messenger:ada"]

    # What channels/desk.py does when a person takes over, on whichever worker.
    _run(MessageProcessor._cancel_reminders([ReminderCancelled(name="handoff_timeout:messenger:ada")], tracker))
    assert store.pending("messenger:ada") == []


@pytest.mark.usefixtures("patched")
def test_a_due_reminder_is_fired_by_rasa_on_the_conversations_channel_then_forgotten(store: ReminderStore) -> None:
    store.schedule("messenger:ada", timeout("messenger:ada"))
    store.schedule("rest:bob", timeout("rest:bob"))
    processor = _Processor()
    app: Any = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(processor=processor),
                                                   input_channels=[_Messenger()]))

    async def poll_once() -> None:
        for due in store.claim_due():
            await reminders.fire(app, store, due)

    _run(poll_once())
    assert sorted(processor.fired) == [("messenger:ada", "handback", _Pushing),
                                       ("rest:bob", "handback", CollectingOutputChannel)]  # REST cannot push
    assert store.pending("messenger:ada") == store.pending("rest:bob") == []


@pytest.mark.usefixtures("patched")
def test_the_poller_fires_what_fell_due_while_no_worker_ran(store: ReminderStore) -> None:
    store.schedule("messenger:ada", timeout("messenger:ada", -3600))  # due an hour ago
    processor = _Processor()
    app: Any = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(processor=processor), input_channels=[]))

    async def start_and_wait() -> None:
        reminders.use(store)
        reminders.start(app)
        await asyncio.sleep(0.5)
        await reminders.stop()

    _run(start_and_wait())
    assert [who for who, _, _ in processor.fired] == ["messenger:ada"]


def test_a_compacted_tracker_keeps_the_sessions_reminders(conversations: ConversationStore) -> None:
    first, replaced, other = timeout("rest:ada", 600), timeout("rest:ada", 900), timeout("rest:ada", 60, name="nudge")
    _talk(conversations, "rest:ada", range(3 * KEEP), before=[first, other, replaced])

    loaded = _run(conversations.retrieve("rest:ada"))
    assert len(loaded.events) < 3 * KEEP * 5 / 2  # compacted
    kept = [event for event in loaded.events if isinstance(event, ReminderScheduled)]
    assert [(event.name, event.trigger_date_time) for event in kept] == [
        ("nudge", other.trigger_date_time), (replaced.name, replaced.trigger_date_time)]
    # What Rasa checks before firing: the reminder is still in the conversation.
    assert MessageProcessor._is_reminder_still_valid(loaded, replaced)


@pytest.mark.usefixtures("patched")
def test_a_stored_cancellation_still_says_what_it_cancels(conversations: ConversationStore) -> None:
    # Stock Rasa 3.6 stores {"event": "cancel_reminder", "timestamp": ...}: read back, it cancels all.
    cancel = ReminderCancelled(name="handoff_timeout:rest:ada")
    _talk(conversations, "rest:ada", range(1), before=[timeout("rest:ada", 600), cancel])
    stored = [e for e in _run(conversations.retrieve_full_tracker("rest:ada")).events
              if isinstance(e, ReminderCancelled)]
    assert [(e.name, e.intent, e.entities) for e in stored] == [("handoff_timeout:rest:ada", None, None)]
    # The action server's view of it (actions/handoff.py, a_person_has_joined, reads the name).
    assert stored[0].as_dict()["name"] == "handoff_timeout:rest:ada"
