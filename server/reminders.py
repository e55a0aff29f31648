"""Rasa's reminders in the tracker store's database: they survive restarts and work across workers.

Stock Rasa 3.6 hands a `ReminderScheduled` to an APScheduler in the memory of the process that ran
the action: a restart forgets it, another worker cannot cancel it (the care desk taking a
conversation over on worker B while worker A holds the hand-off time-out), and its job id is the
reminder's name alone. Here `MessageProcessor._schedule_reminders` and `_cancel_reminders` write to
a table of their own (`reminders`) in the tracker store's database (TRACKER_STORE_URL: the SQLite
file by default, PostgreSQL in production), one row per (conversation, reminder name):

- scheduling a reminder again under its name replaces it (Rasa's `replace_existing`), in that
  conversation only;
- a `ReminderCancelled` deletes the conversation's reminders it matches (by name, intent and
  entities, as Rasa matches its jobs; nothing given: all of them);
- every Rasa worker polls the table each POLL_SECONDS and *claims* the reminders that are due with a
  conditional UPDATE (the row's own token, unclaimed or its claim stale): only one worker's UPDATE
  finds the row, so one worker fires it, on SQLite and PostgreSQL alike. The winner runs Rasa's own
  `MessageProcessor.handle_reminder` (the conversation's lock, `kill_on_user_message`, the reminder
  still in the tracker), its answer going out on the conversation's own channel (the id's
  `<channel>:` prefix, actions/identity.py; the REST channel cannot push: what it says is recorded
  only), then deletes the row.

A reminder that fell due while every worker was down fires at the first poll of the first worker
that starts. A worker that dies between claiming a reminder and deleting it leaves a claim that goes
stale after CLAIM_SECONDS, when another worker fires it: at least once across a crash, exactly once
otherwise. The `ReminderScheduled` event stays in the tracker as in stock Rasa (and in the compacted
tracker's snapshot, server/tracker_store.py), so `handle_reminder` finds it valid. A stored
`ReminderCancelled` keeps what it cancels (Rasa 3.6 drops it when it serialises the event).

With a tracker store that is not server.tracker_store.ConversationStore, stock Rasa's scheduler is
used, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from rasa.shared.core.events import Event, ReminderCancelled, ReminderScheduled

if TYPE_CHECKING:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.processor import MessageProcessor
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.core.trackers import DialogueStateTracker
    from sanic import Sanic

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# A claim older than this is a dead worker's: another fires the reminder. Longer than a reminder can
# take (Rasa's conversation lock lives 60 s, then the turn itself).
CLAIM_SECONDS = 300.0
BATCH = 50

_metadata = sa.MetaData()
reminders_table = sa.Table(
    "reminders", _metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    # A new one each time the reminder is scheduled: a claim or a deletion names the scheduling it is for.
    sa.Column("token", sa.String(32), nullable=False),
    sa.Column("due_at", sa.Float, nullable=False),  # epoch seconds
    sa.Column("event", sa.Text, nullable=False),  # the ReminderScheduled, as Rasa serialises it
    sa.Column("claimed_by", sa.String(128)),
    sa.Column("claimed_at", sa.Float),
    sa.Index("ix_reminders_due_at", "due_at"),
)


@dataclass(frozen=True)
class Due:
    """A reminder this worker claimed."""

    sender_id: str
    name: str
    token: str
    event: ReminderScheduled


class ReminderStore:
    """The `reminders` table of the tracker store's database (module docstring)."""

    def __init__(self, engine: sa.engine.Engine, worker: str | None = None) -> None:
        self.engine = engine
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        _metadata.create_all(engine)

    def schedule(self, sender_id: str, reminder: ReminderScheduled) -> None:
        """Stores the reminder, replacing the conversation's reminder of the same name."""
        values = {"sender_id": sender_id, "name": reminder.name, "token": uuid.uuid4().hex,
                  "due_at": reminder.trigger_date_time.timestamp(), "event": json.dumps(reminder.as_dict()),
                  "claimed_by": None, "claimed_at": None}
        for attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    connection.execute(sa.delete(reminders_table).where(*_key(sender_id, reminder.name)))
                    connection.execute(sa.insert(reminders_table).values(**values))
                return
            except sa.exc.IntegrityError:
                # Another worker inserted the same (conversation, name) between our delete and insert:
                # the latest scheduling wins, as in Rasa, so try again.
                if attempt == 2:
                    raise

    def cancel(self, sender_id: str, cancel: ReminderCancelled) -> int:
        """Deletes the conversation's reminders `cancel` matches; how many."""
        with self.engine.begin() as connection:
            rows = connection.execute(sa.select(reminders_table.c.name, reminders_table.c.token,
                                                reminders_table.c.event)
                                      .where(reminders_table.c.sender_id == sender_id)).all()
            cancelled = 0
            for row in rows:
                if cancels(cancel, _event(row.event)):
                    cancelled += connection.execute(
                        sa.delete(reminders_table).where(*_key(sender_id, row.name),
                                                         reminders_table.c.token == row.token)).rowcount
        return cancelled

    def claim_due(self, now: float | None = None, limit: int = BATCH) -> list[Due]:
        """The due reminders this worker won: each is claimed by exactly one worker."""
        now = time.time() if now is None else now
        free = sa.or_(reminders_table.c.claimed_at.is_(None), reminders_table.c.claimed_at < now - CLAIM_SECONDS)
        with self.engine.connect() as connection:
            candidates = connection.execute(
                sa.select(reminders_table.c.sender_id, reminders_table.c.name, reminders_table.c.token,
                          reminders_table.c.event)
                .where(reminders_table.c.due_at <= now, free).order_by(reminders_table.c.due_at).limit(limit)).all()
        won: list[Due] = []
        for row in candidates:
            # The row as it was read, still unclaimed (or stale): the UPDATE is the claim, and two
            # workers' UPDATEs of one row cannot both find it so.
            with self.engine.begin() as connection:
                claimed = connection.execute(
                    sa.update(reminders_table)
                    .where(*_key(row.sender_id, row.name), reminders_table.c.token == row.token, free)
                    .values(claimed_by=self.worker, claimed_at=now)).rowcount
            if claimed:
                won.append(Due(row.sender_id, row.name, row.token, _event(row.event)))
        return won

    def done(self, due: Due) -> None:
        """Deletes a fired reminder (not a newer one scheduled under its name meanwhile)."""
        with self.engine.begin() as connection:
            connection.execute(sa.delete(reminders_table).where(*_key(due.sender_id, due.name),
                                                                reminders_table.c.token == due.token))

    def pending(self, sender_id: str) -> list[ReminderScheduled]:
        """The conversation's stored reminders, soonest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(reminders_table.c.event)
                                      .where(reminders_table.c.sender_id == sender_id)
                                      .order_by(reminders_table.c.due_at)).scalars().all()
        return [_event(row) for row in rows]


def cancels(cancel: ReminderCancelled, reminder: ReminderScheduled) -> bool:
    """Whether `cancel` cancels `reminder` of the same conversation: what Rasa's
    `ReminderCancelled.cancels_job_with_name` decides from hashes, decided from the values (Python's
    string hashes differ from one process to the next)."""
    return ((not cancel.name or cancel.name == reminder.name)
            and (not cancel.intent or cancel.intent == reminder.intent)
            and (not cancel.entities or str(cancel.entities) == str(reminder.entities)))


def _key(sender_id: str, name: str) -> tuple[sa.sql.ColumnElement[bool], ...]:
    return reminders_table.c.sender_id == sender_id, reminders_table.c.name == name


def _event(data: str) -> ReminderScheduled:
    event = Event.from_parameters(json.loads(data))
    assert isinstance(event, ReminderScheduled)
    return event


# --- in Rasa ---------------------------------------------------------------------------------

_store: ReminderStore | None = None
_poller: asyncio.Task[None] | None = None
_applied = False


def use(reminder_store: ReminderStore | None) -> None:
    """Makes `reminder_store` this process's (None: stock Rasa's scheduler)."""
    global _store
    _store = reminder_store


def reminder_store_for(tracker_store: Any) -> ReminderStore | None:
    """A reminder store in the database of `tracker_store` when it is a ConversationStore."""
    from server.tracker_store import ConversationStore

    while hasattr(tracker_store, "_tracker_store"):  # AwaitableTrackerStore, FailSafeTrackerStore
        tracker_store = tracker_store._tracker_store
    return ReminderStore(tracker_store.engine) if isinstance(tracker_store, ConversationStore) else None


def apply() -> None:
    """Replaces Rasa's reminder scheduling and starts a poller with each loaded agent (idempotent)."""
    global _applied
    if _applied:
        return
    import rasa.core.run
    from rasa.core.processor import MessageProcessor

    stock_schedule = MessageProcessor._schedule_reminders
    stock_cancel = MessageProcessor._cancel_reminders

    async def _schedule_reminders(self: MessageProcessor, events: list[Event], tracker: DialogueStateTracker,
                                  output_channel: OutputChannel) -> None:
        if _store is None:
            await stock_schedule(self, events, tracker, output_channel)
            return
        for event in events:
            if isinstance(event, ReminderScheduled):
                await asyncio.to_thread(_store.schedule, tracker.sender_id, event)

    async def _cancel_reminders(events: list[Event], tracker: DialogueStateTracker) -> None:
        if _store is None:
            await stock_cancel(events, tracker)
            return
        for event in events:
            if isinstance(event, ReminderCancelled):
                await asyncio.to_thread(_store.cancel, tracker.sender_id, event)

    MessageProcessor._schedule_reminders = _schedule_reminders  # type: ignore[method-assign]
    MessageProcessor._cancel_reminders = staticmethod(_cancel_reminders)  # type: ignore[method-assign]
    # Rasa 3.6 stores a ReminderCancelled without what it cancels (its `as_dict` has no name, intent
    # or entities, though reading one back takes them): read back, it would cancel every reminder,
    # and the action server would not see that the desk cancelled the hand-off time-out
    # (actions/handoff.py, a_person_has_joined).
    ReminderCancelled.as_dict = _cancellation_as_dict  # type: ignore[method-assign,assignment]

    # serve_application looks these up when it registers its listeners, after apply().
    load_agent_on_start = rasa.core.run.load_agent_on_start
    close_resources = rasa.core.run.close_resources

    async def load_agent_and_start_polling(model_path: str, endpoints: AvailableEndpoints,
                                           remote_storage: str | None, app: Sanic,
                                           loop: asyncio.AbstractEventLoop) -> Agent:
        agent = await load_agent_on_start(model_path, endpoints, remote_storage, app, loop)
        use(reminder_store_for(agent.tracker_store))
        start(app)
        return agent

    async def stop_polling_and_close(app: Sanic, _: asyncio.AbstractEventLoop) -> None:
        await stop()
        await close_resources(app, _)

    rasa.core.run.load_agent_on_start = load_agent_and_start_polling
    rasa.core.run.close_resources = stop_polling_and_close
    _applied = True


