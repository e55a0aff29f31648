"""`python -m bench` (what `make bench` runs): the stock `rasa init` bot and Bottega's full stack,
one after the other on loopback, each through two scenarios over the REST channel:

  A. one shopper, --turns turns (300): p50 and p99 of the first and the last 20 turns;
  B. --shoppers shoppers (20) at once, --turns-each turns (10) each: messages/s, p50, p99.

Writes var/bench/results.json and var/bench/latency.png and prints the figures with issue 10's
targets as ratios of this run's own figures. Every process it starts is stopped when it ends,
fails or is interrupted (Ctrl-C, SIGTERM); their logs are in var/bench/logs/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from bench import report, stacks, turns
from bench.load import WINDOW, converse, cpu_seconds, crowd, summarise
from bench.stacks import Processes, StartupError, Target

ROOT = Path(__file__).resolve().parents[1]
Script = Callable[[int, int], list[str]]  # (count, start) -> the texts a shopper says


def measure(target: Target, run_id: str, script: Script, *, seq_turns: int, shoppers: int, turns_each: int,
            warmup: int, pids: Sequence[int] = (), say: Callable[[str], None] = print) -> dict[str, Any]:
    """Scenarios A and B on one bot, after `warmup` turns of a shopper of their own (TensorFlow's first
    calls, connection pools, the shop's caches) that are not measured. Sender ids carry `run_id`;
    `pids`: the bot's server processes, whose CPU time each scenario costs is counted too."""
    sender = f"bench-{run_id}-{target.name}"
    if warmup:
        converse(target, f"{sender}-warmup", script(warmup, 0))
    say(f"bench: {target.name}: one shopper, {seq_turns} turns")
    before = cpu_seconds(pids)
    sequential = converse(target, f"{sender}-long", script(seq_turns, 0))
    cpu = {"seq": cpu_seconds(pids) - before}
    say(f"bench: {target.name}: {shoppers} shoppers at once, {turns_each} turns each")
    before = cpu_seconds(pids)
    concurrent, seconds = crowd(target, [f"{sender}-crowd{index}" for index in range(shoppers)],
                                [script(turns_each, index) for index in range(shoppers)])
    cpu["conc"] = cpu_seconds(pids) - before
    return summarise(sequential, concurrent, seconds, window=min(WINDOW, seq_turns), cpu=cpu)


def _interrupted(signum: int, _: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=300, help="turns of scenario A's one shopper")
    parser.add_argument("--shoppers", type=int, default=20, help="shoppers at once in scenario B")
    parser.add_argument("--turns-each", type=int, default=10, help="turns of each shopper in scenario B")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured turns before each bot's scenarios")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench", help="results, plot and logs")
    parser.add_argument("--stock-cache", type=Path, default=ROOT / "var" / "bench" / "stock",
                        help="where the stock bot is trained once and kept")
    args = parser.parse_args(argv)
    if args.turns < 1 or args.shoppers < 1 or args.turns_each < 1 or args.warmup < 0:
        parser.error("--turns, --shoppers and --turns-each must be at least 1, --warmup at least 0")
    # Ctrl-C and a polite kill stop the run the same way, also where SIGINT was ignored (a
    # background job of a script): the `with` blocks then stop every process started.
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    run_id = uuid.uuid4().hex[:8]
    out: Path = args.out.resolve()
    sizes = {"seq_turns": args.turns, "shoppers": args.shoppers, "turns_each": args.turns_each,
             "warmup": args.warmup}
    results: dict[str, dict[str, Any]] = {}
    try:
        with Processes(out / "logs") as processes:
            project = stacks.stock_model(args.stock_cache.resolve())
            print("bench: starting the stock bot", flush=True)
            with stacks.stock_bot(processes, project) as target:
                results["stock"] = measure(target, run_id, turns.stock_turns, pids=processes.pids(), **sizes)
            processes.stop_all()
            print("bench: starting Bottega (shop, action server, Rasa)", flush=True)
            shutil.rmtree(out / "bottega", ignore_errors=True)  # a fresh shop database each run
            with stacks.bottega_stack(processes, out / "bottega") as target:
                results["bottega"] = measure(target, run_id, turns.bottega_turns, pids=processes.pids(), **sizes)
            print("bench: stopping the servers", flush=True)
    except StartupError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    report.write_results(out / "results.json", results)
    report.plot(out / "latency.png", results)
    window = min(WINDOW, args.turns)
    print(f"\nOver the REST channel on loopback, one Rasa process each, {os.cpu_count()} cores "
          f"(run {run_id}):\n")
    print(report.table(results, args.turns, window, args.shoppers, args.turns_each))
    for bot, figures in results.items():
        for example in figures["error_examples"]:
            print(f"  {bot} error: {example['message']!r}: {example['error']} {example['reply'][:120]!r}")
    print(f"\nbench: {out / 'results.json'}, {out / 'latency.png'}; the servers' logs in {out / 'logs'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
