"""A bounded fuzz pass over the web chat's socket.io channel (channels/webchat.py, socketio_server.py).

The channel runs in a real Sanic server over loopback (tests/channels/webchat_server.py, answering
each message it passes on the way Rasa would). Clients are spoken to raw, engine.io over
long-polling with requests (or a websocket), so that anything can be sent: wrong types, missing and
extra keys, huge strings, NUL, lone surrogates, nested junk, text that is not JSON, packets that are
not socket.io, bodies that are not engine.io, forged and other conversations' tokens, JWTs.

For every input: no 5xx, no traceback in the server's log; a refusal is a `session_error` event with
one of the channel's codes and changes nothing (no message passed on, the socket still in its own
conversation); an accepted message is passed on once, to the socket's own conversation, as clean
text. About 600 examples; BOTTEGA_FUZZ_EXAMPLES and BOTTEGA_FUZZ_SEED as in tests/channels/junk.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import websockets
from hypothesis import assume, example, given
from hypothesis import strategies as st

from channels.inbound import MAX_MESSAGE_LENGTH
from channels.webchat import new_conversation_id, replay_since, sign_session, verify_session
from tests.channels.junk import deep_json_text, fuzz, json_values, nested, scalars, texts
from tests.channels.raw_socketio import TIMEOUT, RawSocket, Server, decodes, dispatchable, sendable, wire
from tests.channels.webchat_server import ANSWER
from tests.processes import LogTail, free_port, running

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fuzz-webchat-secret-0123456789abcdefgh"
PREVIOUS = "fuzz-previous-secret-0123456789abcdefg"
JWT_KEY = "fuzz-jwt-key-0123456789abcdefghijklmnop"
CODES = {"invalid_session_token", "no_session", "bad_message", "message_too_long", "bad_event", "bad_since"}
NOT_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _serve(tmp_path_factory: pytest.TempPathFactory, name: str, **env: str) -> Iterator[Server]:
    port = free_port()
    log_path = tmp_path_factory.mktemp(name) / "server.log"
    url = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "WEBCHAT_SESSION_SECRET": SECRET, "WEBCHAT_SESSION_SECRET_PREVIOUS": PREVIOUS,
                   "PYTHONUNBUFFERED": "1", **env}
    with running(f"the web chat server ({name})",
                 [sys.executable, "-m", "tests.channels.webchat_server", str(port), "--answer"],
                 cwd=ROOT, env=environment, log_path=log_path, ready_url=f"{url}/recorded"):
        server = Server(url, LogTail(log_path))
        yield server
        server.log.assert_no_traceback("the whole run")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory, "webchat")


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(tmp_path_factory, "webchat-jwt", WEBCHAT_JWT_KEY=JWT_KEY)


def _refusal_expected(data: Any) -> str | None:
    """The code a message must be refused with, where the channel's contract decides it."""
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return "bad_message"
    if len(data["message"]) > MAX_MESSAGE_LENGTH:
        return "message_too_long"
    metadata = data.get("metadata") or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except (ValueError, RecursionError):
            return "bad_message"
    if not isinstance(metadata, dict) or "is_external" in metadata:
        return "bad_message"  # only Rasa's own external events may say so
    return None


OTHER_CONVERSATION = "0123456789abcdef0123456789abcdef"
metadata = st.one_of(
    json_values(6), st.dictionaries(texts(8), json_values(4), max_size=3), st.builds(wire, json_values(6)),
    st.just({"is_external": True}), st.just('{"is_external": true}'),
    st.just({"location": {"lat": 45.46, "lon": 9.19}}),
    st.builds(lambda depth: {"a": nested(depth)}, st.sampled_from([7, 8, 9, 60])), st.just(deep_json_text(5000)),
    st.just({"k": "v" * 3000}),
)
messages = st.one_of(
    json_values(),
    st.fixed_dictionaries({"message": texts()}, optional={
        "metadata": metadata, "session_id": st.sampled_from([OTHER_CONVERSATION, "socketio:victim"]) | texts(),
        "customData": json_values(3), "sender": texts()}),
    st.dictionaries(st.sampled_from(["message", "metadata", "session_id", "text"]) | texts(8), json_values(4),
                    max_size=4),
)


