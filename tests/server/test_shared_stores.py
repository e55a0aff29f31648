"""server/shared_stores.py with the real Redis and RabbitMQ: the lock store and the event broker that
endpoints.yml names come from LOCK_STORE_URL and EVENT_BROKER_URL, shared by every worker, need
nothing when unset, and stop Rasa at once with one clear line (no password) when they cannot work."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from server.shared_stores import StoreRefused
from server.tracker_store import ConversationStore
from tests import services
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = ROOT / "endpoints.yml"
MODEL = ROOT / "models" / "bottega.tar.gz"
DOMAIN = Domain.from_dict({"intents": ["greet"]})


@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch) -> AvailableEndpoints:
    """The project's endpoints.yml, read as Rasa reads it."""
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "test-action-token-0123456789abcdef")
    return AvailableEndpoints.read_endpoints(str(ENDPOINTS))


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("LOCK_STORE_URL", "EVENT_BROKER_URL", "EVENT_BROKER_QUEUE", "SANIC_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# --- the lock store --------------------------------------------------------------------------------


def test_unset_the_lock_store_is_rasas_in_memory_one(endpoints: AvailableEndpoints,
                                                     environment: pytest.MonkeyPatch) -> None:
    assert type(LockStore.create(endpoints.lock_store)) is InMemoryLockStore


def test_several_workers_without_a_shared_lock_store_are_refused(endpoints: AvailableEndpoints,
                                                                 environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SANIC_WORKERS", "4")
    with pytest.raises(StoreRefused, match="SANIC_WORKERS=4 needs a lock store the workers share: set LOCK_STORE_URL"):
        LockStore.create(endpoints.lock_store)


@pytest.mark.redis
def test_workers_on_one_redis_take_a_conversations_turns_strictly_one_at_a_time(
    endpoints: AvailableEndpoints, environment: pytest.MonkeyPatch
) -> None:
    redis = services.redis_client()
    environment.setenv("LOCK_STORE_URL", f"{services.REDIS_URL}/0")
    environment.setenv("SANIC_WORKERS", "3")  # allowed with a shared store
    conversation = f"rest:lock-{secrets.token_hex(4)}"
    inside, most, done, failed = 0, 0, 0, 0
    count = threading.Lock()

    async def turns(store: LockStore) -> None:
        nonlocal inside, most, done, failed
        for _ in range(20):
            try:
                async with store.lock(conversation, wait_time_in_seconds=0.01):
                    with count:
                        inside += 1
                        most = max(most, inside)
                    await asyncio.sleep(0.003)
                    with count:
                        inside -= 1
                        done += 1
            except LockError:
                with count:
                    failed += 1

    def worker() -> None:  # a Rasa process: its own lock store, two conversations' turns at a time
        store = LockStore.create(endpoints.lock_store)
        assert isinstance(store, RedisLockStore)

        async def both() -> None:
            await asyncio.gather(turns(store), turns(store))

        asyncio.run(both())

    started = time.monotonic()
    workers = [threading.Thread(target=worker) for _ in range(3)]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    finally:
        redis.delete(f"lock:{conversation}")
    # Stock RedisLockStore, the same way: two turns at once, 4 LockErrors, 241 s (lost tickets expire).
    assert (most, done, failed) == (1, 120, 0)
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(("url", "refusal"), [
    ("redis://:hunter2-{secret}@127.0.0.1:9/0", "cannot reach the lock store's Redis at redis://:***@127.0.0.1:9/0"),
    ("http://user:{secret}@127.0.0.1:6379/0", "LOCK_STORE_URL must be a Redis URL such as redis://127.0.0.1:6379/0"),
    ("redis://127.0.0.1:6379/locks", "LOCK_STORE_URL names Redis database 'locks': a number is expected"),
])
def test_a_lock_store_that_cannot_work_is_refused_at_once(endpoints: AvailableEndpoints,
                                                          environment: pytest.MonkeyPatch, url: str,
                                                          refusal: str) -> None:
    secret = secrets.token_hex(6)
    environment.setenv("LOCK_STORE_URL", url.format(secret=secret))
    started = time.monotonic()
    with pytest.raises(StoreRefused) as refused:
        LockStore.create(endpoints.lock_store)
    assert time.monotonic() - started < 5  # no retries
    assert refusal in str(refused.value) and secret not in str(refused.value)
    assert "\n" not in str(refused.value)


# --- the event broker ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_unset_there_is_no_event_broker(endpoints: AvailableEndpoints, environment: pytest.MonkeyPatch) -> None:
    assert await EventBroker.create(endpoints.event_broker) is None


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue name of the test's own, deleted afterwards."""
    name = f"bottega_test_{secrets.token_hex(4)}"
    yield name

    async def delete() -> None:
        connection = await aio_pika.connect(services.RABBITMQ_URL)
        channel = await connection.channel()
        await channel.queue_delete(name)
        await connection.close()

    asyncio.run(delete())


@pytest.mark.asyncio
@pytest.mark.rabbitmq
async def test_every_stored_event_reaches_the_rabbitmq_queue_once(
    endpoints: AvailableEndpoints, environment: pytest.MonkeyPatch, tmp_path: Path, queue: str
) -> None:
    environment.setenv("EVENT_BROKER_URL", services.rabbitmq_url())
    environment.setenv("EVENT_BROKER_QUEUE", queue)
    broker = await EventBroker.create(endpoints.event_broker)
    assert isinstance(broker, PikaEventBroker) and broker.queues == [queue]
    store = ConversationStore(DOMAIN, host=f"sqlite:///{tmp_path / 'c.sqlite3'}", event_broker=broker)
    sender = f"rest:broker-{secrets.token_hex(4)}"
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        BotUttered("Hello!"), ActionExecuted("action_listen")], slots=DOMAIN.slots)
    await store.save(tracker)
    await asyncio.sleep(0.5)  # Rasa publishes in a task of its own
    await broker.close()

    received = await services.rabbitmq_messages(queue)
    assert [(event["sender_id"], event["event"]) for event in received] == [
        (sender, "action"), (sender, "user"), (sender, "bot"), (sender, "action")]
    store.engine.dispose()


