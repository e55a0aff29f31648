"""docker-compose.yml is the topology docs/deployment.md describes: only the proxy is published, it
forwards only the public paths to Rasa and the shop and nothing to the action server, every
service holds only its own secrets, none of them written in the file.

Read as YAML, with deploy/nginx.conf read by tests/deploy/test_nginx.py's parser; neither docker nor
nginx is needed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.test_nginx import CONFIG, parse

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DEPLOYMENT = (ROOT / "docs" / "deployment.md").read_text()

# The secrets each service may hold (docs/deployment.md's table; scripts/run_stack.py's SECRETS_OF).
SECRETS = {
    "rasa": {"RASA_API_TOKEN", "RASA_API_TOKEN_PREVIOUS", "DESK_API_TOKEN", "WEBCHAT_SESSION_SECRET",
             "WEBCHAT_SESSION_SECRET_PREVIOUS", "REST_CHANNEL_TOKEN", "REST_CHANNEL_TOKEN_PREVIOUS",
             "ACTION_SERVER_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN", "MESSENGER_PAGE_ACCESS_TOKEN",
             "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_ACCESS_TOKEN"},
    "actions": {"ACTION_SERVER_TOKEN", "ACTION_SERVER_TOKEN_PREVIOUS", "SHOP_API_TOKEN", "DESK_API_TOKEN"},
    "shop": {"SHOP_API_TOKEN", "SHOP_API_TOKEN_PREVIOUS", "SHOP_ADMIN_TOKEN", "SHOP_ADMIN_TOKEN_PREVIOUS",
             "SHOP_LINK_SECRET", "SHOP_LINK_SECRET_PREVIOUS", "RASA_API_TOKEN"},
}
SECRETS["shop-migrate"] = SECRETS["shop"]
SECRET_NAME = re.compile(r"(_TOKEN|_SECRET|_PASSWORD)(_PREVIOUS)?$")
INTERPOLATED = re.compile(r"^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$")


def _environment(service: str) -> dict[str, str]:
    return {key: str(value) for key, value in (SERVICES[service].get("environment") or {}).items()}


def _documented_services() -> dict[str, str]:
    """docs/deployment.md's table of services: name -> what it says of publishing."""
    rows = re.findall(r"^\| `([a-z-]+)` \| ([^|]+) \|", DEPLOYMENT, flags=re.MULTILINE)
    return {name: published.strip() for name, published in rows}


def test_the_services_are_the_documented_ones() -> None:
    assert set(SERVICES) == set(_documented_services()) == {
        "postgres", "redis", "rabbitmq", "rasa", "actions", "shop-migrate", "shop", "proxy"}


def test_only_the_proxy_is_published_on_the_ports_nginx_listens_on() -> None:
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {name for name, says in _documented_services().items() if says != "no"} == {"proxy"}
    [http] = [children for name, _, children in parse(CONFIG.read_text()) if name == "http"]
    listens = {args[0] for _, _, server in http if server for name, args, _ in server if name == "listen"}
    targets = {str(port).rsplit(":", 1)[1] for port in SERVICES["proxy"]["ports"]}
    assert targets == listens == {"8443", "8444"}


def test_rasa_and_the_action_server_ports_stay_private() -> None:
    assert SERVICES["rasa"]["expose"] == ["5005"] and "ports" not in SERVICES["rasa"]
    assert SERVICES["actions"]["expose"] == ["5055"] and "ports" not in SERVICES["actions"]
    assert "ports" not in SERVICES["shop"]


def test_the_proxy_forwards_to_the_rasa_and_shop_services_and_never_to_the_action_server() -> None:
    [http] = [children for name, _, children in parse(CONFIG.read_text()) if name == "http"]
    upstreams = {args[0]: [a for n, a, _ in children if n == "server"] for name, args, children in http
                 if name == "upstream"}
    assert upstreams == {"rasa": [["rasa:5005", "resolve"]], "shop": [["shop:8100", "resolve"]]}
    assert "actions" not in CONFIG.read_text() and "5055" not in CONFIG.read_text()