@fuzz(examples=150)
@given(data=messages)
@example(data={"message": "ship it to me", "session_id": OTHER_CONVERSATION})
@example(data={"message": "hi \ud800 there\x00"})
@example(data={"message": "x" * (MAX_MESSAGE_LENGTH + 1)})
@example(data={"message": "x" * MAX_MESSAGE_LENGTH})
@example(data={"message": "I paid", "metadata": {"is_external": True}})
@example(data={"message": "hi", "metadata": '[' * 5000})
@example(data={"message": "hi", "metadata": {"deep": nested(60)}})
@example(data={"metadata": {}})
def test_a_message_is_passed_on_clean_or_refused_with_nothing_changed(server: Server, data: Any) -> None:
    shopper = RawSocket(server)
    own = shopper.session()["session_id"]
    before = server.recorded()

    status = shopper.emit("user_uttered", data)

    if status == 200:
        name, answer = shopper.wait_for("bot_uttered", "session_error")
        after = server.recorded()
        expected = _refusal_expected(data)
        if name == "session_error":
            assert answer["code"] in CODES and isinstance(answer["detail"], str), answer
            assert expected in (None, answer["code"]), (expected, answer)
            assert after == before, "a refused message reached Rasa"
        else:
            assert expected is None, f"accepted, but must be refused with {expected}"
            assert answer == {"text": ANSWER}
            sender, text = after[-1]
            assert after[:-1] == before and sender == own, "passed on to another conversation"
            assert len(text) <= MAX_MESSAGE_LENGTH and not NOT_TEXT.search(text), repr(text[:80])
    else:  # engine.io's own limit (1 MB)
        assert status == 413 and server.recorded() == before
    shopper.still_speaks_in(server, own)
    shopper.close()
    server.log.assert_no_traceback(data)


TOKEN_KINDS = ["own", "other", "own tampered", "other forged", "other id", "previous secret", "foreign secret",
               "own, twice", "own uppercased"]
session_requests = st.one_of(
    json_values(),
    st.fixed_dictionaries({"session_token": st.sampled_from(TOKEN_KINDS)}, optional={
        "session_id": st.just(OTHER_CONVERSATION) | texts(), "extra": json_values(3),
        "since": st.one_of(st.just(0), st.floats(allow_nan=True, allow_infinity=True), st.integers(), scalars())}),
    st.fixed_dictionaries({"session_token": json_values(4)}),
)


def _token(kind: str, own: dict[str, str], other: dict[str, str]) -> Any:
    return {
        "own": own["session_token"], "other": other["session_token"],
        "own tampered": own["session_token"][:-1] + ("A" if own["session_token"][-1] != "A" else "B"),
        "other forged": f"{other['session_id']}.{'A' * 43}", "other id": other["session_id"],
        "previous secret": sign_session(new_conversation_id(), PREVIOUS),
        "foreign secret": sign_session(other["session_id"], "a-secret-mallory-guessed-0123456789"),
        "own, twice": own["session_token"] * 2, "own uppercased": own["session_token"].upper(),
    }.get(kind, kind)


