"""A whole purchase on Messenger and on WhatsApp, offline on loopback: search, the carousel (list on
WhatsApp) with PNG pictures, add to cart with the card's button, check out, the pay link as the
platform's link button, paying through it, and the payment notice back in the chat.

Everything is real but Meta: the shop (its own process, with PUBLIC_BASE_URL set to a public https
address, as in production), the action server and Rasa with the trained model, run as `make run`
runs them. Meta is the signed webhook deliveries the test sends and the stub Graph API of
tests/channels/meta_server.py, which captures what the shopper is sent. The shopper's view is read
from those captures only, never from Rasa's tracker: how Rasa keys a conversation is not this
test's business.

The public host is a reverse proxy in production (deploy/nginx.conf): the test opens a link's path
on the shop's loopback address, as the proxy would.
"""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from PIL import Image

from tests.channels import meta_payloads as meta
from tests.channels.bot_stack import bot_stack, meta_channels
from tests.channels.test_meta_rasa import API_TOKEN, deliver, messages_to, text_sent
from tests.channels.test_meta_webhooks import eventually

PUBLIC_BASE_URL = "https://shop.example.com/bottega"  # behind the proxy, with a path prefix
ACTION_TOKEN = "test-action-token-0123456789abcdef"
ADDRESS = "Via Roma 1, 20121 Milano, Italy"
SEARCH = "show me running shoes"
TURN_SECONDS = 90.0  # the first turns wait for TensorFlow's warm-up on a busy machine
PAY_LINK = re.compile(re.escape(PUBLIC_BASE_URL) + r"/pay/[A-Za-z0-9_-]{16,}")
ORDER_ID = re.compile(r"\bBT-[A-Z0-9]{8}\b")


@dataclass(frozen=True)
class Stack:
    rasa: str
    stub: str
    shop: str  # the shop's loopback address; links name PUBLIC_BASE_URL


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("meta_purchase")
    env = {"RASA_API_TOKEN": API_TOKEN, "ACTION_SERVER_TOKEN": ACTION_TOKEN,
           "DESK_API_TOKEN": "test-desk-token-0123456789abcdef"}  # no catalogue: search answers stay list messages
    with bot_stack(folder, meta_channels(folder), env, own_shop={"PUBLIC_BASE_URL": PUBLIC_BASE_URL}) as started:
        assert started.shop is not None
        yield Stack(started.rasa, started.stub, started.shop)


class Shopper:
    """One shopper on one platform: sends as Meta delivers, reads what the stub Graph API was sent."""

    def __init__(self, stack: Stack, channel: str) -> None:
        self.stack, self.channel = stack, channel
        self.id = "2" + str(uuid.uuid4().int)[:15] if channel == "messenger" else "39347" + str(uuid.uuid4().int)[:7]
        self.read = 0  # messages already looked at

    def _deliver(self, event: Callable[[str], dict[str, Any]]) -> None:
        message_id = f"m_{uuid.uuid4().hex}" if self.channel == "messenger" else f"wamid.{uuid.uuid4().hex}"
        built = event(message_id)
        deliver(self.stack.rasa, self.channel,
                meta.messenger(built) if self.channel == "messenger" else meta.whatsapp([built]))

    def says(self, text: str) -> None:
        self._deliver(lambda mid: meta.m_text(self.id, mid, text) if self.channel == "messenger"
                      else meta.w_text(self.id, mid, text))

    def taps(self, title: str, payload: str, kind: str) -> None:
        """A button: Messenger `postback` (template buttons) or `quick_reply`; WhatsApp `button` or `list` reply."""
        events = {"postback": lambda mid: meta.m_postback(self.id, mid, title, payload),
                  "quick_reply": lambda mid: meta.m_quick_reply(self.id, mid, title, payload),
                  "button": lambda mid: meta.w_button_reply(self.id, mid, payload, title),
                  "list": lambda mid: meta.w_list_reply(self.id, mid, payload, title)}
        self._deliver(events[kind])

    def reads(self, until: Callable[[list[dict[str, Any]]], bool], what: str) -> list[dict[str, Any]]:
        """The messages sent since the last look, once `until` holds for them (a turn sends several)."""
        def new() -> list[dict[str, Any]]:
            return messages_to(self.stack.stub, self.id)[self.read:]
        got = eventually(lambda: until(new()) and new(), TURN_SECONDS)
        assert got, f"the shopper never read {what}; they were sent:\n{json.dumps(new(), indent=1)[:4000]}"
        time.sleep(0.5)  # the rest of the turn, if any
        got = new()
        self.read += len(got)
        return got


def sku_of(payload: str) -> str:
    """The product a button's payload names: `/add_to_cart{"sku": "SP-0001"}`."""
    return str(json.loads(payload[payload.index("{"):])["sku"])


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(text_sent(m) for m in messages)


# --- Messenger ------------------------------------------------------------------------------------


