"""The lock store and the event broker, from the environment, with defaults that need nothing.

Rasa substitutes `${VAR}` in endpoints.yml but refuses to start on one that is unset, so the file
names these two classes, which read the environment when Rasa builds its stores:

    lock_store:
      type: server.shared_stores.LockStoreFromEnvironment     # LOCK_STORE_URL
    event_broker:
      type: server.shared_stores.EventBrokerFromEnvironment   # EVENT_BROKER_URL, EVENT_BROKER_QUEUE

`LOCK_STORE_URL=redis://host:6379/0` (`rediss://` over TLS, `redis://:password@host/0`) gives
Rasa's RedisLockStore, which every worker on that Redis shares, made safe across processes
(`SharedRedisLockStore`); unset, Rasa's InMemoryLockStore, right for one process only (so
`SANIC_WORKERS` above 1 is refused without it).

`EVENT_BROKER_URL=amqp://user:password@host:5672/vhost` (`amqps://`) gives Rasa's PikaEventBroker,
publishing every stored event to the queue `EVENT_BROKER_QUEUE` (default `rasa_events`); a
SQLAlchemy URL (`postgresql://…`, `sqlite:///…`) gives Rasa's SQLEventBroker, whose `events` table
must not be the tracker store's (another database); unset, no broker.

A store that cannot be reached, or a URL that is not one, stops Rasa at start-up with one line that
says which variable and why, without the password: never Rasa's endless retry nor a silent
fallback to the default.
"""

from __future__ import annotations

import logging
import os
from asyncio import AbstractEventLoop
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

LOCK_STORE_URL = "LOCK_STORE_URL"
EVENT_BROKER_URL = "EVENT_BROKER_URL"
EVENT_BROKER_QUEUE = "EVENT_BROKER_QUEUE"
DEFAULT_QUEUE = "rasa_events"
CONNECT_SECONDS = 5.0


class StoreRefused(RasaException):
    """A shared store that is misconfigured or cannot be reached: Rasa prints this line and stops."""


def _setting(name: str) -> str:
    return os.environ.get(name, "").strip()


def _shown(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


# --- the lock store ------------------------------------------------------------------------------

MUTEX_SECONDS = 10.0


class SharedRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore, with each change to a conversation's ticket lock made whole.

    Rasa's lock store reads a conversation's ticket lock, changes it and writes it back: taking a
    ticket, dropping expired ones, handing back one's own and deleting the lock when nobody waits.
    In one process nothing runs in between; across processes two workers read the same lock and the
    later write wins. Two first messages of a conversation arriving at two workers at once then both
    took ticket 0 and ran their turns side by side, and a worker deleting a lock it thought unused
    made the other's wait end in `LockError` (seen in tests/channels/test_scale_out.py; Rasa Pro
    added a ConcurrentRedisLockStore for the same reason, RasaHQ/rasa#11256). Here each of those
    read-change-write steps holds a short Redis mutex of its own for the conversation (redis-py's
    Lock: SET NX PX, released by a script only by its holder), so they follow one another.
    """

    def _mutex(self, conversation_id: str) -> Any:
        return self.red.lock(f"{self.key_prefix}{conversation_id}:mutex", timeout=MUTEX_SECONDS,
                             blocking_timeout=MUTEX_SECONDS)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)


def lock_store_from_url(url: str) -> LockStore:
    """A RedisLockStore on the Redis `url` names, after a ping; an empty URL: InMemoryLockStore."""
    if not url:
        return InMemoryLockStore()
    import redis
    from redis.connection import SSLConnection, parse_url

    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss"):
        raise StoreRefused(f"{LOCK_STORE_URL} must be a Redis URL such as redis://127.0.0.1:6379/0, "
                           f"not a {scheme or 'schemeless'}:// one")
    path = urlsplit(url).path.strip("/")
    if path and not path.isdigit():
        raise StoreRefused(f"{LOCK_STORE_URL} names Redis database {path!r}: a number is expected (redis://host:6379/0)")
    try:
        parsed = parse_url(url)
    except ValueError as error:
        raise StoreRefused(f"{LOCK_STORE_URL} is not a Redis URL ({_shown(str(error))})") from None
    store = SharedRedisLockStore(host=parsed.get("host", "localhost"), port=parsed.get("port", 6379),
                           db=parsed.get("db", 0), username=parsed.get("username"),
                           password=parsed.get("password"),
                           use_ssl=parsed.get("connection_class") is SSLConnection)
    try:
        store.red.ping()
    except redis.RedisError as error:
        raise StoreRefused(f"cannot reach the lock store's Redis at {_shown(url)} ({LOCK_STORE_URL}): "
                           f"{_one_line(error, parsed.get('password'))}") from None
    logger.info("Conversation locks are kept in Redis at %s", _shown(url))
    return store


class LockStoreFromEnvironment(LockStore):
    """What endpoints.yml's `lock_store` names; Rasa creates it with the entry's settings, and gets
    Rasa's own lock store for LOCK_STORE_URL (module docstring)."""

    def __new__(cls, endpoint_config: EndpointConfig | None = None) -> LockStore:  # type: ignore[misc]
        url = _setting(LOCK_STORE_URL)
        workers = _setting("SANIC_WORKERS")
        if not url and workers.isdigit() and int(workers) > 1:
            raise StoreRefused(f"SANIC_WORKERS={workers} needs a lock store the workers share: set "
                               f"{LOCK_STORE_URL} (redis://host:6379/0)")
        return lock_store_from_url(url)


# --- the event broker ----------------------------------------------------------------------------


class _URLSQLEventBroker(SQLEventBroker):
    """Rasa's SQLEventBroker, on a SQLAlchemy URL (Rasa's own takes the URL's parts one by one)."""

    def __init__(self, url: sa.engine.URL) -> None:
        import sqlalchemy.orm

        self.engine = sa.create_engine(url)
        self.Base.metadata.create_all(self.engine)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)


