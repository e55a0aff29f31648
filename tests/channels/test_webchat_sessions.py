"""Each web chat socket speaks only in the conversation its signed session token names.

The conversation id (in customer ids `socketio:<id>`, tickets, desk URLs and logs) is not a
credential: knowing it never lets a socket join that conversation's room or speak in it. The
channel runs in a real Sanic server over loopback; shoppers are python-socketio clients.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from channels.webchat import sign_session, verify_session
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-webchat-secret-0123456789abcdefgh"
PREVIOUS = "test-previous-secret-0123456789abcdefg"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("webchat") / "server.log"
    env = {**os.environ, "WEBCHAT_SESSION_SECRET": SECRET, "WEBCHAT_SESSION_SECRET_PREVIOUS": PREVIOUS}
    url = f"http://127.0.0.1:{port}"
    with running("the web chat server", [sys.executable, "-m", "tests.channels.webchat_server", str(port)],
                 cwd=ROOT, env=env, log_path=log_path, ready_url=f"{url}/recorded"):
        yield url
        assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


class Shopper:
    """One browser tab: a socket.io client that records every event it receives."""

    def __init__(self, url: str) -> None:
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._arrived = threading.Condition()
        self.client.on("*", self._record)
        self.client.connect(url, socketio_path="/socket.io", transports=["polling"])

    def _record(self, event: str, data: Any = None) -> None:
        with self._arrived:
            self.events.append((event, data))
            self._arrived.notify_all()

    def wait_for(self, event: str, timeout: float = 10.0) -> Any:
        with self._arrived:
            found = self._arrived.wait_for(lambda: any(e == event for e, _ in self.events), timeout)
            assert found, f"no {event} event; got {self.events}"
            index = next(i for i, (e, _) in enumerate(self.events) if e == event)
            return self.events.pop(index)[1]

    def session(self, token: str | None = None, **extra: Any) -> dict[str, str]:
        self.client.emit("session_request", {**({"session_token": token} if token else {}), **extra})
        return dict(self.wait_for("session_confirm"))

    def close(self) -> None:
        # Not waiting for the long-poll in flight (up to the ping interval) to come back.
        self.client.eio.disconnect(abort=True)


@pytest.fixture
def shoppers(server: str) -> Iterator[list[Shopper]]:
    opened: list[Shopper] = []
    yield opened
    for shopper in opened:
        shopper.close()


def _open(server: str, shoppers: list[Shopper]) -> Shopper:
    shopper = Shopper(server)
    shoppers.append(shopper)
    return shopper


def _recorded(server: str) -> list[tuple[str, str]]:
    """(session id, text) of every message passed on, each in the conversation `socketio:<session id>`."""
    recorded = requests.get(f"{server}/recorded", timeout=5).json()
    assert all(sender.startswith("socketio:") for sender, _ in recorded), recorded
    return [(sender.removeprefix("socketio:"), text) for sender, text in recorded]


def _settle() -> None:
    time.sleep(0.5)  # what a refused event would have done has happened by now


def _text(message: dict[str, Any]) -> str:
    assert isinstance(message.get("timestamp"), float), message  # the page hands the newest back as `since`
    return str(message["text"])


def _push(server: str, session_id: str, text: str, **extra: Any) -> float:
    """A bot message to the session's conversation (`socketio:<session id>`, as Rasa names it), as Rasa
    sends and records it; its tracker timestamp."""
    answer = requests.post(f"{server}/push", json={"conversation": f"socketio:{session_id}", "text": text, **extra},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return float(answer.json()["timestamp"])


def _bot_messages(shopper: Shopper) -> list[dict[str, Any]]:
    """What the shopper's page was sent, missed or live, in order."""
    sent: list[dict[str, Any]] = []
    for event, data in shopper.events:
        sent += data["messages"] if event == "missed_messages" else [data] if event == "bot_uttered" else []
    return sent


def _a_conversation_with_a_closed_tab(server: str, shoppers: list[Shopper]) -> tuple[dict[str, str], float]:
    """A shopper who wrote, read the bot's answer (its timestamp is returned) and closed the tab."""
    tab = _open(server, shoppers)
    session = tab.session()
    tab.client.emit("user_uttered", {"message": "where is my order?"})
    _settle()
    answered = _push(server, session["session_id"], "Let me find a person for you.")
    assert _text(tab.wait_for("bot_uttered")) == "Let me find a person for you."
    tab.close()
    return session, answered


def test_a_new_session_gets_a_signed_token_naming_a_fresh_conversation(server: str, shoppers: list[Shopper]) -> None:
    alice = _open(server, shoppers)
    confirmed = alice.session()
    assert set(confirmed) == {"session_id", "session_token"}
    assert verify_session(confirmed["session_token"], [SECRET]) == confirmed["session_id"]
    alice.client.emit("user_uttered", {"message": "hi"})
    _settle()
    assert (confirmed["session_id"], "hi") in _recorded(server)


