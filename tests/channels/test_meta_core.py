"""The Meta channels' shared parts, without a server: the checks, the stores of handled message ids
(SQLite across a restart, Redis across processes), each shopper's queue, the Graph API client's
retries, and the configuration (channels/meta.py, channels/graph.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from actions.identity import ForeignConversation
from channels.graph import GraphClient, GraphError, redact
from channels.messenger import MessengerInput, MessengerOutput, messenger_events
from channels.meta import BadPayload, SenderQueues, challenge_answer, signature_valid
from channels.neutral import with_agent_name
from channels.seen import MemorySeen, RedisSeen, SQLiteSeen, seen_store
from channels.whatsapp import WhatsAppInput, WhatsAppOutput, render_template, whatsapp_events
from channels.window import (
    ORDER_UPDATE,
    PERSON,
    REPLY,
    OutsideWindow,
    Templates,
    messenger_sending,
    purpose_of,
    whatsapp_template,
)
from tests.channels import meta_payloads as meta
from tests.channels.junk import fuzz, json_values
from tests.channels.meta_payloads import sign
from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "an-app-secret-0123456789"


def test_the_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"object":"page","entry":[]}'
    assert signature_valid(body, sign(body, SECRET), SECRET)
    assert signature_valid(body, sign(body, SECRET).upper().replace("SHA256=", "sha256="), SECRET)
    for header in (None, "", sign(body, "other-secret"), sign(body + b"\n", SECRET), sign(body, SECRET)[7:],
                   sign(body, SECRET).replace("sha256", "sha1"), "sha256=\udcff", "sha256=é"):
        assert not signature_valid(body, header, SECRET), header


def test_the_challenge_needs_subscribe_and_our_token() -> None:
    args = {"hub.mode": ["subscribe"], "hub.verify_token": ["tok-0123456789"], "hub.challenge": ["42"]}
    assert challenge_answer(args, "tok-0123456789") == "42"
    assert challenge_answer({**args, "hub.verify_token": ["tok-012345678"]}, "tok-0123456789") is None
    assert challenge_answer({**args, "hub.mode": ["unsubscribe"]}, "tok-0123456789") is None
    assert challenge_answer({**args, "hub.verify_token": ["\udcff"]}, "tok-0123456789") is None


def test_a_shopper_id_in_logs_is_a_hash() -> None:
    assert redact("393471234567") == redact("393471234567") != redact("393471234568")
    assert "3934" not in redact("393471234567")


# --- handled message ids ------------------------------------------------------------------------


def test_the_memory_store_remembers_its_last_keys() -> None:
    async def run() -> list[bool]:
        seen = MemorySeen(size=2)
        return [await seen.first_time(k) for k in ("a", "a", "b", "c", "a", "c")]

    assert asyncio.run(run()) == [True, False, True, True, True, False]  # "a" fell out of the two


def test_the_sqlite_store_remembers_across_a_restart_and_between_processes(tmp_path: Path) -> None:
    path = tmp_path / "seen.sqlite3"

    async def offer(store: SQLiteSeen, keys: list[str]) -> list[bool]:
        return [await store.first_time(key) for key in keys]

    assert asyncio.run(offer(SQLiteSeen(path), ["messenger:m_1", "messenger:m_2"])) == [True, True]
    # A new store on the same file: Rasa restarted, or another worker.
    assert asyncio.run(offer(SQLiteSeen(path), ["messenger:m_1", "messenger:m_3"])) == [False, True]

    # Many at once, from two stores: one of them gets it first, once.
    stores = [SQLiteSeen(path), SQLiteSeen(path)]

    async def race() -> list[bool]:
        return list(await asyncio.gather(*(stores[n % 2].first_time("whatsapp:wamid.X") for n in range(20))))

    assert sorted(asyncio.run(race())) == [False] * 19 + [True]


def test_expired_keys_are_forgotten(tmp_path: Path) -> None:
    store = SQLiteSeen(tmp_path / "seen.sqlite3", ttl=-1)  # every key is already too old to keep
    store._writes = 999  # the next write prunes

    async def run() -> list[bool]:
        return [await store.first_time("k"), await store.first_time("other"), await store.first_time("k")]

    assert asyncio.run(run()) == [True, True, True]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed: the Redis-backed duplicate store's test is NOT RUN"
        if os.environ.get("BOTTEGA_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message}, and BOTTEGA_REQUIRE_SERVICES=1 requires it", pytrace=False)
        pytest.skip(message)
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_redis_store_is_shared_by_every_worker(redis_url: str) -> None:
    workers = [seen_store(redis_url), seen_store(redis_url)]  # two Rasa processes, one Redis
    assert all(isinstance(worker, RedisSeen) for worker in workers)

    async def race() -> list[bool]:
        return list(await asyncio.gather(*(workers[n % 2].first_time("messenger:m_race") for n in range(10))))

    assert sorted(asyncio.run(race())) == [False] * 9 + [True]
    import redis

    assert 0 < redis.Redis.from_url(redis_url).ttl(RedisSeen.PREFIX + "messenger:m_race") <= 7 * 24 * 3600


def test_without_a_setting_the_store_is_rasas_redis_lock_store_or_a_file(redis_url: str, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import redis
    from rasa.core.lock_store import InMemoryLockStore

    class RedisLockStoreLike:
        red = redis.Redis.from_url(redis_url)

    assert isinstance(seen_store(None, RedisLockStoreLike()), RedisSeen)
    monkeypatch.chdir(tmp_path)
    assert isinstance(seen_store(None, InMemoryLockStore()), SQLiteSeen)
    assert (tmp_path / "var" / "meta" / "seen.sqlite3").exists()
    assert isinstance(seen_store("memory"), MemorySeen)
    assert isinstance(seen_store(str(tmp_path / "x.sqlite3")), SQLiteSeen)


# --- when each shopper last wrote (the 24-hour window) ---------------------------------------------


def _times(store: Any) -> list[float | None]:
    async def run() -> list[float | None]:
        found = [await store.last_wrote("messenger:1234")]
        await store.wrote("messenger:1234", 1_000.0)
        await store.wrote("messenger:1234", 900.0)  # an older message Meta delivered late
        found.append(await store.last_wrote("messenger:1234"))
        await store.wrote("messenger:1234", 2_000.5)
        found += [await store.last_wrote("messenger:1234"), await store.last_wrote("whatsapp:1234")]
        return found

    return asyncio.run(run())


def test_each_store_keeps_the_latest_time_a_shopper_wrote(tmp_path: Path) -> None:
    for store in (MemorySeen(), SQLiteSeen(tmp_path / "seen.sqlite3")):
        assert _times(store) == [None, 1_000.0, 2_000.5, None], store
    # Another worker, or Rasa after a restart, reads the same file.
    assert asyncio.run(SQLiteSeen(tmp_path / "seen.sqlite3").last_wrote("messenger:1234")) == 2_000.5


def test_the_redis_store_keeps_the_latest_time_for_every_worker(redis_url: str) -> None:
    assert _times(seen_store(redis_url)) == [None, 1_000.0, 2_000.5, None]
    assert asyncio.run(seen_store(redis_url).last_wrote("messenger:1234")) == 2_000.5
    import redis

    assert redis.Redis.from_url(redis_url).ttl(RedisSeen.WROTE_PREFIX + "messenger:1234") > 7 * 24 * 3600


def test_the_platforms_own_time_of_a_message_is_read() -> None:
    body = meta.sent_hours_ago(meta.messenger(meta.m_text("1234", "m_1", "hi"), meta.m_referral("1234", "sale")), 30)
    expected = time.time() - 30 * 3600
    assert all(abs((event.sent_at or 0) - expected) < 2 for event in messenger_events(body))
    body = meta.sent_hours_ago(meta.whatsapp([meta.w_text("391234", "wamid.1", "hi")]), 30)
    [event] = whatsapp_events(body, meta.PHONE_NUMBER_ID)
    assert abs((event.sent_at or 0) - expected) < 2
    # A missing or odd time is no reason to refuse a message: the time it arrived stands in.
    for odd in (None, "soon", -5, True, 1e20):
        item = meta.m_text("1234", "m_2", "hi") | {"timestamp": odd}
        assert messenger_events(meta.messenger(item))[0].sent_at is None


HOUR = 3600.0
NOW = 1_800_000_000.0


@pytest.mark.parametrize(("purpose", "hours_ago", "sending"), [
    (REPLY, 1, ("RESPONSE", None)), (ORDER_UPDATE, 1, ("UPDATE", None)), (PERSON, 23.9, ("RESPONSE", None)),
    (ORDER_UPDATE, 30, ("MESSAGE_TAG", "POST_PURCHASE_UPDATE")), (ORDER_UPDATE, None, ("MESSAGE_TAG",
                                                                                     "POST_PURCHASE_UPDATE")),
    (PERSON, 24, ("MESSAGE_TAG", "HUMAN_AGENT")), (PERSON, 7 * 24 - 0.1, ("MESSAGE_TAG", "HUMAN_AGENT")),
    (PERSON, 7 * 24, None), (PERSON, None, None), (REPLY, 24, None), (REPLY, None, None),
])
def test_messenger_tags_what_may_go_after_24_hours_and_refuses_the_rest(
        purpose: str, hours_ago: float | None, sending: tuple[str, str | None] | None) -> None:
    last = None if hours_ago is None else NOW - hours_ago * HOUR
    if sending is None:
        with pytest.raises(OutsideWindow):
            messenger_sending(purpose, last, NOW)
    else:
        assert messenger_sending(purpose, last, NOW) == sending


@pytest.mark.parametrize(("purpose", "hours_ago", "configured", "template"), [
    (REPLY, 1, True, None), (ORDER_UPDATE, 1, True, None), (PERSON, 1, True, None),
    (ORDER_UPDATE, 30, True, "bottega_order_update"), (PERSON, 30, True, "bottega_agent_reply"),
    (PERSON, 24 * 30, True, "bottega_agent_reply"), (ORDER_UPDATE, None, True, "bottega_order_update"),
    (REPLY, 30, True, OutsideWindow), (ORDER_UPDATE, 30, False, OutsideWindow), (PERSON, 30, False, OutsideWindow),
])
def test_whatsapp_sends_only_a_configured_template_after_24_hours(
        purpose: str, hours_ago: float | None, configured: bool, template: Any) -> None:
    templates = Templates("bottega_order_update", "bottega_agent_reply") if configured else Templates()
    last = None if hours_ago is None else NOW - hours_ago * HOUR
    if template is OutsideWindow:
        with pytest.raises(OutsideWindow) as refused:
            whatsapp_template(purpose, last, NOW, templates)
        assert refused.value.code == "outside_window" and "30 hours" in refused.value.detail
    else:
        assert whatsapp_template(purpose, last, NOW, templates) == template


def test_what_a_message_is_comes_from_its_own_keys() -> None:
    assert purpose_of({"text": "hi"}) == REPLY
    assert purpose_of({"text": "Payment received", "purpose": "order_update"}) == ORDER_UPDATE
    assert purpose_of({"text": "Hello, Giulia here", "agent": "Giulia"}) == PERSON
    assert purpose_of({"text": "x", "purpose": "anything else"}) == REPLY


def test_a_persons_message_carries_their_name_the_teams_notice_does_not() -> None:
    named = with_agent_name({"text": "On it.", "agent": " Giulia  Rossi "})
    assert named["text"] == "Giulia Rossi · Bottega team:\nOn it."
    notice = {"text": "A member of the Bottega team has joined the chat.", "agent": "Bottega team"}
    assert with_agent_name(notice) == notice
    assert with_agent_name({"text": "From the bot"}) == {"text": "From the bot"}


def test_a_whatsapp_template_carries_the_text_on_one_line_and_the_persons_name() -> None:
    said = {"text": "Payment received for BT-1.\n\nWe'll    let you know.", "purpose": "order_update"}
    notice = render_template("bottega_order_update", "it", ORDER_UPDATE, said)
    assert notice == {"type": "template", "template": {"name": "bottega_order_update", "language": {"code": "it"},
                      "components": [{"type": "body", "parameters": [
                          {"type": "text", "text": "Payment received for BT-1. We'll let you know."}]}]}}
    reply = render_template("bottega_agent_reply", "en", PERSON, {"text": "word " * 400, "agent": "Giulia"})
    name, text = reply["template"]["components"][0]["parameters"]
    assert name["text"] == "Giulia" and len(text["text"]) <= 900 and "\n" not in text["text"]


def test_a_persons_reply_names_them_once_in_a_message_or_a_template() -> None:
    client = GraphClient("http://127.0.0.1:9", "v25.0", "token-0123456789")  # never called: outgoing only builds
    said = {"text": "Your parcel left today.", "agent": "Giulia", "timestamp": NOW}
    whatsapp = WhatsAppOutput(client, MemorySeen(), "106540352242922", Templates(None, "bottega_agent_reply"))
    [template] = whatsapp.outgoing(said, PERSON, NOW - 30 * HOUR, NOW)
    parameters = template["template"]["components"][0]["parameters"]
    assert [parameter["text"] for parameter in parameters] == ["Giulia", "Your parcel left today."]
    [inside] = whatsapp.outgoing(said, PERSON, NOW - HOUR, NOW)
    assert inside["text"]["body"] == "Giulia · Bottega team:\nYour parcel left today."
    [tagged] = MessengerOutput(client, MemorySeen()).outgoing(said, PERSON, NOW - 30 * HOUR, NOW)
    assert tagged == {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT",
                      "message": {"text": "Giulia · Bottega team:\nYour parcel left today."}}


def test_template_names_and_language_are_checked_at_start() -> None:
    whatsapp = {"app_secret": "app-secret-0123", "verify_token": "verify-0123", "access_token": "EAAG0123456789",
                "phone_number_id": "106540352242922"}
    assert WhatsAppInput.from_credentials(whatsapp).templates == Templates()
    assert WhatsAppInput.from_credentials({**whatsapp, "order_update_template": "bottega_order_update",
                                           "agent_reply_template": "", "template_language": "it"}).templates == \
        Templates("bottega_order_update", None, "it")
    for wrong in ({"order_update_template": "Order Update"}, {"template_language": "italiano"}):
        with pytest.raises(ValueError, match="template"):
            WhatsAppInput.from_credentials({**whatsapp, **wrong})


# --- each shopper's queue -------------------------------------------------------------------------


def test_a_shoppers_jobs_run_in_order_and_others_do_not_wait() -> None:
    done: list[str] = []

    def job(name: str, seconds: float, fail: bool = False) -> Any:
        async def run() -> None:
            await asyncio.sleep(seconds)
            done.append(name)
            if fail:
                raise RuntimeError("the turn failed")
        return run

    async def main() -> None:
        queues = SenderQueues()
        queues.submit("alice", job("alice 1", 0.3, fail=True))
        queues.submit("alice", job("alice 2", 0.0))
        queues.submit("bob", job("bob 1", 0.1))
        queues.submit("alice", job("alice 3", 0.0))
        await queues.drain()
        assert queues._tails == {}  # nothing kept for shoppers who are done

    asyncio.run(main())
    assert done == ["bob 1", "alice 1", "alice 2", "alice 3"]  # a failed turn does not stop the next


def test_the_queues_have_a_limit() -> None:
    async def main() -> bool:
        queues = SenderQueues(max_pending=2)
        queues.submit("a", lambda: asyncio.sleep(0.05))
        queues.submit("b", lambda: asyncio.sleep(0.05))
        full = not queues.has_room(1)
        await queues.drain()
        return full and queues.has_room(2)

    assert asyncio.run(main())


# --- the Graph API client -------------------------------------------------------------------------


class StubGraph:
    """An aiohttp server on loopback answering with the statuses it is given, one per call."""

    def __init__(self, statuses: list[int], delay: float = 0.0) -> None:
        self.statuses, self.delay, self.calls = statuses, delay, 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        await asyncio.sleep(self.delay)
        status = self.statuses[min(self.calls, len(self.statuses)) - 1]
        headers = {"Retry-After": "0"} if status == 429 else {}
        return web.json_response({"error": {"code": 80007, "message": "no"}} if status >= 400 else {"ok": 1},
                                 status=status, headers=headers)


async def call(stub: StubGraph, timeout: float = 5.0) -> tuple[dict[str, Any] | GraphError, int]:
    app = web.Application()
    app.router.add_post("/{tail:.*}", stub.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    client = GraphClient(f"http://127.0.0.1:{port}", "v25.0", "token-0123456789", timeout=timeout, backoff=0.01)
    try:
        return await client.post("me/messages", {"message": {"text": "hi"}}, "1234"), stub.calls
    except GraphError as error:
        return error, stub.calls
    finally:
        await client.close()
        await runner.cleanup()


@pytest.mark.parametrize(("statuses", "calls", "ok"), [
    ([200], 1, True), ([429, 503, 200], 3, True), ([500, 500, 500, 200], 3, False), ([400, 200], 1, False),
    ([403], 1, False),
])
def test_the_client_retries_only_429_and_5xx(statuses: list[int], calls: int, ok: bool) -> None:
    result, made = asyncio.run(call(StubGraph(statuses)))
    assert made == calls and isinstance(result, dict) == ok
    if not ok:
        assert isinstance(result, GraphError) and result.status == statuses[calls - 1] and result.code == 80007


def test_a_timed_out_send_is_not_retried() -> None:
    # Meta may have taken it: a second try could send the shopper the message twice.
    result, made = asyncio.run(call(StubGraph([200], delay=1.0), timeout=0.2))
    assert made == 1 and isinstance(result, GraphError) and result.status == 0


def test_the_client_runs_in_the_event_loop_without_blocking_it() -> None:
    ticks: list[float] = []

    async def main() -> None:
        async def tick() -> None:
            for _ in range(5):
                ticks.append(time.monotonic())
                await asyncio.sleep(0.05)
        await asyncio.gather(call(StubGraph([200], delay=0.3)), tick())

    asyncio.run(main())
    assert len(ticks) == 5 and ticks[-1] - ticks[0] < 0.3


# --- configuration --------------------------------------------------------------------------------


def test_the_channels_refuse_to_start_without_their_secrets() -> None:
    good = {"app_secret": "app-secret-0123", "verify_token": "verify-0123", "page_access_token": "EAAG0123456789"}
    assert MessengerInput.from_credentials(good).settings.graph_url == "https://graph.facebook.com"
    for missing in ("app_secret", "verify_token", "page_access_token"):
        with pytest.raises(ValueError, match="MESSENGER"):
            MessengerInput.from_credentials({**good, missing: ""})
    whatsapp = {"app_secret": "app-secret-0123", "verify_token": "verify-0123", "access_token": "EAAG0123456789",
                "phone_number_id": "106540352242922"}
    assert WhatsAppInput.from_credentials(whatsapp).phone_number_id == "106540352242922"
    for wrong in ({"phone_number_id": ""}, {"phone_number_id": "+1 555"}, {"access_token": "short"}):
        with pytest.raises(ValueError, match="WHATSAPP"):
            WhatsAppInput.from_credentials({**whatsapp, **wrong})


def test_the_channels_names_are_their_urls_and_customer_id_prefixes() -> None:
    assert MessengerInput.name() == "messenger" and WhatsAppInput.name() == "whatsapp"


def test_credentials_yml_reads_the_channels_from_the_environment() -> None:
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    assert credentials["channels.messenger.MessengerInput"] == {
        "app_secret": "${MESSENGER_APP_SECRET}", "verify_token": "${MESSENGER_VERIFY_TOKEN}",
        "page_access_token": "${MESSENGER_PAGE_ACCESS_TOKEN}", "graph_url": "${META_GRAPH_URL}",
        "graph_version": "${META_GRAPH_VERSION}"}
    assert credentials["channels.whatsapp.WhatsAppInput"] == {
        "app_secret": "${WHATSAPP_APP_SECRET}", "verify_token": "${WHATSAPP_VERIFY_TOKEN}",
        "access_token": "${WHATSAPP_ACCESS_TOKEN}", "phone_number_id": "${WHATSAPP_PHONE_NUMBER_ID}",
        "graph_url": "${META_GRAPH_URL}", "graph_version": "${META_GRAPH_VERSION}",
        "order_update_template": "${WHATSAPP_ORDER_UPDATE_TEMPLATE}",
        "agent_reply_template": "${WHATSAPP_AGENT_REPLY_TEMPLATE}",
        "template_language": "${WHATSAPP_TEMPLATE_LANGUAGE}", "catalog_id": "${WHATSAPP_CATALOG_ID}"}
    assert "facebook" not in credentials  # Rasa's built-in channel: see channels/meta.py




# --- any body -------------------------------------------------------------------------------------


def _shaped(junk: Any, whatsapp: bool) -> Any:
    """Junk in Meta's envelope, so that the parsers' inner parts get it too."""
    if whatsapp:
        return {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "106540352242922"}, "contacts": junk, "messages": [
                {"from": "391234", "id": "w", "type": kind, kind: junk} for kind in
                ("text", "interactive", "button", "location", "order", "image", "reaction")]}}]}]}
    return {"object": "page", "entry": [{"messaging": [
        {"sender": {"id": "1234"}, kind: junk} for kind in ("message", "postback", "referral", "delivery")]}]}


@fuzz(300)
@given(json_values(), st.booleans())
def test_any_body_is_read_or_refused_with_bad_payload(junk: Any, shaped: bool) -> None:
    for whatsapp in (False, True):
        body = _shaped(junk, whatsapp) if shaped else junk
        try:
            events = whatsapp_events(body, "106540352242922") if whatsapp else messenger_events(body)
        except BadPayload:
            continue
        assert all(isinstance(e.sender, str) and isinstance(e.message_id, str) for e in events)
        assert all(e.text is None or isinstance(e.text, str) for e in events)


class DeliveryRecorder:
    """What a Meta output channel hands the Graph API client, per shopper id."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, dict[str, Any]]] = []

    async def deliver(self, shopper: str, body: dict[str, Any]) -> None:
        self.delivered.append((shopper, body))


