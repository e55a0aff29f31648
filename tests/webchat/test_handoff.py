"""A person takes over a web-chat conversation and hands it back, against a whole stack.

One shopper in one tab, step by step (the tests run in file order and share the tab): asks for a
person, the bot pauses, the agent answers through the care desk (once with `make agent`'s
script) and the reply appears in the browser, the agent hands back and the bot carries on; the
shopper takes the bot back by themselves; at the end their data and chat history are erased.
The desk's refusals (no token, a conversation the bot still answers, a REST shopper who cannot
be written to) are checked on the same server.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.parse
import uuid

from playwright.sync_api import Browser, Page, expect

from .conftest import HANDOFF_TIMEOUT_SECONDS, ROOT, Stack, http_json, rasa_path
from .test_webchat import bot_rows, conversation_id, say, texts

QUIET_SECONDS = 4.0  # how long a paused bot is watched for a reply it must not give
SCREENSHOT = ROOT / "docs" / "handoff.png"


def desk_url(stack: Stack, conversation: str, action: str = "") -> str:
    url = f"{stack.rasa_url}/webhooks/desk/conversations/{urllib.parse.quote(conversation, safe='')}"
    return f"{url}/{action}" if action else url


def desk(stack: Stack, method: str, conversation: str, action: str = "",
         body: object = None) -> tuple[int, dict[str, object]]:
    return http_json(method, desk_url(stack, conversation, action), stack.desk_token, body)


def transcript(stack: Stack, conversation: str) -> list[tuple[str, str]]:
    status, state = desk(stack, "GET", conversation)
    assert status == 200, state
    return [(str(line["from"]), str(line["text"])) for line in state["messages"]]  # type: ignore[attr-defined]


def test_asking_for_a_person_pauses_the_bot(page: Page, stack: Stack) -> None:
    page.goto(stack.webchat_url)
    expect(page.locator("#status")).to_have_text("online", timeout=30_000)
    reply = say(page, "can I talk to a real person please?")

    assert "TK-" in texts(reply), f"no ticket reference; the bot said:\n{texts(reply)}"
    status, state = desk(stack, "GET", conversation_id(page))
    assert status == 200 and state["paused"] is True and state["channel"] == "socketio"
    # The ticket is in the shop's desk queue, under this shopper.
    status, queue = http_json("GET", f"{stack.shop_url}/admin/tickets?status=open&kind=handoff", stack.shop_admin_token)
    assert status == 200
    assert conversation_id(page) in [t["customer_id"] for t in queue["items"]]  # type: ignore[union-attr]


def test_while_paused_the_bot_is_silent_and_the_agent_sees_the_shopper(page: Page, stack: Stack) -> None:
    before = bot_rows(page).count()
    page.locator("#input").fill("hello? is anyone there")
    page.locator("#input").press("Enter")
    time.sleep(QUIET_SECONDS)

    assert bot_rows(page).count() == before, "the bot answered while a person had the conversation"
    assert ("shopper", "hello? is anyone there") in transcript(stack, conversation_id(page))


def test_the_agents_reply_reaches_the_browser(page: Page, stack: Stack) -> None:
    before = bot_rows(page).count()
    status, _ = desk(stack, "POST", conversation_id(page), "messages",
                     {"text": "Hi, I'm Giulia from the Bottega team. How can I help?", "agent": "Giulia"})
    assert status == 200
    expect(bot_rows(page).nth(before)).to_contain_text("I'm Giulia from the Bottega team", timeout=15_000)
    # Labelled as a person's message, not the bot's.
    expect(bot_rows(page).nth(before).locator(".agent-name")).to_have_text("Giulia · Bottega team")

    # The same through the agents' command (`make agent ARGS="reply ..."`), as a person would.
    sent = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "agent.py"), "--as", "Giulia", "reply",
         conversation_id(page), "Your", "parcel", "left", "our", "warehouse", "today."],
        env=stack.env, capture_output=True, text=True, timeout=60, check=False)
    assert sent.returncode == 0, sent.stderr
    reply = bot_rows(page).nth(before + 1)
    expect(reply.locator(".bubble")).to_have_text("Your parcel left our warehouse today.", timeout=15_000)
    expect(reply.locator(".agent-name")).to_have_text("Giulia · Bottega team")
    assert ("agent", "Your parcel left our warehouse today.") in transcript(stack, conversation_id(page))
    page.screenshot(path=str(SCREENSHOT))  # docs/handoff.md shows it


def test_an_agents_reply_sent_while_the_tab_is_closed_is_shown_when_it_reopens(browser: Browser, stack: Stack) -> None:
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(stack.webchat_url)
        expect(tab.locator("#status")).to_have_text("online", timeout=30_000)
        assert "TK-" in texts(say(tab, "can I talk to a real person please?"))
        conversation, shown = conversation_id(tab), bot_rows(tab).count()
        tab.close()  # the browser keeps the token and the history; nothing listens to the conversation

        reply = "While you were away: your refund was approved today."
        assert desk(stack, "POST", conversation, "messages", {"text": reply, "agent": "Giulia"})[0] == 200

        tab = context.new_page()
        tab.goto(stack.webchat_url)
        expect(tab.locator("#status")).to_have_text("online", timeout=30_000)
        missed = bot_rows(tab).filter(has_text=reply)
        expect(missed).to_have_count(1, timeout=15_000)
        expect(missed.locator(".agent-name")).to_have_text("Giulia · Bottega team")
        time.sleep(QUIET_SECONDS)
        # What the tab showed is drawn from its copy, once; the reply comes after it, once.
        assert bot_rows(tab).count() == shown + 1
        expect(bot_rows(tab).last).to_contain_text(reply)
        tab.reload()
        expect(tab.locator("#status")).to_have_text("online", timeout=30_000)
        time.sleep(QUIET_SECONDS)
        assert bot_rows(tab).count() == shown + 1 and missed.count() == 1
        assert desk(stack, "POST", conversation, "handback")[0] == 200
    finally:
        context.close()


def _as_if_hours_passed(stack: Stack, conversation: str, hours: float) -> None:
    """Moves every event of the conversation `hours` into the past, through Rasa's HTTP API."""
    base = f"{stack.rasa_url}/conversations/{rasa_path(conversation)}/tracker"
    status, tracker = http_json("GET", f"{base}?include_events=ALL", stack.rasa_token)
    assert status == 200, tracker
    events = tracker["events"]
    for event in events:  # type: ignore[union-attr]
        event["timestamp"] = float(event["timestamp"]) - hours * 3600
    status, answer = http_json("PUT", f"{base}/events", stack.rasa_token, body=events)
    assert status == 200, answer


