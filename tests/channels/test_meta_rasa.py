"""Messenger and WhatsApp in the real Rasa server with the trained model: signed deliveries in, the
stub Graph API's captured calls out, and the tracker read back through Rasa's HTTP API.

Rasa runs as `make run` runs it (`python -m server run`) with only the two Meta channels in its
credentials, sending to the stub Graph API of tests/channels/meta_server.py. No action server: the
turns asserted here are answered by responses (the greeting), or only recorded (a button's intent).
Skipped when models/bottega.tar.gz has not been trained (`make train`).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.channels import meta_payloads as meta
from tests.channels.test_meta_webhooks import ACK_LIMIT, SECRETS, VERSION, eventually
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "bottega.tar.gz"
API_TOKEN = "test-rasa-api-token-0123456789abcdef"
GREETING_PAYLOADS = ["/browse_catalog", "/view_cart"]  # utter_greet's buttons, domain.yml

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no trained model (make train)")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(Rasa's URL, the stub Graph API server's URL)."""
    folder = tmp_path_factory.mktemp("meta_rasa")
    stub_port, rasa_port = free_port(), free_port()
    stub, rasa = f"http://127.0.0.1:{stub_port}", f"http://127.0.0.1:{rasa_port}"
    env = {**os.environ, **SECRETS, "META_GRAPH_URL": f"{stub}/graph", "META_GRAPH_VERSION": VERSION,
           "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID, "META_SEEN_STORE": "memory",
           "RASA_API_TOKEN": API_TOKEN, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT),
           "WHATSAPP_ORDER_UPDATE_TEMPLATE": "", "WHATSAPP_AGENT_REPLY_TEMPLATE": "", "WHATSAPP_TEMPLATE_LANGUAGE": ""}
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    meta_channels = {key: {**value, "seen_store": str(folder / "seen.sqlite3")} for key, value in credentials.items()
                     if key in ("channels.messenger.MessengerInput", "channels.whatsapp.WhatsAppInput")}
    (folder / "credentials.yml").write_text(yaml.safe_dump(meta_channels))
    # An action server nobody runs: the turns here need none.
    (folder / "endpoints.yml").write_text(yaml.safe_dump({"action_endpoint": {"url": f"http://127.0.0.1:{free_port()}/webhook"}}))
    with running("the stub Graph API", [sys.executable, "-m", "tests.channels.meta_server", str(stub_port)], cwd=ROOT,
                 env=env, log_path=folder / "stub.log", ready_url=f"{stub}/test/said"), \
         running("Rasa", [sys.executable, "-m", "server", "run", "--enable-api", "--interface", "127.0.0.1", "--port",
                          str(rasa_port), "--model", str(MODEL), "--credentials", str(folder / "credentials.yml"),
                          "--endpoints", str(folder / "endpoints.yml")],
                 cwd=ROOT, env=env, log_path=folder / "rasa.log", ready_url=f"{rasa}/webhooks/messenger/",
                 start_timeout=300, poll=0.5):
        # The channels answer before the model is loaded; wait for it.
        assert eventually(lambda: requests.get(f"{rasa}/status", headers=auth(), timeout=5).status_code == 200, 300)
        yield rasa, stub
        log = (folder / "rasa.log").read_text()
        for secret in SECRETS.values():
            assert secret not in log, "a secret was logged"


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_TOKEN}"}


def deliver(rasa: str, channel: str, body: Any) -> float:
    data = meta.encode(body)
    started = time.perf_counter()
    answer = requests.post(f"{rasa}/webhooks/{channel}/webhook", data=data, timeout=10,
                           headers={"X-Hub-Signature-256": meta.sign(data, SECRETS[f"{channel.upper()}_APP_SECRET"]),
                                    "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    return time.perf_counter() - started


def sent_to(stub: str, who: str) -> list[dict[str, Any]]:
    calls = requests.get(f"{stub}/test/graph", timeout=10).json()
    return [c["body"] for c in calls if who in ((c["body"].get("recipient") or {}).get("id"), c["body"].get("to"))]


def user_events(rasa: str, conversation: str) -> list[dict[str, Any]]:
    tracker = requests.get(f"{rasa}/conversations/{conversation}/tracker", headers=auth(), timeout=10).json()
    return [event for event in tracker["events"] if event["event"] == "user"]


def test_a_messenger_greeting_is_answered_by_rasa_with_quick_replies(stack: tuple[str, str]) -> None:
    rasa, stub = stack
    psid, mid = "2" + str(uuid.uuid4().int)[:15], f"m_{uuid.uuid4().hex}"
    body = meta.messenger(meta.m_text(psid, mid, "hi"))
    latencies = [deliver(rasa, "messenger", body) for _ in range(3)]  # Meta delivering it three times
    assert max(latencies) < ACK_LIMIT, latencies

    answers = eventually(lambda: [b for b in sent_to(stub, psid) if "message" in b], 60)
    time.sleep(1.0)  # room for a second answer, were there one
    answers = [b for b in sent_to(stub, psid) if "message" in b]
    assert len(answers) == 1, answers
    message = answers[0]["message"]
    assert "Bottega" in message["text"]
    assert [q["payload"] for q in message["quick_replies"]] == GREETING_PAYLOADS
    assert [b.get("sender_action") for b in sent_to(stub, psid)][:2] == ["mark_seen", "typing_on"]

    heard = user_events(rasa, psid)
    assert len(heard) == 1
    assert heard[0]["message_id"] == mid and heard[0]["input_channel"] == "messenger"
    assert heard[0]["parse_data"]["intent"]["name"] == "greet"


def test_a_whatsapp_greeting_and_a_button_reply_reach_rasa(stack: tuple[str, str]) -> None:
    rasa, stub = stack
    wa_id, first, second = "39347" + str(uuid.uuid4().int)[:7], f"wamid.{uuid.uuid4().hex}", f"wamid.{uuid.uuid4().hex}"
    assert deliver(rasa, "whatsapp", meta.whatsapp([meta.w_text(wa_id, first, "hello")],
                                                   names={wa_id: "Giulia Rossi"})) < ACK_LIMIT
    answer = eventually(lambda: sent_to(stub, wa_id), 60)[0]
    assert answer["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in answer["interactive"]["action"]["buttons"]] == GREETING_PAYLOADS

    assert deliver(rasa, "whatsapp", meta.whatsapp([meta.w_button_reply(wa_id, second, "/view_cart",
                                                                        "View my cart")])) < ACK_LIMIT
    heard = eventually(lambda: len(user_events(rasa, wa_id)) == 2 and user_events(rasa, wa_id), 60)
    assert [(e["message_id"], e["input_channel"]) for e in heard] == [(first, "whatsapp"), (second, "whatsapp")]
    assert heard[0]["metadata"]["profile_name"] == "Giulia Rossi"
    assert heard[1]["parse_data"]["intent"]["name"] == "view_cart"  # the payload, not the title, reached Rasa
