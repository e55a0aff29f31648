"""One identity per shopper on every channel, in the real Rasa server with the trained model.

A conversation's id is the shop's customer id, `<channel>:<platform id>` (actions/identity.py):
`socketio:<session>`, `rest:<sender>`, `messenger:<psid>`, `whatsapp:<wa_id>`. Here Rasa runs as
`make run` runs it with the web chat, the REST channel, Messenger, WhatsApp and the care desk; the
action server runs against a shop of this module's own, whose payment notices go to this Rasa
(shop/app/notify.py, trigger_intent with the customer id); Messenger and WhatsApp send to the stub
Graph API of tests/channels/meta_server.py. Asserted: what each shopper reads (web chat events, the
Graph API calls with the bare PSID or wa_id), the shop's carts, and Rasa's trackers.
"""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
import yaml

from actions.clients.shop import ProductQuery, ShopClient, ShopSettings
from tests.channels import meta_payloads as meta
from tests.channels.bot_stack import SHOP_PYTHON, bot_stack
from tests.channels.test_meta_rasa import ADDRESS, deliver, messages_to, text_sent
from tests.channels.test_meta_webhooks import eventually

ROOT = Path(__file__).resolve().parents[2]
API_TOKEN = "test-rasa-api-token-" + secrets.token_hex(8)
DESK_TOKEN = "test-desk-token-" + secrets.token_hex(8)
ACTION_TOKEN = "test-action-token-" + secrets.token_hex(8)
REST_TOKEN = "test-rest-token-" + secrets.token_hex(8)
WEBCHAT_SECRET = "test-webchat-secret-" + secrets.token_hex(16)
SERVED = ("channels.rest.AuthenticatedRestInput", "channels.webchat.WebChatInput", "channels.desk.DeskInput",
          "channels.messenger.MessengerInput", "channels.whatsapp.WhatsAppInput")


@dataclass
class Stack:
    rasa: str
    stub: str
    shop: ShopClient
    env: dict[str, str]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("identity_rasa")
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    env: dict[str, str | None] = {
        "RASA_API_TOKEN": API_TOKEN, "DESK_API_TOKEN": DESK_TOKEN, "ACTION_SERVER_TOKEN": ACTION_TOKEN,
        "REST_CHANNEL_TOKEN": REST_TOKEN, "WEBCHAT_SESSION_SECRET": WEBCHAT_SECRET,
        "REST_CHANNEL_TOKEN_PREVIOUS": None, "WEBCHAT_SESSION_SECRET_PREVIOUS": None}
    with bot_stack(folder, {key: credentials[key] for key in SERVED}, env, own_shop={}) as started:
        client = ShopClient(ShopSettings.from_env(started.env))
        yield Stack(started.rasa, started.stub, client, started.env)
        client.close()
        # While everything still runs: stopping Rasa under open socket.io polls logs the cut-off polls.
        for log in ("rasa.log", "shop.log"):
            assert "Traceback" not in (folder / log).read_text(), (folder / log).read_text()[-3000:]


def _api() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_TOKEN}"}


# --- the shoppers --------------------------------------------------------------------------------


class WebShopper:
    """A browser tab of the web chat: a socket.io client that records every event it receives."""

    def __init__(self, rasa: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._arrived = threading.Condition()
        self.client.on("*", self._record)
        self.client.connect(rasa, socketio_path="/socket.io", transports=["polling"])
        self.client.emit("session_request", {})
        self.session_id = str(self.wait_for(lambda: [d for e, d in self.events if e == "session_confirm"])[0]
                              ["session_id"])

    def _record(self, event: str, data: Any = None) -> None:
        with self._arrived:
            self.events.append((event, data))
            self._arrived.notify_all()

    def wait_for(self, found: Any, timeout: float = 60.0) -> Any:
        with self._arrived:
            result = self._arrived.wait_for(found, timeout)
        assert result, f"not received; got {self.events}"
        return result

    def bot_messages(self) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == "bot_uttered"]

    def says(self, text: str, answer_with: str) -> list[dict[str, Any]]:
        """Sends `text`; returns the bot's messages from then on, once one contains `answer_with`."""
        before = len(self.bot_messages())
        self.client.emit("user_uttered", {"message": text})
        return self.wait_for(lambda: any(answer_with in str(m.get("text")) for m in self.bot_messages()[before:])
                             and self.bot_messages()[before:])  # type: ignore[no-any-return]

    def close(self) -> None:
        self.client.eio.disconnect(abort=True)


