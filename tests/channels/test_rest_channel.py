"""The REST channel answers only Bottega's own tools: a bearer token on every request, 401 without
it, 400 for a body it cannot use, never a 500, and the channel is always "rest".

The channel runs in a real Sanic server over loopback (tests/channels/rest_server.py); the whole
stack's REST channel, as credentials.yml configures it, is checked in tests/webchat/test_transcripts.py.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from channels.rest import AuthenticatedRestInput, RestRefusal, user_message
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-rest-token-0123456789abcdef"
PREVIOUS = "test-rest-previous-0123456789abc"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("rest") / "server.log"
    env = {**os.environ, "REST_CHANNEL_TOKEN": TOKEN, "REST_CHANNEL_TOKEN_PREVIOUS": PREVIOUS}
    url = f"http://127.0.0.1:{port}"
    with running("the REST channel server", [sys.executable, "-m", "tests.channels.rest_server", str(port)],
                 cwd=ROOT, env=env, log_path=log_path, ready_url=f"{url}/recorded"):
        yield url
        log = log_path.read_text()
        assert TOKEN not in log and PREVIOUS not in log, "a token was logged"
        assert "break the bot" not in log, "a shopper's message was logged"


def post(server: str, body: Any = None, token: str | None = TOKEN, *, data: bytes | None = None,
         query: str = "") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if data is None:
        return requests.post(f"{server}/webhooks/rest/webhook{query}", json=body, headers=headers, timeout=10)
    return requests.post(f"{server}/webhooks/rest/webhook{query}", data=data, headers=headers, timeout=10)


def recorded(server: str) -> list[list[Any]]:
    return requests.get(f"{server}/recorded", timeout=10).json()  # type: ignore[no-any-return]


# --- the token ----------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x",
                                    f"Basic {TOKEN}", TOKEN, "Bearer test-desk-token-0123456789abcd"])
def test_without_the_token_nobody_speaks_on_the_channel(server: str, header: str | None) -> None:
    before = len(recorded(server))
    headers = {"Authorization": header} if header is not None else {}
    answer = requests.post(f"{server}/webhooks/rest/webhook", json={"sender": "alice", "message": "hi"},
                           headers=headers, timeout=10)

    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized" and "REST_CHANNEL_TOKEN" in answer.json()["detail"]
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert len(recorded(server)) == before  # the bot never heard it


def test_the_token_opens_the_channel_as_rest_sender(server: str) -> None:
    answer = post(server, {"sender": "alice", "message": "hi", "metadata": {"locale": "it"}})

    assert answer.status_code == 200
    assert answer.json() == [{"recipient_id": "alice", "text": "echo: hi"}]  # as the caller named the sender
    # Rasa's conversation is `rest:alice`, the shop's customer id.
    assert recorded(server)[-1] == ["rest:alice", "hi", "rest", {"locale": "it"}]


@pytest.mark.parametrize("sender", ["socketio:0123456789abcdef0123456789abcdef", "messenger:2390000000000001",
                                    "rest:alice", ":alice"])
def test_a_sender_naming_another_conversation_is_refused(server: str, sender: str) -> None:
    """A REST caller only reaches `rest:<sender>` conversations: a sender with a colon (which would try
    to name a web chat's or a Messenger shopper's conversation) is refused, never passed on."""
    before = len(recorded(server))
    answer = post(server, {"sender": sender, "message": "cancel my order"})
    assert answer.status_code == 400 and answer.json()["code"] == "bad_sender", answer.text
    assert "no colon" in answer.json()["detail"]
    assert len(recorded(server)) == before


def test_the_previous_token_works_during_a_rotation_and_bearer_is_any_case(server: str) -> None:
    assert post(server, {"sender": "bob", "message": "hi"}, PREVIOUS).status_code == 200
    answer = requests.post(f"{server}/webhooks/rest/webhook", json={"sender": "bob", "message": "hi"},
                           headers={"Authorization": f"bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200


def test_the_token_is_never_taken_from_the_url(server: str) -> None:
    answer = post(server, {"sender": "alice", "message": "hi"}, None, query=f"?token={TOKEN}")
    assert answer.status_code == 401 and answer.json()["code"] == "token_in_url"
    # Even with the header too: a token in a URL ends up in access logs and proxies.
    assert post(server, {"sender": "alice", "message": "hi"}, query=f"?token={TOKEN}").status_code == 401


def test_the_health_route_needs_the_token_too(server: str) -> None:
    assert requests.get(f"{server}/webhooks/rest/", timeout=10).status_code == 401
    answer = requests.get(f"{server}/webhooks/rest/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


# --- the body -----------------------------------------------------------------------------------


BAD_BODIES: list[tuple[Any, str]] = [
    (None, "bad_body"), (["alice", "hi"], "bad_body"), ("hi", "bad_body"), (42, "bad_body"),
    ({"message": "hi"}, "bad_sender"), ({"sender": "", "message": "hi"}, "bad_sender"),
    ({"sender": 7, "message": "hi"}, "bad_sender"), ({"sender": "../admin", "message": "hi"}, "bad_sender"),
    ({"sender": "a b", "message": "hi"}, "bad_sender"), ({"sender": "a" * 129, "message": "hi"}, "bad_sender"),
    ({"sender": "alice"}, "missing_message"), ({"sender": "alice", "message": None}, "missing_message"),
    ({"sender": "alice", "message": "  "}, "missing_message"),
    ({"sender": "alice", "message": ["hi"]}, "missing_message"),
    ({"sender": "alice", "message": "x" * 2001}, "message_too_long"),
    ({"sender": "alice", "message": "hi", "metadata": "locale=it"}, "bad_metadata"),
    ({"sender": "alice", "message": "hi", "metadata": []}, "bad_metadata"),
    ({"sender": "alice", "message": "hi", "input_channel": "socketio"}, "bad_input_channel"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_an_unusable_body_is_refused_with_a_reason(body: Any, code: str) -> None:
    with pytest.raises(RestRefusal) as refused:
        user_message(body)
    assert refused.value.code == code


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_the_server_answers_an_unusable_body_with_400(server: str, body: Any, code: str) -> None:
    before = len(recorded(server))
    answer = post(server, body) if body is not None else post(server, data=b"")
    assert answer.status_code == 400 and answer.json()["code"] == code, answer.text
    assert len(recorded(server)) == before


@pytest.mark.parametrize("data", [b"{not json", b"\xff\xfe\x00", b'{"sender": "alice", "message": "hi"'])
def test_a_body_that_is_not_json_is_400_not_500(server: str, data: bytes) -> None:
    answer = post(server, data=data)
    assert answer.status_code == 400 and answer.json()["code"] == "bad_body", answer.text


def test_a_usable_body(server: str) -> None:
    assert user_message({"sender": "rest-3f9a_b@x.y", "message": "hi", "input_channel": "rest"}) == (
        "rest-3f9a_b@x.y", "hi", None)


def test_a_failing_dialogue_answers_what_was_said_without_logging_the_message(server: str) -> None:
    answer = post(server, {"sender": "carol", "message": "break the bot"})
    assert answer.status_code == 200
    assert answer.json() == [{"recipient_id": "carol", "text": "echo: break the bot"}]


def test_streaming_needs_the_token_and_streams_the_answers(server: str) -> None:
    assert post(server, {"sender": "dana", "message": "hi"}, None, query="?stream=true").status_code == 401
    answer = post(server, {"sender": "dana", "message": "hi"}, query="?stream=true")
    assert answer.status_code == 200
    assert answer.text.strip() == '{"recipient_id": "dana", "text": "echo: hi"}'
    assert recorded(server)[-1][:3] == ["rest:dana", "hi", "rest"]


# --- configuration ------------------------------------------------------------------------------


def test_the_channel_refuses_to_start_without_a_real_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for credentials in (None, {}, {"token": ""}, {"token": "   "}, {"token": "short"}):
        with pytest.raises(ValueError, match="REST_CHANNEL_TOKEN"):
            AuthenticatedRestInput.from_credentials(credentials)
    monkeypatch.delenv("REST_CHANNEL_TOKEN_PREVIOUS", raising=False)
    assert AuthenticatedRestInput.from_credentials({"token": TOKEN}).tokens == [TOKEN]
    monkeypatch.setenv("REST_CHANNEL_TOKEN_PREVIOUS", PREVIOUS)
    assert AuthenticatedRestInput.from_credentials({"token": TOKEN}).tokens == [TOKEN, PREVIOUS]
    monkeypatch.setenv("REST_CHANNEL_TOKEN_PREVIOUS", "short")  # too short to be a token: ignored
    assert AuthenticatedRestInput.from_credentials({"token": TOKEN}).tokens == [TOKEN]


def test_customer_ids_and_urls_stay_rest() -> None:
    channel = AuthenticatedRestInput.from_credentials({"token": TOKEN})
    assert channel.name() == "rest"  # /webhooks/rest/webhook, conversation and customer ids rest:<sender>
    assert channel.get_output_channel() is None  # reply-only: the care desk refuses to write there


def test_credentials_yml_serves_rest_only_with_the_token() -> None:
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    assert "rest" not in credentials, "the built-in REST channel answers anyone"
    assert credentials["channels.rest.AuthenticatedRestInput"] == {"token": "${REST_CHANNEL_TOKEN}"}
