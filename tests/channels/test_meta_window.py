"""The care desk, payment notices and the hand-back on Messenger and WhatsApp, inside and outside
Meta's 24-hour window, end to end on loopback (channels/window.py, channels/desk.py).

The server of tests/channels/meta_server.py with the desk and a WhatsApp order-update template (no
agent-reply template): signed deliveries set when a shopper last wrote (their own timestamps, so a
shopper who "wrote 30 hours ago" is a message Meta delivered late), the desk's routes and Rasa's
trigger_intent act, and the stub Graph API's captured calls say what the platform was sent.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from channels.window import HUMAN_AGENT, POST_PURCHASE_UPDATE
from tests.channels import meta_payloads as meta
from tests.channels.test_meta_webhooks import deliver, eventually, graph, meta_server, sent_messages, text_of

ROOT = Path(__file__).resolve().parents[2]
DESK_TOKEN = "desk-token-for-the-window-tests-0123"
ORDER_TEMPLATE = "bottega_order_update"
REPLY = "Your parcel left the warehouse today."
CHANNELS = ("messenger", "whatsapp")
shoppers: list[str] = []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("meta_window")
    with meta_server(folder, "the Meta channels' server with the desk",
                     {"DESK_API_TOKEN": DESK_TOKEN, "WHATSAPP_ORDER_UPDATE_TEMPLATE": ORDER_TEMPLATE},
                     unset=("WHATSAPP_AGENT_REPLY_TEMPLATE",)) as url:
        yield url
        log = (folder / "server.log").read_text()
        assert "outside the 24-hour window" in log  # the refusals were logged …
        for personal in (*shoppers, "Giulia", REPLY, "Payment received"):
            assert personal not in log, f"personal data ({personal}) was logged"  # … without the shopper
        assert "Traceback" not in log, log[-3000:]


@pytest.fixture(autouse=True)
def fresh(server: str) -> None:
    requests.post(f"{server}/test/reset", timeout=10)


def shopper() -> str:
    shoppers.append("39347" + str(uuid.uuid4().int)[:8])
    return shoppers[-1]


def writes(server: str, channel: str, who: str, text: str, hours_ago: float = 0.0) -> None:
    """The shopper writes `text`, sent `hours_ago`; returns once the turn is over (answered and recorded)."""
    message_id = f"m_{uuid.uuid4().hex}" if channel == "messenger" else f"wamid.{uuid.uuid4().hex}"
    body = (meta.messenger(meta.m_text(who, message_id, text)) if channel == "messenger"
            else meta.whatsapp([meta.w_text(who, message_id, text)]))
    conversation = f"{channel}:{who}"  # Rasa's conversation id, the shop's customer id
    before = len(transcript_texts(server, conversation)) if desk(server, "GET", conversation).status_code == 200 else 0
    assert deliver(server, channel, meta.sent_hours_ago(body, hours_ago)).status_code == 200
    assert eventually(lambda: desk(server, "GET", conversation).status_code == 200
                      and len(transcript_texts(server, conversation)) > before)


def desk(server: str, method: str, conversation: str, action: str = "", body: Any = None) -> requests.Response:
    path = f"{server}/webhooks/desk/conversations/{conversation}" + (f"/{action}" if action else "")
    return requests.request(method, path, json=body, timeout=10, headers={"Authorization": f"Bearer {DESK_TOKEN}"})


def agent(server: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`make agent ARGS="..."` against this server's desk."""
    env = {"PATH": os.environ.get("PATH", ""), "RASA_URL": server, "DESK_API_TOKEN": DESK_TOKEN,
           "SHOP_ADMIN_TOKEN": "not-used-by-show-0123456789", "SHOP_URL": "http://127.0.0.1:9"}
    return subprocess.run([str(ROOT / ".venv" / "shop" / "bin" / "python"), str(ROOT / "scripts" / "agent.py"),
                           *args], cwd=ROOT / "scripts", env=env, text=True, capture_output=True, timeout=60,
                          check=False)


def trigger(server: str, conversation: str, intent: str, **entities: str) -> None:
    answer = requests.post(f"{server}/test/trigger/{conversation}", json={"name": intent, "entities": entities},
                           timeout=10)
    assert answer.status_code == 200, answer.text


def to(server: str, channel: str, who: str) -> list[dict[str, Any]]:
    return [body for body in sent_messages(server, channel)
            if who in (body.get("to"), body.get("recipient", {}).get("id"))]


def settled(server: str, channel: str, who: str, count: int) -> list[dict[str, Any]]:
    """The messages sent to `who`, once there are `count` (the turns run in the background)."""
    found = eventually(lambda: len(to(server, channel, who)) >= count and to(server, channel, who))
    assert found and len(found) == count, found
    return found  # type: ignore[no-any-return]