@pytest.fixture
def web(stack: Stack) -> Iterator[WebShopper]:
    shopper = WebShopper(stack.rasa)
    yield shopper
    shopper.close()


def rest_says(stack: Stack, sender: str, text: str) -> requests.Response:
    return requests.post(f"{stack.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         headers={"Authorization": f"Bearer {REST_TOKEN}"}, timeout=120)


def tracker_events(stack: Stack, conversation: str) -> list[dict[str, Any]]:
    """The conversation's events in Rasa (none for a conversation that never was); its id's colon
    as it is, as the shop sends it: Rasa's HTTP API does not decode conversation ids."""
    answer = requests.get(f"{stack.rasa}/conversations/{conversation}/tracker", headers=_api(), timeout=30)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["events"])


def user_channels(stack: Stack, conversation: str) -> list[str | None]:
    return [e.get("input_channel") for e in tracker_events(stack, conversation) if e["event"] == "user"]


def desk(stack: Stack, method: str, conversation: str, action: str = "", body: Any = None) -> requests.Response:
    path = f"{stack.rasa}/webhooks/desk/conversations/{conversation}" + (f"/{action}" if action else "")
    return requests.request(method, path, json=body, timeout=60, headers={"Authorization": f"Bearer {DESK_TOKEN}"})


def in_stock(stack: Stack, skip: str | None = None) -> tuple[str, str | None, str | None]:
    """(sku, size, colour) of a variant the shop has in stock, of another product than `skip`."""
    products = stack.shop.search_products(ProductQuery(in_stock=True, limit=20)).items
    product = next(p for p in products if p.in_stock and p.sku != skip)
    variant = next(v for v in stack.shop.get_product(product.sku).variants if v.stock > 0)
    return product.sku, variant.size, variant.color


def add_payload(sku: str, size: str | None, color: str | None) -> str:
    entities = ", ".join(f'"{key}": "{value}"' for key, value in (("sku", sku), ("size", size), ("color", color))
                         if value)
    return f"/add_to_cart{{{entities}}}"


def pay_an_order(stack: Stack, customer: str) -> str:
    """An order of `customer` placed and paid in the shop, whose notice then goes to Rasa by itself."""
    sku, size, color = in_stock(stack)
    stack.shop.add_to_cart(customer, sku, 1, size, color)
    order = stack.shop.place_order(customer, f"identity-{uuid.uuid4().hex}", ADDRESS, "standard", "card")
    assert requests.post(order.payment_url, data={"action": "pay"}, timeout=30).status_code == 200
    return str(order.order_id)


# --- the tests -----------------------------------------------------------------------------------


def test_the_same_sender_id_on_rest_and_the_web_chat_is_two_conversations_and_two_carts(
        stack: Stack, web: WebShopper) -> None:
    session = web.session_id
    first = in_stock(stack)
    second = in_stock(stack, skip=first[0])
    added = web.says(add_payload(*first), "Added")
    assert any("Total:" in str(m.get("text")) for m in added), added

    # A REST caller naming the web chat's session id as its sender gets a conversation of its own.
    answer = rest_says(stack, session, add_payload(*second))
    assert answer.status_code == 200
    assert "Added" in " ".join(str(m.get("text")) for m in answer.json())
    assert {m["recipient_id"] for m in answer.json()} == {session}  # as the caller named the sender

    web_cart, rest_cart = stack.shop.get_cart(f"socketio:{session}"), stack.shop.get_cart(f"rest:{session}")
    assert [line.sku for line in web_cart.items] == [first[0]]
    assert [line.sku for line in rest_cart.items] == [second[0]]
    assert set(user_channels(stack, f"socketio:{session}")) == {"socketio"}
    assert set(user_channels(stack, f"rest:{session}")) == {"rest"}
    assert user_channels(stack, session) == []  # the bare id is no conversation
    time.sleep(2.0)  # room for the REST answer to reach the page, were it to
    assert not any(second[0] in str(m) for m in web.bot_messages()), web.bot_messages()


def test_a_rest_sender_cannot_write_into_a_web_chat_conversation(stack: Stack, web: WebShopper) -> None:
    web.says("hi", "Bottega")
    conversation = f"socketio:{web.session_id}"
    events, shown = len(tracker_events(stack, conversation)), len(web.bot_messages())
    for sender in (conversation, f"socketio%3A{web.session_id}", f" {conversation}"):
        answer = rest_says(stack, sender, "cancel my order")
        assert answer.status_code == 400 and answer.json()["code"] == "bad_sender", answer.text
    time.sleep(2.0)
    assert len(tracker_events(stack, conversation)) == events
    assert len(web.bot_messages()) == shown


