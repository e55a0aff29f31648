"""How `make run` starts the stack: each service holds only its own secrets, none on a command line,
and Rasa lets only the local web chat's origins through CORS."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SHOP_API_TOKEN": "s-api", "SHOP_ADMIN_TOKEN": "s-admin", "SHOP_LINK_SECRET": "s-link", "RASA_API_TOKEN": "r-api",
    "DESK_API_TOKEN": "d-desk", "ACTION_SERVER_TOKEN": "a-act", "WEBCHAT_SESSION_SECRET": "w-sess",
    "REST_CHANNEL_TOKEN": "r-rest", "SHOP_ADMIN_TOKEN_PREVIOUS": "s-admin-old",
    "ACTION_SERVER_TOKEN_PREVIOUS": "a-act-old", "REST_CHANNEL_TOKEN_PREVIOUS": "r-rest-old",
}


@pytest.fixture(scope="module")
def run_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_stack", ROOT / "scripts" / "run_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_stack"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def env(run_stack: ModuleType, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key, value in {**SECRETS, "ACTION_PORT": "5055", "PATH": "/usr/bin"}.items():
        monkeypatch.setenv(key, value)
    return dict(run_stack.load_env())


def _secrets(environment: dict[str, str]) -> set[str]:
    return {key for key in environment if key in SECRETS}


def test_each_service_gets_only_the_secrets_it_uses(run_stack: ModuleType, env: dict[str, str]) -> None:
    assert _secrets(run_stack.service_env(env, "shop")) == {"SHOP_API_TOKEN", "SHOP_ADMIN_TOKEN", "SHOP_LINK_SECRET",
                                                            "SHOP_ADMIN_TOKEN_PREVIOUS", "RASA_API_TOKEN"}
    assert _secrets(run_stack.service_env(env, "actions")) == {
        "ACTION_SERVER_TOKEN", "ACTION_SERVER_TOKEN_PREVIOUS", "SHOP_API_TOKEN", "DESK_API_TOKEN"}
    assert _secrets(run_stack.service_env(env, "rasa")) == {
        "RASA_API_TOKEN", "DESK_API_TOKEN", "WEBCHAT_SESSION_SECRET", "ACTION_SERVER_TOKEN", "REST_CHANNEL_TOKEN",
        "REST_CHANNEL_TOKEN_PREVIOUS"}
    assert _secrets(run_stack.service_env(env, "webchat")) == set()
    assert run_stack.service_env(env, "webchat")["PATH"] == "/usr/bin"


def test_only_rasa_gets_the_stores_addresses(run_stack: ModuleType, env: dict[str, str]) -> None:
    # They may carry a password (postgresql://bottega:…@db/conversations).
    stores = {"TRACKER_STORE_URL": "postgresql://bottega:pw@db/c", "LOCK_STORE_URL": "redis://:pw@redis:6379/0",
              "EVENT_BROKER_URL": "amqp://bottega:pw@mq:5672/", "WEBCHAT_REDIS_URL": "redis://:pw@redis:6379/1"}
    with_stores = {**env, **stores}
    assert {key: run_stack.service_env(with_stores, "rasa")[key] for key in stores} == stores
    for service in ("shop", "actions", "webchat"):
        assert not set(stores) & set(run_stack.service_env(with_stores, service)), service


def test_no_secret_is_on_a_command_line(run_stack: ModuleType, env: dict[str, str]) -> None:
    # Command lines are readable by every user of the machine (ps, /proc/<pid>/cmdline).
    for name, command, *_ in run_stack.services(env):
        for value in SECRETS.values():
            assert not any(value in argument for argument in command), (name, command)


def test_cors_admits_only_the_local_web_chat(run_stack: ModuleType, env: dict[str, str]) -> None:
    rasa = next(command for name, command, *_ in run_stack.services(env) if name == "rasa")
    patterns = rasa[rasa.index("--cors") + 1:]
    patterns = patterns[:next((i for i, p in enumerate(patterns) if p.startswith("--")), len(patterns))]

    def admitted(origin: str) -> bool:
        # sanic-cors reads each pattern as a regular expression and re.match-es the origin with it.
        return any(re.match(pattern, origin) for pattern in patterns)

    for origin in ("http://127.0.0.1:8080", "http://localhost:8080", "http://127.0.0.1:41234"):
        assert admitted(origin), origin
    for origin in ("http://localhost.evil.example", "http://localhost:8080.evil.example",
                   "http://127.0.0.1.evil.example:80", "http://127.0.0.1:80@evil.example", "https://evil.example",
                   "http://localhost", "null"):
        assert not admitted(origin), origin


MESSENGER = {"MESSENGER_APP_SECRET": "m-app", "MESSENGER_VERIFY_TOKEN": "m-verify",
             "MESSENGER_PAGE_ACCESS_TOKEN": "m-page"}
WHATSAPP = {"WHATSAPP_APP_SECRET": "w-app", "WHATSAPP_VERIFY_TOKEN": "w-verify", "WHATSAPP_ACCESS_TOKEN": "w-access",
            "WHATSAPP_PHONE_NUMBER_ID": "106540352242922"}


@pytest.mark.parametrize(("configured", "on"), [
    ({}, []), (MESSENGER, ["Messenger"]), (WHATSAPP, ["WhatsApp"]),
    ({**MESSENGER, **WHATSAPP}, ["Messenger", "WhatsApp"]),
    ({**MESSENGER, "MESSENGER_PAGE_ACCESS_TOKEN": ""}, []),
])
def test_messenger_and_whatsapp_are_served_only_when_configured(
        run_stack: ModuleType, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, configured: dict[str, str],
        on: list[str]) -> None:
    from rasa.shared.utils.io import read_config_file

    # The channels' own variables unset; the optional ones (WhatsApp's templates) keep load_env's defaults.
    env = {key: value for key, value in env.items() if key not in {*MESSENGER, *WHATSAPP}}
    env.update(configured)
    assert run_stack.channels_on(env) == on
    assert env["META_GRAPH_URL"] and env["META_GRAPH_VERSION"]  # defaults Rasa's ${VAR} cannot give
    assert env["WHATSAPP_TEMPLATE_LANGUAGE"] == "en" and env["WHATSAPP_ORDER_UPDATE_TEMPLATE"] == ""
    assert env["WHATSAPP_CATALOG_ID"] == ""
    # Rasa reads the file it is given with its own ${VAR} substitution, in the environment it is given.
    for key in [key for key in os.environ if key.startswith(("MESSENGER_", "WHATSAPP_"))]:
        monkeypatch.delenv(key)
    for key, value in run_stack.service_env(env, "rasa").items():
        monkeypatch.setenv(key, value)
    credentials = read_config_file(ROOT / run_stack.credentials_file(env))
    served = {"Messenger": "channels.messenger.MessengerInput", "WhatsApp": "channels.whatsapp.WhatsAppInput"}
    assert [name for name, key in served.items() if key in credentials] == on
    always = {"channels.rest.AuthenticatedRestInput", "channels.webchat.WebChatInput", "channels.desk.DeskInput"}
    assert always <= set(credentials)
    if "Messenger" in on:
        assert credentials["channels.messenger.MessengerInput"]["page_access_token"] == "m-page"
    # Their secrets go to Rasa only.
    secrets = set(configured) - {"WHATSAPP_PHONE_NUMBER_ID"}
    assert secrets <= set(run_stack.service_env(env, "rasa"))
    assert not secrets & (set(run_stack.service_env(env, "actions")) | set(run_stack.service_env(env, "shop")))


@pytest.mark.parametrize(("extra", "shown", "warned"), [
    ({}, "http://127.0.0.1:8100 (PUBLIC_BASE_URL unset)", False),
    (MESSENGER, "http://127.0.0.1:8100 (PUBLIC_BASE_URL unset)", True),
    ({**WHATSAPP, "PUBLIC_BASE_URL": "http://shop.example.com"}, "http://shop.example.com", True),
    ({**WHATSAPP, "PUBLIC_BASE_URL": "https://localhost:8443"}, "https://localhost:8443", True),
    ({**MESSENGER, "PUBLIC_BASE_URL": "https://shop.example.com/"}, "https://shop.example.com", False),
    ({"SHOP_PUBLIC_URL": "https://old.example.com"}, "https://old.example.com", False),
])
def test_make_run_says_where_links_point_and_warns_when_meta_cannot_reach_them(
        run_stack: ModuleType, env: dict[str, str], extra: dict[str, str], shown: str, warned: bool) -> None:
    env = {key: value for key, value in env.items()
           if key not in {*MESSENGER, *WHATSAPP, "PUBLIC_BASE_URL", "SHOP_PUBLIC_URL"}}
    said = run_stack.public_links({**env, **extra})
    assert said.splitlines()[0] == f"  Pictures, pay and invoice links: {shown}"
    assert ("need PUBLIC_BASE_URL to be a public https address" in said) is warned