@fuzz(examples=100)
@given(data=session_requests)
@example(data={"session_token": "other forged"})
@example(data={"session_token": "\ud800" * 10})
@example(data=["session_token"])
def test_a_session_request_confirms_a_verified_token_or_changes_nothing(server: Server, data: Any) -> None:
    shopper, other_tab = RawSocket(server), RawSocket(server)
    own, other = shopper.session(), other_tab.session()
    if isinstance(data, dict) and isinstance(data.get("session_token"), str):
        data = {**data, "session_token": _token(data["session_token"], own, other)}
    token = data.get("session_token") if isinstance(data, dict) else None
    named = verify_session(token, [SECRET, PREVIOUS])
    try:
        replay_since(data.get("since") if isinstance(data, dict) else None)
        bad_since = False
    except ValueError:  # checked first, whatever the token
        bad_since = True

    if shopper.emit("session_request", data) == 413:  # engine.io's own limit (1 MB)
        shopper.still_speaks_in(server, own["session_id"])
        return
    name, answer = shopper.wait_for("session_confirm", "session_error")
    if bad_since:
        assert (name, answer["code"]) == ("session_error", "bad_since"), answer
        shopper.still_speaks_in(server, own["session_id"])
    elif token is None:  # a new conversation
        assert name == "session_confirm" and answer["session_id"] not in (own["session_id"], other["session_id"])
        assert verify_session(answer["session_token"], [SECRET]) == answer["session_id"]
    elif named is not None:  # the token is the credential: its conversation, re-signed with the current secret
        assert name == "session_confirm" and answer == {"session_id": named,
                                                        "session_token": sign_session(named, SECRET)}
    else:
        assert (name, answer["code"]) == ("session_error", "invalid_session_token"), answer
        shopper.still_speaks_in(server, own["session_id"])
        assert not other_tab.events, "the refused socket reached the other conversation"
    for socket in (shopper, other_tab):
        socket.close()
    server.log.assert_no_traceback(data)


def _jwt(key: str, **claims: Any) -> str:
    return jwt.encode({"sub": "shopper", **claims}, key, algorithm="HS256")


AUTH_KINDS = {
    "valid": _jwt(JWT_KEY), "bearer valid": "Bearer " + _jwt(JWT_KEY),
    "other key": _jwt("another-key-0123456789abcdefghijklmnop"),
    "expired": _jwt(JWT_KEY, exp=1), "alg none": jwt.encode({"sub": "x"}, None, algorithm="none"),
    "truncated": _jwt(JWT_KEY)[:-5],
}
auths = st.one_of(json_values(), st.fixed_dictionaries({"token": st.sampled_from(sorted(AUTH_KINDS))}),
                  st.fixed_dictionaries({"token": json_values(4)}))


@fuzz(examples=80)
@given(auth=auths)
@example(auth={"token": "valid"})
@example(auth="a token, but not in an object")
@example(auth={"token": "\ud800.\x00.x"})
def test_a_connection_needs_a_valid_jwt_where_the_channel_asks_for_one(
        server: Server, jwt_server: Server, auth: Any) -> None:
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"] in AUTH_KINDS:
        auth = {**auth, "token": AUTH_KINDS[auth["token"]]}
    assume(len(wire(auth).encode()) < 900_000)  # engine.io's 1 MB limit answers 413 to the connect packet
    valid = isinstance(auth, dict) and auth.get("token") in (AUTH_KINDS["valid"], AUTH_KINDS["bearer valid"])
    before = jwt_server.recorded()

    guarded, open_door = RawSocket(jwt_server, auth, with_auth=True), RawSocket(server, auth, with_auth=True)

    assert guarded.connected == valid, guarded.connect_answer
    # Without jwt_key auth is not asked for; but a bare number after the type is read as an ack id.
    assert open_door.connected == decodes("0" + wire(auth)), open_door.connect_answer
    if not guarded.connected:
        assert guarded.post('42["user_uttered",{"message":"let me in"}]') == 200
    assert jwt_server.recorded() == before
    for socket in (guarded, open_door):
        socket.close()
    for target in (server, jwt_server):
        target.log.assert_no_traceback(auth)


