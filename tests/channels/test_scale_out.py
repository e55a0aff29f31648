"""Two Rasa workers on one PostgreSQL tracker store, one Redis lock store and one RabbitMQ broker
(issue 10, scale-out): what a shopper says reaches whichever worker, and the conversation is one.

Both workers run as `make run` runs Rasa (`python -m server run`), with the REST and Messenger
channels and the care desk, one action server and one shop between them (tests/channels/bot_stack.py);
Messenger goes to the stub Graph API, which records what each shopper was sent. Several shoppers
talk at once, each sending two messages at a time, one to each worker; then every conversation is
read back from the database: each message once, each turn whole and in order, each answer the one
the shopper read, and every stored event once on RabbitMQ. A hand-off asked on worker A times out on
whichever worker polls first, once; another is taken over, answered and handed back through worker
B's care desk, and its time-out never fires. Fails, never skips, where BOTTEGA_REQUIRE_SERVICES=1
and PostgreSQL, Redis or RabbitMQ cannot be reached.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import pytest
import requests
import sqlalchemy as sa
import yaml

from tests import services
from tests.channels import meta_payloads as meta
from tests.channels.bot_stack import Stack, bot_stack, meta_channels
from tests.channels.test_meta_rasa import deliver, messages_to, text_sent
from tests.channels.test_meta_webhooks import eventually

ROOT = Path(__file__).resolve().parents[2]
API_TOKEN = "test-rasa-api-token-0123456789abcdef"
DESK_TOKEN = "test-desk-token-0123456789abcdef"
REST_TOKEN = "test-rest-token-0123456789abcdef"
ACTION_TOKEN = "test-action-token-0123456789abcdef"
TIMEOUT_SECONDS = 3.0  # HANDOFF_TIMEOUT_MINUTES = 0.05
SHOPPERS = 6
ROUNDS = 5
# What the shoppers say: things the bot answers at once, without a hand-off or an erasure.
SAYINGS = ["hi", "show me running shoes", "what's in my cart?", "do you have red t-shirts?",
           "when are you open?", "thanks", "do you deliver to Italy?", "any offers today?"]

pytestmark = [pytest.mark.shop, pytest.mark.postgresql, pytest.mark.redis, pytest.mark.rabbitmq]


@dataclass(frozen=True)
class Workers:
    a: str
    b: str
    stub: str
    database: str  # the tracker store's URL
    queue: str  # the RabbitMQ queue every stored event goes to


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    folder = tmp_path_factory.mktemp("scale_out")
    services.redis_client()
    broker = services.rabbitmq_url()
    queue = f"bottega_test_{secrets.token_hex(4)}"
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    served = {**meta_channels(folder), "channels.desk.DeskInput": credentials["channels.desk.DeskInput"],
              "channels.rest.AuthenticatedRestInput": credentials["channels.rest.AuthenticatedRestInput"]}
    with services.postgres_database("bottega_scale_out") as name:
        database = services.postgres_url(name)
        env = {"RASA_API_TOKEN": API_TOKEN, "DESK_API_TOKEN": DESK_TOKEN, "REST_CHANNEL_TOKEN": REST_TOKEN,
               "ACTION_SERVER_TOKEN": ACTION_TOKEN, "HANDOFF_TIMEOUT_MINUTES": str(TIMEOUT_SECONDS / 60),
               "TRACKER_STORE_URL": database, "LOCK_STORE_URL": f"{services.REDIS_URL}/0",
               "EVENT_BROKER_URL": broker, "EVENT_BROKER_QUEUE": queue}
        try:
            with bot_stack(folder, served, env, workers=2) as stack:
                yield _workers(stack, database, queue)
        finally:
            asyncio.run(_delete_queue(queue))


def _workers(stack: Stack, database: str, queue: str) -> Workers:
    a, b = stack.workers
    return Workers(a, b, stack.stub, database, queue)


# --- talking to the workers ----------------------------------------------------------------------


def say(worker: str, sender: str, text: str) -> list[str]:
    """The REST channel's answer: what the shopper reads."""
    answer = requests.post(f"{worker}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                           headers={"Authorization": f"Bearer {REST_TOKEN}"}, timeout=120)
    assert answer.status_code == 200, answer.text
    return [str(message.get("text") or "") for message in answer.json()]


def desk(worker: str, method: str, conversation: str, action: str = "", body: Any = None) -> requests.Response:
    path = f"{worker}/webhooks/desk/conversations/{conversation}" + (f"/{action}" if action else "")
    return requests.request(method, path, json=body, timeout=60, headers={"Authorization": f"Bearer {DESK_TOKEN}"})


def stored_events(database: str, conversation: str) -> list[dict[str, Any]]:
    """Every event of the conversation in the tracker store, in the order it keeps them."""
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :id ORDER BY id"),
                                      {"id": conversation}).scalars().all()
    finally:
        engine.dispose()
    return [json.loads(row) for row in rows]


