"""Which Meta messages were handled already, and when each shopper last wrote (channels/meta.py).

Meta delivers at least once, for days: a message id is handed to the bot once, across restarts and
Rasa processes. The same store keeps each shopper's latest message time, which Meta's 24-hour
window runs from (channels/window.py). Three kinds, one interface (`SeenStore`):

    RedisSeen    Redis (SET NX, a keep-the-later script): every Rasa process on the same Redis agrees
    SQLiteSeen   an SQLite file: the processes of one machine agree, and a restart remembers
    MemorySeen   this process only, the last keys (tests, or a single throwaway process)

`seen_store` picks one from the channel's `seen_store` setting or Rasa's lock store.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

SEEN_TTL_SECONDS = 7 * 24 * 3600  # Meta redelivers for days (WhatsApp up to 7)
WROTE_TTL_SECONDS = 8 * 24 * 3600  # past the longest window that needs it (HUMAN_AGENT, 7 days)
DEFAULT_SEEN_PATH = "var/meta/seen.sqlite3"


class SeenStore(Protocol):
    """Which messages were handled, and when each shopper last wrote (the 24-hour window, channels/window.py)."""

    async def first_time(self, key: str) -> bool:
        """True the first time `key` is offered (within the store's memory), False after."""

    async def wrote(self, shopper: str, at: float) -> None:
        """The shopper (`<channel>:<id>`) wrote at `at` (epoch seconds); an earlier time never replaces a later."""

    async def last_wrote(self, shopper: str) -> float | None:
        """When the shopper last wrote, as far as the store remembers (WROTE_TTL_SECONDS); None if unknown."""


class MemorySeen:
    """The last `size` keys of this process: enough for redeliveries within minutes, not restarts."""

    def __init__(self, size: int = 100_000) -> None:
        self.size, self._keys = size, OrderedDict[str, None]()
        self._wrote = OrderedDict[str, float]()

    async def wrote(self, shopper: str, at: float) -> None:
        self._wrote[shopper] = max(at, self._wrote.pop(shopper, at))
        if len(self._wrote) > self.size:
            self._wrote.popitem(last=False)

    async def last_wrote(self, shopper: str) -> float | None:
        return self._wrote.get(shopper)

    async def first_time(self, key: str) -> bool:
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


class SQLiteSeen:
    """Keys in an SQLite file, kept SEEN_TTL_SECONDS: survives restarts, shared by the processes of
    one machine (SQLite locks the file). Calls run in a thread: the event loop never waits on disk."""

    def __init__(self, path: str | Path, ttl: float = SEEN_TTL_SECONDS) -> None:
        self.path, self.ttl, self._writes = Path(path), ttl, 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS wrote (shopper TEXT PRIMARY KEY, at REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def _insert(self, key: str) -> bool:
        now = time.time()
        db = self._connect()
        try:
            with db:
                inserted = db.execute("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", (key, now)).rowcount
                self._writes += 1
                if self._writes % 1000 == 0:
                    db.execute("DELETE FROM seen WHERE at < ?", (now - self.ttl,))
        finally:
            db.close()
        return inserted == 1

    async def first_time(self, key: str) -> bool:
        return await asyncio.to_thread(self._insert, key)

    def _wrote(self, shopper: str, at: float) -> None:
        db = self._connect()
        try:
            with db:
                db.execute("INSERT INTO wrote (shopper, at) VALUES (?, ?) ON CONFLICT (shopper) "
                           "DO UPDATE SET at = max(at, excluded.at)", (shopper, at))
                self._writes += 1
                if self._writes % 1000 == 0:
                    db.execute("DELETE FROM wrote WHERE at < ?", (time.time() - WROTE_TTL_SECONDS,))
        finally:
            db.close()

    def _last_wrote(self, shopper: str) -> float | None:
        db = self._connect()
        try:
            row = db.execute("SELECT at FROM wrote WHERE shopper = ?", (shopper,)).fetchone()
        finally:
            db.close()
        return float(row[0]) if row else None

    async def wrote(self, shopper: str, at: float) -> None:
        await asyncio.to_thread(self._wrote, shopper, at)

    async def last_wrote(self, shopper: str) -> float | None:
        return await asyncio.to_thread(self._last_wrote, shopper)


class RedisSeen:
    """Keys in Redis (SET NX with an expiry): shared by every Rasa process that uses the same Redis.
    `client` is a redis-py client, such as the one of Rasa's RedisLockStore; calls run in a thread."""

    PREFIX = "bottega:meta:seen:"
    WROTE_PREFIX = "bottega:meta:wrote:"
    # Keeps the later of the stored and the given time, in one step: two workers never go back in time.
    _KEEP_LATER = ("local old = tonumber(redis.call('GET', KEYS[1]) or '0') "
                   "if tonumber(ARGV[1]) > old then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end "
                   "return 1")

    def __init__(self, client: Any, ttl: float = SEEN_TTL_SECONDS) -> None:
        self.client, self.ttl = client, int(ttl)

    async def first_time(self, key: str) -> bool:
        stored = await asyncio.to_thread(self.client.set, self.PREFIX + key, b"1", nx=True, ex=self.ttl)
        return bool(stored)

    async def wrote(self, shopper: str, at: float) -> None:
        await asyncio.to_thread(self.client.eval, self._KEEP_LATER, 1, self.WROTE_PREFIX + shopper, repr(at),
                                int(WROTE_TTL_SECONDS))

    async def last_wrote(self, shopper: str) -> float | None:
        stored = await asyncio.to_thread(self.client.get, self.WROTE_PREFIX + shopper)
        return float(stored) if stored else None


def seen_store(setting: str | None, lock_store: Any = None) -> SeenStore:
    """The store `setting` names: `redis://…` (or rediss://), `memory`, or an SQLite file's path.
    Without a setting: the Redis of Rasa's lock store when it is a RedisLockStore, else DEFAULT_SEEN_PATH."""
    setting = (setting or "").strip()
    if setting.startswith(("redis://", "rediss://", "unix://")):
        import redis  # Rasa's own dependency; only when Redis is configured

        return RedisSeen(redis.Redis.from_url(setting))
    if setting == "memory":
        return MemorySeen()
    if setting:
        return SQLiteSeen(setting)
    red = getattr(lock_store, "red", None)  # rasa.core.lock_store.RedisLockStore's client
    if red is not None:
        return RedisSeen(red)
    return SQLiteSeen(DEFAULT_SEEN_PATH)
