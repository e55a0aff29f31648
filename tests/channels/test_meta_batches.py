"""One bad message never blocks a delivery; WhatsApp's read receipts, the message types the bot cannot
read, and Meta's errors (channels/whatsapp.py, channels/messenger.py, docs/channels.md §10).

Signed deliveries to the channels' test server, its stub Graph API's captured calls out
(tests/channels/meta_server.py); Meta's errors are read from the log (caplog), in the parser itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from channels.graph import GraphClient
from channels.meta import ATTACHMENT_REPLY
from channels.seen import MemorySeen
from channels.whatsapp import (
    CONTACT_REPLY,
    RECEIPT_SECONDS,
    UNREADABLE_CART_REPLY,
    UNSUPPORTED_REPLY,
    WhatsAppOutput,
    whatsapp_events,
)
from channels.window import Templates
from tests.channels import meta_payloads as meta
from tests.channels.test_meta_webhooks import (
    VERSION,
    deliver,
    eventually,
    graph,
    meta_server,
    said,
    sent_messages,
    text_of,
)

shoppers: list[str] = []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("meta_batches")
    with meta_server(folder, "the Meta channels' server for batches") as url:
        yield url
        log = (folder / "server.log").read_text()
        assert "a message was skipped" in log and "an event was skipped" in log  # the skips were logged …
        for personal in (*shoppers, "Giulia", "Marco", "393475550101", "393470000999", "first words"):
            assert personal not in log, f"personal data ({personal}) was logged"  # … without the shopper
        assert "Traceback" not in log, log[-3000:]


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        requests.post(f"{request.getfixturevalue('server')}/test/reset", timeout=10)


def shopper() -> str:
    shoppers.append("39347" + str(uuid.uuid4().int)[:8])
    return shoppers[-1]


def mid() -> str:
    return "wamid." + uuid.uuid4().hex


def answers_to(server: str, channel: str, who: str) -> list[str | None]:
    return [text_of(body) for body in sent_messages(server, channel)
            if (body.get("to") or body.get("recipient", {}).get("id")) == who]


# --- one bad message, the rest of the batch -----------------------------------------------------


def test_a_malformed_whatsapp_message_is_skipped_and_the_rest_of_the_batch_is_handled(server: str) -> None:
    first, place, cart, last = shopper(), shopper(), shopper(), shopper()
    body = meta.whatsapp([
        meta.w_text(first, mid(), "first words"),
        {"from": first, "id": mid(), "type": "text", "text": "not an object"},
        {"from": 39347000111, "id": mid(), "type": "text", "text": {"body": "a sender id that is a number"}},
        {"from": first, "id": None, "type": "text", "text": {"body": "no message id"}},
        {"from": "../etc", "id": mid(), "type": "text", "text": {"body": "a sender id that is no id"}},
        {"from": place, "id": mid(), "type": "location", "location": {"latitude": "45", "name": "Duomo"}},
        meta.w_order(cart, mid(), [("SH-001", "lots", 130.9)]),
        meta.w_text(last, mid(), "last words"),
    ])
    body["entry"][0]["changes"][0]["value"]["messages"].insert(3, "not a message")
    answer = deliver(server, "whatsapp", body)
    assert answer.status_code == 200 and answer.text == "EVENT_RECEIVED"  # Meta sends none of it again
    heard = eventually(lambda: len(said(server)) >= 3 and said(server))
    assert sorted((s["sender"], s["text"]) for s in heard) == sorted([
        (f"whatsapp:{first}", "first words"), (f"whatsapp:{place}", "/store_locator"),
        (f"whatsapp:{last}", "last words")])
    # A place without coordinates: the store locator asks which city, as on Messenger.
    assert "location" not in next(s["metadata"] or {} for s in heard if s["sender"] == f"whatsapp:{place}")
    # A cart the shopper did send, that cannot be read: told so, never silently lost.
    assert eventually(lambda: answers_to(server, "whatsapp", cart)) == [UNREADABLE_CART_REPLY]
    time.sleep(0.3)
    assert len(said(server)) == 3


def test_a_malformed_messenger_event_is_skipped_and_the_rest_of_the_batch_is_handled(server: str) -> None:
    first, last = shopper(), shopper()
    body = meta.messenger(
        meta.m_text(first, mid(), "first words"),
        {"sender": {"id": 5}, "message": {"mid": "m", "text": "hi"}},
        {"sender": {"id": first}, "message": {"mid": mid(), "text": 5}},
        {"sender": {"id": first}, "message": "hi"},
        {"sender": {"id": first}, "postback": {"payload": None}},
        {"sender": {"id": "../x"}, "message": {"mid": mid(), "text": "hi"}},
        meta.m_text(last, mid(), "last words"),
    )
    body["entry"][0]["messaging"].insert(2, ["not an event"])
    answer = deliver(server, "messenger", body)
    assert answer.status_code == 200 and answer.text == "EVENT_RECEIVED"
    heard = eventually(lambda: len(said(server)) >= 2 and said(server))
    assert sorted((s["sender"], s["text"]) for s in heard) == sorted([
        (f"messenger:{first}", "first words"), (f"messenger:{last}", "last words")])
    time.sleep(0.3)
    assert len(said(server)) == 2


# --- WhatsApp's read receipt and typing indicator -----------------------------------------------


def test_whatsapp_marks_the_message_read_with_typing_before_the_answer(server: str) -> None:
    who, wamid = shopper(), mid()
    assert deliver(server, "whatsapp", meta.whatsapp([meta.w_text(who, wamid, "hi")])).status_code == 200
    calls = eventually(lambda: len(graph(server)) >= 2 and graph(server))
    assert [call["path"] for call in calls] == [f"{VERSION}/{meta.PHONE_NUMBER_ID}/messages"] * 2
    assert calls[0]["body"] == {"messaging_product": "whatsapp", "status": "read", "message_id": wamid,
                                "typing_indicator": {"type": "text"}}
    assert calls[0]["authorization"] == calls[1]["authorization"] is not None
    assert calls[1]["body"]["to"] == who and text_of(calls[1]["body"]) == "echo: hi"


def test_a_message_delivered_a_day_late_is_not_marked_with_typing(server: str) -> None:
    who = shopper()
    body = meta.sent_hours_ago(meta.whatsapp([meta.w_text(who, mid(), "hi")]), 30)
    assert deliver(server, "whatsapp", body).status_code == 200
    assert eventually(lambda: said(server))
    time.sleep(0.3)
    assert not [call for call in graph(server) if call["body"].get("status") == "read"]


def test_a_read_receipt_meta_refuses_never_stops_the_turn() -> None:
    """Nothing listens on port 9: the receipt fails at once, once, and before_turn returns."""
    client = GraphClient("http://127.0.0.1:9", "v25.0", "token-0123456789", backoff=5.0)
    seen = MemorySeen()
    output = WhatsAppOutput(client, seen, meta.PHONE_NUMBER_ID, Templates(None, None))

    async def turn() -> float:
        await seen.wrote("whatsapp:39347000001", time.time())
        started = time.perf_counter()
        await output.before_turn("whatsapp:39347000001", "wamid.x")  # never raises
        await client.close()
        return time.perf_counter() - started

    assert asyncio.run(turn()) < RECEIPT_SECONDS  # one attempt: no 5-second retry pause


# --- what the bot cannot read -------------------------------------------------------------------


@pytest.mark.parametrize(("message", "reply"), [
    (meta.w_media, ATTACHMENT_REPLY), (meta.w_contacts, CONTACT_REPLY), (meta.w_unsupported, UNSUPPORTED_REPLY)],
    ids=["media", "contacts", "unsupported"])
def test_what_the_bot_cannot_read_gets_a_polite_answer_and_never_reaches_it(server: str, message: Any,
                                                                            reply: str) -> None:
    for kind in ("document", "audio", "video", "sticker") if message is meta.w_media else (None,):
        requests.post(f"{server}/test/reset", timeout=10)
        who = shopper()
        sent = message(who, mid(), kind) if kind else message(who, mid())
        assert deliver(server, "whatsapp", meta.whatsapp([sent])).status_code == 200
        assert eventually(lambda: answers_to(server, "whatsapp", who)) == [reply], kind  # noqa: B023
        assert said(server) == []


def test_a_system_message_is_neither_answered_nor_passed_on(server: str) -> None:
    who = shopper()
    assert deliver(server, "whatsapp", meta.whatsapp([meta.w_system(who, mid())])).status_code == 200
    time.sleep(0.5)
    assert said(server) == [] and graph(server) == []


# --- Meta's errors ------------------------------------------------------------------------------


def test_metas_errors_are_logged_with_code_and_title_never_the_number(caplog: pytest.LogCaptureFixture) -> None:
    who = "393471234567"
    body = meta.whatsapp([meta.w_unsupported(who, "wamid.u")], statuses=[meta.w_failed_status(who, "wamid.f")])
    body["entry"][0]["changes"][0]["value"]["errors"] = [{
        "code": 131000, "title": "Something went wrong", "message": "Something went wrong",
        "error_data": {"details": f"Unknown error for {who}"}}]
    with caplog.at_level(logging.WARNING, logger="channels.whatsapp"):
        [event] = whatsapp_events(body, meta.PHONE_NUMBER_ID)
    assert event.text is None and event.reply == UNSUPPORTED_REPLY
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == [
        "whatsapp: Meta reports an error on the delivery: code 131000, Something went wrong",
        "whatsapp: Meta reports an error on a message of type unsupported: code 131051, Message type unknown",
        "whatsapp: Meta reports an error on a failed status: code 131026, Message undeliverable",
    ]
    assert who not in caplog.text and "1234567" not in caplog.text


# --- Messenger referrals on a message, and ads ----------------------------------------------------


def test_a_messenger_message_keeps_its_text_and_passes_its_referral_on(server: str) -> None:
    who = shopper()
    body = meta.messenger(meta.m_text_with_referral(who, mid(), "Do you have boots?", ref="spring10"),
                          meta.m_text_with_referral(who, mid(), "Hi! I saw your ad"))
    assert deliver(server, "messenger", body).status_code == 200
    heard = eventually(lambda: len(said(server)) >= 2 and said(server))
    assert [s["text"] for s in heard] == ["Do you have boots?", "Hi! I saw your ad"]
    assert heard[0]["metadata"] == {"referral": {"ref": "spring10", "source": "SHORTLINK", "type": "OPEN_THREAD"}}
    # An ad without a ref: its title names the campaign, as a WhatsApp ad's headline does.
    assert heard[1]["metadata"] == {"referral": {"source": "ADS", "type": "OPEN_THREAD",
                                                 "ad_id": "23851234567890123", "headline": "Spring sale"}}


def test_a_messenger_ad_referral_greets_with_the_ads_title(server: str) -> None:
    who = shopper()
    assert deliver(server, "messenger", meta.messenger(meta.m_ad_referral(who))).status_code == 200
    [heard] = eventually(lambda: said(server))
    assert heard["text"] == "/greet" and heard["metadata"]["referral"]["headline"] == "Spring sale"
    assert "ref" not in heard["metadata"]["referral"]
