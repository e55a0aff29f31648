"""A bounded fuzz pass over the care desk's HTTP routes (channels/desk.py).

The desk runs in a real Sanic server over loopback (tests/channels/desk_server.py), registered as
`rasa run` registers channels, on Rasa's in-memory tracker store with seeded conversations: the
bot answering one, one handed to a person, one paused in the middle of a form, a REST shopper (a
channel the desk cannot write to), a REST sender that URLs must quote, a paused conversation whose
id names no channel (from before ids were `<channel>:<id>`: read and erased, never written to). Each example starts from
those seeds and sends one request: any route and method, a valid, forged or missing token, a known,
unknown, quoted or garbled conversation id, any body (JSON of every shape, huge, nested, not JSON,
not UTF-8) under any content type.

For every request: no 5xx, no traceback in the server's log or the answer; the desk's refusals
are JSON `{"code", "detail"}` 4xx and change nothing (no tracker event, no message to a shopper, no
hand-back); what an agent's reply sends a shopper is clean text. 400 examples.
"""

from __future__ import annotations

import os
import re
import reprlib
import secrets
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import event, example, given
from hypothesis import strategies as st

from channels.desk import MAX_TEXT
from tests.channels.desk_server import SEEDS
from tests.channels.junk import deep_json_text, dumps, fuzz, json_values, texts
from tests.processes import LogTail, free_port, running

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "fuzz-desk-" + secrets.token_urlsafe(24)
NOT_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
PREFIX = "/webhooks/desk/conversations/"
# The desk's routes: (method, what follows the conversation id).
ROUTES = [("GET", ""), ("POST", "/takeover"), ("POST", "/messages"), ("POST", "/handback"), ("DELETE", "")]
CODES = {"unauthorized", "bad_body", "missing_text", "text_too_long", "bad_agent", "bad_ticket",
         "unknown_conversation", "not_handed_off", "channel_cannot_push", "old_conversation"}


@dataclass
class Desk:
    url: str
    log: LogTail

    def snapshot(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.url}/test/snapshot", timeout=10).json())


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    workdir = tmp_path_factory.mktemp("desk")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DESK_API_TOKEN": TOKEN, "WEBCHAT_SESSION_SECRET": "fuzz-desk-webchat-secret-0123456789ab",
           "PYTHONUNBUFFERED": "1"}
    with running("the desk server", [sys.executable, "-m", "tests.channels.desk_server", str(port)],
                 cwd=ROOT, env=env, log_path=workdir / "server.log", ready_url=f"{url}/test/snapshot",
                 start_timeout=180):  # Rasa's imports (TensorFlow) take a while on a busy machine
        served = Desk(url, LogTail(workdir / "server.log"))
        yield served
        served.log.assert_no_traceback("the whole run")


def quoted(conversation_id: str) -> str:
    return urllib.parse.quote(conversation_id, safe="", errors="surrogatepass")


