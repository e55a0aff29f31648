"""Restart safety (issue 10, section 5): SIGKILL the shop, the action server and Rasa in the middle
of conversations, start them again on the same databases, and every shopper carries on.

One stack, started once and restarted once, as `make run` starts it (scripts/run_stack.py: each
service in a session of its own, holding only its own secrets), on free ports, with the shop's
database (SHOP_DATABASE_URL) and the conversations (TRACKER_STORE_URL) in SQLite files of a
temporary folder. Before the kill:

- a REST shopper searches, adds a kettle, checks out and gets an unpaid order with its pay link,
  then puts a second kettle in the cart;
- a second REST shopper stops in the middle of the checkout form, asked how they would like to pay;
- a web-chat shopper asks for a person: a ticket, and the bot pauses (a pending hand-off);
- another web-chat shopper asks for a person first of all, for the hand-off time-out.

Then each service's whole process group gets SIGKILL (no polite stop: nothing is flushed or closed),
the same commands start again on the same ports and files, and the tests below read what the
shoppers read next (texts and buttons) and what the desk and Rasa's HTTP API show. The tests run in
file order on the one restarted stack; the fixture does the slow part once.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
import socketio

from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "bottega.tar.gz"
ASSISTANT_PYTHON = ROOT / ".venv" / "assistant" / "bin" / "python"
SHOP_PYTHON = ROOT / ".venv" / "shop" / "bin" / "python"
START_TIMEOUT = 300.0  # Rasa loads its model in ~40 s alone, minutes on a busy 2-core machine
TURN_TIMEOUT = 90.0  # a turn right after a start waits for TensorFlow's warm-up
QUIET_SECONDS = 4.0  # how long a paused bot is watched for a reply it must not give
ADDRESS = "Via Roma 1, 20121 Milano, Italy"
# The hand-off time-out. A time-out that survived the restart must not end the pending hand-off the
# tests look at before they take it over, so it is longer than a restart on a busy machine; the
# time-out shopper asked for a person a minute or more before that one, so its time-out comes first.
HANDOFF_TIMEOUT_SECONDS = 150.0
HANDED_OFF = re.compile(r"I've asked a .*\(reference (TK-[A-Z0-9]+)\)")


def _run_stack() -> ModuleType:
    """scripts/run_stack.py, for the secrets each service is given as `make run` gives them."""
    spec = importlib.util.spec_from_file_location("run_stack", ROOT / "scripts" / "run_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUN_STACK = _run_stack()


@dataclass
class Stack:
    """The three services, their ports, files and secrets; started again with `start()`."""

    folder: Path
    env: dict[str, str]
    shop: str
    rasa: str
    action_port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starts: int = 0

    @property
    def rasa_token(self) -> str:
        return self.env["RASA_API_TOKEN"]

    def commands(self) -> dict[str, tuple[list[str], Path, str]]:
        """name → (command, working directory, the URL that answers 200 once it serves), as `make run`."""
        rasa_port = self.rasa.rsplit(":", 1)[1]
        return {
            "shop": ([str(SHOP_PYTHON), "-m", "app.cli", "serve"], ROOT / "shop", f"{self.shop}/health"),
            "actions": ([str(ASSISTANT_PYTHON), "-m", "server.action_server", "--actions", "actions",
                         "--port", str(self.action_port)], ROOT, f"http://127.0.0.1:{self.action_port}/health"),
            # /status answers 200 only once the model is loaded (the channels answer before).
            "rasa": ([str(ASSISTANT_PYTHON), "-m", "server", "run", "--enable-api", "--interface", "127.0.0.1",
                      "--port", rasa_port, "--model", str(MODEL), "--endpoints", str(self.folder / "endpoints.yml"),
                      "--credentials", str(self.folder / "credentials.yml")], ROOT, f"{self.rasa}/status"),
        }

    def start(self) -> float:
        """Starts the three services at once, each in a session (process group) of its own, as
        `make run` does; returns the seconds until all three served."""
        self.starts += 1
        began = time.monotonic()
        for name, (command, cwd, _) in self.commands().items():
            with (self.folder / f"{name}.{self.starts}.log").open("w") as output:
                self.processes[name] = subprocess.Popen(
                    command, cwd=cwd, env=RUN_STACK.service_env(self.env, name), stdout=output,
                    stderr=subprocess.STDOUT, start_new_session=True)
        deadline = began + START_TIMEOUT
        for name, (_, _, ready_url) in self.commands().items():
            headers = {"Authorization": f"Bearer {self.rasa_token}"} if name == "rasa" else {}
            while not self._answers(ready_url, headers):
                if self.processes[name].poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / f"{name}.{self.starts}.log").read_text(errors="replace")
                    pytest.fail(f"{name} did not start (start {self.starts}):\n{log[-3000:]}")
                time.sleep(0.5)
        return time.monotonic() - began

    @staticmethod
    def _answers(url: str, headers: dict[str, str]) -> bool:
        try:
            return requests.get(url, headers=headers, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill(self) -> None:
        """SIGKILL to each service's whole process group: nothing gets to flush, close or say goodbye."""
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} had stopped before the kill"
            os.killpg(process.pid, signal.SIGKILL)
        for process in self.processes.values():
            assert process.wait(timeout=30) == -signal.SIGKILL

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.folder.glob("*.log")))


