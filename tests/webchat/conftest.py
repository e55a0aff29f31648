"""A whole Bottega stack and a headless Chromium for the web chat's browser test.

Runs in the shop environment (Playwright needs nothing of Rasa's), with `--confcutdir`
so the assistant's conftest stays out. The stack is scripts/run_stack.py, exactly what
`make run` starts, on free ports with a throwaway database; the browser is Debian's
Chromium (/usr/bin/chromium), never one Playwright downloads.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As on the machine notes: no sandbox (root), and no background traffic to Google's hosts.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HANDOFF_TIMEOUT_SECONDS = 40.0  # longer than any step of the hand-off tests takes to reach a person
STACK_TIMEOUT = 300.0  # Rasa loads its model in ~40 s alone, minutes on a busy 2-core machine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "checkout: needs the checkout dialogue (a payment link); fails, never skips, while it is missing",
    )


@dataclass(frozen=True)
class Stack:
    webchat_url: str
    rasa_url: str
    rasa_token: str
    log: Path
    desk_token: str
    shop_url: str
    shop_token: str
    shop_admin_token: str
    env: dict[str, str]
    rest_token: str  # the REST channel's (channels/rest.py): the transcript tests talk to the bot with it


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no output)"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """shop + action server + Rasa + web chat, as `make run` starts them, on free ports."""
    model = Path(os.environ.get("RASA_MODEL", ROOT / "models" / "bottega.tar.gz"))
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` (make test trains before this test)")
    shop_port, action_port, rasa_port, webchat_port = _free_ports(4)
    workdir = tmp_path_factory.mktemp("stack")
    rasa_token = "test-" + secrets.token_urlsafe(24)
    desk_token = "test-desk-" + secrets.token_urlsafe(24)
    shop_token = "test-" + secrets.token_urlsafe(24)
    shop_admin_token = "test-admin-" + secrets.token_urlsafe(24)
    rest_token = "test-rest-" + secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "SHOP_HOST": "127.0.0.1", "SHOP_PORT": str(shop_port), "SHOP_URL": f"http://127.0.0.1:{shop_port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{shop_port}",
        "ACTION_PORT": str(action_port), "RASA_PORT": str(rasa_port), "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "WEBCHAT_PORT": str(webchat_port), "RASA_MODEL": str(model),
        "SHOP_DATABASE_URL": f"sqlite:///{workdir / 'shop.sqlite3'}",
        "TRACKER_STORE_URL": f"sqlite:///{workdir / 'conversations.sqlite3'}", "SHOP_SEARCH_REFRESH_SECONDS": "0",
        "SHOP_API_TOKEN": shop_token, "RASA_API_TOKEN": rasa_token, "DESK_API_TOKEN": desk_token,
        "SHOP_ADMIN_TOKEN": shop_admin_token, "SHOP_LINK_SECRET": "test-link-" + secrets.token_urlsafe(32),
        "ACTION_SERVER_TOKEN": "test-actions-" + secrets.token_urlsafe(24),
        "WEBCHAT_SESSION_SECRET": "test-webchat-" + secrets.token_urlsafe(32), "REST_CHANNEL_TOKEN": rest_token,
        # A hand-off nobody answers brings the bot back after this long (tests/webchat/test_handoff.py).
        "HANDOFF_TIMEOUT_MINUTES": str(HANDOFF_TIMEOUT_SECONDS / 60),
    }
    log = workdir / "stack.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "run_stack.py")], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STACK_TIMEOUT
        while "Bottega is up." not in log.read_text(errors="replace"):
            if process.poll() is not None:
                pytest.fail(f"the stack stopped while starting (exit {process.returncode}):\n{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"the stack was not up after {STACK_TIMEOUT:.0f} s:\n{_tail(log)}")
            time.sleep(1)
        yield Stack(f"http://127.0.0.1:{webchat_port}", f"http://127.0.0.1:{rasa_port}", rasa_token, log,
                    desk_token, f"http://127.0.0.1:{shop_port}", shop_token, shop_admin_token, env, rest_token)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # run_stack stops its four services itself
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium package")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, chromium_sandbox=False)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """One tab for the whole module: its tests are the steps of one conversation, in order."""
    context = browser.new_context(viewport={"width": 960, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def http_json(method: str, url: str, token: str | None = None,
              body: object = None) -> tuple[int, dict[str, object]]:
    """(status, JSON body) of one request; errors are answers too, never exceptions."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {"raw": raw.decode(errors="replace")}
    return status, parsed if isinstance(parsed, dict) else {"items": parsed}


def rasa_path(conversation: str) -> str:
    """A conversation id in a URL of Rasa's HTTP API, which does not decode it: the colon of
    `socketio:<session>` stays as it is (as the shop's payment notices send it, shop/app/notify.py)."""
    return urllib.parse.quote(conversation, safe=":@+=")


def trigger_intent(stack: Stack, conversation: str, intent: str) -> int:
    """What the shop does to tell a shopper about a payment: Rasa answers on the latest channel."""
    url = f"{stack.rasa_url}/conversations/{rasa_path(conversation)}/trigger_intent?output_channel=latest"
    return http_json("POST", url, stack.rasa_token, body={"name": intent})[0]
