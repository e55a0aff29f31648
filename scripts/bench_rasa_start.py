"""Rasa start-up time: stock `rasa run` against `python -m server run` (fast model loading).

    .venv/assistant/bin/python scripts/bench_rasa_start.py [--runs 3] [--model models/bottega.tar.gz]

Starts each server alternately on a free loopback port, times from launch until `GET /` answers,
then stops it. Prints every run and the medians side by side; on a shared machine compare the
ratio from one run of this script, not figures across runs.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASA = [str(ROOT / ".venv" / "assistant" / "bin" / "rasa")]
FAST = [str(ROOT / ".venv" / "assistant" / "bin" / "python"), "-m", "server"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_to_ready(command: list[str], model: str) -> float:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([*command, "run", "--interface", "127.0.0.1", "--port", str(port), "--model", model],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - started < 600:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                    return time.monotonic() - started
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        raise RuntimeError("not ready after 600 s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default=str(ROOT / "models" / "bottega.tar.gz"))
    args = parser.parse_args()
    results: dict[str, list[float]] = {"stock rasa run": [], "python -m server run": []}
    for run in range(1, args.runs + 1):
        for label, command in (("stock rasa run", RASA), ("python -m server run", FAST)):
            seconds = time_to_ready(command, args.model)
            results[label].append(seconds)
            print(f"run {run}: {label:<22} ready after {seconds:6.1f} s", flush=True)
    stock, fast = (statistics.median(v) for v in results.values())
    print(f"\nmedian: stock {stock:.1f} s, fast {fast:.1f} s — {stock / fast:.1f}x faster start")
    return 0


if __name__ == "__main__":
    sys.exit(main())
