"""Rasa's HTTP API token comes from the environment and travels in a header, never in a URL.

Stock Rasa 3.6 takes it only as `--auth-token` (readable in `ps` by every user of the machine)
and only as `?token=` (kept in access logs and proxies), compared with `==`. `python -m server`
reads RASA_API_TOKEN (and RASA_API_TOKEN_PREVIOUS during a rotation) and accepts
`Authorization: Bearer`, compared in constant time. Runs the real server, without a model.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-rasa-token-0123456789abcdef"
PREVIOUS = "test-rasa-previous-0123456789abc"


@pytest.fixture(scope="module")
def rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    port = free_port()
    workdir = tmp_path_factory.mktemp("rasa")
    (workdir / "empty.yml").write_text("{}\n")
    # Started in an empty directory, so that no model is found (Rasa falls back to ./models).
    env = {**os.environ, "RASA_API_TOKEN": TOKEN, "RASA_API_TOKEN_PREVIOUS": PREVIOUS,
           "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "server", "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port),
               "--endpoints", str(workdir / "empty.yml"), "--credentials", str(workdir / "empty.yml"),
               "--model", str(workdir / "no-model")]
    with running("Rasa", command, cwd=workdir, env=env, log_path=workdir / "rasa.log", ready_url=url,
                 start_timeout=120, poll=0.5) as process:
        yield url, process.pid


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
