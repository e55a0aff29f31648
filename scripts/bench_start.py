"""How long a second `make run` takes to be up, per process, and how much it prints before its banner.

    python3 scripts/bench_start.py [--runs 3] [--out var/bench/start] [-- make run]

Runs the command (`make run` unless given after `--`) on free loopback ports (SHOP_PORT, ACTION_PORT,
RASA_PORT, WEBCHAT_PORT), times from launch until each service's health URL answers and until the
banner ("Bottega is up.") is printed, counts the lines printed before the banner, then stops the
stack with SIGTERM, as Ctrl-C would. Each run's whole output is kept in --out. Prints every run and
the medians; run it with nothing changed since the last `make run`, so that nothing is installed or
trained, and on a shared machine compare medians of one invocation, not figures across invocations.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNER = "Bottega is up."
TIMEOUT = 600.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def health_urls(ports: dict[str, int]) -> dict[str, str]:
    """What scripts/run_stack.py polls for each service."""
    return {
        "shop": f"http://127.0.0.1:{ports['SHOP_PORT']}/health",
        "actions": f"http://127.0.0.1:{ports['ACTION_PORT']}/health",
        "rasa": f"http://127.0.0.1:{ports['RASA_PORT']}/",
        "webchat": f"http://127.0.0.1:{ports['WEBCHAT_PORT']}/config.js",
    }


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status < 500)
    except (urllib.error.URLError, OSError):
        return False


def one_run(command: list[str], log: Path) -> dict[str, float | int]:
    """Seconds from launch until each service answers and until the banner; lines before the banner."""
    ports = {name: free_port() for name in ("SHOP_PORT", "ACTION_PORT", "RASA_PORT", "WEBCHAT_PORT")}
    env = {**os.environ, **{name: str(port) for name, port in ports.items()}}
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    assert process.stdout is not None
    lines: list[str] = []
    banner = threading.Event()
    result: dict[str, float | int] = {}

    def read() -> None:
        assert process.stdout is not None
        for line in iter(process.stdout.readline, ""):
            lines.append(f"{time.monotonic() - started:7.2f} {line}")
            if BANNER in line and not banner.is_set():
                result["banner"] = time.monotonic() - started
                result["lines before banner"] = len(lines) - 2  # the banner's line and the empty one above
                banner.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    pending = health_urls(ports)
    try:
        while not banner.is_set():
            if time.monotonic() - started > TIMEOUT or process.poll() is not None:
                raise RuntimeError(f"{' '.join(command)} did not come up; see {log}")
            for name, url in list(pending.items()):
                if answers(url):
                    result[name] = time.monotonic() - started
                    del pending[name]
            time.sleep(0.1)
        for name in pending:  # up between the last poll and the banner
            result[name] = result["banner"]
        return result
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # make exits at once; run_stack.py, which holds the same output, stops the four services
        # first and reports it there: its output is read to the end, so it never writes to a closed
        # pipe (which would stop it before the services are stopped).
        reader.join(timeout=60)
        log.write_text("".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "start")
    parser.add_argument("command", nargs="*", default=["make", "run"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = []
    for run in range(1, args.runs + 1):
        result = one_run(args.command, args.out / f"run-{run}.log")
        runs.append(result)
        print(f"run {run}: " + ", ".join(f"{key} {value:.1f} s" if isinstance(value, float) else f"{key} {value}"
                                         for key, value in result.items()), flush=True)
    medians = {key: statistics.median(float(run[key]) for run in runs) for key in runs[0]}
    print("median: " + ", ".join(f"{key} {value:.1f}" for key, value in medians.items()))
    (args.out / "results.json").write_text(json.dumps({"command": args.command, "runs": runs, "median": medians},
                                                      indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