seeded = st.sampled_from(sorted(SEEDS)).map(quoted)
conversation_paths = st.one_of(
    seeded, seeded, seeded,  # most requests name a conversation, to reach what the desk does with it
    st.sampled_from(sorted(SEEDS)),  # unquoted: a space, an @ and accents in a URL
    texts(20, huge=False).map(quoted),  # unknown ids, NUL and surrogates (%ED%A0%80) included
    st.sampled_from(["%", "%zz", "%00", "..", "%2e%2e", "a%2Fb", "0123456789abcdef0123456789abcdef",
                     "x" * 9000, "%C0%AF", "%FF"]),
)
tokens = st.one_of(
    st.just(f"Bearer {TOKEN}"), st.just(f"Bearer {TOKEN}"), st.just(f"bearer   {TOKEN}  "),
    st.sampled_from(["", "Bearer", "Bearer ", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN,
                     f"Bearer {TOKEN.upper()}", f"Bearer {TOKEN}\x00", "Bearer \xe9\xff", "Bearer " + "A" * 9000]),
    st.binary(max_size=40).filter(lambda raw: b"\r" not in raw and b"\n" not in raw and not raw[:1].isspace()),
)
tickets = st.one_of(st.sampled_from(["TK-7K3MZQ2P", " tk-7k3mzq2p ", "TK-1", "TK-7K3MZQ2ß", "TK-7K3MZQ2P\n"]), texts())
bodies = st.one_of(
    st.none(),
    st.builds(dumps, json_values()),
    st.builds(dumps, st.fixed_dictionaries({}, optional={"text": texts() | json_values(3), "agent": texts(),
                                                         "ticket": tickets, "extra": json_values(3)})),
    st.builds(lambda text, agent: dumps({"text": text, "agent": agent}),
              st.sampled_from(["Your parcel left today.", "x" * MAX_TEXT, "x" * (MAX_TEXT + 1), "\x00\x00", " \t ",
                               "ok\ud800", "line\r\nbreak\x1b[2J"]), st.sampled_from(["Giulia", "", "\x00", "G" * 61])),
    st.sampled_from(["not json", "{", '{"text": "hi"', "[" * 10, deep_json_text(5000), "null", "NaN", "1e999"]),
    st.binary(max_size=64),
)
content_types = st.sampled_from([None, "application/json", "text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/json; charset=latin-1", "*/*;;"])


@dataclass
class Request:
    method: str
    path: str
    authorization: str | bytes | None
    body: str | bytes | None
    content_type: str | None

    def __repr__(self) -> str:
        shown = reprlib.Repr()
        shown.maxstring = shown.maxother = 160
        return f"Request({', '.join(shown.repr(value) for value in vars(self).values())})"

    def send(self, desk: Desk) -> requests.Response:
        headers: dict[str, str | bytes] = {}
        if self.authorization is not None:
            headers["Authorization"] = self.authorization
        if self.content_type:
            headers["Content-Type"] = self.content_type
        body = self.body.encode("utf-8", "surrogatepass") if isinstance(self.body, str) else self.body
        return requests.request(self.method, desk.url + self.path, headers=headers, data=body, timeout=30)


@st.composite
def desk_requests(draw: st.DrawFn) -> Request:
    routes = st.sampled_from(ROUTES)
    method, action = draw(st.one_of(routes, routes, routes,  # and now and then a route the desk does not have
                                    st.tuples(st.sampled_from(["PUT", "PATCH", "GET", "POST"]),
                                              st.sampled_from(["", "/takeover", "/nope", "/"]))))
    path = PREFIX + draw(conversation_paths) + action
    return Request(method, path, draw(tokens), draw(bodies), draw(content_types))


def _matched(request: Request) -> bool:
    """Whether the request reaches one of the desk's routes (not Sanic's 404, 405, or 413 for a
    request line or header over its 8 KB)."""
    rest = request.path.removeprefix(PREFIX)
    conversation, _, action = rest.partition("/")
    return (conversation not in ("", ".", "..")  # dot segments: another path
            and len(request.path) + len(request.authorization or "") < 8000
            and (request.method, "/" + action if action else "") in ROUTES)


def _wait_for_erasure(desk: Desk, conversation: str) -> None:
    """A 202 erases in a task of the server's: wait for it, so the next example starts from the seeds."""
    for _ in range(50):
        if conversation not in desk.snapshot()["conversations"]:
            return
        time.sleep(0.05)
    raise AssertionError(f"{conversation!r} was not erased")


@fuzz(examples=400)
@given(request=desk_requests())
@example(request=Request("GET", PREFIX + quoted("rest:rest shopper"), f"Bearer {TOKEN}", None, None))
@example(request=Request("GET", PREFIX + "%00", f"Bearer {TOKEN}", None, None))
@example(request=Request("DELETE", PREFIX + "%00", f"Bearer {TOKEN}", None, None))
@example(request=Request("POST", PREFIX + "socketio:fedcba9876543210fedcba9876543210/messages", f"Bearer {TOKEN}",
                         dumps({"text": "ok\ud800\x00", "agent": "Giu\x00lia\n"}), "application/json"))
