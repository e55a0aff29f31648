"""Runs the whole local stack in the foreground: shop service, action server, Rasa server, web chat.

Started by `make run` once everything is installed and trained. Each process's output is prefixed
with its name; Ctrl-C or SIGTERM stops all four, and so does any one of them dying. Ports come from
SHOP_PORT, ACTION_PORT, RASA_PORT and WEBCHAT_PORT (the browser test runs a second stack this way).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSISTANT_BIN = ROOT / ".venv" / "assistant" / "bin"
SHOP_PYTHON = ROOT / ".venv" / "shop" / "bin" / "python"
# Generated into .env by scripts/ensure_env.py (make setup).
REQUIRED_SECRETS = ("SHOP_API_TOKEN", "SHOP_ADMIN_TOKEN", "SHOP_LINK_SECRET", "RASA_API_TOKEN", "DESK_API_TOKEN",
                    "ACTION_SERVER_TOKEN", "WEBCHAT_SESSION_SECRET", "REST_CHANNEL_TOKEN")
# Least privilege: each service is started with only the secrets it uses, and the *_PREVIOUS twin
# of those it checks (accepted during a rotation, docs/deployment.md); a compromised process holds
# nothing that opens the others' doors.
SECRETS_OF = {
    # it checks the assistant's and the operators' tokens; it calls Rasa for payment notices
    "shop": {"SHOP_API_TOKEN", "SHOP_API_TOKEN_PREVIOUS", "SHOP_ADMIN_TOKEN", "SHOP_ADMIN_TOKEN_PREVIOUS",
             "SHOP_LINK_SECRET", "SHOP_LINK_SECRET_PREVIOUS", "RASA_API_TOKEN"},
    # it checks Rasa's calls; it calls the shop as the assistant and the desk for history erasure
    "actions": {"ACTION_SERVER_TOKEN", "ACTION_SERVER_TOKEN_PREVIOUS", "SHOP_API_TOKEN", "DESK_API_TOKEN"},
    # it checks its HTTP API's, the desk's, the web chat's and the REST channel's; it calls the action server
    # and Messenger's and WhatsApp's, when they are on; it calls the action server and the Graph API
    "rasa": {"RASA_API_TOKEN", "RASA_API_TOKEN_PREVIOUS", "DESK_API_TOKEN", "WEBCHAT_SESSION_SECRET",
             "WEBCHAT_SESSION_SECRET_PREVIOUS", "REST_CHANNEL_TOKEN", "REST_CHANNEL_TOKEN_PREVIOUS",
             "ACTION_SERVER_TOKEN", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN", "MESSENGER_PAGE_ACCESS_TOKEN",
             "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "WHATSAPP_ACCESS_TOKEN"},
    "webchat": set(),
}
SECRET_SUFFIXES = ("_TOKEN", "_SECRET", "_TOKEN_PREVIOUS", "_SECRET_PREVIOUS")


# Channels Rasa serves only when all their variables are set: credentials.yml reads them, and Rasa
# refuses to start on an unset ${VAR}, so `make run` leaves out the channels that are not configured.
OPTIONAL_CHANNELS = {
    "channels.messenger.MessengerInput": ("Messenger", ("MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN",
                                                        "MESSENGER_PAGE_ACCESS_TOKEN")),
    "channels.whatsapp.WhatsAppInput": ("WhatsApp", ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN",
                                                     "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID")),
}
# What those channels' credentials read besides their own variables (docs/configuration.md).
META_DEFAULTS = {"META_GRAPH_URL": "https://graph.facebook.com", "META_GRAPH_VERSION": "v25.0",
                 "WHATSAPP_ORDER_UPDATE_TEMPLATE": "", "WHATSAPP_AGENT_REPLY_TEMPLATE": "",
                 "WHATSAPP_TEMPLATE_LANGUAGE": "en", "WHATSAPP_CATALOG_ID": ""}


def channels_on(env: dict[str, str]) -> list[str]:
    """The optional channels whose variables are all set, by name."""
    return [name for name, variables in OPTIONAL_CHANNELS.values() if all(env.get(v, "").strip() for v in variables)]


def credentials_file(env: dict[str, str]) -> str:
    """credentials.yml, without the optional channels whose variables are not all set."""
    off = {key for key, (name, _) in OPTIONAL_CHANNELS.items() if name not in channels_on(env)}
    if not off:
        return "credentials.yml"
    kept, skipping = [], False
    for line in (ROOT / "credentials.yml").read_text().splitlines(keepends=True):
        if line.strip() and not line[0].isspace() and not line.startswith("#"):  # a channel's first line
            skipping = line.split(":", 1)[0].strip() in off
        if not skipping:
            kept.append(line)
    generated = ROOT / ".rasa" / "credentials.run.yml"
    generated.parent.mkdir(exist_ok=True)
    generated.write_text("".join(kept))
    return str(generated)


# Addresses that may hold a password (postgresql://user:password@…): only Rasa connects to them.
RASA_STORE_URLS = frozenset({"TRACKER_STORE_URL", "LOCK_STORE_URL", "EVENT_BROKER_URL", "WEBCHAT_REDIS_URL"})


def service_env(env: dict[str, str], service: str) -> dict[str, str]:
    """`env` without the secrets `service` does not use (nor Rasa's stores' addresses, but for Rasa)."""
    keep = SECRETS_OF[service]
    return {key: value for key, value in env.items()
            if (not key.endswith(SECRET_SUFFIXES) or key in keep) and (key not in RASA_STORE_URLS or service == "rasa")}


STARTUP_TIMEOUT = 180.0  # Rasa loading a model on a busy 2-core machine takes a while
# The web chat's origin (any local port) may call Rasa and open its socket.io channel. sanic-cors
# re.match-es origins against these, so they are anchored at both ends: `http://localhost:*` also
# admitted http://localhost.evil.example.
LOCAL_ORIGINS = (r"^http://127\.0\.0\.1:[0-9]{1,5}$", r"^http://localhost:[0-9]{1,5}$")


def load_env() -> dict[str, str]:
    """Defaults, overridden by .env, overridden by the real environment."""
    env = {
        "SHOP_HOST": "127.0.0.1", "SHOP_PORT": "8100", "ACTION_PORT": "5055", "RASA_PORT": "5005",
        "WEBCHAT_PORT": "8080",
        "RASA_MODEL": str(ROOT / "models" / "bottega.tar.gz"),
    }
    dotenv = ROOT / ".env"
    if dotenv.exists():
        for line in dotenv.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip().strip("'\"")
    env.update(os.environ)
    env.setdefault("SHOP_URL", f"http://{env['SHOP_HOST']}:{env['SHOP_PORT']}")
    env.setdefault("RASA_URL", f"http://127.0.0.1:{env['RASA_PORT']}")
    for key, value in META_DEFAULTS.items():
        if not env.get(key, "").strip():
            env[key] = value
    env["SANIC_HOST"] = "127.0.0.1"  # the action server listens on loopback only
    env["PYTHONUNBUFFERED"] = "1"
    return env


def public_links(env: dict[str, str]) -> str:
    """Where shoppers' pictures, pay and invoice links point, and a warning when Messenger or WhatsApp
    is on but that address is not a public https one: Meta's apps would show no pictures, and the
    links would not open on the shopper's phone (docs/channels.md)."""
    base = (env.get("PUBLIC_BASE_URL") or env.get("SHOP_PUBLIC_URL") or "").strip().rstrip("/")
    where = base or f"http://{env['SHOP_HOST']}:{env['SHOP_PORT']}"
    line = f"  Pictures, pay and invoice links: {where}" + ("" if base else " (PUBLIC_BASE_URL unset)")
    host = urllib.parse.urlsplit(where).hostname or ""
    if channels_on(env) and (not where.startswith("https://") or host in ("localhost", "127.0.0.1", "::1")):
        line += ("\n    WARNING: Messenger and WhatsApp need PUBLIC_BASE_URL to be a public https address: "
                 "without it they show no product pictures and the pay links do not open on phones")
    return line