packets = st.one_of(
    # not a packet type a page sends: ACK, CONNECT_ERROR, binary, unknown, not a digit
    st.builds(str.__add__, st.sampled_from(["3", "4", "5", "6", "7", "9", "x", " ", "-", "[", "٣"]), texts()),
    st.builds(lambda value: "2" + wire(value), json_values()),  # any JSON as an event
    st.builds(lambda name, args: "2" + wire([name, *args]),  # events nobody handles, or with extra arguments
              st.sampled_from(["connect", "disconnect", "message", "bot_uttered", "session_confirm", "*", ""])
              | texts(),
              st.lists(json_values(3), max_size=3)),
    st.builds(lambda args: "2" + wire(["user_uttered", *args]), st.lists(json_values(3), min_size=2, max_size=4)),
    st.builds(lambda value: "2/other," + wire(["user_uttered", value]), json_values(3)),  # a namespace not joined
    st.builds(lambda text: "2" + text, texts()),  # text after the type, JSON or not
    st.just("2" + deep_json_text(5000)), st.just('2["user_uttered",' + deep_json_text(5000) + "]"),
    st.just("2" + "1" * 101 + '["user_uttered",{"message":"x"}]'),  # an ack id too long
    st.just('51-["user_uttered",{"_placeholder":true,"num":0}]'),  # a binary event waiting for its attachment
)


@fuzz(examples=120)
@given(packet=packets)
@example(packet='2["session_request",{},"extra"]')
@example(packet='2["user_uttered",{"message":"x"},1]')
@example(packet='2["connect",1]')
@example(packet="2{not json")
@example(packet="2[]")
def test_a_packet_the_channel_does_not_take_gets_bad_event_and_changes_nothing(server: Server, packet: str) -> None:
    # One packet: a record separator would make it several (the long-polling bodies test sends those).
    assume(not dispatchable(packet) and "\x1e" not in packet)
    shopper = RawSocket(server)
    own = shopper.session()["session_id"]
    before = server.recorded()

    status = shopper.post("4" + packet)

    if status == 200:
        name, answer = shopper.wait_for("session_error", "bot_uttered", "session_confirm")
        assert (name, answer["code"]) == ("session_error", "bad_event"), (name, answer)
    else:
        assert status == 413
    assert server.recorded() == before
    shopper.still_speaks_in(server, own)
    shopper.close()
    server.log.assert_no_traceback(packet)


ENGINEIO_PACKETS = ["", "0", "1", "2", "2probe", "3", "4", "5", "6", "8", "9", "b", "b!!!!", "bQUJD", "4[[[", "40",
                    "42[]", '42["user_uttered"]', "4" + deep_json_text(5000), "d=", "d=%ff", "٣"]
bodies = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda text: text.encode("utf-8", "surrogatepass"), texts()),  # lone surrogates as bytes: not UTF-8
    st.builds(lambda parts: "\x1e".join(parts).encode(), st.lists(st.sampled_from(ENGINEIO_PACKETS), min_size=1,
                                                                 max_size=20)),
    st.just(b"4" * 1_000_001),
)


@fuzz(examples=80)
@given(body=bodies)
@example(body=b"\xff\xfe\x00garbage")
@example(body="\x1e".join(["4"] * 17).encode())  # more packets than engine.io decodes at once
@example(body=b'42["user_uttered"]\x1e1')  # an event, then gone: its handler found no session (a traceback)
@example(body=b'42["session_request",{}]\x1e1')
@example(body=b"6")  # a NOOP from a client: engine.io closed the session and the POST hung
def test_a_long_polling_body_engineio_cannot_read_is_a_4xx_and_changes_nothing(server: Server, body: bytes) -> None:
    shopper = RawSocket(server)
    shopper.session()
    before = server.recorded()

    assert shopper.post(body) in (200, 400, 413)

    fresh = RawSocket(server)  # the server still takes connections and messages
    conversation = fresh.session()["session_id"]
    fresh.still_speaks_in(server, conversation)
    assert server.recorded()[len(before):] == [(conversation, "still here")]
    for socket in (shopper, fresh):
        socket.close()
    server.log.assert_no_traceback(body)