def build_stack(folder: Path) -> Stack:
    shop_port, action_port, rasa_port = free_port(), free_port(), free_port()
    shop, rasa = f"http://127.0.0.1:{shop_port}", f"http://127.0.0.1:{rasa_port}"
    env = {
        **os.environ,
        "SHOP_HOST": "127.0.0.1", "SHOP_PORT": str(shop_port), "SHOP_URL": shop, "PUBLIC_BASE_URL": shop,
        "RASA_URL": rasa, "SANIC_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1", "RASA_TELEMETRY_ENABLED": "false",
        # What survives the restart: both stores are files in the test's folder.
        "SHOP_DATABASE_URL": f"sqlite:///{folder / 'shop.sqlite3'}",
        "TRACKER_STORE_URL": f"sqlite:///{folder / 'conversations.sqlite3'}",
        "SHOP_SEARCH_REFRESH_SECONDS": "0",
        "SHOP_API_TOKEN": "test-" + secrets.token_urlsafe(24),
        "SHOP_ADMIN_TOKEN": "test-admin-" + secrets.token_urlsafe(24),
        "SHOP_LINK_SECRET": "test-link-" + secrets.token_urlsafe(32),
        "RASA_API_TOKEN": "test-rasa-" + secrets.token_urlsafe(24),
        "DESK_API_TOKEN": "test-desk-" + secrets.token_urlsafe(24),
        "ACTION_SERVER_TOKEN": "test-actions-" + secrets.token_urlsafe(24),
        "WEBCHAT_SESSION_SECRET": "test-webchat-" + secrets.token_urlsafe(32),
        "REST_CHANNEL_TOKEN": "test-rest-" + secrets.token_urlsafe(24),
        "HANDOFF_TIMEOUT_MINUTES": str(HANDOFF_TIMEOUT_SECONDS / 60),
    }
    for variable in ("LOCK_STORE_URL", "WEBCHAT_REDIS_URL", "SHOP_PUBLIC_URL"):  # in-process, as `make run`
        env.pop(variable, None)
    # The project's files, with this stack's action server and without Messenger and WhatsApp (as
    # `make run` leaves them out when their variables are unset).
    endpoints = (ROOT / "endpoints.yml").read_text().replace("127.0.0.1:5055", f"127.0.0.1:{action_port}")
    (folder / "endpoints.yml").write_text(endpoints)
    credentials = (ROOT / "credentials.yml").read_text()
    (folder / "credentials.yml").write_text(credentials[:credentials.index("channels.messenger.MessengerInput:")])
    return Stack(folder, env, shop, rasa, action_port)


# --- talking to it --------------------------------------------------------------------------------