def test_a_care_desk_reply_and_a_payment_notice_reach_the_web_chat_shopper(stack: Stack, web: WebShopper) -> None:
    conversation = f"socketio:{web.session_id}"
    handed = web.says("/human_handoff", "TK-")
    assert handed
    # The bot's messages reach the page as each action runs; Rasa stores the turn after the last one,
    # so the desk may be asked a moment before it shows the hand-off.
    state = eventually(lambda: (answer := desk(stack, "GET", conversation)).status_code == 200
                       and answer.json().get("paused") and answer.json())
    assert state, f"the desk never showed {conversation} paused: {desk(stack, 'GET', conversation).text}"
    assert (state["conversation_id"], state["channel"], state["paused"]) == (conversation, "socketio", True)

    replied = desk(stack, "POST", conversation, "messages", {"text": "Your parcel left today.", "agent": "Giulia"})
    assert replied.status_code == 200 and replied.json() == {"delivered": True, "channel": "socketio"}
    web.wait_for(lambda: {"text": "Your parcel left today.", "agent": "Giulia"} in
                 [{k: m.get(k) for k in ("text", "agent")} for m in web.bot_messages()])
    # `make agent`, naming the conversation by the customer id its queue shows.
    sent = subprocess.run(
        [str(SHOP_PYTHON), str(ROOT / "scripts" / "agent.py"), "--as", "Marco", "reply", conversation, "Anything",
         "else?"], cwd=ROOT / "scripts", env=stack.env, capture_output=True, text=True, timeout=60, check=False)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    web.wait_for(lambda: any(m.get("text") == "Anything else?" and m.get("agent") == "Marco"
                             for m in web.bot_messages()))
    assert desk(stack, "POST", conversation, "handback").status_code == 200

    order_id = pay_an_order(stack, conversation)
    web.wait_for(lambda: any(str(m.get("text")).startswith(f"Payment received for {order_id}")
                             for m in web.bot_messages()))


def test_on_messenger_the_tracker_desk_and_payment_notice_use_messenger_psid(stack: Stack) -> None:
    psid = "2" + str(uuid.uuid4().int)[:15]
    deliver(stack.rasa, "messenger", meta.messenger(meta.m_text(psid, f"m_{uuid.uuid4().hex}", "hi")))
    assert eventually(lambda: messages_to(stack.stub, psid), 60)  # the greeting, to the bare PSID
    conversation = f"messenger:{psid}"
    assert user_channels(stack, conversation) == ["messenger"]
    assert user_channels(stack, psid) == []

    assert desk(stack, "POST", conversation, "takeover").status_code == 200
    replied = desk(stack, "POST", conversation, "messages", {"text": "Your parcel left today.", "agent": "Giulia"})
    assert replied.status_code == 200 and replied.json()["channel"] == "messenger"
    assert desk(stack, "POST", conversation, "handback").status_code == 200
    order_id = pay_an_order(stack, conversation)

    sent = eventually(lambda: [text_sent(body) for body in messages_to(stack.stub, psid)
                               if text_sent(body).startswith("Payment received")] and messages_to(stack.stub, psid), 60)
    assert sent, messages_to(stack.stub, psid)
    texts = [text_sent(body) for body in sent]
    assert "Giulia · Bottega team:\nYour parcel left today." in texts
    assert any(text.startswith(f"Payment received for {order_id}") for text in texts)
    calls = requests.get(f"{stack.stub}/test/graph", timeout=10).json()
    assert all((c["body"].get("recipient") or {}).get("id") != conversation for c in calls)  # never the prefixed id


def test_on_whatsapp_the_tracker_and_payment_notice_use_whatsapp_wa_id(stack: Stack) -> None:
    wa_id = "39347" + str(uuid.uuid4().int)[:7]
    deliver(stack.rasa, "whatsapp", meta.whatsapp([meta.w_text(wa_id, f"wamid.{uuid.uuid4().hex}", "hello")]))
    assert eventually(lambda: messages_to(stack.stub, wa_id), 60)  # the greeting, to the bare wa_id
    conversation = f"whatsapp:{wa_id}"
    assert user_channels(stack, conversation) == ["whatsapp"]
    assert user_channels(stack, wa_id) == []

    order_id = pay_an_order(stack, conversation)
    notice = eventually(lambda: [body for body in messages_to(stack.stub, wa_id)
                                 if text_sent(body).startswith(f"Payment received for {order_id}")], 60)
    assert notice and notice[0]["to"] == wa_id