def transcript_texts(server: str, conversation: str) -> list[str]:
    return [line["text"] for line in desk(server, "GET", conversation).json()["messages"]]


# --- inside the window: as on the web chat, with the agent's name ---------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_person_takes_over_replies_with_their_name_and_hands_back(server: str, channel: str) -> None:
    who = shopper()
    conversation = f"{channel}:{who}"  # what the desk and the shop name it by
    writes(server, channel, who, "hello there")
    settled(server, channel, who, 1)  # the bot's echo

    assert desk(server, "GET", conversation).json()["window"]["person_reply"] == "message"
    taken = desk(server, "POST", conversation, "takeover")
    assert taken.status_code == 200 and taken.json()["paused"] and taken.json()["notified"] is True
    replied = desk(server, "POST", conversation, "messages", {"text": REPLY, "agent": "Giulia"})
    assert replied.status_code == 200 and replied.json() == {"delivered": True, "channel": channel}
    assert desk(server, "POST", conversation, "handback").status_code == 200

    notice, reply, back = settled(server, channel, who, 4)[1:]
    assert text_of(notice) == "A member of the Bottega team has joined the chat and will reply here."
    assert text_of(reply) == f"Giulia · Bottega team:\n{REPLY}"
    assert text_of(back) == "I'm back: the bot answers again."
    if channel == "messenger":
        assert [body["messaging_type"] for body in (notice, reply, back)] == ["RESPONSE"] * 3
        assert not any("tag" in body for body in (notice, reply, back))
    # The transcript keeps the reply as the person wrote it; the name goes with it.
    assert REPLY in transcript_texts(server, conversation)


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_payment_notice_inside_the_window_is_sent_as_it_is(server: str, channel: str) -> None:
    who = shopper()
    conversation = f"{channel}:{who}"  # what the desk and the shop name it by
    writes(server, channel, who, "hello there", hours_ago=2)
    trigger(server, conversation, "payment_received", order_id="BT-7K3MZQ2P")

    notice = settled(server, channel, who, 2)[1]
    assert text_of(notice) == "Payment received for BT-7K3MZQ2P — we'll let you know when it ships."
    if channel == "messenger":
        assert notice["messaging_type"] == "UPDATE" and "tag" not in notice  # not an answer: an update


# --- outside it: Messenger's tags, WhatsApp's templates, refusals ----------------------------------


def test_outside_the_window_messenger_tags_notices_and_a_persons_replies_and_drops_the_bots(server: str) -> None:
    who = shopper()
    conversation = f"messenger:{who}"  # what the desk and the shop name it by
    writes(server, "messenger", who, "hello there", hours_ago=30)  # delivered a day late: its echo may not go
    # The desk, and `make agent`, say how a reply would go before anyone writes one.
    window = desk(server, "GET", conversation).json()["window"]
    assert window["person_reply"] == "tag HUMAN_AGENT"
    assert abs(datetime.fromisoformat(window["last_wrote"]).timestamp() - (time.time() - 30 * 3600)) < 5
    shown = agent(server, "show", conversation)
    assert shown.returncode == 0 and "a reply goes as tag HUMAN_AGENT" in shown.stdout, shown.stdout + shown.stderr
    trigger(server, conversation, "payment_received", order_id="BT-7K3MZQ2P")
    taken = desk(server, "POST", conversation, "takeover")
    replied = desk(server, "POST", conversation, "messages", {"text": REPLY, "agent": "Giulia"})
    handed_back = desk(server, "POST", conversation, "handback")

    assert taken.json()["notified"] is True and replied.status_code == 200 and handed_back.status_code == 200
    notice, joined, reply = settled(server, "messenger", who, 3)
    assert (notice["messaging_type"], notice["tag"]) == ("MESSAGE_TAG", POST_PURCHASE_UPDATE)
    assert (joined["messaging_type"], joined["tag"]) == ("MESSAGE_TAG", HUMAN_AGENT)
    assert (reply["messaging_type"], reply["tag"]) == ("MESSAGE_TAG", HUMAN_AGENT)
    assert text_of(reply) == f"Giulia · Bottega team:\n{REPLY}"
    # Neither the bot's echo nor its hand-back line went out; no typing, no seen, for an answer that could not.
    calls = [call["body"] for call in graph(server) if call["body"]["recipient"]["id"] == who]
    assert len(calls) == 3 and all("sender_action" not in body for body in calls)