def say(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    """The bot's answers to a REST shopper's message."""
    answer = requests.post(f"{stack.rasa}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                           headers={"Authorization": f"Bearer {stack.env['REST_CHANNEL_TOKEN']}"}, timeout=TURN_TIMEOUT)
    assert answer.status_code == 200, answer.text
    replies: list[dict[str, Any]] = answer.json()
    assert replies, f"no answer to {text!r}"
    return replies


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def buttons(replies: list[dict[str, Any]]) -> list[str]:
    return [str(b.get("title")) for r in replies for b in r.get("buttons") or []]


def clean(replies: list[dict[str, Any]]) -> str:
    said = texts(replies)
    for bad in ("Sorry", "didn't quite get", "not sure I understood", "went wrong", "Traceback"):
        assert bad not in said, f"unexpected {bad!r} in:\n{said}"
    return said


def quoted(conversation: str) -> str:
    return urllib.parse.quote(conversation, safe=":@+=")


def tracker(stack: Stack, conversation: str) -> dict[str, Any]:
    """The conversation as Rasa's HTTP API gives it (every event, the slots, the form, the pause)."""
    answer = requests.get(f"{stack.rasa}/conversations/{quoted(conversation)}/tracker",
                          headers={"Authorization": f"Bearer {stack.rasa_token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    state: dict[str, Any] = answer.json()
    return state


def desk(stack: Stack, method: str, conversation: str, action: str = "",
         body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    url = f"{stack.rasa}/webhooks/desk/conversations/{urllib.parse.quote(conversation, safe='')}"
    answer = requests.request(method, f"{url}/{action}" if action else url, json=body, timeout=TURN_TIMEOUT,
                              headers={"Authorization": f"Bearer {stack.env['DESK_API_TOKEN']}"})
    return answer.status_code, answer.json()


def open_handoffs(stack: Stack) -> list[str]:
    """The customers in the care desk's queue of open hand-offs (what `make agent list` shows)."""
    answer = requests.get(f"{stack.shop}/admin/tickets", params={"status": "open", "kind": "handoff"},
                          headers={"Authorization": f"Bearer {stack.env['SHOP_ADMIN_TOKEN']}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return [str(ticket["customer_id"]) for ticket in answer.json()["items"]]


class Tab:
    """A web-chat tab: a socket.io client on Rasa's web chat channel, recording what it is sent."""

    def __init__(self, stack: Stack, token: str | None = None) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._arrived = threading.Condition()
        self.client.on("*", self._record)
        self.client.connect(stack.rasa, socketio_path="/socket.io", transports=["polling"])
        self.client.emit("session_request", {"session_token": token} if token else {})
        self.session = dict(self.wait(lambda event, _: event == "session_confirm", "session_confirm"))
        self.conversation = f"socketio:{self.session['session_id']}"

    def _record(self, event: str, data: Any = None) -> None:
        with self._arrived:
            self.events.append((event, data))
            self._arrived.notify_all()

    def wait(self, found: Callable[[str, Any], bool], what: str, timeout: float = TURN_TIMEOUT) -> Any:
        with self._arrived:
            assert self._arrived.wait_for(lambda: any(found(*e) for e in self.events), timeout), \
                f"no {what}; the tab got {self.events}"
            return next(data for event, data in self.events if found(event, data))

    def says(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text})

    def bot_texts(self) -> list[str]:
        with self._arrived:
            return [str(data.get("text")) for event, data in self.events if event == "bot_uttered"]

    def reads(self, wanted: str) -> str:
        """The first bot message containing `wanted` (waiting for it)."""
        said = self.wait(lambda event, data: event == "bot_uttered" and wanted in str(data.get("text")), repr(wanted))
        return str(said["text"])

    def close(self) -> None:
        self.client.eio.disconnect(abort=True)


def ask_for_a_person(stack: Stack) -> tuple[Tab, str]:
    """A new web-chat shopper who asks for a person: their tab and the ticket they were told of."""
    tab = Tab(stack)
    tab.says("can I talk to a real person please?")
    said = tab.reads("reference TK-")
    found = HANDED_OFF.search(said)
    assert found, said
    # The bot's messages reach the tab as each action runs; Rasa stores the turn after the last one, so
    # the desk may be asked a moment before it knows the conversation (a CI run asked in between).
    deadline = time.monotonic() + TURN_TIMEOUT
    while (shown := desk(stack, "GET", tab.conversation))[0] != 200 or not shown[1].get("paused"):
        assert time.monotonic() < deadline, f"the desk never showed {tab.conversation} paused: {shown}"
        time.sleep(0.2)
    return tab, found.group(1)


def add_a_kettle(stack: Stack, sender: str, colour: str) -> None:
    asked = say(stack, sender, "show me kettles")
    assert any((r.get("custom") or {}).get("cards") for r in asked), texts(asked)
    asked = say(stack, sender, "add the first one")
    assert colour in buttons(asked), (texts(asked), buttons(asked))
    added = clean(say(stack, sender, colour.lower()))
    assert f"({colour})" in added and "to your cart" in added, added


# --- before the kill, the kill and the restart ----------------------------------------------------


@dataclass
class Before:
    """What the shoppers had before the kill."""

    buyer: str
    order_id: str
    pay_url: str
    form_filler: str
    waiting: Tab
    ticket: str
    timed_out: Tab
    timed_out_since: float  # time.monotonic() when its time-out was scheduled
    trackers: dict[str, dict[str, Any]]
    restart_seconds: float


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test does)")
    started = build_stack(tmp_path_factory.mktemp("restart"))
    try:
        first = started.start()
        print(f"\nrestart safety: the stack served after {first:.1f} s")
        yield started
        logs = started.logs()
        assert "Traceback" not in logs, logs[-6000:]
    finally:
        started.stop()


@pytest.fixture(scope="module")
def before(stack: Stack) -> Before:
    """The four shoppers get where the module docstring says; then the kill and the restart."""
    # First of all, the hand-off whose time-out the last test waits for.
    timed_out, _ = ask_for_a_person(stack)
    timed_out_since = time.monotonic()

    buyer = f"restart-buyer-{secrets.token_hex(4)}"
    add_a_kettle(stack, buyer, "Black")
    assert clean(say(stack, buyer, "checkout")).startswith("Where should we deliver it?")
    assert clean(say(stack, buyer, ADDRESS)).startswith("How should we deliver it?")
    assert clean(say(stack, buyer, "standard")).startswith("How would you like to pay?")
    summary = say(stack, buyer, "card")
    assert "Here's your order" in clean(summary) and buttons(summary) == ["Yes, place the order", "No, not yet"]
    placed = say(stack, buyer, "yes")
    found = re.search(r"Your order (BT-\w+) is placed", clean(placed))
    assert found, texts(placed)
    [pay_url] = [str(b["url"]) for r in placed for b in r.get("buttons") or []
                 if str(b.get("title")).startswith("Pay ")]
    add_a_kettle(stack, buyer, "White")  # a cart that is not the order's

    form_filler = f"restart-form-{secrets.token_hex(4)}"
    add_a_kettle(stack, form_filler, "Black")
    assert clean(say(stack, form_filler, "checkout")).startswith("Where should we deliver it?")
    assert clean(say(stack, form_filler, ADDRESS)).startswith("How should we deliver it?")
    asked = say(stack, form_filler, "standard")
    assert clean(asked).startswith("How would you like to pay?"), texts(asked)

    waiting, ticket = ask_for_a_person(stack)
    assert desk(stack, "GET", waiting.conversation)[1]["paused"] is True

    conversations = [f"rest:{buyer}", f"rest:{form_filler}", waiting.conversation, timed_out.conversation]
    trackers = {conversation: tracker(stack, conversation) for conversation in conversations}
    for tab in (waiting, timed_out):
        tab.close()

    stack.kill()
    restart_seconds = stack.start()
    print(f"restart safety: after SIGKILL the stack served again after {restart_seconds:.1f} s")
    return Before(buyer, order_id=found.group(1), pay_url=pay_url, form_filler=form_filler, waiting=waiting,
                  ticket=ticket, timed_out=timed_out, timed_out_since=timed_out_since, trackers=trackers,
                  restart_seconds=restart_seconds)


# --- after the restart ----------------------------------------------------------------------------


STATE = ("slots", "active_loop", "paused", "latest_action_name", "events")


def test_every_conversation_is_as_it_was_before_the_kill(stack: Stack, before: Before) -> None:
    for conversation, was in before.trackers.items():
        now = tracker(stack, conversation)
        for key in STATE:
            assert now[key] == was[key], f"{conversation}: {key} changed across the restart"
    # What the slots held, said plainly.
    buyer = before.trackers[f"rest:{before.buyer}"]["slots"]
    assert before.order_id in str(buyer), buyer
    form = before.trackers[f"rest:{before.form_filler}"]
    assert form["active_loop"]["name"] == "checkout_form" and form["slots"]["requested_slot"] == "payment_method"
    assert form["slots"]["shipping_address"] == ADDRESS and form["slots"]["delivery_option"]
    waiting = before.trackers[before.waiting.conversation]
    assert waiting["paused"] is True and before.ticket in waiting["slots"].values()


def test_the_pending_handoff_is_still_paused_and_a_person_takes_it_over(stack: Stack, before: Before) -> None:
    tab = Tab(stack, before.waiting.session["session_token"])  # the page reloaded: the same conversation
    try:
        assert tab.conversation == before.waiting.conversation
        status, state = desk(stack, "GET", tab.conversation)
        assert status == 200 and state["channel"] == "socketio", state
        assert state["paused"] is True, (f"not paused any more (the restart took {before.restart_seconds:.0f} s of the "
                                         f"{HANDOFF_TIMEOUT_SECONDS:.0f} s hand-off time-out)")
        assert tab.conversation in open_handoffs(stack)

        tab.says("hello? is anyone there")
        time.sleep(QUIET_SECONDS)
        assert tab.bot_texts() == [], "the bot answered while the conversation waited for a person"
        lines = [(line["from"], line["text"]) for line in desk(stack, "GET", tab.conversation)[1]["messages"]]
        assert ("shopper", "hello? is anyone there") in lines

        status, state = desk(stack, "POST", tab.conversation, "takeover", {"ticket": before.ticket})
        assert status == 200 and state["paused"] is True, state
        reply = "Hi, I'm Giulia from the Bottega team: sorry for the wait."
        status, _ = desk(stack, "POST", tab.conversation, "messages", {"text": reply, "agent": "Giulia"})
        assert status == 200
        assert tab.reads("Giulia from the Bottega team") == reply

        status, state = desk(stack, "POST", tab.conversation, "handback")
        assert status == 200 and state["paused"] is False, state
        assert "You're back with Bottega's assistant" in tab.reads("You're back")
        assert tab.conversation not in open_handoffs(stack)  # hand-back closed the ticket
        tab.says("show me kettles")
        assert "kettle" in tab.reads("kettle").lower()
    finally:
        tab.close()


def test_the_cart_and_the_unpaid_order_are_still_there(stack: Stack, before: Before) -> None:
    cart = clean(say(stack, before.buyer, "what's in my cart?"))
    assert "Here's your cart" in cart and "(White)" in cart and "(Black)" not in cart, cart

    status = clean(say(stack, before.buyer, "where is my order"))
    assert before.order_id in status and "waiting for payment" in status, status
    page = requests.get(before.pay_url, timeout=30)
    assert page.status_code == 200 and before.order_id in page.text and "Pay " in page.text, page.text[:2000]
    paid = requests.post(before.pay_url, data={"action": "pay"}, timeout=30)
    assert paid.status_code == 200 and "is paid" in paid.text, paid.text[:2000]
    status = clean(say(stack, before.buyer, f"what's the status of order {before.order_id}"))
    assert before.order_id in status and "waiting for payment" not in status, status


def test_the_form_carries_on_at_the_question_it_had_asked(stack: Stack, before: Before) -> None:
    summary = say(stack, before.form_filler, "card")
    said = clean(summary)
    assert "Here's your order" in said and f"To: {ADDRESS}" in said and "Total:" in said, said
    assert buttons(summary) == ["Yes, place the order", "No, not yet"]
    placed = clean(say(stack, before.form_filler, "yes"))
    assert re.search(r"Your order BT-\w+ is placed", placed), placed
    assert tracker(stack, f"rest:{before.form_filler}")["active_loop"] in ({}, {"name": None}, None)


def test_the_handoff_time_out_still_fires_after_the_restart(stack: Stack, before: Before) -> None:
    due = before.timed_out_since + HANDOFF_TIMEOUT_SECONDS + 30  # the reminder's poll, a turn
    conversation = before.timed_out.conversation
    while time.monotonic() < due and desk(stack, "GET", conversation)[1]["paused"]:
        time.sleep(2)
    status, state = desk(stack, "GET", conversation)
    assert status == 200 and state["paused"] is False, "the hand-off still waits after its time-out"
    said = [str(line["text"]) for line in state["messages"] if line["from"] == "bot"]
    assert any("nobody from our team has been able to answer yet" in line for line in said), said