def _cancellation_as_dict(self: ReminderCancelled) -> dict[str, Any]:
    return {**Event.as_dict(self), "name": self.name, "intent": self.intent, "entities": self.entities}


def start(app: Sanic) -> None:
    """Starts this worker's poller (once), firing the due reminders through `app`'s agent."""
    global _poller
    if _store is None:
        logger.info("Reminders are kept by Rasa's in-process scheduler (the tracker store is not SQL)")
        return
    if _poller is None or _poller.done():
        _poller = asyncio.get_running_loop().create_task(_poll(app, _store))
        logger.info("Reminders are kept in the tracker store's database (worker %s)", _store.worker)


async def stop() -> None:
    global _poller
    if _poller is not None:
        _poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _poller
        _poller = None


async def _poll(app: Sanic, reminder_store: ReminderStore) -> None:
    while True:
        try:
            # At once: one waiting for its conversation's lock must not hold back the others.
            claimed = await asyncio.to_thread(reminder_store.claim_due)
            await asyncio.gather(*(fire(app, reminder_store, due) for due in claimed))
        except asyncio.CancelledError:
            raise
        except Exception:
            # The database away for a moment: the next poll tries again; the reminders wait in the table.
            logger.exception("Polling the reminders failed")
        await asyncio.sleep(POLL_SECONDS)


async def fire(app: Sanic, reminder_store: ReminderStore, due: Due) -> None:
    """Runs Rasa's `handle_reminder` for a claimed reminder on the conversation's channel, then forgets it."""
    processor: MessageProcessor | None = getattr(getattr(app.ctx, "agent", None), "processor", None)
    if processor is None:
        return  # no model loaded: the claim goes stale and a worker with a model fires it
    try:
        await processor.handle_reminder(due.event, due.sender_id, output_channel(app, due.sender_id))
    except Exception:
        # As Rasa's scheduler does with a job that raises: reported and dropped, never retried in a loop.
        logger.exception("A reminder (%s) failed", due.event.intent)
    await asyncio.to_thread(reminder_store.done, due)


def output_channel(app: Sanic, sender_id: str) -> OutputChannel:
    """Where what the reminder makes the bot say goes: the channel the conversation's id names, when
    it can send on its own; otherwise it is only recorded (the REST channel answers requests only)."""
    from rasa.core.channels.channel import CollectingOutputChannel

    from actions.identity import channel_of
    from channels.desk import push_channel

    channels = list(getattr(app.ctx, "input_channels", None) or [])
    return push_channel(channels, channel_of(sender_id)) or CollectingOutputChannel()