@pytest.mark.asyncio
async def test_a_database_url_gives_rasas_sql_event_broker(endpoints: AvailableEndpoints,
                                                           environment: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environment.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'conversations.sqlite3'}")
    environment.setenv("EVENT_BROKER_URL", f"sqlite:///{tmp_path / 'broker' / 'events.sqlite3'}")
    broker = await EventBroker.create(endpoints.event_broker)
    assert isinstance(broker, SQLEventBroker)
    broker.publish({"sender_id": "rest:ada", "event": "user", "text": "hi"})
    with broker.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, data FROM events")).all()
    assert [(row.sender_id, json.loads(row.data)["text"]) for row in rows] == [("rest:ada", "hi")]

    # Its `events` table is not the tracker store's: the same database is refused.
    environment.setenv("EVENT_BROKER_URL", f"sqlite:///{tmp_path / 'conversations.sqlite3'}")
    with pytest.raises(StoreRefused, match="EVENT_BROKER_URL names the tracker store's database"):
        await EventBroker.create(endpoints.event_broker)


@pytest.mark.parametrize(("url", "refusal"), [
    ("amqp://bottega:hunter2-{secret}@127.0.0.1:9/", "cannot reach the event broker at amqp://bottega:***@127.0.0.1:9/"),
    ("postgresql://bottega:{secret}@127.0.0.1:9/events?connect_timeout=2",
     "cannot reach the event broker's database postgresql://bottega:***@127.0.0.1:9/events"),
    ("kafka://bottega:{secret}@127.0.0.1:9092/", "EVENT_BROKER_URL is neither an amqp:// URL nor a database URL"),
    ("amqp:///", "EVENT_BROKER_URL names no host"),
])
@pytest.mark.asyncio
async def test_an_event_broker_that_cannot_work_is_refused_at_once(
    endpoints: AvailableEndpoints, environment: pytest.MonkeyPatch, url: str, refusal: str
) -> None:
    secret = secrets.token_hex(6)
    environment.setenv("EVENT_BROKER_URL", url.format(secret=secret))
    started = time.monotonic()
    with pytest.raises(StoreRefused) as refused:  # not Rasa's "not using any event broker"
        await EventBroker.create(endpoints.event_broker)
    assert time.monotonic() - started < 5  # not Rasa's 20 attempts 5 s apart
    assert refusal in str(refused.value) and secret not in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.asyncio
@pytest.mark.rabbitmq
async def test_a_wrong_rabbitmq_password_is_refused(endpoints: AvailableEndpoints,
                                                    environment: pytest.MonkeyPatch) -> None:
    services.rabbitmq_url()
    secret = secrets.token_hex(6)
    environment.setenv("EVENT_BROKER_URL", f"amqp://guest:wrong-{secret}@127.0.0.1:5672/")
    with pytest.raises(StoreRefused, match="ACCESS_REFUSED") as refused:
        await EventBroker.create(endpoints.event_broker)
    assert secret not in str(refused.value)


# --- Rasa itself -----------------------------------------------------------------------------------


def test_rasa_stops_at_start_up_with_one_line_when_redis_cannot_be_reached(tmp_path: Path) -> None:
    secret = secrets.token_hex(6)
    (tmp_path / "credentials.yml").write_text("")
    env = {**os.environ, "LOCK_STORE_URL": f"redis://:{secret}@127.0.0.1:9/0", "RASA_TELEMETRY_ENABLED": "false",
           "ACTION_SERVER_TOKEN": "test-action-token-0123456789abcdef",
           "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}", "PYTHONPATH": str(ROOT)}
    env.pop("EVENT_BROKER_URL", None)
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "server", "run", "--interface", "127.0.0.1", "--port", str(free_port()), "--endpoints",
         str(ENDPOINTS), "--credentials", str(tmp_path / "credentials.yml"), "--model", str(MODEL)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    output = finished.stdout + finished.stderr
    assert finished.returncode != 0
    # Rasa's own error line (after Sanic's traceback), whole on one line.
    said = "StoreRefused: cannot reach the lock store's Redis at redis://:***@127.0.0.1:9/0 (LOCK_STORE_URL): Error 111"
    assert any(line.strip("\x1b[0m91").startswith(said) for line in output.splitlines()), output[-3000:]
    assert secret not in output
    assert time.monotonic() - started < 120