def test_the_web_chat_stays_on_one_rasa_worker_by_cookie() -> None:
    [http] = [children for name, _, children in parse(CONFIG.read_text()) if name == "http"]
    [rasa] = [children for name, args, children in http if name == "upstream" and args == ["rasa"]]
    assert ("hash", ["$worker_key", "consistent"]) in [(n, a) for n, a, _ in rasa]
    [keys] = [children for name, args, children in http if name == "map" and args[0] == "$cookie_bottega_worker"]
    assert [args for _, args, _ in keys] == [["$cookie_bottega_worker"], ["$request_id"]]
    socket = [children for name, _, server in http if server for n, args, children in server
              if n == "location" and args == ["/socket.io/"]]
    [headers] = [[a for n, a, _ in children if n == "add_header"] for children in socket]
    assert any(a[0] == "Set-Cookie" and a[1].startswith('"bottega_worker=$worker_key;') for a in headers)


def test_several_rasa_workers_share_conversations_locks_pushes_and_the_broker() -> None:
    rasa = SERVICES["rasa"]
    assert rasa["deploy"]["replicas"] == "${RASA_WORKERS:-2}"
    env = _environment("rasa")
    tracker_store = env["TRACKER_STORE_URL"]
    assert tracker_store.startswith("postgresql://rasa:") and "@postgres:5432/rasa" in tracker_store
    assert env["LOCK_STORE_URL"].startswith("redis://") and "@redis:6379" in env["LOCK_STORE_URL"]
    assert "WEBCHAT_REDIS_URL" not in env  # the web chat shares the lock store's Redis
    assert env["EVENT_BROKER_URL"].startswith("amqp://") and "@rabbitmq:5672" in env["EVENT_BROKER_URL"]
    assert "--endpoints" in rasa["command"] and rasa["command"][rasa["command"].index("--endpoints") + 1] == (
        "deploy/endpoints.yml")


def test_the_compose_endpoints_differ_from_endpoints_yml_only_in_the_action_servers_address() -> None:
    ours = yaml.safe_load((ROOT / "deploy" / "endpoints.yml").read_text())
    main = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert ours["action_endpoint"].pop("url") == "http://actions:5055/webhook"
    main["action_endpoint"].pop("url")
    assert ours == main
    assert SERVICES["actions"]["command"][-2:] == ["--port", "5055"]


@pytest.mark.parametrize("service", ["rasa", "actions", "shop", "shop-migrate"])
def test_each_service_holds_only_its_own_secrets_from_the_env_file(service: str) -> None:
    env = _environment(service)
    secrets = {key for key in env if SECRET_NAME.search(key)}
    assert secrets <= SECRETS[service]
    assert SECRETS[service] - {k for k in SECRETS[service] if k.endswith("_PREVIOUS")} <= secrets
    for key in secrets:
        assert INTERPOLATED.match(env[key]), f"{service}: {key} is written in docker-compose.yml"
    for key, value in env.items():  # URLs carry passwords only from the env file
        if "://" in value and "@" in value:
            assert re.search(r"://[a-z]*:\$\{[A-Z_]+\}@", value), f"{service}: {key}"


def test_long_running_services_have_healthchecks_and_wait_for_healthy_dependencies() -> None:
    for name, service in SERVICES.items():
        if name != "shop-migrate":
            assert service.get("healthcheck", {}).get("test"), name
        for dependency, condition in (service.get("depends_on") or {}).items():
            expected = "service_completed_successfully" if dependency == "shop-migrate" else "service_healthy"
            assert condition == {"condition": expected}, (name, dependency)
    assert set(SERVICES["rasa"]["depends_on"]) == {"postgres", "redis", "rabbitmq", "actions"}
    assert set(SERVICES["proxy"]["depends_on"]) == {"rasa", "shop"}


def test_the_env_file_is_never_committed() -> None:
    assert "deploy/secrets.env" in (ROOT / ".gitignore").read_text().splitlines()
    example = (ROOT / "deploy" / "secrets.env.example").read_text()
    assert not re.search(r"^[A-Z_]*(TOKEN|SECRET|PASSWORD)=\S", example, flags=re.MULTILINE)