def test_after_seven_days_a_persons_reply_on_messenger_is_refused_with_a_code(server: str) -> None:
    who = shopper()
    conversation = f"messenger:{who}"  # what the desk and the shop name it by
    writes(server, "messenger", who, "hello there", hours_ago=7.5 * 24)
    assert desk(server, "GET", conversation).json()["window"]["person_reply"] == "refused"
    taken = desk(server, "POST", conversation, "takeover")
    assert taken.status_code == 200 and taken.json()["paused"] and taken.json()["notified"] is False

    refused = desk(server, "POST", conversation, "messages", {"text": REPLY, "agent": "Giulia"})
    assert refused.status_code == 409 and refused.json()["code"] == "outside_window"
    assert "7 days" in refused.json()["detail"]
    assert to(server, "messenger", who) == []
    assert REPLY not in transcript_texts(server, conversation)  # not sent, so not in the conversation either


def test_outside_the_window_whatsapp_sends_only_the_configured_template_until_the_shopper_writes(server: str) -> None:
    who = shopper()
    conversation = f"whatsapp:{who}"  # what the desk and the shop name it by
    writes(server, "whatsapp", who, "hello there", hours_ago=30)
    trigger(server, conversation, "payment_received", order_id="BT-7K3MZQ2P")
    [template] = settled(server, "whatsapp", who, 1)
    assert template["type"] == "template"
    assert template["template"]["name"] == ORDER_TEMPLATE and template["template"]["language"] == {"code": "en"}
    [body] = template["template"]["components"]
    assert body["parameters"] == [{"type": "text",
                                   "text": "Payment received for BT-7K3MZQ2P — we'll let you know when it ships."}]

    # No agent-reply template configured: the person's reply is refused, not sent, and the desk says why.
    assert desk(server, "GET", conversation).json()["window"]["person_reply"] == "refused"
    assert desk(server, "POST", conversation, "takeover").json()["notified"] is False
    refused = desk(server, "POST", conversation, "messages", {"text": REPLY, "agent": "Giulia"})
    assert refused.status_code == 409 and refused.json()["code"] == "outside_window"
    assert "agent_reply_template" in refused.json()["detail"]
    assert len(to(server, "whatsapp", who)) == 1

    # The shopper writes again: the window is open, the reply goes as a message of its own.
    writes(server, "whatsapp", who, "any news?")
    assert desk(server, "GET", conversation).json()["window"]["person_reply"] == "message"
    replied = desk(server, "POST", conversation, "messages", {"text": REPLY, "agent": "Giulia"})
    assert replied.status_code == 200
    reply = settled(server, "whatsapp", who, 2)[1]
    assert reply["type"] == "text" and text_of(reply) == f"Giulia · Bottega team:\n{REPLY}"


def test_a_message_redelivered_late_is_not_answered_but_the_shoppers_latest_time_is_kept(server: str) -> None:
    who = shopper()
    writes(server, "whatsapp", who, "hello there")
    writes(server, "whatsapp", who, "an old one", hours_ago=30)  # Meta's retry of an older message
    sent = settled(server, "whatsapp", who, 2)  # both answered: the shopper wrote a moment ago
    assert [text_of(body) for body in sent] == ["echo: hello there", "echo: an old one"]


def test_the_same_id_on_messenger_and_whatsapp_is_two_conversations_each_answered_on_its_own(server: str) -> None:
    who = shopper()  # a PSID and a wa_id may be the same digits
    writes(server, "messenger", who, "hello from messenger")
    writes(server, "whatsapp", who, "hello from whatsapp")
    on_messenger = desk(server, "GET", f"messenger:{who}").json()
    on_whatsapp = desk(server, "GET", f"whatsapp:{who}").json()
    assert (on_messenger["conversation_id"], on_messenger["channel"]) == (f"messenger:{who}", "messenger")
    assert (on_whatsapp["conversation_id"], on_whatsapp["channel"]) == (f"whatsapp:{who}", "whatsapp")
    assert "hello from whatsapp" not in transcript_texts(server, f"messenger:{who}")
    assert desk(server, "GET", who).status_code == 404  # the bare id names no conversation

    trigger(server, f"whatsapp:{who}", "payment_received", order_id="BT-7K3MZQ2P")

    def on(channel: str) -> list[dict[str, Any]]:  # the same digits on both: told apart by the API's shape
        return [body for body in to(server, channel, who) if ("to" in body) == (channel == "whatsapp")]

    on_whatsapp_sent = eventually(lambda: len(on("whatsapp")) >= 2 and on("whatsapp"))
    assert [text_of(body) for body in on_whatsapp_sent] == [  # to the bare wa_id
        "echo: hello from whatsapp", "Payment received for BT-7K3MZQ2P — we'll let you know when it ships."]
    assert [text_of(body) for body in on("messenger")] == ["echo: hello from messenger"]  # to the bare PSID