def m_buttons(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button the shopper can tap: template buttons and quick replies, as {title, payload|url, kind}."""
    found: list[dict[str, Any]] = []
    for body in messages:
        message = body["message"]
        payload = message.get("attachment", {}).get("payload", {})
        cards = [button for element in payload.get("elements", []) for button in element.get("buttons", [])]
        for button in payload.get("buttons", []) + cards:
            found.append({**button, "kind": "postback" if button["type"] == "postback" else "url"})
        found += [{**reply, "kind": "quick_reply"} for reply in message.get("quick_replies", [])]
    return found


def m_carousels(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["message"]["attachment"]["payload"] for m in messages
            if m["message"].get("attachment", {}).get("payload", {}).get("template_type") == "generic"]


def _png_behind_the_proxy(stack: Stack, url: str) -> None:
    """The picture the card names is a PNG the shop serves at that path (what Meta would fetch)."""
    assert url.startswith(PUBLIC_BASE_URL + "/images/") and url.endswith(".png"), url
    picture = requests.get(stack.shop + url.removeprefix(PUBLIC_BASE_URL), timeout=30)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(picture.content)).format == "PNG"


def _pay(stack: Stack, url: str) -> None:
    """The shopper opens the pay link and pays in the shop's sandbox."""
    path = url.removeprefix(PUBLIC_BASE_URL)
    page = requests.get(stack.shop + path, timeout=30)
    assert page.status_code == 200 and "Pay " in page.text, page.text
    paid = requests.post(stack.shop + path, data={"action": "pay"}, timeout=30)
    assert paid.status_code == 200 and "is paid" in paid.text, paid.text


def _checkout_answers(shopper: Shopper, pick: Callable[[list[dict[str, Any]], re.Pattern[str]], None]) -> str:
    """Check out and answer the form; returns what the shopper read last (the order summary)."""
    shopper.says("I'd like to check out")
    asked = joined(shopper.reads(lambda m: "Where should we deliver it?" in joined(m), "the address question"))
    assert "Where should we deliver it?" in asked
    shopper.says(ADDRESS)
    delivery = shopper.reads(lambda m: "How should we deliver it?" in joined(m), "the delivery question")
    pick(delivery, re.compile(r"^Standard", re.IGNORECASE))
    payment = shopper.reads(lambda m: "How would you like to pay?" in joined(m), "the payment question")
    pick(payment, re.compile(r"card", re.IGNORECASE))
    summary = shopper.reads(lambda m: "Shall I place the order?" in joined(m), "the order summary")
    said = joined(summary)
    assert "Here's your order:" in said and f"To: {ADDRESS}" in said and "Total:" in said, said
    return said


def test_a_whole_purchase_on_messenger(stack: Stack) -> None:
    shopper = Shopper(stack, "messenger")
    shopper.says(SEARCH)
    results = shopper.reads(lambda m: bool(m_carousels(m)), "a carousel of products")
    [carousel, *more] = m_carousels(results)
    cards = carousel["elements"]
    assert 2 <= len(cards) <= 10 and all(len(c["elements"]) <= 10 for c in more)
    assert "running shoes" in joined(results).lower()  # the intro names the search
    for number, card in enumerate(cards, start=1):
        assert card["title"].startswith(f"{number}. ") and "EUR" in card["subtitle"]
        assert [b["title"] for b in card["buttons"]] == ["Details", "Add to cart"]
        sku = sku_of(card["buttons"][1]["payload"])
        assert card["image_url"] == f"{PUBLIC_BASE_URL}/images/{sku}.png"
    _png_behind_the_proxy(stack, cards[0]["image_url"])

    add = cards[0]["buttons"][1]
    shopper.taps(add["title"], add["payload"], "postback")
    added = _answer_variant_questions(shopper, lambda buttons: buttons[0], "Added")
    assert "Total:" in added

    def pick(messages: list[dict[str, Any]], wanted: re.Pattern[str]) -> None:
        replies = [b for b in m_buttons(messages) if b["kind"] == "quick_reply"]
        chosen = next((b for b in replies if wanted.search(b["title"])), replies[0])
        shopper.taps(chosen["title"], chosen["payload"], "quick_reply")

    _checkout_answers(shopper, pick)
    [yes] = [b for b in m_buttons(messages_to(stack.stub, shopper.id)[-1:]) if b["title"].startswith("Yes")]
    shopper.taps(yes["title"], yes["payload"], "quick_reply")
    placed = shopper.reads(lambda m: any(b["kind"] == "url" for b in m_buttons(m)), "the pay link")
    said = joined(placed)
    assert "is placed" in said and ORDER_ID.search(said), said
    order_id = ORDER_ID.findall(said)[0]
    [pay] = [b for b in m_buttons(placed) if b["kind"] == "url"]
    assert pay["type"] == "web_url" and pay["title"].startswith("Pay ") and PAY_LINK.fullmatch(pay["url"]), pay
    template = next(m["message"]["attachment"]["payload"] for m in placed
                    if m["message"].get("attachment", {}).get("payload", {}).get("template_type") == "button")
    assert order_id in template["text"]  # the button sits under the words that explain it

    _pay(stack, pay["url"])
    notice = shopper.reads(lambda m: "Payment received" in joined(m), "the payment notice")
    assert joined(notice).startswith(f"Payment received for {order_id}")
    # Inside the 24-hour window: no tag; an UPDATE, as the shop writes first rather than answering.
    assert notice[0]["messaging_type"] == "UPDATE" and "tag" not in notice[0]


def _answer_variant_questions(shopper: Shopper, choose: Callable[[list[dict[str, Any]]], dict[str, Any]],
                              done: str) -> str:
    """Adding may ask for a size and then a colour (buttons of what is in stock): take the first."""
    def options(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if shopper.channel == "messenger":
            return [b for b in m_buttons(messages) if b["kind"] != "url"]
        return w_options(messages)

    for _ in range(3):
        reply = shopper.reads(lambda m: done in joined(m) or bool(options(m)), "an answer to adding to the cart")
        said = joined(reply)
        if done in said:
            return said
        chosen = choose(options(reply))
        shopper.taps(chosen["title"], chosen["payload"], chosen["kind"])
    pytest.fail("the product was never added to the cart")


# --- WhatsApp -------------------------------------------------------------------------------------


def w_options(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every reply button and list row, as {title, payload, kind}."""
    found: list[dict[str, Any]] = []
    for body in messages:
        interactive = body.get("interactive") or {}
        action = interactive.get("action") or {}
        if interactive.get("type") == "button":
            found += [{"title": b["reply"]["title"], "payload": b["reply"]["id"], "kind": "button"}
                      for b in action["buttons"]]
        elif interactive.get("type") == "list":
            found += [{"title": r["title"], "payload": r["id"], "kind": "list", "description": r.get("description")}
                      for section in action["sections"] for r in section["rows"]]
    return found


def test_a_whole_purchase_on_whatsapp(stack: Stack) -> None:
    shopper = Shopper(stack, "whatsapp")
    shopper.says(SEARCH)
    results = shopper.reads(lambda m: any((b.get("interactive") or {}).get("type") == "list" for b in m),
                            "a list of products")
    [listing] = [b["interactive"] for b in results if (b.get("interactive") or {}).get("type") == "list"]
    rows = [row for section in listing["action"]["sections"] for row in section["rows"]]
    assert 2 <= len(rows) <= 10 and all(len(r["title"]) <= 24 for r in rows)
    body = listing["body"]["text"]
    assert "running shoes" in body.lower() and "1. " in body and "EUR" in body  # names and prices in the body
    assert all(row["id"].startswith("/product_details") for row in rows)

    first = rows[0]
    shopper.taps(first["title"], first["id"], "list")
    detail = shopper.reads(lambda m: any((b.get("interactive") or {}).get("type") == "button" for b in m),
                           "the product's card")
    [card] = [b["interactive"] for b in detail if (b.get("interactive") or {}).get("type") == "button"]
    sku = sku_of(first["id"])
    assert card["header"] == {"type": "image", "image": {"link": f"{PUBLIC_BASE_URL}/images/{sku}.png"}}
    _png_behind_the_proxy(stack, card["header"]["image"]["link"])
    assert "EUR" in card["body"]["text"]
    [add] = [b["reply"] for b in card["action"]["buttons"] if b["reply"]["title"] == "Add to cart"]

    shopper.taps(add["title"], add["id"], "button")
    added = _answer_variant_questions(shopper, lambda options: options[0], "Added")
    assert "Total:" in added

    def pick(messages: list[dict[str, Any]], wanted: re.Pattern[str]) -> None:
        options = w_options(messages)
        chosen = next((o for o in options if wanted.search(f"{o['title']} {o.get('description') or ''}")),
                      options[0])
        shopper.taps(chosen["title"], chosen["payload"], chosen["kind"])

    _checkout_answers(shopper, pick)
    [yes] = [o for o in w_options(messages_to(stack.stub, shopper.id)[-1:]) if o["title"].startswith("Yes")]
    shopper.taps(yes["title"], yes["payload"], yes["kind"])
    placed = shopper.reads(lambda m: any((b.get("interactive") or {}).get("type") == "cta_url" for b in m),
                           "the pay link")
    [link] = [b["interactive"] for b in placed if (b.get("interactive") or {}).get("type") == "cta_url"]
    said = joined(placed) + "\n" + link["body"]["text"]
    assert "is placed" in said and ORDER_ID.search(said), said
    order_id = ORDER_ID.findall(said)[0]
    parameters = link["action"]["parameters"]
    assert parameters["display_text"].startswith("Pay ") and len(parameters["display_text"]) <= 20
    assert PAY_LINK.fullmatch(parameters["url"]), parameters

    _pay(stack, parameters["url"])
    notice = shopper.reads(lambda m: "Payment received" in joined(m), "the payment notice")
    assert joined(notice).startswith(f"Payment received for {order_id}")
    assert notice[0]["type"] == "text"  # inside the 24-hour window: a plain message, no template
