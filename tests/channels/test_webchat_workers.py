"""Several Rasa workers: a bot message emitted on one reaches the shopper's socket held by another.

Two web chat servers (tests/channels/webchat_server.py, each a Rasa worker's channel) share the real
Redis: a push on either (a bot's answer, a care agent's reply, a payment notice) arrives, once, at
every tab of the conversation, whichever worker holds it. Without Redis each worker reaches only its
own sockets. Redis missing fails the test under BOTTEGA_REQUIRE_SERVICES=1 (tests/services.py).
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from channels.webchat import pubsub_url
from tests.channels.test_webchat_sessions import SECRET, Shopper
from tests.processes import free_port, running
from tests.services import REDIS_URL, redis_client

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def workers(log_dir: Path, redis_url: str | None, channel: str) -> Iterator[list[str]]:
    """Two web chat servers, on Redis `redis_url` (pub/sub `channel`) or each on its own: their URLs."""
    env = {**os.environ, "WEBCHAT_SESSION_SECRET": SECRET, "WEBCHAT_PUBSUB_CHANNEL": channel}
    env.pop("LOCK_STORE_URL", None)  # the only Redis is the one named here
    env.pop("WEBCHAT_REDIS_URL", None)
    if redis_url:
        env["WEBCHAT_REDIS_URL"] = redis_url
    urls: list[str] = []
    with ExitStack() as stack:
        for number in (1, 2):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log_path = log_dir / f"worker{number}.log"
            stack.enter_context(running(f"web chat worker {number}",
                                        [sys.executable, "-m", "tests.channels.webchat_server", str(port)],
                                        cwd=ROOT, env=env, log_path=log_path, ready_url=f"{url}/recorded"))
            urls.append(url)
        yield urls
        for number in (1, 2):
            log = (log_dir / f"worker{number}.log").read_text()
            assert "Traceback" not in log, log[-3000:]


def _push(worker: str, session_id: str, text: str) -> None:
    """A bot message to the conversation, emitted and recorded by `worker` as Rasa does."""
    answer = requests.post(f"{worker}/push", json={"conversation": f"socketio:{session_id}", "text": text},
                           timeout=10)
    assert answer.status_code == 200, answer.text


def _texts(shopper: Shopper, seconds: float = 0.7) -> list[str]:
    """The bot messages the shopper got, waiting `seconds` for any late copy."""
    time.sleep(seconds)
    return [str(data.get("text")) for event, data in shopper.events if event == "bot_uttered"]


def _wait_subscribed(channel: str, count: int) -> None:
    client = redis_client()
    deadline = time.monotonic() + 10
    while dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) < count:
        assert time.monotonic() < deadline, f"the workers did not subscribe to {channel}"
        time.sleep(0.1)


def test_a_push_on_one_worker_reaches_every_tab_on_both_through_redis(tmp_path: Path) -> None:
    redis_client()  # reachable, or fail under BOTTEGA_REQUIRE_SERVICES=1
    channel = f"bottega-webchat-test-{secrets.token_hex(4)}"
    opened: list[Shopper] = []
    with workers(tmp_path, REDIS_URL, channel) as (first, second):
        # Both listen from their start, before any shopper: a worker's first emit is never lost.
        _wait_subscribed(channel, 2)
        try:
            tab = Shopper(first)
            opened.append(tab)
            session = tab.session()
            other_tab = Shopper(second)  # the same conversation in a second tab, on the other worker
            opened.append(other_tab)
            assert other_tab.session(session["session_token"])["session_id"] == session["session_id"]

            _push(second, session["session_id"], "Your payment went through.")
            _push(first, session["session_id"], "Giulia here: how can I help?")
            expected = ["Your payment went through.", "Giulia here: how can I help?"]
            assert _texts(tab) == expected
            assert _texts(other_tab) == expected

            # Only the conversation's room: a shopper of another conversation gets none of it.
            stranger = Shopper(second)
            opened.append(stranger)
            stranger.session()
            _push(first, session["session_id"], "Only for the first shopper.")
            assert _texts(tab)[-1] == "Only for the first shopper."
            assert _texts(stranger) == []
        finally:
            for shopper in opened:
                shopper.close()


def test_without_redis_a_worker_reaches_only_the_sockets_it_holds(tmp_path: Path) -> None:
    """What Redis adds: in-process, the push on the other worker goes nowhere (the page gets it
    as a missed message when it comes back, from a shared tracker store)."""
    opened: list[Shopper] = []
    with workers(tmp_path, None, "unused") as (first, second):
        try:
            tab = Shopper(first)
            opened.append(tab)
            session: dict[str, Any] = tab.session()
            _push(second, session["session_id"], "Your payment went through.")
            assert _texts(tab) == []
            _push(first, session["session_id"], "Giulia here.")
            assert _texts(tab) == ["Giulia here."]
        finally:
            for shopper in opened:
                shopper.close()


def test_the_redis_is_the_web_chats_own_else_a_redis_lock_stores_else_none() -> None:
    assert pubsub_url({}) is None
    assert pubsub_url({"WEBCHAT_REDIS_URL": "redis://chat:6379/2", "LOCK_STORE_URL": "redis://lock:6379"}) == (
        "redis://chat:6379/2")
    assert pubsub_url({"LOCK_STORE_URL": "rediss://:pw@lock:6380/1"}) == "rediss://:pw@lock:6380/1"
    assert pubsub_url({"LOCK_STORE_URL": "memory"}) is None
    assert pubsub_url({"WEBCHAT_REDIS_URL": " ", "LOCK_STORE_URL": ""}) is None
    with pytest.raises(ValueError, match="WEBCHAT_REDIS_URL must be a redis://"):
        pubsub_url({"WEBCHAT_REDIS_URL": "http://chat:6379"})
