"""The web chat in headless Chromium against a whole stack: one conversation, step by step.

The tests share one tab and run in file order (search, add to cart, check out), so a
failing step makes the later ones fail too; the first failure is the one to read.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .conftest import ROOT, Stack, http_json, rasa_path, trigger_intent

SCREENSHOT = ROOT / "docs" / "webchat.png"
REPLY_TIMEOUT_MS = 90_000  # the first answers wait for TensorFlow's warm-up on a busy machine
SETTLE_SECONDS = 2.0  # one turn's messages arrive one by one; this long without a new one ends it
CONFIRM = re.compile(r"\b(yes|confirm|place|check ?out|continue|proceed)\b", re.IGNORECASE)
DECLINE = re.compile(r"\b(no|not|cancel|keep shopping|remove|view( my)? cart|browse)\b", re.IGNORECASE)
ANSWERS = [  # what a shopper types when the checkout asks
    (re.compile(r"address|deliver|ship", re.IGNORECASE), "Via Roma 1, 20121 Milano, Italy"),
    (re.compile(r"e-?mail", re.IGNORECASE), "ada@example.com"),
    (re.compile(r"phone|mobile", re.IGNORECASE), "+39 333 123 4567"),
    (re.compile(r"name", re.IGNORECASE), "Ada Lovelace"),
]


def bot_rows(page: Page) -> Locator:
    return page.locator("#log .row.bot")


def wait_for_reply(page: Page, before: int) -> list[Locator]:
    """The bot messages after the first `before` ones, once they stop arriving."""
    page.wait_for_function("n => document.querySelectorAll('#log .row.bot').length > n", arg=before,
                           timeout=REPLY_TIMEOUT_MS)
    count, changed = -1, time.monotonic()
    while time.monotonic() - changed < SETTLE_SECONDS:
        now = bot_rows(page).count()
        if now != count:
            count, changed = now, time.monotonic()
        page.wait_for_timeout(200)
    return [bot_rows(page).nth(i) for i in range(before, count)]


def say(page: Page, text: str) -> list[Locator]:
    before = bot_rows(page).count()
    page.locator("#input").fill(text)
    page.locator("#input").press("Enter")
    expect(page.locator("#log .row.user").last).to_have_text(text)
    return wait_for_reply(page, before)


def click(page: Page, button: Locator) -> list[Locator]:
    """Click a payload button; the shopper's bubble shows its title, never the payload."""
    before = bot_rows(page).count()
    title = button.inner_text().strip()
    button.click()
    expect(page.locator("#log .row.user").last).to_have_text(title)
    return wait_for_reply(page, before)


def texts(rows: list[Locator]) -> str:
    return "\n".join(row.inner_text() for row in rows)


def session_id(page: Page) -> str:
    return str(json.loads(page.evaluate("localStorage.getItem('bottega.session_id')")))


def conversation_id(page: Page) -> str:
    """Rasa's conversation id of the page's chat, the shop's customer id: `socketio:<session id>`."""
    return f"socketio:{session_id(page)}"


def test_page_connects_to_rasa(page: Page, stack: Stack) -> None:
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(stack.webchat_url)
    expect(page.locator("#status")).to_have_text("online", timeout=30_000)
    expect(page.locator("#banner")).to_be_hidden()
    # socket.io-client 4 speaks engine.io 4, as python-socketio 5 does, across origins (CORS).
    assert any(url.startswith(f"{stack.rasa_url.replace('http', 'ws', 1)}/socket.io/") and "EIO=4" in url
               for url in sockets), sockets
    send = page.locator("#send")
    expect(send).to_be_disabled()
    page.locator("#input").fill("   ")
    expect(send).to_be_disabled()  # nothing to send
    page.locator("#input").fill("")


def test_greeting_offers_buttons(page: Page) -> None:
    reply = say(page, "hi")
    assert reply, "no answer to 'hi'"
    assert page.locator("#log .row.bot .chip").count() > 0, f"no buttons after 'hi'; the bot said:\n{texts(reply)}"


def test_search_shows_product_cards_with_images(page: Page) -> None:
    reply = say(page, "show me running shoes")
    message = page.locator("#log .row.bot", has=page.locator(".carousel")).last
    cards = message.locator(".card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2, f"expected several cards; the bot said:\n{texts(reply)}"
    first = cards.first
    expect(first.locator(".card-title")).not_to_be_empty()
    expect(first.locator(".card-subtitle")).to_contain_text("EUR")
    expect(first.get_by_role("button", name="Add to cart")).to_be_visible()
    expect(first.locator(".card-number")).to_have_text("1")
    # Every picture loaded (the shop serves them itself; nothing comes from the internet).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card-image')].every(i => i.complete && i.naturalWidth > 0)")
    # The cards replace the numbered text list that comes with them for text-only channels.
    expect(message.locator(".bubble")).to_have_text(re.compile(r"^[^\n]*:$"))
    page.wait_for_function("() => { const l = document.getElementById('log');"
                           " return l.scrollTop + l.clientHeight >= l.scrollHeight - 2; }")  # smooth scroll done
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))