def reminders_left(database: str) -> int:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM reminders")).scalar())
    finally:
        engine.dispose()


async def _delete_queue(queue: str) -> None:
    connection = await aio_pika.connect(services.RABBITMQ_URL)
    channel = await connection.channel()
    await channel.queue_delete(queue)
    await connection.close()


def blocks(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The events before the shopper's first message, then each message with the events of its turn."""
    found: list[list[dict[str, Any]]] = [[]]
    for event in events:
        if event["event"] == "user":
            found.append([])
        found[-1].append(event)
    return found


def turns(events: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(the shopper's message, the events of its turn up to the next message), in stored order."""
    return [(str(block[0].get("text")), block[1:]) for block in blocks(events)[1:]]


# --- the tests ---------------------------------------------------------------------------------------


def test_shoppers_talking_to_both_workers_at_once_keep_one_whole_conversation_each(workers: Workers) -> None:
    shoppers = [f"scale{uuid.uuid4().hex[:10]}" for _ in range(SHOPPERS)]
    answers: dict[str, dict[str, list[str]]] = {shopper: {} for shopper in shoppers}

    def talk(shopper: str) -> None:
        with ThreadPoolExecutor(2) as both:
            for number in range(ROUNDS):
                # Two messages at once, one to each worker: the lock store decides which goes first.
                first = f"{SAYINGS[(2 * number) % len(SAYINGS)]} ({shopper[-4:]}-{number}a)"
                second = f"{SAYINGS[(2 * number + 1) % len(SAYINGS)]} ({shopper[-4:]}-{number}b)"
                to_a = both.submit(say, workers.a, shopper, first)
                to_b = both.submit(say, workers.b, shopper, second)
                answers[shopper][first], answers[shopper][second] = to_a.result(), to_b.result()

    started = time.monotonic()
    with ThreadPoolExecutor(SHOPPERS) as everyone:
        list(everyone.map(talk, shoppers))
    elapsed = time.monotonic() - started

    stored: list[tuple[str, str, float]] = []
    for shopper in shoppers:
        events = stored_events(workers.database, f"rest:{shopper}")
        stored += [(f"rest:{shopper}", event["event"], event["timestamp"]) for event in events]
        said = list(answers[shopper])
        heard = [text for text, _ in turns(events)]
        # Every message once: none lost, none twice.
        assert Counter(heard) == Counter(said), (shopper, heard)
        # No event stored twice, and the conversation in the order it happened.
        assert len({json.dumps(event, sort_keys=True) for event in events}) == len(events)
        # Rasa stamps an action after the events it returned, so within a turn the stamps need not
        # rise; but every event of a turn comes after every event of the turn before it.
        stamps = [[float(event["timestamp"]) for event in block] for block in blocks(events) if block]
        assert all(max(before) <= min(after) for before, after in itertools.pairwise(stamps)), f"{shopper}: interleaved"
        assert sum(event["event"] == "session_started" for event in events) == 1
        # Each turn whole: the bot's answers to a message right after it, ending in action_listen, and
        # exactly what the shopper read from the worker that took it.
        for text, turn in turns(events):
            # Texts only: a product card is a message without one, and the channel may send a
            # message's picture as a message of its own.
            bot_said = [str(event["text"]) for event in turn if event["event"] == "bot" and event.get("text")]
            read = [said for said in answers[shopper][text] if said]
            assert bot_said == read, (shopper, text, bot_said, read)
            assert bot_said, (shopper, text)
            assert turn[-1]["event"] == "action" and turn[-1]["name"] == "action_listen", (shopper, text, turn[-1])
    # Every stored event reached the broker's queue once.
    published = asyncio.run(services.rabbitmq_messages(workers.queue))
    conversations = {f"rest:{shopper}" for shopper in shoppers}
    on_queue = [(e["sender_id"], e["event"], e["timestamp"]) for e in published if e["sender_id"] in conversations]
    assert sorted(on_queue) == sorted(stored)
    print(f"\n{SHOPPERS} shoppers x {2 * ROUNDS} messages over 2 workers: {elapsed:.1f} s, "
          f"{len(stored)} events stored, {len(on_queue)} published")


def _hand_off(workers: Workers, psid: str) -> str:
    """The shopper taps "Talk to a person" on Messenger, delivered to worker A: the bot's answer."""
    asked = meta.messenger(meta.m_quick_reply(psid, f"m_{uuid.uuid4().hex}", "Talk to a person", "/human_handoff"))
    deliver(workers.a, "messenger", asked)
    [handed] = eventually(lambda: messages_to(workers.stub, psid), 60)
    return text_sent(handed)


def test_a_hand_off_on_one_worker_times_out_once_on_whichever_polls_first(workers: Workers) -> None:
    psid = "2" + str(uuid.uuid4().int)[:15]
    assert "reference TK-" in _hand_off(workers, psid)
    started = time.monotonic()

    sent = eventually(lambda: len(messages_to(workers.stub, psid)) >= 2 and messages_to(workers.stub, psid),
                      TIMEOUT_SECONDS + 60)
    assert sent, "the time-out never reached the shopper"
    assert time.monotonic() - started >= TIMEOUT_SECONDS / 2  # when it fell due, not at once
    assert "nobody from our team has been able to answer yet" in text_sent(sent[1])
    time.sleep(TIMEOUT_SECONDS + 2)  # both workers poll each second: a second firing would be here by now
    assert len(messages_to(workers.stub, psid)) == 2, [text_sent(b) for b in messages_to(workers.stub, psid)]
    assert desk(workers.b, "GET", f"messenger:{psid}").json()["paused"] is False
    events = stored_events(workers.database, f"messenger:{psid}")
    assert [e["event"] for e in events].count("resume") == 1


def test_a_hand_off_is_taken_over_answered_and_handed_back_through_the_other_workers_desk(workers: Workers) -> None:
    psid = "2" + str(uuid.uuid4().int)[:15]
    conversation = f"messenger:{psid}"
    assert "reference TK-" in _hand_off(workers, psid)  # on worker A

    taken = desk(workers.b, "POST", conversation, "takeover")
    assert taken.status_code == 200 and taken.json()["paused"] is True
    replied = desk(workers.b, "POST", conversation, "messages", {"text": "Your parcel left today.", "agent": "Giulia"})
    assert replied.status_code == 200, replied.text
    time.sleep(TIMEOUT_SECONDS + 3)  # past the time-out: B's take-over cancelled A's reminder
    read = [text_sent(body) for body in messages_to(workers.stub, psid)]
    assert len(read) == 2 and read[1] == "Giulia · Bottega team:\nYour parcel left today.", read
    assert not any("nobody from our team" in text for text in read)

    assert desk(workers.b, "POST", conversation, "handback").status_code == 200
    sent = eventually(lambda: len(messages_to(workers.stub, psid)) >= 3 and messages_to(workers.stub, psid), 60)
    assert "You're back with Bottega's assistant" in text_sent(sent[2])
    # The bot answers again, on worker A as on B.
    before = len(messages_to(workers.stub, psid))
    deliver(workers.a, "messenger", meta.messenger(meta.m_text(psid, f"m_{uuid.uuid4().hex}", "what's in my cart?")))
    answer = eventually(lambda: len(messages_to(workers.stub, psid)) > before and messages_to(workers.stub, psid), 60)
    assert "cart" in text_sent(answer[before]).lower()
    assert reminders_left(workers.database) == 0