def endpoints_file(env: dict[str, str]) -> str:
    """endpoints.yml, pointed at ACTION_PORT when that is not the default 5055.

    Rasa's ${VAR} substitution has no defaults, so the committed file names 5055 literally.
    """
    if env["ACTION_PORT"] == "5055":
        return "endpoints.yml"
    generated = ROOT / ".rasa" / "endpoints.run.yml"
    generated.parent.mkdir(exist_ok=True)
    text = (ROOT / "endpoints.yml").read_text().replace("127.0.0.1:5055", f"127.0.0.1:{env['ACTION_PORT']}")
    generated.write_text(text)
    return str(generated)


def services(env: dict[str, str]) -> list[tuple[str, list[str], Path, str]]:
    """(name, command, working directory, health URL) in start order."""
    return [
        ("shop", [str(SHOP_PYTHON), "-m", "app.cli", "serve"], ROOT / "shop",
         f"{env['SHOP_URL']}/health"),
        # rasa-sdk's server with the token check Rasa's calls must pass (server/action_server.py).
        ("actions", [str(ASSISTANT_BIN / "python"), "-m", "server.action_server", "--actions", "actions",
                     "--port", env["ACTION_PORT"]], ROOT,
         f"http://127.0.0.1:{env['ACTION_PORT']}/health"),
        # `python -m server` is the rasa command with fast model loading (server/fast_load.py).
        # Its API token comes from RASA_API_TOKEN in its environment, never the command line, which
        # every user of the machine can read (server/api_auth.py).
        ("rasa", [str(ASSISTANT_BIN / "python"), "-m", "server", "run", "--enable-api",
                  "--interface", "127.0.0.1", "--port", env["RASA_PORT"],
                  "--model", env["RASA_MODEL"], "--endpoints", endpoints_file(env),
                  "--credentials", credentials_file(env), "--cors", *LOCAL_ORIGINS], ROOT,
         f"http://127.0.0.1:{env['RASA_PORT']}/"),
        ("webchat", [str(SHOP_PYTHON), str(ROOT / "scripts" / "serve_webchat.py")], ROOT,
         f"http://127.0.0.1:{env['WEBCHAT_PORT']}/config.js"),
    ]