def test_a_client_cannot_choose_its_conversation_id(server: str, shoppers: list[Shopper]) -> None:
    mallory = _open(server, shoppers)
    confirmed = mallory.session(session_id="victim-conversation")
    assert confirmed["session_id"] != "victim-conversation"
    mallory.client.emit("user_uttered", {"message": "ship it to me", "session_id": "victim-conversation"})
    _settle()
    senders = [sender for sender, text in _recorded(server) if text == "ship it to me"]
    assert senders == [confirmed["session_id"]]


def test_knowing_a_conversation_id_lets_no_one_join_or_speak_in_it(server: str, shoppers: list[Shopper]) -> None:
    alice, mallory = _open(server, shoppers), _open(server, shoppers)
    alice_session = alice.session()
    conversation = alice_session["session_id"]
    forged = [f"{conversation}.{'A' * 43}", conversation, alice_session["session_token"][:-2] + "xx",
              sign_session(conversation, "a-secret-mallory-guessed-0123456789")]
    for token in forged:
        mallory.client.emit("session_request", {"session_token": token})
        refused = mallory.wait_for("session_error")
        assert refused == {"code": "invalid_session_token",
                           "detail": "This chat session is not valid any more: start a new chat."}
    # Refused sockets join nothing and say nothing.
    mallory.client.emit("user_uttered", {"message": "refund everything", "session_id": conversation})
    assert mallory.wait_for("session_error")["code"] == "no_session"
    _push(server, conversation, "Your payment arrived")
    assert _text(alice.wait_for("bot_uttered")) == "Your payment arrived"
    _settle()
    assert not [e for e in mallory.events if e[0] == "bot_uttered"]
    assert all(text != "refund everything" for _, text in _recorded(server))


def test_a_second_tab_with_the_token_continues_the_conversation(server: str, shoppers: list[Shopper]) -> None:
    first_tab = _open(server, shoppers)
    session = first_tab.session()
    second_tab = _open(server, shoppers)
    assert second_tab.session(session["session_token"])["session_id"] == session["session_id"]
    second_tab.client.emit("user_uttered", {"message": "from the second tab"})
    _settle()
    assert (session["session_id"], "from the second tab") in _recorded(server)


def test_a_token_signed_with_the_previous_secret_is_reissued_with_the_current_one(
        server: str, shoppers: list[Shopper]) -> None:
    shopper = _open(server, shoppers)
    old = sign_session("0123456789abcdef0123456789abcdef", PREVIOUS)
    confirmed = shopper.session(old)
    assert confirmed["session_id"] == "0123456789abcdef0123456789abcdef"
    assert confirmed["session_token"] == sign_session(confirmed["session_id"], SECRET)


def test_a_new_chat_leaves_the_old_conversation(server: str, shoppers: list[Shopper]) -> None:
    shopper = _open(server, shoppers)
    old = shopper.session()["session_id"]
    new = shopper.session()["session_id"]
    assert new != old
    requests.post(f"{server}/push", json={"conversation": f"socketio:{old}", "text": "for the old chat"}, timeout=5)
    requests.post(f"{server}/push", json={"conversation": f"socketio:{new}", "text": "for the new chat"}, timeout=5)
    assert _text(shopper.wait_for("bot_uttered")) == "for the new chat"
    _settle()
    assert not [e for e in shopper.events if e[0] == "bot_uttered"]


@pytest.mark.parametrize("payload", [None, "text", 42, [], {"session_token": 7}, {"session_token": "é" * 5000}])
def test_malformed_session_requests_get_an_error_event_not_a_crash(
        server: str, shoppers: list[Shopper], payload: Any) -> None:
    shopper = _open(server, shoppers)
    shopper.client.emit("session_request", payload)
    if isinstance(payload, dict):
        assert shopper.wait_for("session_error")["code"] == "invalid_session_token"
    else:
        assert "session_id" in shopper.wait_for("session_confirm")  # no token: a fresh conversation
    assert "session_id" in shopper.session()


@pytest.mark.parametrize("payload", [None, "hi", {"message": 42}, {"message": ["a"]}, {"metadata": "{not json"}])
def test_malformed_messages_get_an_error_event_not_a_crash(
        server: str, shoppers: list[Shopper], payload: Any) -> None:
    shopper = _open(server, shoppers)
    shopper.session()
    shopper.client.emit("user_uttered", payload)
    assert shopper.wait_for("session_error")["code"] == "bad_message"


def test_tokens_are_bound_to_the_secret_and_the_conversation() -> None:
    token = sign_session("0123456789abcdef0123456789abcdef", SECRET)
    assert verify_session(token, [SECRET]) == "0123456789abcdef0123456789abcdef"
    assert verify_session(token, ["another-secret-0123456789abcdef"]) is None
    assert verify_session(token.replace("0123", "0124", 1), [SECRET]) is None
    for garbage in ("", ".", "a.b.c", token + ".", None, 42, "x" * 10_000):
        assert verify_session(garbage, [SECRET]) is None


