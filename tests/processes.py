"""Servers the tests start as processes of their own, on a free loopback port."""

from __future__ import annotations

import reprlib
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(what: str, command: Sequence[str], *, cwd: Path, env: Mapping[str, str], log_path: Path,
            ready_url: str, ready: Callable[[requests.Response], bool] = lambda _: True,
            start_timeout: float = 60.0, poll: float = 0.2) -> Iterator[subprocess.Popen[bytes]]:
    """Starts `command`, waits until `ready_url` answers (and `ready` accepts the answer), yields the
    process, and stops it afterwards. A process that exits or never answers fails the test with the
    end of its log."""
    with log_path.open("w") as log:
        process = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start:\n{log_path.read_text()[-3000:]}")
            try:
                if ready(requests.get(ready_url, timeout=1)):
                    break
            except requests.ConnectionError:
                time.sleep(poll)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LogTail:
    """What a server wrote to its log since the last look: each fuzz example checks its own part."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def new(self) -> str:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            written = log.read()
        self.offset += len(written)
        return written.decode("utf-8", "replace")

    def assert_no_traceback(self, what: object = "") -> None:
        written = self.new()
        for sign in ("Traceback", "exception was never retrieved", "[ERROR]"):
            assert sign not in written, f"{sign!r} in the server's log after {reprlib.repr(what)}:\n{written[-4000:]}"
