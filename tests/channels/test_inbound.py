"""What the channels take from a client, as pure functions: the regressions the fuzz pass
(test_fuzz_webchat.py, test_fuzz_desk.py) found, one by one."""

from __future__ import annotations

import math
from typing import Any

import jwt
import pytest

from channels.inbound import BAD_MESSAGE, MAX_MESSAGE_LENGTH, MESSAGE_TOO_LONG, Refused, jwt_valid, message_of
from channels.socketio_server import unreadable_payload
from channels.text import clean_text

KEY = "a-jwt-key-for-the-web-chat-0123456789abcdef"


def test_text_loses_what_cannot_be_written_out() -> None:
    # A lone surrogate made Rasa's debug log raise UnicodeEncodeError: the shopper got no answer.
    assert clean_text("hi \ud83d there") == "hi \ufffd there"
    assert clean_text("a\x00b\x1b[31mc\x7f") == "ab[31mc"
    assert clean_text("two\nlines\r\n\tand a tab") == "two\nlines\r\n\tand a tab"
    assert clean_text("😀 café") == "😀 café"


def test_a_message_is_its_text_cleaned_and_its_metadata() -> None:
    assert message_of({"message": "socks\x00 please"}) == ("socks please", {})
    assert message_of({"message": "x" * MAX_MESSAGE_LENGTH, "metadata": '{"lat": 45.4}'}) == (
        "x" * MAX_MESSAGE_LENGTH, {"lat": 45.4})
    assert message_of({"message": "hi", "session_id": "someone else's"}) == ("hi", {})


@pytest.mark.parametrize(("data", "error"), [
    ({}, BAD_MESSAGE),  # no message: an empty one went to Rasa
    ({"metadata": {}}, BAD_MESSAGE),
    ({"message": "x" * (MAX_MESSAGE_LENGTH + 1)}, MESSAGE_TOO_LONG),  # 50,000 characters took the NLU 4 minutes
    ({"message": "I paid", "metadata": {"is_external": True}}, BAD_MESSAGE),  # the desk showed it as the shop's
    ({"message": "hi", "metadata": "[" * 5000}, BAD_MESSAGE),  # json.loads raised RecursionError: a traceback
    ({"message": "hi", "metadata": {"a": [[[[[[[[["deep"]]]]]]]]]}}, BAD_MESSAGE),
    ({"message": "hi", "metadata": {"a": "x" * 3000}}, BAD_MESSAGE),
    ({"message": "hi", "metadata": {"lat": math.nan}}, BAD_MESSAGE),  # not JSON: would break the action calls
])
def test_unusable_messages_are_refused(data: Any, error: dict[str, str]) -> None:
    with pytest.raises(Refused) as refused:
        message_of(data)
    assert refused.value.error == error


def test_a_jwt_is_checked_without_a_traceback_for_junk() -> None:
    # Rasa's decode_bearer_token logs a traceback for every malformed token.
    token = jwt.encode({"sub": "shopper"}, KEY, algorithm="HS256")
    assert jwt_valid(token, KEY, "HS256") and jwt_valid(f"Bearer {token}", KEY, "HS256")
    for junk in (None, 7, ["x"], "", "a.b.c", "\ud800.\x00.x", token[:-3], jwt.encode({"a": 1}, "k" * 32)):
        assert not jwt_valid(junk, KEY, "HS256")


@pytest.mark.parametrize(("body", "problem"), [
    (b"\xff\xfe garbage", "the payload is not UTF-8"),  # engine.io logged a traceback and answered 200
    (b"4\x1e\x1e4", "the payload is not engine.io packets"),  # an empty packet
    ("\x1e".join(["4"] * 17).encode(), "the payload is not engine.io packets"),  # more than engine.io decodes
    (b"4[" + b"[" * 5000, "the payload is not engine.io packets"),  # RecursionError
    (b"9", "a packet type a client does not send"),  # IndexError in engine.io's log line
    (b"0", "a packet type a client does not send"),
    (b"6", "a packet type a client does not send"),  # engine.io closed the session, and the POST hung
])
def test_a_long_polling_body_engineio_cannot_read_is_named(body: bytes, problem: str) -> None:
    assert unreadable_payload(body) == problem


def test_what_a_client_sends_over_long_polling_is_readable() -> None:
    for body in (b"40", b'42["user_uttered",{"message":"hi"}]\x1e42["session_request",{}]', b"3", b"1", b"5", b""):
        assert unreadable_payload(body) is None