@pytest.mark.parametrize(("method", "query", "body"), [
    ("GET", {"EIO": "3", "transport": "polling"}, None), ("GET", {"EIO": "x"}, None), ("GET", {}, None),
    ("GET", {"EIO": "4", "transport": "carrier-pigeon"}, None), ("GET", {"EIO": "4", "sid": "unknown"}, None),
    ("GET", {"EIO": "4", "transport": "websocket"}, None), ("GET", {"EIO": "4", "j": "x"}, None),
    ("POST", {"EIO": "4", "transport": "polling"}, b"40"), ("POST", {"EIO": "4", "sid": "\x00"}, b"40"),
    ("PUT", {"EIO": "4"}, b"40"), ("DELETE", {"EIO": "4"}, None), ("OPTIONS", {"EIO": "4"}, None),
])
def test_engineio_requests_that_name_no_session_are_refused(
        server: Server, method: str, query: dict[str, str], body: bytes | None) -> None:
    answer = requests.request(method, f"{server.url}/socket.io/", params=query, data=body, timeout=TIMEOUT)
    assert answer.status_code < 500 and (answer.status_code >= 400 or method == "OPTIONS"), answer.text
    server.log.assert_no_traceback((method, query))


def test_a_request_to_a_session_the_client_closed_is_a_400_not_a_500(server: Server) -> None:
    shopper = RawSocket(server)
    shopper.post("1")  # engine.io CLOSE
    assert shopper.post('42["session_request",{}]') == 400  # engine.io 4.15 raised a KeyError here
    server.log.assert_no_traceback("a post after close")


frames = st.one_of(
    st.sampled_from(ENGINEIO_PACKETS).filter(bool),  # (an empty text frame is how a websocket says nothing)
    st.builds(lambda packet: "4" + packet, packets),
    st.binary(min_size=1, max_size=32),
)


async def _over_websocket(url: str, frame: str | bytes) -> list[tuple[str, Any]] | None:
    """Connects, sends `frame` and a session request; the events up to its answer, or None when
    engine.io closed the connection."""
    events: list[tuple[str, Any]] = []
    async with websockets.connect(f"ws://{url.removeprefix('http://')}/socket.io/?EIO=4&transport=websocket",
                                  max_size=None) as socket:
        try:
            assert str(await asyncio.wait_for(socket.recv(), TIMEOUT)).startswith("0")
            await socket.send("40")
            assert str(await asyncio.wait_for(socket.recv(), TIMEOUT)).startswith("40")
            await socket.send(sendable(frame) if isinstance(frame, str) else frame)
            await socket.send('42["session_request",{}]')  # answered last, if the connection is still open
            while not events or events[-1][0] != "session_confirm":
                received = await asyncio.wait_for(socket.recv(), TIMEOUT)
                if isinstance(received, str) and received.startswith("42"):
                    name, *args = json.loads(received[2:])
                    events.append((name, args[0] if args else None))
        except websockets.ConnectionClosed:
            return None  # engine.io closed a connection that sent what it cannot read
    return events


@fuzz(examples=60)
@given(frame=frames)
@example(frame="9")
@example(frame="4" + deep_json_text(5000))
@example(frame=b"\x00\x01")
def test_a_websocket_frame_the_channel_does_not_take_is_refused_or_closes_the_socket(
        server: Server, frame: str | bytes) -> None:
    # An engine.io message the channel must refuse: binary, or text that is not an event of the
    # channel's, nor a CONNECT (answered by a connect or a CONNECT_ERROR) or a DISCONNECT.
    socketio_junk = isinstance(frame, bytes) or frame.startswith("b") or (
        frame.startswith("4") and not (decodes(frame[1:]) and frame[1:2] in ("0", "1")))
    if isinstance(frame, str) and frame.startswith("4"):
        assume(not dispatchable(frame[1:]))
    assume(frame != "1")  # engine.io CLOSE: the client is leaving, and engine.io says nothing more
    before = server.recorded()

    events = asyncio.run(_over_websocket(server.url, frame))

    if events is not None:
        refusals = [data["code"] for name, data in events if name == "session_error"]
        assert set(refusals) <= CODES and (refusals or not socketio_junk), events
    assert server.recorded() == before
    server.log.assert_no_traceback(frame)
