"""Conversations in SQL, with a turn's work bounded however long the conversation grows.

Messenger and WhatsApp threads never end. Stock Rasa 3.6 loads, deserialises and replays a
conversation's whole session on every message, each policy turns all of it into states, and the
action server receives all of it on every call: a turn's cost grows with the conversation
(docs/performance.md). This store keeps every event (Rasa's own `events` table, so `rasa export`,
analytics and erasure see everything) and hands Rasa a *compacted* tracker:

    [a snapshot of the state at the boundary] + [every event since the boundary]

The snapshot is a handful of events that rebuild the state the conversation had at the boundary:
the slots that were set, the active form (and whether it was rejected), a pause, the session's
reminders, the latest action. The boundary is always just before one of the shopper's messages, and
it moves forward on a save once the events since it hold more than `keep_turns` of the shopper's
messages, to just before the `keep_turns`-th last of them: a loaded tracker holds the last
`keep_turns` messages (fewer in a shorter conversation), whatever the length of the conversation,
so every turn costs the same.

Why predictions do not change: the policies read at most the last `max_history` (5) states, each
at least one of the shopper's messages old, and the rules and the hand-off policy look back at most
a few messages; `keep_turns` (endpoints.yml: 8) keeps more than any of them reads, and the state before the
boundary (slots, form, pause) is carried whole by the snapshot. tests/test_tracker_store.py replays
every test conversation, joined into one long one, through Rasa with and without compaction and
compares every prediction. A paused conversation is never compacted: what the bot does when the
person hands back reads everything since the pause (actions/handoff.py).

Where it is: `TRACKER_STORE_URL`, any SQLAlchemy URL (`postgresql://user:password@host/db` in
production); unset, a SQLite file in var/ that needs nothing and survives restarts. Full histories
(the HTTP API's `/conversations/<id>/tracker`, the web chat's missed messages) come from
`retrieve_full_tracker`, which reads every event as before.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    Event,
    ReminderScheduled,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import declarative_base

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'rasa' / 'conversations.sqlite3'}"
DEFAULT_KEEP_TURNS = 8
# Fewer than max_history + 1 of the shopper's messages would change what TED and the memoization
# policy see (config.yml: max_history 5).
MIN_KEEP_TURNS = 6

Event_ = SQLTrackerStore.SQLEvent
# A conversation's events since its boundary are one range of this index (the index on sender_id
# alone would, in PostgreSQL, read every event of the conversation to find them).
sa.Index("ix_events_sender_id_id", Event_.sender_id, Event_.id)

_Base: Any = declarative_base()


class _Snapshot(_Base):  # type: ignore[misc]
    """The state of a conversation at its boundary: the events that rebuild it."""

    __tablename__ = "conversation_snapshots"
    sender_id = sa.Column(sa.String(255), primary_key=True)
    # Events up to this id are summed up in `events`; the tracker is these plus every later one.
    last_event_id = sa.Column(sa.Integer, nullable=False)
    events = sa.Column(sa.Text, nullable=False)


@dataclass
class _Stored:
    """What a loaded tracker holds of the store: its first `snapshot_length` events are a snapshot
    (or, in a tracker the store did not load, events stored already), the next `len(ids)` are
    stored events with these ids; any after them are new."""

    snapshot_length: int
    ids: list[int] = field(default_factory=list)
    full: bool = False  # every event of the conversation (retrieve_full_tracker): never compacted


_STORED = "_bottega_stored"


def snapshot_events(tracker: DialogueStateTracker) -> list[Event]:
    """Events that rebuild `tracker`'s state: set slots, the active form, a pause, the session's
    reminders (Rasa fires a reminder only if it is in the tracker, server/reminders.py), the latest action."""
    last = tracker.events[-1].timestamp if tracker.events else None
    events: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=last),
                           SessionStarted(timestamp=last)]
    events += [SlotSet(name, slot.value, timestamp=last) for name, slot in tracker.slots.items() if slot.has_been_set]
    if tracker.active_loop_name:
        events.append(ActiveLoop(tracker.active_loop_name, timestamp=last))
        if tracker.active_loop is not None and tracker.active_loop.rejected:
            events.append(ActionExecutionRejected(tracker.active_loop_name, timestamp=last))
    if tracker.is_paused():
        events.append(ConversationPaused(timestamp=last))
    events += [ReminderScheduled(reminder.intent, reminder.trigger_date_time, reminder.entities, reminder.name,
                                 reminder.kill_on_user_message, timestamp=last)
               for reminder in pending_reminders(tracker)]
    events.append(ActionExecuted(tracker.latest_action_name or ACTION_LISTEN_NAME, timestamp=last))
    return events


def pending_reminders(tracker: DialogueStateTracker) -> list[ReminderScheduled]:
    """The latest reminder of each name in the tracker's session. Cancelled ones too: what fires is
    decided by the reminder store (server/reminders.py), and Rasa only checks, when one fires, that
    the conversation still holds it (as a stock tracker holds it, cancelled or not)."""
    pending: dict[str, ReminderScheduled] = {}
    for event in tracker.applied_events():
        if isinstance(event, ReminderScheduled):
            pending.pop(event.name, None)
            pending[event.name] = event
    return list(pending.values())


class ConversationStore(SQLTrackerStore):
    """Rasa's SQL tracker store, compacted (module docstring). In endpoints.yml:

        tracker_store:
          type: server.tracker_store.ConversationStore
          keep_turns: 8      # optional
    """

    def __init__(self, domain: Domain | None = None, host: str | None = None,
                 event_broker: EventBroker | None = None, keep_turns: int = DEFAULT_KEEP_TURNS,
                 **kwargs: Any) -> None:
        url = host or os.environ.get("TRACKER_STORE_URL", "").strip() or DEFAULT_URL
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise ValueError("TRACKER_STORE_URL is not a database URL (e.g. postgresql://user:password@host/db "
                             "or sqlite:///path/conversations.sqlite3)") from None
        if not isinstance(keep_turns, int) or keep_turns < MIN_KEEP_TURNS:
            raise ValueError(f"keep_turns must be a whole number of at least {MIN_KEEP_TURNS} (the tracker store's "
                             f"keep_turns in endpoints.yml), not {keep_turns!r}")
        self.keep_turns = keep_turns
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options = create_engine_kwargs(parsed)
        if parsed.get_backend_name() == "sqlite":
            # SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool): 2 ms a turn.
            options.update(poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False})
        self.engine = sa.create_engine(parsed, **options)
        if parsed.get_backend_name() == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            SQLTrackerStore.Base.metadata.create_all(self.engine)
            _Base.metadata.create_all(self.engine)
        except sa.exc.OperationalError as error:
            # The URL's password stays out of the message.
            raise ConnectionError(f"cannot reach the tracker store's database {parsed!r}: {error.orig}") from None
        TrackerStore.__init__(self, domain, event_broker, **kwargs)
        logger.info("Conversations are stored in %r (Rasa reads the last %d messages of each)", parsed, keep_turns)

    # --- reading -------------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The compacted tracker: the snapshot, then every event since the boundary."""
        # SQLAlchemy Core, not ORM sessions: a third of the time (0.8 vs 2.5 ms a turn on SQLite).
        with self.engine.connect() as connection:
            snapshot = connection.execute(sa.select(_Snapshot.last_event_id, _Snapshot.events)
                                          .where(_Snapshot.sender_id == sender_id)).first()
            query = sa.select(Event_.id, Event_.data).where(Event_.sender_id == sender_id)
            if snapshot is not None:
                query = query.where(Event_.id > snapshot.last_event_id)
            rows = connection.execute(query.order_by(Event_.id)).all()
        head: list[dict[str, Any]] = json.loads(snapshot.events) if snapshot is not None else []
        if not head and not rows:
            return None
        return self._tracker(sender_id, head, rows, full=False)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Every stored event of the conversation, all sessions."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(Event_.id, Event_.data).where(Event_.sender_id == conversation_id)
                                      .order_by(Event_.id)).all()
        return self._tracker(conversation_id, [], rows, full=True) if rows else None

    def _tracker(self, sender_id: str, head: list[dict[str, Any]], rows: Sequence[Any],
                 full: bool) -> DialogueStateTracker:
        assert self.domain is not None, "Rasa sets the domain before it reads a tracker"
        events = head + [json.loads(row.data) for row in rows]
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker, _STORED, _Stored(len(head), [row.id for row in rows], full))
        return tracker

    # --- writing -------------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the tracker's new events, then moves the boundary forward when it is due."""
        with self.engine.begin() as connection:
            stored = getattr(tracker, _STORED, None)
            events = list(tracker.events)
            if stored is None:  # a tracker this store did not load (a new one, or a copy): the events
                # already stored count as its head, and it is never compacted
                new = self._unstored(connection, tracker.sender_id, events)
                stored = _Stored(len(events) - len(new), [], full=True)
            else:
                new = events[stored.snapshot_length + len(stored.ids):]
            if new:
                connection.execute(sa.insert(Event_), [_row(tracker.sender_id, event) for event in new])
                # Their ids (SQLite under SQLAlchemy 1.4 returns none from a bulk insert); nobody else
                # writes to the conversation meanwhile: Rasa holds its lock.
                latest = connection.execute(sa.select(Event_.id).where(Event_.sender_id == tracker.sender_id)
                                            .order_by(Event_.id.desc()).limit(len(new))).scalars()
                stored.ids += sorted(latest)
            if not stored.full:
                self._compact(connection, tracker, events, stored)
        setattr(tracker, _STORED, stored)
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new, tracker.sender_id)

    def _unstored(self, connection: sa.engine.Connection, sender_id: str, events: list[Event]) -> list[Event]:
        """The events of a tracker that were not loaded from here: those after the stored ones."""
        last = connection.execute(sa.select(Event_.timestamp).where(Event_.sender_id == sender_id)
                               .order_by(Event_.id.desc()).limit(1)).scalar()
        if last is None:
            return events
        return [event for event in events if event.timestamp > last]

    def _compact(self, connection: sa.engine.Connection, tracker: DialogueStateTracker, events: list[Event],
                 stored: _Stored) -> None:
        """Moves the boundary to just before the `keep_turns`-th last message once the tracker holds
        more than that many since the boundary (never while a person has the conversation).

        Every turn past `keep_turns` then moves it by one message: rebuilding the state at the new
        boundary replays about `keep_turns` messages' events (under a millisecond), and each turn's
        policies read the same number of states, from the first long turn to the thousandth."""
        tail = events[stored.snapshot_length:]
        messages = [index for index, event in enumerate(tail) if isinstance(event, UserUttered)]
        if len(messages) <= self.keep_turns or tracker.is_paused():
            return
        cut = messages[-self.keep_turns]
        assert self.domain is not None
        before = DialogueStateTracker.from_events(tracker.sender_id, events[:stored.snapshot_length + cut],
                                                  slots=self.domain.slots)
        head = [event.as_dict() for event in snapshot_events(before)]
        boundary = stored.ids[cut - 1]
        values = {"last_event_id": boundary, "events": json.dumps(head)}
        updated = connection.execute(sa.update(_Snapshot).where(_Snapshot.sender_id == tracker.sender_id)
                                     .values(**values)).rowcount
        if not updated:
            connection.execute(sa.insert(_Snapshot).values(sender_id=tracker.sender_id, **values))
        logger.debug("Conversation compacted: %d messages before event %d summed up", len(messages) - self.keep_turns,
                     boundary)

    async def keys(self) -> list[str]:
        """Every conversation's id (`rasa export`, analytics)."""
        with self.engine.connect() as connection:
            return list(connection.execute(sa.select(Event_.sender_id).distinct()).scalars())

    # --- erasure -------------------------------------------------------------------------------

    def delete_conversation(self, sender_id: str) -> bool:
        """Deletes every event and the snapshot of the conversation; False when there was none."""
        with self.engine.begin() as connection:
            deleted = connection.execute(sa.delete(Event_).where(Event_.sender_id == sender_id)).rowcount
            connection.execute(sa.delete(_Snapshot).where(_Snapshot.sender_id == sender_id))
        return bool(deleted)


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The columns of Rasa's `events` table for `event`, as its SQLTrackerStore writes them."""
    data = event.as_dict()
    intent = (data.get("parse_data") or {}).get("intent") or {}
    return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": intent.get("name"), "action_name": data.get("name"), "data": json.dumps(data)}


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # WAL: readers (the care desk, a second worker) never wait for a writer; NORMAL: no fsync on
    # every commit (a power cut may lose the last turns, never corrupt the file).
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
