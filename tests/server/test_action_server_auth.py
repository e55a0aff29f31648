"""The action server answers only Rasa: every call but /health needs the shared token.

Without it anyone who reaches port 5055 could run `action_delete_my_data` for any customer with a
forged tracker. The server runs here as `make run` runs it (`python -m server.action_server`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rasa.core.utils import read_endpoints_from_path

from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-action-token-0123456789abcdef"
PREVIOUS = "test-previous-token-0123456789abcd"


def _forged_call(action: str) -> dict[str, object]:
    """What Rasa posts to /webhook; anyone can write one for any sender id."""
    return {
        "next_action": action,
        "sender_id": "victim",
        "version": "3.6.21",
        "domain": {},
        "tracker": {"sender_id": "victim", "slots": {}, "latest_message": {"intent": {}, "entities": []},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": "action_listen", "latest_input_channel": "socketio"},
    }


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "ACTION_SERVER_TOKEN": TOKEN, "ACTION_SERVER_TOKEN_PREVIOUS": PREVIOUS,
           "SANIC_HOST": "127.0.0.1", "SHOP_URL": "http://127.0.0.1:9", "SHOP_API_TOKEN": "x" * 32}
    url = f"http://127.0.0.1:{port}"
    with running("the action server",
                 [sys.executable, "-m", "server.action_server", "--actions", "actions", "--port", str(port)],
                 cwd=ROOT, env=env, log_path=tmp_path_factory.mktemp("actions") / "actions.log",
                 ready_url=f"{url}/health", ready=lambda r: r.status_code == 200):
        yield url


def test_a_call_without_the_token_is_refused_and_runs_nothing(action_server: str) -> None:
    answer = requests.post(f"{action_server}/webhook", json=_forged_call("action_delete_my_data"), timeout=10)
    assert answer.status_code == 401
    assert answer.json() == {"error": "unauthorized", "detail": "A valid action server token is required."}
    assert requests.get(f"{action_server}/actions", timeout=10).status_code == 401


def test_a_wrong_token_is_forbidden(action_server: str) -> None:
    for header in (f"Bearer {TOKEN[:-1]}x", TOKEN, "Bearer ", "Basic abc", f"Bearer {TOKEN}\u00e9"):
        answer = requests.post(f"{action_server}/webhook", json=_forged_call("action_delete_my_data"),
                               headers={"Authorization": header.encode()}, timeout=10)  # type: ignore[dict-item]
        assert answer.status_code == 403, header
    # A header that is not UTF-8 is a wrong token too, not a 500.
    answer = requests.post(f"{action_server}/webhook", json=_forged_call("action_delete_my_data"),
                           headers={"Authorization": b"Bearer \xff\xfe" + TOKEN.encode()},  # type: ignore[dict-item]
                           timeout=10)
    assert answer.status_code == 403


def test_rasas_token_and_the_previous_one_during_a_rotation_get_through(action_server: str) -> None:
    for token in (TOKEN, PREVIOUS):
        # An action the server does not have: a 404 from rasa-sdk itself, past the check.
        answer = requests.post(f"{action_server}/webhook", json=_forged_call("action_nobody_wrote"),
                               headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 404
        listed = requests.get(f"{action_server}/actions", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert {"name": "action_delete_my_data"} in listed.json()


def test_health_needs_no_token(action_server: str) -> None:
    assert requests.get(f"{action_server}/health", timeout=10).json() == {"status": "ok"}


def test_rasa_sends_the_token_in_a_header_never_in_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_SERVER_TOKEN", TOKEN)
    action = read_endpoints_from_path(ROOT / "endpoints.yml").action
    assert action is not None
    assert action.headers == {"Authorization": f"Bearer {TOKEN}"}
    assert action.token is None and not action.params


def test_the_action_server_refuses_to_start_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTION_SERVER_TOKEN")}
    done = subprocess.run([sys.executable, "-m", "server.action_server", "--actions", "actions", "--port", "9"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "ACTION_SERVER_TOKEN" in done.stderr