async def event_broker_from_url(url: str, queue: str = DEFAULT_QUEUE,
                                event_loop: AbstractEventLoop | None = None) -> EventBroker | None:
    """Rasa's PikaEventBroker (amqp://) or SQLEventBroker (a SQLAlchemy URL), connected; None for ''."""
    if not url:
        return None
    scheme = urlsplit(url).scheme
    if scheme in ("amqp", "amqps"):
        return await _pika(url, queue, event_loop)
    return _sql(url)


async def _pika(url: str, queue: str, event_loop: AbstractEventLoop | None) -> EventBroker:
    parts = urlsplit(url)
    if not parts.hostname:
        raise StoreRefused(f"{EVENT_BROKER_URL} names no host: amqp://user:password@host:5672/vhost")
    # The credentials go as the broker's own settings: Rasa logs the host it is given.
    host = f"{parts.scheme}://{parts.hostname}{parts.path}"
    broker = PikaEventBroker(host, username=parts.username or "guest", password=parts.password or "guest",
                             port=parts.port or (5671 if parts.scheme == "amqps" else 5672), queues=[queue],
                             event_loop=event_loop, connection_attempts=1, retry_delay_in_seconds=0,
                             raise_on_failure=False)
    try:
        await broker.connect()
    except Exception as error:  # aio-pika raises a dozen kinds of error on a refused connection
        raise StoreRefused(f"cannot reach the event broker at {_shown(url)} ({EVENT_BROKER_URL}): "
                           f"{_one_line(error, parts.password)}") from None
    logger.info("Every stored event goes to RabbitMQ at %s, queue %r", _shown(url), queue)
    return broker


def _sql(url: str) -> EventBroker:
    from server.tracker_store import DEFAULT_URL

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise StoreRefused(f"{EVENT_BROKER_URL} is neither an amqp:// URL nor a database URL") from None
    tracker = sa.engine.make_url(_setting("TRACKER_STORE_URL") or DEFAULT_URL)
    if _same_database(parsed, tracker):
        raise StoreRefused(f"{EVENT_BROKER_URL} names the tracker store's database: Rasa's SQL event broker "
                           "writes a table `events` of its own, so give it another database")
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        broker = _URLSQLEventBroker(parsed)
    except (sa.exc.NoSuchModuleError, sa.exc.ArgumentError):
        raise StoreRefused(f"{EVENT_BROKER_URL} is neither an amqp:// URL nor a database URL "
                           f"({parsed.get_backend_name()}:// is no database SQLAlchemy knows)") from None
    except sa.exc.OperationalError as error:
        raise StoreRefused(f"cannot reach the event broker's database {parsed!r} ({EVENT_BROKER_URL}): "
                           f"{_one_line(error.orig, parsed.password)}") from None
    logger.info("Every stored event goes to the database %r", parsed)
    return broker


def _same_database(one: sa.engine.URL, other: sa.engine.URL) -> bool:
    def where(url: sa.engine.URL) -> tuple[Any, ...]:
        database = url.database
        if url.get_backend_name() == "sqlite" and database:
            database = str(Path(database).resolve())
        return url.get_backend_name(), url.host, url.port or None, database

    return where(one) == where(other)


class EventBrokerFromEnvironment(EventBroker):
    """What endpoints.yml's `event_broker` names: Rasa asks it for the broker, and gets Rasa's own
    broker for EVENT_BROKER_URL, or none (module docstring)."""

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,  # type: ignore[override]
                                   event_loop: AbstractEventLoop | None = None) -> EventBroker | None:
        return await event_broker_from_url(_setting(EVENT_BROKER_URL), _setting(EVENT_BROKER_QUEUE) or DEFAULT_QUEUE,
                                           event_loop)


def _one_line(error: object, password: str | None) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text.replace(password, "***") if password else text