def test_reload_continues_the_conversation(page: Page) -> None:
    before = session_id(page)
    page.reload()
    expect(page.locator("#status")).to_have_text("online", timeout=30_000)
    assert session_id(page) == before
    expect(page.locator("#log .card").first).to_be_visible()


def test_add_to_cart_from_a_card(page: Page) -> None:
    card = page.locator("#log .card").first
    reply = click(page, card.get_by_role("button", name="Add to cart"))
    for _ in range(3):  # a size question, then perhaps a colour question
        if "Added" in texts(reply):
            break
        chips = reply[-1].locator(".chip")  # the choices in stock, or type a size
        reply = click(page, chips.first) if chips.count() else say(page, "42")
    said = texts(reply)
    assert "Added" in said and "Total:" in said, f"nothing was added to the cart; the bot said:\n{said}"


def test_shop_notice_reaches_the_page_without_typing(page: Page, stack: Stack) -> None:
    """The shop reports payments with trigger_intent(output_channel=latest): it must show up."""
    before = bot_rows(page).count()
    assert trigger_intent(stack, conversation_id(page), "greet") == 200
    assert wait_for_reply(page, before), "the triggered message did not reach the page"


def test_a_notice_sent_while_the_tab_is_closed_is_shown_when_it_reopens(browser: Browser, stack: Stack) -> None:
    """A payment notice goes to the conversation's open tabs; with none open, the page fetches it on return."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(stack.webchat_url)
        expect(tab.locator("#status")).to_have_text("online", timeout=30_000)
        assert say(tab, "hi"), "no answer to 'hi'"
        conversation = conversation_id(tab)
        tab.close()  # the browser keeps the token and the history; nothing listens to the conversation

        assert trigger_intent(stack, conversation, "greet") == 200
        url = f"{stack.rasa_url}/conversations/{rasa_path(conversation)}/tracker"
        status, tracker = http_json("GET", url, stack.rasa_token)
        assert status == 200, tracker
        said = [str(e.get("text") or "") for e in tracker["events"] if e["event"] == "bot"]  # type: ignore[union-attr]

        tab = context.new_page()
        tab.goto(stack.webchat_url)
        expect(tab.locator("#status")).to_have_text("online", timeout=30_000)
        # Every bot message of the conversation once: those the tab showed, then the notice's.
        expect(bot_rows(tab)).to_have_count(len(said), timeout=15_000)
        time.sleep(SETTLE_SECONDS)
        expect(bot_rows(tab)).to_have_count(len(said))
        expect(bot_rows(tab).last).to_contain_text(said[-1].split("\n")[0])
    finally:
        context.close()


def next_checkout_step(page: Page, reply: list[Locator]) -> list[Locator] | None:
    """Answer what the checkout asks, as a shopper would; None when it asks nothing we know."""
    last = reply[-1]
    chips = [chip for chip in last.locator("button.chip").all() if not DECLINE.search(chip.inner_text())]
    confirm = [chip for chip in chips if CONFIRM.search(chip.inner_text())]
    if confirm or chips:  # "Yes, place the order", else the first choice (delivery, payment method)
        return click(page, (confirm or chips)[0])
    question = last.inner_text()
    for pattern, answer in ANSWERS:
        if pattern.search(question):
            return say(page, answer)
    return None


@pytest.mark.checkout
def test_checkout_gives_a_payment_link(page: Page) -> None:
    """Fails, never skips, while the checkout dialogue is missing: the transcript says how far it got."""
    links = page.locator("#log .row.bot a[target=_blank]")
    before = links.count()
    reply: list[Locator] | None = say(page, "I'd like to check out")
    transcript: list[str] = []
    for _ in range(8):  # address, delivery, payment method, confirmation … whatever it asks
        if reply is None or links.count() > before:
            break
        transcript.append(texts(reply))
        reply = next_checkout_step(page, reply)
    if links.count() <= before:
        pytest.fail("checkout gave no payment link (is the checkout dialogue built yet?); the bot said:\n"
                    + "\n---\n".join(transcript))
    link = links.last  # the pay button comes after the link in the text
    href = link.get_attribute("href") or ""
    assert href.startswith(("http://", "https://")), href
    with page.expect_popup() as popup_info:  # a new tab: the chat stays open
        link.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url == href
    popup.close()