@example(request=Request("POST", PREFIX + "socketio:fedcba9876543210fedcba9876543210/messages", f"Bearer {TOKEN}",
                         dumps({"text": "\x00\x01"}), "application/json"))
@example(request=Request("POST", PREFIX + "socketio:0123456789abcdef0123456789abcdef/takeover", f"Bearer {TOKEN[:-1]}",
                         dumps({"ticket": "TK-7K3MZQ2P"}), "application/json"))
@example(request=Request("POST", PREFIX + "socketio%3Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/handback", f"Bearer {TOKEN}",
                         deep_json_text(5000), "application/json"))
@example(request=Request("POST", PREFIX + "socketio:0123456789abcdef0123456789abcdef/messages", f"Bearer {TOKEN}",
                         dumps({"text": "hello"}), "application/json"))  # 409: the bot has it
@example(request=Request("POST", PREFIX + "rest:rest%20shopper/messages", f"Bearer {TOKEN}",
                         dumps({"text": "hello"}), "application/json"))  # 409: REST cannot be written to
@example(request=Request("POST", PREFIX + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/messages", f"Bearer {TOKEN}",
                         dumps({"text": "hello"}), "application/json"))  # 409: an old id names no channel
@example(request=Request("POST", PREFIX + "socketio:0123456789abcdef0123456789abcdef/handback", f"Bearer {TOKEN}",
                         None, None))
@example(request=Request("POST", PREFIX + "socketio:0123456789abcdef0123456789abcdef/takeover", f"Bearer {TOKEN}",
                         dumps({"ticket": " tk-7k3mzq2p "}), "text/plain"))
def test_the_desk_answers_every_request_with_json_and_a_refusal_changes_nothing(desk: Desk, request: Request) -> None:
    requests.post(f"{desk.url}/test/reset", timeout=10).raise_for_status()
    before = desk.snapshot()

    answer = request.send(desk)

    assert answer.status_code < 500, answer.text[:2000]
    event(f"{request.method} {answer.status_code}")  # the spread of answers, in --hypothesis-show-statistics
    assert "Traceback" not in answer.text
    if _matched(request):
        body = answer.json()  # the desk's own answers are JSON, whatever was sent
        if answer.status_code >= 400:
            assert set(body) == {"code", "detail"} and body["code"] in CODES, body
    after = desk.snapshot()
    if answer.status_code >= 400:
        assert after == before, f"a refused request ({answer.status_code} {answer.text[:300]}) changed something"
    elif request.method == "DELETE":
        _wait_for_erasure(desk, answer.json()["conversation_id"])
    for _, message in after["pushed"]:
        assert not NOT_TEXT.search(message.get("text", "")) and not NOT_TEXT.search(message.get("agent", "")), message
    for events in after["conversations"].values():
        for said in events:
            if said["event"] == "bot":
                assert not NOT_TEXT.search(said.get("text") or ""), said
    desk.log.assert_no_traceback(request)


def test_a_conversation_a_url_must_quote_is_reached(desk: Desk) -> None:
    """Sanic passes route parameters on still percent-encoded: a REST sender with a space, an @ or an
    accent was an unknown conversation to the desk and to `make agent`, which quotes ids."""
    requests.post(f"{desk.url}/test/reset", timeout=10).raise_for_status()
    for conversation in ("rest:rest shopper", "rest:émile+café@example.com"):
        answer = requests.get(desk.url + PREFIX + quoted(conversation), headers={"Authorization": f"Bearer {TOKEN}"},
                              timeout=10)
        assert answer.status_code == 200 and answer.json()["conversation_id"] == conversation, answer.text
