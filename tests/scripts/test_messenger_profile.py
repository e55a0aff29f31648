"""`make messenger-profile` (scripts/messenger_profile.py) against the stub Graph API on loopback
(tests/channels/meta_server.py): what Meta would be sent, what --dry-run prints instead, and what
an expired token or a missing one says. Run as `make` runs it: the shop's Python, its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.channels import meta_payloads as meta
from tests.channels.meta_server import EXPIRED_TOKEN
from tests.channels.test_meta_webhooks import SECRETS, VERSION
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "messenger_profile.py"
SHOP_PYTHON = ROOT / ".venv" / "shop" / "bin" / "python"
TOKEN = SECRETS["MESSENGER_PAGE_ACCESS_TOKEN"]


@pytest.fixture(scope="module")
def stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    folder = tmp_path_factory.mktemp("profile")
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **SECRETS, "META_GRAPH_URL": f"{url}/graph", "META_GRAPH_VERSION": VERSION,
           "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID, "META_SEEN_STORE": "memory"}
    with running("the stub Graph API", [sys.executable, "-m", "tests.channels.meta_server", str(port)], cwd=ROOT,
                 env=env, log_path=folder / "stub.log", ready_url=f"{url}/test/said"):
        yield url


@pytest.fixture(autouse=True)
def fresh(stub: str) -> None:
    requests.post(f"{stub}/test/reset", timeout=10)


def run(stub: str, *args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess[str]:
    # Only what the script is given here: not this machine's .env (a real page token must never be sent).
    env = {"PATH": os.environ.get("PATH", ""), "META_GRAPH_URL": f"{stub}/graph", "META_GRAPH_VERSION": VERSION,
           "MESSENGER_PAGE_ACCESS_TOKEN": token or ""}
    return subprocess.run([str(SHOP_PYTHON), str(SCRIPT), *args], cwd=ROOT / "scripts", env=env, text=True,
                          capture_output=True, timeout=60, check=False)


def calls(stub: str) -> list[dict[str, Any]]:
    return [call for call in requests.get(f"{stub}/test/graph", timeout=10).json()
            if call["path"].endswith("me/messenger_profile")]


def intents() -> set[str]:
    return {intent if isinstance(intent, str) else next(iter(intent))
            for intent in yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]}


def test_the_profile_is_sent_with_the_page_token_in_a_header(stub: str) -> None:
    done = run(stub)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "POST me/messenger_profile: success"
    assert TOKEN not in done.stdout + done.stderr

    [call] = calls(stub)
    assert call["path"] == f"{VERSION}/me/messenger_profile" and call["method"] == "POST"
    assert call["authorization"] == f"Bearer {TOKEN}"
    body = call["body"]
    assert body["get_started"] == {"payload": "/greet"}  # with a referral, the campaign's greeting
    [greeting] = body["greeting"]
    assert greeting["locale"] == "default" and len(greeting["text"]) <= 160
    [menu] = body["persistent_menu"]
    assert menu["locale"] == "default" and menu["composer_input_disabled"] is False
    assert 0 < len(menu["call_to_actions"]) <= 20
    assert all(item["type"] == "postback" and len(item["title"]) <= 30 for item in menu["call_to_actions"])
    [breakers] = body["ice_breakers"]
    assert breakers["locale"] == "default" and 0 < len(breakers["call_to_actions"]) <= 4
    # Every button is a Rasa payload of an intent the assistant knows: a tap needs no NLU.
    payloads = [body["get_started"]["payload"], *(item["payload"] for item in menu["call_to_actions"]),
                *(item["payload"] for item in breakers["call_to_actions"])]
    assert all(payload.startswith("/") and payload[1:] in intents() for payload in payloads), payloads


def test_without_ice_breakers_they_are_removed_so_get_started_shows(stub: str) -> None:
    done = run(stub, "--no-ice-breakers")
    assert done.returncode == 0, done.stderr
    post, delete = calls(stub)
    assert post["method"] == "POST" and "ice_breakers" not in post["body"] and "get_started" in post["body"]
    assert delete["method"] == "DELETE" and delete["body"] == {"fields": ["ice_breakers"]}


def test_a_dry_run_prints_the_calls_and_sends_nothing(stub: str) -> None:
    done = run(stub, "--dry-run", token=None)  # no token needed
    assert done.returncode == 0, done.stderr
    assert calls(stub) == []
    first, body = done.stdout.split("\n", 2)[0], done.stdout.split("\n", 2)[2]
    assert first == f"POST {stub}/graph/{VERSION}/me/messenger_profile"
    assert "<MESSENGER_PAGE_ACCESS_TOKEN>" in done.stdout
    assert json.loads(body)["get_started"] == {"payload": "/greet"}

    with_token = run(stub, "--dry-run", "--no-ice-breakers")
    assert TOKEN not in with_token.stdout and with_token.stdout.count(f"/{VERSION}/me/messenger_profile") == 2
    assert "DELETE" in with_token.stdout and calls(stub) == []


def test_an_expired_token_says_what_meta_said(stub: str) -> None:
    done = run(stub, token=EXPIRED_TOKEN)
    assert done.returncode == 1
    assert "code 190" in done.stderr and "Session has expired" in done.stderr
    assert "Traceback" not in done.stderr and EXPIRED_TOKEN not in done.stderr


def test_without_a_token_nothing_is_sent(stub: str) -> None:
    done = run(stub, token=None)
    assert done.returncode == 2 and "MESSENGER_PAGE_ACCESS_TOKEN" in done.stderr
    assert calls(stub) == []
