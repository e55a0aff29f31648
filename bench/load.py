"""The shoppers: one long conversation (scenario A) and a crowd talking at once (scenario B), over
the REST channel, with every turn timed and checked.

A turn is an error when it gets no 200 (a timeout or a refused connection included), no reply at
all, or a reply holding one of the target's error texts (a fallback, "the shop is unreachable").
Latency is the wall time of the HTTP round trip, errors included.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests

from bench.stacks import Target

TURN_TIMEOUT = 30.0  # seconds; a slower turn is an error (and is timed at the time-out)
WINDOW = 20  # turns at the start and at the end of the long conversation that are summarised


@dataclass(frozen=True)
class Turn:
    text: str
    ms: float
    error: str | None  # None when the turn succeeded
    replies: tuple[str, ...] = ()


def say(session: requests.Session, target: Target, sender: str, text: str) -> Turn:
    """One message on the REST channel, timed and checked."""
    started = time.perf_counter()
    try:
        response = session.post(target.webhook, json={"sender": sender, "message": text},
                                headers=dict(target.headers), timeout=TURN_TIMEOUT)
    except requests.Timeout:
        return Turn(text, (time.perf_counter() - started) * 1000, f"no answer within {TURN_TIMEOUT:.0f} s")
    except requests.RequestException as exc:
        return Turn(text, (time.perf_counter() - started) * 1000, f"request failed: {type(exc).__name__}")
    ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        return Turn(text, ms, f"HTTP {response.status_code}")
    try:
        body = response.json()
        replies = tuple(str(message.get("text") or "") for message in body)
    except (ValueError, TypeError, AttributeError):
        return Turn(text, ms, "a reply that is not a list of messages")
    if not replies:
        return Turn(text, ms, "no reply", replies)
    for error_text in target.error_texts:
        if any(error_text.lower() in reply.lower() for reply in replies):
            return Turn(text, ms, f"error reply: {error_text!r}", replies)
    return Turn(text, ms, None, replies)


def converse(target: Target, sender: str, texts: Sequence[str]) -> list[Turn]:
    """One shopper saying `texts` in order, each after the previous reply (keep-alive connection)."""
    with requests.Session() as session:
        return [say(session, target, sender, text) for text in texts]


def crowd(target: Target, senders: Sequence[str], scripts: Sequence[Sequence[str]]) -> tuple[list[Turn], float]:
    """Every shopper in a thread of their own, all starting together; each sends their next message
    when the last one is answered. Returns every turn and the wall time from start to the last reply."""
    results: list[list[Turn]] = [[] for _ in senders]
    start = threading.Barrier(len(senders) + 1)

    def shopper(index: int) -> None:
        start.wait()
        results[index] = converse(target, senders[index], scripts[index])

    threads = [threading.Thread(target=shopper, args=(index,), daemon=True) for index in range(len(senders))]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return [turn for turns in results for turn in turns], time.perf_counter() - began


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes (and their children) have used so far, from /proc.

    Unlike latency, it hardly moves when other work shares the machine: the cost of a message."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        for task in [pid, *_children(pid)]:
            try:
                fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue  # ended meanwhile
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in path.read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest rank: p99 of 20 values is the slowest of them."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def summarise(sequential: Sequence[Turn], concurrent: Sequence[Turn], concurrent_seconds: float,
              window: int = WINDOW, cpu: dict[str, float] | None = None) -> dict[str, Any]:
    """The figures results.json holds for one bot (milliseconds, messages per second), plus the
    per-turn latencies of the long conversation (for the plot) and a few of the errors."""
    first, last = [t.ms for t in sequential[:window]], [t.ms for t in sequential[-window:]]
    failed = [t for t in [*sequential, *concurrent] if t.error]
    return {
        "seq_p50_first_ms": round(percentile(first, 50), 1),
        "seq_p50_last_ms": round(percentile(last, 50), 1),
        "seq_p99_first_ms": round(percentile(first, 99), 1),
        "seq_p99_last_ms": round(percentile(last, 99), 1),
        "conc_msgs_per_s": round(len(concurrent) / concurrent_seconds, 2) if concurrent_seconds > 0 else 0.0,
        "conc_p50_ms": round(percentile([t.ms for t in concurrent], 50), 1),
        "conc_p99_ms": round(percentile([t.ms for t in concurrent], 99), 1),
        "errors": len(failed),
        # CPU milliseconds per message of every server process of the bot, in each scenario
        "cpu_ms_per_msg_seq": round((cpu or {}).get("seq", 0.0) * 1000 / max(len(sequential), 1), 1),
        "cpu_ms_per_msg_conc": round((cpu or {}).get("conc", 0.0) * 1000 / max(len(concurrent), 1), 1),
        "seq_turns": len(sequential),
        "conc_messages": len(concurrent),
        "seq_ms": [round(t.ms, 1) for t in sequential],
        "error_examples": [{"message": t.text, "error": t.error, "reply": " | ".join(t.replies)[:300]}
                           for t in failed[:5]],
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