def test_the_person_keeps_the_conversation_after_an_hour_of_silence(page: Page, stack: Stack) -> None:
    # Rasa starts a new session after 60 minutes of the shopper's silence; it must not end the pause.
    _as_if_hours_passed(stack, conversation_id(page), 2)
    before = bot_rows(page).count()
    page.locator("#input").fill("sorry, I was away. Still there?")
    page.locator("#input").press("Enter")
    time.sleep(QUIET_SECONDS)

    assert bot_rows(page).count() == before, "the bot answered in the person's place after the session expired"
    assert desk(stack, "GET", conversation_id(page))[1]["paused"] is True
    status, answer = desk(stack, "POST", conversation_id(page), "messages",
                          {"text": "Yes, still here! Your parcel arrives tomorrow.", "agent": "Giulia"})
    assert status == 200, answer
    expect(bot_rows(page).nth(before)).to_contain_text("Your parcel arrives tomorrow", timeout=15_000)


def test_handing_back_resumes_the_bot_where_it_was(page: Page, stack: Stack) -> None:
    before = bot_rows(page).count()
    status, state = desk(stack, "POST", conversation_id(page), "handback")

    assert status == 200 and state["paused"] is False
    expect(bot_rows(page).nth(before)).to_contain_text("You're back with Bottega's assistant", timeout=30_000)
    reply = say(page, "what's in my cart?")
    assert "cart" in texts(reply).lower(), texts(reply)
    # The hand-off ticket is closed: the desk's queue no longer has this shopper.
    _, queue = http_json("GET", f"{stack.shop_url}/admin/tickets?status=open&kind=handoff", stack.shop_admin_token)
    assert conversation_id(page) not in [t["customer_id"] for t in queue["items"]]  # type: ignore[union-attr]


def test_a_person_asked_for_in_the_middle_of_checkout(page: Page, stack: Stack) -> None:
    added = say(page, "add red running shoes size 42 to my cart")
    assert "Added" in texts(added), texts(added)
    assert "Where should we deliver it?" in texts(say(page, "check out"))

    handed = say(page, "actually, can I talk to a person first?")

    assert "TK-" in texts(handed), texts(handed)  # the form stopped: the request was not taken as an address
    assert desk(stack, "GET", conversation_id(page))[1]["paused"] is True
    assert desk(stack, "POST", conversation_id(page), "handback")[0] == 200
    # Back with the bot, the checkout starts over and asks for the address: nothing was filled in.
    again = say(page, "check out")
    assert "Where should we deliver it?" in texts(again), texts(again)
    stopped = say(page, "stop")
    assert "stopped the checkout and placed no order" in texts(stopped), texts(stopped)


