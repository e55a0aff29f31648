"""Real servers for tests: the shop as its own process on a real database, and a Rasa stand-in
that records the shop's payment notices."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

SHOP_DIR = Path(__file__).resolve().parents[2]
LINK_SECRET = "test-link-secret-0123456789abcdefghij"  # signs the test shops' invoice links


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RasaRecorder:
    """Listens like Rasa's HTTP API and remembers each trigger_intent call."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.calls


@contextmanager
def rasa_recorder(status: int = 200) -> Iterator[RasaRecorder]:
    """`status` 503 makes a Rasa that is down: every notice is retried."""
    recorder = RasaRecorder(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorder.calls.append({"path": self.path, "body": json.loads(body or b"{}"),
                                   "authorization": self.headers.get("Authorization")})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"messages": []}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class ShopProcess:
    url: str
    token: str  # the assistant's (SHOP_API_TOKEN)
    admin_token: str  # the operators' (SHOP_ADMIN_TOKEN): /admin only
    database_url: str
    log: Path


@contextmanager
def shop_process(database_url: str, token: str, rasa_url: str, log_dir: Path,
                 extra_env: dict[str, str] | None = None,
                 uvicorn_args: tuple[str, ...] = ("--log-level", "warning")) -> Iterator[ShopProcess]:
    """Migrates and seeds the database, then runs the shop with uvicorn on a free loopback port."""
    port = free_port()
    admin_token = "test-admin-" + token
    env = {**os.environ, "SHOP_DATABASE_URL": database_url, "SHOP_API_TOKEN": token, "SHOP_ADMIN_TOKEN": admin_token,
           "SHOP_LINK_SECRET": LINK_SECRET,
           "SHOP_HOST": "127.0.0.1", "SHOP_PORT": str(port), "RASA_URL": rasa_url,
           "SHOP_SEARCH_REFRESH_SECONDS": "0", "RASA_NOTIFY_ATTEMPTS": "2",
           "SHOP_EXPIRY_SWEEP_SECONDS": "0.5"}
    env.pop("RASA_API_TOKEN", None)
    env.update(extra_env or {})
    log = log_dir / f"shop-{port}.log"
    with log.open("w") as out:
        prepared = subprocess.run([sys.executable, "-m", "app.cli", "prepare"], cwd=SHOP_DIR, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=300)
    if prepared.returncode != 0:
        raise RuntimeError(f"shop prepare failed:\n{log.read_text()[-3000:]}")
    out = log.open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.api.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), *uvicorn_args],
        cwd=SHOP_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"shop exited:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"shop did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield ShopProcess(url=url, token=token, admin_token=admin_token, database_url=database_url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        out.close()
