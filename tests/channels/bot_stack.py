"""The whole bot on loopback, for the channel tests that need it.

Rasa runs as `make run` runs it (`python -m server run`) with the trained model and the channels a
test serves; the action server runs as `make run` runs it; Meta's Graph API is the stub of
tests/channels/meta_server.py. A test that needs its own catalogue, links or payment notices also
gets a shop service of its own (its own SQLite database, its payment notices sent to this Rasa);
the others use the shop tests/conftest.py starts. Without a trained model the tests fail, never skip.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.channels import meta_payloads as meta
from tests.channels.test_meta_webhooks import SECRETS, VERSION, eventually
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "bottega.tar.gz"
SHOP_PYTHON = ROOT / ".venv" / "shop" / "bin" / "python"


@dataclass(frozen=True)
class Stack:
    rasa: str
    stub: str
    shop: str | None  # the own shop's loopback address, when the test asked for one
    env: dict[str, str]  # what Rasa and the action server were started with
    folder: Path  # their logs and stores
    workers: tuple[str, ...] = ()  # every Rasa process's address, `rasa` first (bot_stack's `workers`)


def meta_channels(folder: Path) -> dict[str, Any]:
    """credentials.yml's Messenger and WhatsApp entries, their duplicate-message store in `folder`."""
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    return {key: {**credentials[key], "seen_store": str(folder / "seen.sqlite3")}
            for key in ("channels.messenger.MessengerInput", "channels.whatsapp.WhatsAppInput")}


@contextmanager
def bot_stack(folder: Path, served: Mapping[str, Any], env: Mapping[str, str | None],
              own_shop: Mapping[str, str] | None = None, workers: int = 1) -> Iterator[Stack]:
    """Rasa serving the channels `served` (credentials.yml's entries), the action server and the
    stub Graph API, with `env` on top of the Meta test settings (None removes a variable); it must
    name RASA_API_TOKEN and ACTION_SERVER_TOKEN. `own_shop`: start a shop too, with these variables
    on top of its defaults (e.g. PUBLIC_BASE_URL). `workers`: that many Rasa processes, each on its
    own port, with the same settings and stores (`env` then names shared ones: TRACKER_STORE_URL,
    LOCK_STORE_URL)."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test does)")
    stub_port, rasa_port, action_port, shop_port = free_port(), free_port(), free_port(), free_port()
    stub, rasa, shop = (f"http://127.0.0.1:{port}" for port in (stub_port, rasa_port, shop_port))
    rasa_ports = [rasa_port] + [free_port() for _ in range(workers - 1)]
    merged: dict[str, str | None] = {
        **os.environ, **SECRETS, "META_GRAPH_URL": f"{stub}/graph", "META_GRAPH_VERSION": VERSION,
        "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID, "META_SEEN_STORE": "memory",
        "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), "WHATSAPP_ORDER_UPDATE_TEMPLATE": "",
        "WHATSAPP_AGENT_REPLY_TEMPLATE": "", "WHATSAPP_TEMPLATE_LANGUAGE": "en", "WHATSAPP_CATALOG_ID": "", **env}
    if own_shop is not None:
        # Everyone knows the shop; its payment notices go to this Rasa's trigger_intent, with its API token.
        merged.update(SHOP_URL=shop, SHOP_API_TOKEN="test-shop-" + secrets.token_urlsafe(24),
                      SHOP_ADMIN_TOKEN="test-admin-" + secrets.token_urlsafe(24),
                      SHOP_LINK_SECRET="test-link-" + secrets.token_urlsafe(32), RASA_URL=rasa)
    full = {key: value for key, value in merged.items() if value is not None}
    (folder / "credentials.yml").write_text(yaml.safe_dump(dict(served)))
    # The project's endpoints.yml, with this stack's action server and a conversations file of its own.
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"] = {"url": f"http://127.0.0.1:{action_port}/webhook",
                                    "headers": {"Authorization": f"Bearer {full['ACTION_SERVER_TOKEN']}"}}
    (folder / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    full.setdefault("TRACKER_STORE_URL", f"sqlite:///{folder / 'conversations.sqlite3'}")
    with ExitStack() as started:
        if own_shop is not None:
            shop_env = {**full, "SHOP_HOST": "127.0.0.1", "SHOP_PORT": str(shop_port),
                        "SHOP_DATABASE_URL": f"sqlite:///{folder / 'shop.sqlite3'}", "SHOP_SEARCH_REFRESH_SECONDS": "0",
                        **own_shop}
            if "PUBLIC_BASE_URL" in own_shop:
                shop_env.pop("SHOP_PUBLIC_URL", None)
            started.enter_context(running(
                "the shop service", [str(SHOP_PYTHON), "-m", "app.cli", "serve"], cwd=ROOT / "shop", env=shop_env,
                log_path=folder / "shop.log", ready_url=f"{shop}/health", ready=lambda r: r.status_code == 200,
                start_timeout=120))
        started.enter_context(running(
            "the stub Graph API", [sys.executable, "-m", "tests.channels.meta_server", str(stub_port)], cwd=ROOT,
            env=full, log_path=folder / "stub.log", ready_url=f"{stub}/test/said"))
        started.enter_context(running(
            "the action server", [sys.executable, "-m", "server.action_server", "--actions", "actions", "--port",
                                  str(action_port)], cwd=ROOT, env=full, log_path=folder / "actions.log",
            ready_url=f"http://127.0.0.1:{action_port}/health", start_timeout=120))
        for number, port in enumerate(rasa_ports):
            started.enter_context(running(
                "Rasa", [sys.executable, "-m", "server", "run", "--enable-api", "--interface", "127.0.0.1", "--port",
                         str(port), "--model", str(MODEL), "--credentials", str(folder / "credentials.yml"),
                         "--endpoints", str(folder / "endpoints.yml")],
                cwd=ROOT, env=full, log_path=folder / ("rasa.log" if number == 0 else f"rasa-{number + 1}.log"),
                ready_url=f"http://127.0.0.1:{port}/", start_timeout=300, poll=0.5))
        # The channels answer before the model is loaded; wait for it.
        api = {"Authorization": f"Bearer {full['RASA_API_TOKEN']}"}
        addresses = tuple(f"http://127.0.0.1:{port}" for port in rasa_ports)
        for address in addresses:
            def loaded(at: str = address) -> bool:
                return requests.get(f"{at}/status", headers=api, timeout=5).status_code == 200

            assert eventually(loaded, 300)
        yield Stack(rasa, stub, shop if own_shop is not None else None, full, folder, addresses)