def test_a_page_that_comes_back_is_sent_what_it_missed_once(server: str, shoppers: list[Shopper]) -> None:
    session, seen = _a_conversation_with_a_closed_tab(server, shoppers)
    conversation = session["session_id"]
    # While no tab is open: emitted to an empty room, recorded in the tracker.
    _push(server, conversation, "Hi, I'm Giulia. Your parcel left today.", agent="Giulia")
    _push(server, conversation, "Payment received for order 1042.")

    back = _open(server, shoppers)
    assert back.session(session["session_token"], since=seen)["session_id"] == conversation
    # In one event, oldest first, shaped as the live events are, and nothing the page already shows.
    assert [event for event, _ in back.events] == ["missed_messages"]
    assert [m["text"] for m in _bot_messages(back)] == [
        "Hi, I'm Giulia. Your parcel left today.", "Payment received for order 1042."]
    giulia, payment = _bot_messages(back)
    assert set(giulia) == {"text", "agent", "timestamp"} and giulia["agent"] == "Giulia"
    assert set(payment) == {"text", "timestamp"} and seen < giulia["timestamp"] < payment["timestamp"]
    # Live again: the next message comes once; coming back once more with the newest, nothing again.
    _push(server, conversation, "Anything else?")
    _settle()
    assert [m["text"] for m in _bot_messages(back)][2:] == ["Anything else?"]
    again = _open(server, shoppers)
    again.session(session["session_token"], since=_bot_messages(back)[-1]["timestamp"])
    _settle()
    assert _bot_messages(again) == []


def test_without_since_nothing_is_sent_and_with_0_the_last_50(server: str, shoppers: list[Shopper]) -> None:
    session, _ = _a_conversation_with_a_closed_tab(server, shoppers)
    for number in range(1, 56):
        _push(server, session["session_id"], f"notice {number}")

    old_page = _open(server, shoppers)  # a copy from before timestamps: it can't say what it shows
    old_page.session(session["session_token"])
    empty_page = _open(server, shoppers)  # wrote, closed the tab before any answer
    empty_page.session(session["session_token"], since=0)
    _settle()

    assert _bot_messages(old_page) == []
    assert [m["text"] for m in _bot_messages(empty_page)] == [f"notice {n}" for n in range(6, 56)]


def test_a_message_sent_while_the_page_comes_back_arrives_once(server: str, shoppers: list[Shopper]) -> None:
    session, seen = _a_conversation_with_a_closed_tab(server, shoppers)
    # A turn that has emitted its message to the empty room but not yet saved it: the page coming
    # back waits for the turn (the conversation's lock) and finds the message recorded.
    turn = threading.Thread(target=_push, args=(server, session["session_id"], "Your refund is on its way."),
                            kwargs={"delay": 1.5})
    turn.start()
    time.sleep(0.5)
    back = _open(server, shoppers)
    back.session(session["session_token"], since=seen)
    turn.join()
    _settle()
    assert [m["text"] for m in _bot_messages(back)] == ["Your refund is on its way."]


def test_only_the_tokens_conversation_is_replayed(server: str, shoppers: list[Shopper]) -> None:
    alice, _ = _a_conversation_with_a_closed_tab(server, shoppers)
    _push(server, alice["session_id"], "Alice's refund: 64.99 EUR.")
    mallory = _open(server, shoppers)
    mallory.session(since=0)  # a new conversation of their own missed nothing
    mallory.client.emit("session_request", {"session_token": f"{alice['session_id']}.{'A' * 43}", "since": 0})
    assert mallory.wait_for("session_error")["code"] == "invalid_session_token"
    _settle()
    assert _bot_messages(mallory) == []


@pytest.mark.parametrize("since", ["yesterday", -1, True, [1], {"at": 1}, 1e400])
def test_a_bad_since_is_refused_and_joins_nothing(server: str, shoppers: list[Shopper], since: Any) -> None:
    session, _ = _a_conversation_with_a_closed_tab(server, shoppers)
    page = _open(server, shoppers)
    page.client.emit("session_request", {"session_token": session["session_token"], "since": since})
    assert page.wait_for("session_error") == {
        "code": "bad_since",
        "detail": '"since" is the timestamp of the newest bot message the page shows: a number, 0 or more.'}
    _push(server, session["session_id"], "not for a refused socket")
    _settle()
    assert _bot_messages(page) == []
    assert page.session(session["session_token"])["session_id"] == session["session_id"]


def test_a_message_for_another_channels_conversation_never_reaches_the_page(server: str,
                                                                          shoppers: list[Shopper]) -> None:
    """Rasa names the web chat's conversation `socketio:<session id>`; the same session id under
    another channel (a REST sender who picked it, a Messenger PSID) is another conversation, and
    what the bot says there is not emitted to this page's room. Its own conversation's message is."""
    tab = _open(server, shoppers)
    session = tab.session()
    for conversation in (f"rest:{session['session_id']}", f"messenger:{session['session_id']}",
                         session["session_id"]):
        answer = requests.post(f"{server}/push", json={"conversation": conversation, "text": "Your refund: 64.99 EUR."},
                               timeout=10)
        assert answer.status_code == 200, answer.text
    _push(server, session["session_id"], "Only for you.")
    assert _text(tab.wait_for("bot_uttered")) == "Only for you."
    _settle()
    assert [m["text"] for m in _bot_messages(tab)] == []  # wait_for took the one message it got