def test_a_person_taking_over_during_checkout_stops_the_form(page: Page, stack: Stack) -> None:
    assert "Where should we deliver it?" in texts(say(page, "check out"))
    before = bot_rows(page).count()
    status, state = desk(stack, "POST", conversation_id(page), "takeover")
    assert status == 200 and state["paused"] is True
    expect(bot_rows(page).nth(before)).to_contain_text("has joined the chat", timeout=15_000)

    # Written to the person, not an answer to the form's question; nor is the hand-back itself.
    page.locator("#input").fill("Via Dante 5, 20121 Milano, Italy")
    page.locator("#input").press("Enter")
    time.sleep(QUIET_SECONDS)
    before = bot_rows(page).count()
    assert desk(stack, "POST", conversation_id(page), "handback")[0] == 200
    expect(bot_rows(page).nth(before)).to_contain_text("You're back with Bottega's assistant", timeout=30_000)
    time.sleep(QUIET_SECONDS)
    after = texts(bot_rows(page).all()[before:])

    for form_talk in ("deliver", "address", "pay", "Sorry"):
        assert form_talk not in after, f"the checkout carried on after the hand-back:\n{after}"
    again = say(page, "check out")
    assert "Where should we deliver it?" in texts(again), texts(again)  # nothing was filled in
    assert "stopped the checkout" in texts(say(page, "stop"))


def test_the_desk_refuses_what_it_cannot_do(page: Page, stack: Stack) -> None:
    conversation = conversation_id(page)
    assert http_json("GET", desk_url(stack, conversation))[0] == 401
    assert http_json("GET", desk_url(stack, conversation), "wrong-token")[0] == 401
    assert http_json("GET", desk_url(stack, conversation) + f"?token={stack.desk_token}")[0] == 401  # header only
    assert desk(stack, "GET", f"nobody-{uuid.uuid4().hex}")[0] == 404
    assert desk(stack, "POST", conversation, "messages", {"text": "hi"})[0] == 409  # take over first
    assert desk(stack, "POST", conversation, "handback")[0] == 409
    status, refused = desk(stack, "POST", conversation, "messages", {"text": ""})
    assert status == 400 and refused["code"] == "missing_text"

    # A REST shopper can only be answered, never written to: the bot does not pause for a person
    # there, and the desk says so instead of losing a reply.
    rest_shopper = f"rest-{uuid.uuid4().hex[:8]}"
    status, answer = http_json("POST", f"{stack.rasa_url}/webhooks/rest/webhook", stack.rest_token,
                               body={"sender": rest_shopper, "message": "I want to talk to a human"})
    assert status == 200 and "can't write to you in this chat" in str(answer)
    assert "TK-" not in str(answer)  # no ticket the desk could never answer
    assert desk(stack, "GET", f"rest:{rest_shopper}")[1]["paused"] is False
    _, queue = http_json("GET", f"{stack.shop_url}/admin/tickets?status=open&limit=200", stack.shop_admin_token)
    assert f"rest:{rest_shopper}" not in [t["customer_id"] for t in queue["items"]]  # type: ignore[union-attr]
    status, refused = desk(stack, "POST", f"rest:{rest_shopper}", "takeover")
    assert status == 409 and refused["code"] == "channel_cannot_push"


def test_taking_over_a_conversation_the_bot_is_handling(page: Page, stack: Stack) -> None:
    before = bot_rows(page).count()
    status, state = desk(stack, "POST", conversation_id(page), "takeover")

    assert status == 200 and state["paused"] is True
    expect(bot_rows(page).nth(before)).to_contain_text("has joined the chat", timeout=15_000)
    status, state = desk(stack, "POST", conversation_id(page), "handback")
    assert status == 200 and state["paused"] is False