def relay(name: str, stream, width: int) -> None:  # type: ignore[no-untyped-def]
    for line in iter(stream.readline, ""):
        sys.stdout.write(f"{name:<{width}} | {line}")
        sys.stdout.flush()


def wait_healthy(url: str, process: subprocess.Popen[str], deadline: float,
                 stopping: threading.Event) -> bool:
    while time.monotonic() < deadline and not stopping.is_set():
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def main() -> int:
    env = load_env()
    missing = [key for key in REQUIRED_SECRETS if not env.get(key)]
    if missing:
        print(f"run: {', '.join(missing)} must be set (make run generates them into .env)")
        return 2
    processes: list[tuple[str, subprocess.Popen[str]]] = []
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    width = max(len(name) for name, *_ in services(env))
    exit_code = 0
    try:
        # All four start at once: Rasa's model load dominates, the others are up long before it.
        for name, command, cwd, _ in services(env):
            print(f"run: starting {name}", flush=True)
            process = subprocess.Popen(command, cwd=cwd, env=service_env(env, name), stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, start_new_session=True)
            processes.append((name, process))
            threading.Thread(target=relay, args=(name, process.stdout, width), daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        for (name, process), (_, _, _, health) in zip(processes, services(env), strict=True):
            if not wait_healthy(health, process, deadline, stopping):
                if not stopping.is_set():
                    print(f"run: {name} did not come up (see its output above); stopping", flush=True)
                    exit_code = 1
                return exit_code
        print(
            "\n"
            "  Bottega is up.\n"
            f"    shop API        {env['SHOP_URL']}  (docs at /docs; bearer token in .env)\n"
            f"    action server   http://127.0.0.1:{env['ACTION_PORT']}\n"
            f"    Rasa            http://127.0.0.1:{env['RASA_PORT']}  "
            "(REST channel: /webhooks/rest/webhook, bearer token REST_CHANNEL_TOKEN in .env)\n"
            f"  Chat in your browser: http://127.0.0.1:{env['WEBCHAT_PORT']}\n"
            f"  Messenger and WhatsApp: {', '.join(channels_on(env)) or 'off'} (docs/channels.md says how to "
            "connect them)\n"
            f"{public_links(env)}\n"
            "  Or in another terminal:  make chat\n"
            "  Stop everything: Ctrl-C\n",
            flush=True,
        )
        while not stopping.wait(0.5):
            for name, process in processes:
                if process.poll() is not None:
                    print(f"run: {name} exited with code {process.returncode}; stopping", flush=True)
                    return 1
        return 0
    finally:
        shutdown(processes)


def shutdown(processes: list[tuple[str, subprocess.Popen[str]]]) -> None:
    for name, process in reversed(processes):
        if process.poll() is None:
            print(f"run: stopping {name}", flush=True)
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _, process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