@pytest.mark.parametrize("channel", ["messenger", "whatsapp"])
def test_a_send_takes_the_conversation_id_and_addresses_the_platform_id_of_its_own_channel_only(
        channel: str) -> None:
    client = GraphClient("http://127.0.0.1:9", "v25.0", "token-0123456789")  # never called: deliver is recorded
    seen, recorder = MemorySeen(), DeliveryRecorder()
    output = (MessengerOutput(client, seen) if channel == "messenger"
              else WhatsAppOutput(client, seen, "106540352242922", Templates(None, None)))
    output.deliver = recorder.deliver  # type: ignore[method-assign]
    other = "whatsapp" if channel == "messenger" else "messenger"

    async def sends() -> None:
        for conversation in (f"{channel}:39347000001", f"{other}:39347000001", "rest:39347000001", "39347000001",
                             f"{channel}:"):
            await seen.wrote(conversation, time.time())  # inside the window, whichever it is
            await output.send_response(conversation, {"text": "Payment received for BT-7K3MZQ2P."})
        with pytest.raises(ForeignConversation):
            await output.send_or_refuse(f"{other}:39347000001", {"text": "Hi, I'm Giulia.", "agent": "Giulia"})

    asyncio.run(sends())
    # Only the channel's own conversation went out, to the bare PSID or wa_id.
    assert [shopper for shopper, _ in recorder.delivered] == ["39347000001"]