def test_a_complaint_reaches_the_desk_and_a_person_answers_it(page: Page, stack: Stack) -> None:
    said = say(page, "I want to make a complaint: my headphones arrived broken")
    assert "in this chat" in texts(said), texts(said)  # the promise: the team answers here
    reference = next(w.strip("().:,") for w in texts(said).split() if w.strip("(").startswith("TK-"))

    # The desk's queue shows it (`make agent ARGS=list`) ...
    listed = subprocess.run([sys.executable, str(ROOT / "scripts" / "agent.py"), "list"],
                            env=stack.env, capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode == 0 and reference in listed.stdout, listed.stdout + listed.stderr
    # ... a person takes it, answers in this chat, hands back, and the ticket is closed.
    before = bot_rows(page).count()
    status, state = desk(stack, "POST", conversation_id(page), "takeover", {"ticket": reference})
    assert status == 200 and state["paused"] is True, state
    expect(bot_rows(page).nth(before)).to_contain_text("has joined the chat", timeout=15_000)
    status, _ = desk(stack, "POST", conversation_id(page), "messages",
                     {"text": "Sorry about the headphones! A replacement is on its way.", "agent": "Giulia"})
    assert status == 200
    expect(bot_rows(page).nth(before + 1)).to_contain_text("replacement is on its way", timeout=15_000)
    assert desk(stack, "POST", conversation_id(page), "handback")[0] == 200
    expect(bot_rows(page).nth(before + 2)).to_contain_text("You're back with Bottega's assistant", timeout=30_000)
    _, closed = http_json("GET", f"{stack.shop_url}/admin/tickets?status=closed&limit=200", stack.shop_admin_token)
    assert reference in [t["ticket_id"] for t in closed["items"]]  # type: ignore[union-attr]


def test_the_shopper_can_take_the_bot_back_when_nobody_answers(page: Page, stack: Stack) -> None:
    asked = say(page, "i need to speak to someone from customer service")
    assert "back to the bot" in texts(asked), texts(asked)
    assert desk(stack, "GET", conversation_id(page))[1]["paused"] is True

    back = say(page, "back to the bot please")

    assert "told our team you don't need them any more" in texts(back), texts(back)
    assert desk(stack, "GET", conversation_id(page))[1]["paused"] is False
    _, queue = http_json("GET", f"{stack.shop_url}/admin/tickets?status=open&kind=handoff", stack.shop_admin_token)
    assert conversation_id(page) not in [t["customer_id"] for t in queue["items"]]  # type: ignore[union-attr]


def test_when_nobody_answers_the_bot_comes_back_and_the_ticket_stays_open(
    page: Page, stack: Stack, browser: Browser
) -> None:
    asked = say(page, "can I speak to a human please")
    reference = next(w.strip("().,") for w in texts(asked).split() if w.strip("(").startswith("TK-"))
    before = bot_rows(page).count()
    # A second shopper hands off just after: each conversation has its own time-out.
    other = browser.new_context().new_page()
    other.goto(stack.webchat_url)
    expect(other.locator("#status")).to_have_text("online", timeout=30_000)
    assert "TK-" in texts(say(other, "I want to talk to a person"))
    other_before = bot_rows(other).count()

    # Nobody takes it: after HANDOFF_TIMEOUT_SECONDS a Rasa reminder brings the bot back by itself.
    expect(bot_rows(page).nth(before)).to_contain_text("nobody from our team has been able to answer yet",
                                                      timeout=(HANDOFF_TIMEOUT_SECONDS + 60) * 1000)
    assert reference in bot_rows(page).nth(before).inner_text()
    expect(bot_rows(other).nth(other_before)).to_contain_text("nobody from our team has been able to answer yet",
                                                             timeout=60_000)
    other.context.close()
    assert desk(stack, "GET", conversation_id(page))[1]["paused"] is False
    _, queue = http_json("GET", f"{stack.shop_url}/admin/tickets?status=open&kind=handoff", stack.shop_admin_token)
    assert reference in [t["ticket_id"] for t in queue["items"]]  # type: ignore[union-attr]
    reply = say(page, "what's in my cart?")
    assert "cart" in texts(reply).lower()


def test_deleting_my_data_erases_the_chat_history(page: Page, stack: Stack) -> None:
    conversation = conversation_id(page)
    asked = say(page, "please delete my data")
    assert "Shall I delete it?" in texts(asked), texts(asked)
    done = say(page, "yes")

    assert "and so is the history of this chat" in texts(done), texts(done)
    # The browser forgets its copy too: a new session, and nothing comes back on reload.
    assert conversation_id(page) != conversation
    page.reload()
    expect(page.locator("#status")).to_have_text("online", timeout=30_000)
    assert bot_rows(page).count() == 0
    deadline = time.monotonic() + 15
    while desk(stack, "GET", conversation)[0] != 404:  # erased once the turn has ended
        assert time.monotonic() < deadline, "the conversation's history was not erased"
        time.sleep(0.5)
