"""Messenger and WhatsApp in the real Rasa server with the trained model: signed deliveries in, the
stub Graph API's captured calls out, and the tracker read back through Rasa's HTTP API.

Rasa runs as `make run` runs it (`python -m server run`) with the two Meta channels and the care
desk in its credentials, sending to the stub Graph API of tests/channels/meta_server.py; the action
server runs as `make run` runs it too, against the real shop tests/conftest.py starts. The care
desk's routes, Rasa's own trigger_intent (what the shop's payment notices call) and the hand-back
go through the same Rasa, inside and outside Meta's 24-hour window (a message sent "30 hours ago"
is one Meta delivered late). Fails, never skips, when models/bottega.tar.gz has not been trained.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from actions.clients.shop import ProductQuery, get_shop_client
from tests.channels import meta_payloads as meta
from tests.channels.bot_stack import bot_stack, meta_channels
from tests.channels.test_meta_webhooks import ACK_LIMIT, SECRETS, eventually

ROOT = Path(__file__).resolve().parents[2]
API_TOKEN = "test-rasa-api-token-0123456789abcdef"
GREETING_PAYLOADS = ["/browse_catalog", "/view_cart"]  # utter_greet's buttons, domain.yml

DESK_TOKEN = "test-desk-token-0123456789abcdef"
ACTION_TOKEN = "test-action-token-0123456789abcdef"
ORDER_TEMPLATE = "bottega_order_update"
ADDRESS = "Via Roma 1, 20121 Milano, Italy"
TIMEOUT_SECONDS = 6.0  # the hand-off time-out (HANDOFF_TIMEOUT_MINUTES) of this stack

pytestmark = [pytest.mark.shop]


@contextmanager
def meta_rasa(folder: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, str]]:
    """(Rasa's URL, the stub Graph API server's URL): Rasa with the Meta channels and the desk, the
    action server and the stub (tests/channels/bot_stack.py), their logs and stores in `folder`;
    `extra_env` on top (a catalogue id)."""
    desk = yaml.safe_load((ROOT / "credentials.yml").read_text())["channels.desk.DeskInput"]
    served = {**meta_channels(folder), "channels.desk.DeskInput": desk}
    env = {"RASA_API_TOKEN": API_TOKEN, "WHATSAPP_ORDER_UPDATE_TEMPLATE": ORDER_TEMPLATE, "DESK_API_TOKEN": DESK_TOKEN,
           "ACTION_SERVER_TOKEN": ACTION_TOKEN, "HANDOFF_TIMEOUT_MINUTES": str(TIMEOUT_SECONDS / 60),
           **(extra_env or {})}
    with bot_stack(folder, served, env) as stack:
        yield stack.rasa, stack.stub
    log = (folder / "rasa.log").read_text()
    for secret in SECRETS.values():
        assert secret not in log, "a secret was logged"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with meta_rasa(tmp_path_factory.mktemp("meta_rasa")) as urls:
        yield urls


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_TOKEN}"}


def deliver(rasa: str, channel: str, body: Any) -> float:
    data = meta.encode(body)
    started = time.perf_counter()
    answer = requests.post(f"{rasa}/webhooks/{channel}/webhook", data=data, timeout=10,
                           headers={"X-Hub-Signature-256": meta.sign(data, SECRETS[f"{channel.upper()}_APP_SECRET"]),
                                    "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    return time.perf_counter() - started


def sent_to(stub: str, who: str) -> list[dict[str, Any]]:
    calls = requests.get(f"{stub}/test/graph", timeout=10).json()
    return [c["body"] for c in calls if who in ((c["body"].get("recipient") or {}).get("id"), c["body"].get("to"))]


def user_events(rasa: str, conversation: str) -> list[dict[str, Any]]:
    tracker = requests.get(f"{rasa}/conversations/{conversation}/tracker", headers=auth(), timeout=10).json()
    return [event for event in tracker["events"] if event["event"] == "user"]


def test_a_messenger_greeting_is_answered_by_rasa_with_quick_replies(stack: tuple[str, str]) -> None:
    rasa, stub = stack
    psid, mid = "2" + str(uuid.uuid4().int)[:15], f"m_{uuid.uuid4().hex}"
    body = meta.messenger(meta.m_text(psid, mid, "hi"))
    latencies = [deliver(rasa, "messenger", body) for _ in range(3)]  # Meta delivering it three times
    assert max(latencies) < ACK_LIMIT, latencies

    answers = eventually(lambda: [b for b in sent_to(stub, psid) if "message" in b], 60)
    time.sleep(1.0)  # room for a second answer, were there one
    answers = [b for b in sent_to(stub, psid) if "message" in b]
    assert len(answers) == 1, answers
    message = answers[0]["message"]
    assert "Bottega" in message["text"]
    assert [q["payload"] for q in message["quick_replies"]] == GREETING_PAYLOADS
    assert [b.get("sender_action") for b in sent_to(stub, psid)][:2] == ["mark_seen", "typing_on"]

    heard = user_events(rasa, f"messenger:{psid}")  # the tracker is keyed by the shop's customer id
    assert len(heard) == 1
    assert heard[0]["message_id"] == mid and heard[0]["input_channel"] == "messenger"
    assert heard[0]["parse_data"]["intent"]["name"] == "greet"


def test_a_whatsapp_greeting_and_a_button_reply_reach_rasa(stack: tuple[str, str]) -> None:
    rasa, stub = stack
    wa_id, first, second = "39347" + str(uuid.uuid4().int)[:7], f"wamid.{uuid.uuid4().hex}", f"wamid.{uuid.uuid4().hex}"
    assert deliver(rasa, "whatsapp", meta.whatsapp([meta.w_text(wa_id, first, "hello")],
                                                   names={wa_id: "Giulia Rossi"})) < ACK_LIMIT
    answer = eventually(lambda: sent_to(stub, wa_id), 60)[0]
    assert answer["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in answer["interactive"]["action"]["buttons"]] == GREETING_PAYLOADS

    assert deliver(rasa, "whatsapp", meta.whatsapp([meta.w_button_reply(wa_id, second, "/view_cart",
                                                                        "View my cart")])) < ACK_LIMIT
    conversation = f"whatsapp:{wa_id}"  # the tracker is keyed by the shop's customer id
    heard = eventually(lambda: len(user_events(rasa, conversation)) == 2 and user_events(rasa, conversation), 60)
    assert [(e["message_id"], e["input_channel"]) for e in heard] == [(first, "whatsapp"), (second, "whatsapp")]
    assert heard[0]["metadata"]["profile_name"] == "Giulia Rossi"
    assert heard[1]["parse_data"]["intent"]["name"] == "view_cart"  # the payload, not the title, reached Rasa


# --- people and the shop, through Rasa: the desk, trigger_intent, the window -----------------------


def desk(rasa: str, method: str, conversation: str, action: str = "", body: Any = None) -> requests.Response:
    path = f"{rasa}/webhooks/desk/conversations/{conversation}" + (f"/{action}" if action else "")
    return requests.request(method, path, json=body, timeout=30, headers={"Authorization": f"Bearer {DESK_TOKEN}"})


def messages_to(stub: str, who: str) -> list[dict[str, Any]]:
    """What the shopper was sent (Messenger's sender actions left out)."""
    return [body for body in sent_to(stub, who) if "message" in body or "to" in body]


def text_sent(body: dict[str, Any]) -> str:
    if "message" in body:
        message = body["message"]
        return str(message.get("text") or message.get("attachment", {}).get("payload", {}).get("text") or "")
    if body["type"] == "text":
        return str(body["text"]["body"])
    return str(body.get("interactive", {}).get("body", {}).get("text") or "")


def wrote(rasa: str, channel: str, who: str, text: str, hours_ago: float = 0.0) -> None:
    """The shopper's message, sent `hours_ago`; returns once Rasa has recorded it."""
    conversation = f"{channel}:{who}"
    heard = len(user_events(rasa, conversation))
    message_id = f"m_{uuid.uuid4().hex}" if channel == "messenger" else f"wamid.{uuid.uuid4().hex}"
    body = (meta.messenger(meta.m_text(who, message_id, text)) if channel == "messenger"
            else meta.whatsapp([meta.w_text(who, message_id, text)]))
    deliver(rasa, channel, meta.sent_hours_ago(body, hours_ago))
    assert eventually(lambda: len(user_events(rasa, conversation)) > heard, 60)


def paid_order(who: str) -> str:
    """An order of the customer `who` (`<channel>:<id>`), placed and paid in the real shop."""
    shop = get_shop_client()
    product = next(item for item in shop.search_products(ProductQuery(in_stock=True, limit=20)).items
                   if item.in_stock)
    variant = next(v for v in shop.get_product(product.sku).variants if v.stock > 0)
    shop.add_to_cart(who, product.sku, 1, variant.size, variant.color)
    order = shop.place_order(who, f"setup-{uuid.uuid4().hex}", ADDRESS, "standard", "card")
    assert requests.post(order.payment_url, data={"action": "pay"}, timeout=10).status_code == 200
    return str(order.order_id)


def payment_notice(rasa: str, conversation: str, order_id: str) -> None:
    """What the shop sends when a payment arrives (shop/app/notify.py)."""
    answer = requests.post(f"{rasa}/conversations/{conversation}/trigger_intent?output_channel=latest",
                           json={"name": "payment_received", "entities": {"order_id": order_id}},
                           headers=auth(), timeout=60)
    assert answer.status_code == 200, answer.text


def test_on_messenger_a_person_replies_by_name_and_hands_back_through_rasas_desk(stack: tuple[str, str]) -> None:
    rasa, stub = stack
    psid = "2" + str(uuid.uuid4().int)[:15]
    wrote(rasa, "messenger", psid, "hi")
    assert eventually(lambda: messages_to(stub, psid), 60)  # the greeting

    conversation = f"messenger:{psid}"  # the desk names it by the shop's customer id
    taken = desk(rasa, "POST", conversation, "takeover")
    assert taken.status_code == 200 and taken.json()["notified"] is True
    replied = desk(rasa, "POST", conversation, "messages", {"text": "Your parcel left today.", "agent": "Giulia"})
    assert replied.status_code == 200 and replied.json() == {"delivered": True, "channel": "messenger"}
    assert desk(rasa, "POST", conversation, "handback").status_code == 200

    sent = eventually(lambda: len(messages_to(stub, psid)) >= 4 and messages_to(stub, psid), 60)
    assert sent, messages_to(stub, psid)
    joined, reply, back = sent[1:4]
    assert "has joined the chat" in text_sent(joined)
    assert text_sent(reply) == "Giulia · Bottega team:\nYour parcel left today."
    assert "back" in text_sent(back).lower()  # action_handback: the bot says it is back
    assert [body["messaging_type"] for body in (joined, reply, back)] == ["RESPONSE"] * 3


def test_a_payment_notice_after_the_window_goes_tagged_on_messenger_and_as_the_template_on_whatsapp(
        stack: tuple[str, str]) -> None:
    rasa, stub = stack
    psid, wa_id = "2" + str(uuid.uuid4().int)[:15], "39347" + str(uuid.uuid4().int)[:7]
    wrote(rasa, "messenger", psid, "hi", hours_ago=30)
    wrote(rasa, "whatsapp", wa_id, "hello", hours_ago=30)
    time.sleep(2.0)  # room for the greetings, were they sent
    assert messages_to(stub, psid) == [] and messages_to(stub, wa_id) == []  # a day late: not answered

    for channel, who in (("messenger", psid), ("whatsapp", wa_id)):
        payment_notice(rasa, f"{channel}:{who}", paid_order(f"{channel}:{who}"))
    [tagged] = eventually(lambda: messages_to(stub, psid), 60)
    [template] = eventually(lambda: messages_to(stub, wa_id), 60)

    assert (tagged["messaging_type"], tagged["tag"]) == ("MESSAGE_TAG", "POST_PURCHASE_UPDATE")
    assert text_sent(tagged).startswith("Payment received for BT-")
    assert template["type"] == "template" and template["template"]["name"] == ORDER_TEMPLATE
    [parameter] = template["template"]["components"][0]["parameters"]
    assert parameter["text"].startswith("Payment received for BT-")


def test_on_whatsapp_after_the_window_the_desk_refuses_a_reply_with_a_code(stack: tuple[str, str]) -> None:
    rasa, stub = stack
    wa_id = "39347" + str(uuid.uuid4().int)[:7]
    wrote(rasa, "whatsapp", wa_id, "hello", hours_ago=30)

    conversation = f"whatsapp:{wa_id}"
    taken = desk(rasa, "POST", conversation, "takeover")
    assert taken.status_code == 200 and taken.json()["paused"] and taken.json()["notified"] is False
    refused = desk(rasa, "POST", conversation, "messages", {"text": "Your parcel left today.", "agent": "Giulia"})
    assert refused.status_code == 409 and refused.json()["code"] == "outside_window"
    assert messages_to(stub, wa_id) == []


def test_on_messenger_the_hand_off_time_out_brings_the_bot_back_by_itself(stack: tuple[str, str]) -> None:
    rasa, stub = stack
    psid = "2" + str(uuid.uuid4().int)[:15]
    asked = meta.messenger(meta.m_quick_reply(psid, f"m_{uuid.uuid4().hex}", "Talk to a person", "/human_handoff"))
    deliver(rasa, "messenger", asked)
    [handed] = eventually(lambda: messages_to(stub, psid), 60)
    assert "reference TK-" in text_sent(handed)
    started = time.monotonic()

    # Nobody takes over: the shop's ticket stays open and the bot comes back on its own.
    sent = eventually(lambda: len(messages_to(stub, psid)) >= 2 and messages_to(stub, psid), TIMEOUT_SECONDS + 60)
    assert sent, "the time-out never reached the shopper"
    back = sent[1]
    assert time.monotonic() - started >= TIMEOUT_SECONDS / 2  # not at once: when the time-out fired
    assert "nobody from our team has been able to answer yet" in text_sent(back)
    assert back["messaging_type"] == "RESPONSE"
    assert [q["payload"] for q in back["message"]["quick_replies"]] == ["/human_handoff"]
