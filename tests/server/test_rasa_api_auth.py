"""Rasa's HTTP API token comes from the environment and travels in a header, never in a URL.

Stock Rasa 3.6 takes it only as `--auth-token` (readable in `ps` by every user of the machine)
and only as `?token=` (kept in access logs and proxies), compared with `==`. `python -m server`
reads RASA_API_TOKEN (and RASA_API_TOKEN_PREVIOUS during a rotation) and accepts
`Authorization: Bearer`, compared in constant time. Runs the real server, without a model.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-rasa-token-0123456789abcdef"
PREVIOUS = "test-rasa-previous-0123456789abc"


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workdir = tmp_path_factory.mktemp("rasa")
    (workdir / "empty.yml").write_text("{}\n")
    # Started in an empty directory, so that no model is found (Rasa falls back to ./models).
    env = {**os.environ, "RASA_API_TOKEN": TOKEN, "RASA_API_TOKEN_PREVIOUS": PREVIOUS,
           "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    log_path = workdir / "rasa.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port),
             "--endpoints", str(workdir / "empty.yml"), "--credentials", str(workdir / "empty.yml"),
             "--model", str(workdir / "no-model")],
            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Rasa did not start:\n{log_path.read_text()[-3000:]}")
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _status(url: str, **kwargs: object) -> requests.Response:
    return requests.get(f"{url}/status", timeout=10, **kwargs)  # type: ignore[arg-type]


def test_the_token_in_a_header_opens_the_api(rasa: tuple[str, int]) -> None:
    url, _ = rasa
    for token in (TOKEN, PREVIOUS):
        # Past authentication: 409, there is no model loaded.
        assert _status(url, headers={"Authorization": f"Bearer {token}"}).status_code == 409


def test_no_token_or_a_wrong_one_is_refused(rasa: tuple[str, int]) -> None:
    url, _ = rasa
    assert _status(url).status_code == 401
    for header in (f"Bearer {TOKEN}x", "Bearer ", TOKEN, f"Basic {TOKEN}"):
        assert _status(url, headers={"Authorization": header}).status_code == 401


def test_a_token_in_the_url_is_refused_with_a_reason(rasa: tuple[str, int]) -> None:
    url, _ = rasa
    answer = _status(url, params={"token": TOKEN})
    assert answer.status_code == 401
    assert "Authorization" in answer.json()["message"]


def test_the_token_is_not_on_the_command_line(rasa: tuple[str, int]) -> None:
    _, pid = rasa
    command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert TOKEN.encode() not in command_line and b"--auth-token" not in command_line
