"""What a run leaves behind: var/bench/results.json, the plot of latency against turn number, and
the table of issue 10's targets, each a ratio of figures from this one run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The figures every bot's entry in results.json has (issue 10, section 1).
FIGURES = ("seq_p50_first_ms", "seq_p50_last_ms", "seq_p99_first_ms", "seq_p99_last_ms",
           "conc_msgs_per_s", "conc_p50_ms", "conc_p99_ms", "errors")
Results = Mapping[str, Mapping[str, Any]]


def write_results(path: Path, results: Results) -> None:
    """{"stock": {...}, "bottega": {...}}: each with FIGURES, plus per-turn latencies and error examples."""
    for bot, figures in results.items():
        missing = [name for name in FIGURES if name not in figures]
        if missing:
            raise ValueError(f"{bot}'s results lack {', '.join(missing)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def plot(path: Path, results: Results) -> None:
    """Latency of each turn of the long conversation, both bots on one chart."""
    import matplotlib  # only the plot needs it, and it is slow to import

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 4.5))
    for bot, figures in results.items():
        latencies = figures["seq_ms"]
        axes.plot(range(1, len(latencies) + 1), latencies, label=bot, linewidth=1)
    axes.set_xlabel("turn of one conversation")
    axes.set_ylabel("latency (ms)")
    axes.set_title("Latency per turn over the REST channel, one shopper")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def targets(results: Results, first: str = "1-20", last: str = "281-300") -> list[tuple[str, str, bool]]:
    """(target, what this run measured, met) for each of issue 10's targets; `first` and `last`
    name the long conversation's windows."""
    stock, bottega = results["stock"], results["bottega"]
    growth = bottega["seq_p50_last_ms"] / bottega["seq_p50_first_ms"]
    against_stock = bottega["seq_p50_first_ms"] / stock["seq_p50_first_ms"]
    throughput = bottega["conc_msgs_per_s"] / stock["conc_msgs_per_s"] if stock["conc_msgs_per_s"] else 0.0
    errors = stock["errors"] + bottega["errors"]
    return [
        (f"Bottega p50 turns {last} / turns {first} <= 1.2", f"{growth:.2f}", growth <= 1.2),
        (f"Bottega p50 turns {first} / stock's <= 1.0", f"{against_stock:.2f}", against_stock <= 1.0),
        ("Bottega throughput / stock's >= 2.0 (20 shoppers)", f"{throughput:.2f}", throughput >= 2.0),
        ("Bottega p99 with 20 shoppers <= 500 ms", f"{bottega['conc_p99_ms']:.0f} ms", bottega["conc_p99_ms"] <= 500),
        ("no errors (stock + Bottega)", f"{stock['errors']} + {bottega['errors']}", errors == 0),
    ]


def table(results: Results, seq_turns: int, window: int, shoppers: int, turns_each: int) -> str:
    """The figures side by side, then the targets marked met / NOT met."""
    first, last = f"1-{window}", f"{seq_turns - window + 1}-{seq_turns}"
    rows = [
        (f"one shopper, p50 of turns {first}", "seq_p50_first_ms", "ms"),
        (f"one shopper, p50 of turns {last}", "seq_p50_last_ms", "ms"),
        (f"one shopper, p99 of turns {first}", "seq_p99_first_ms", "ms"),
        (f"one shopper, p99 of turns {last}", "seq_p99_last_ms", "ms"),
        (f"{shoppers} shoppers x {turns_each} turns: throughput", "conc_msgs_per_s", "msg/s"),
        (f"{shoppers} shoppers x {turns_each} turns: p50", "conc_p50_ms", "ms"),
        (f"{shoppers} shoppers x {turns_each} turns: p99", "conc_p99_ms", "ms"),
        ("errors (non-200, time-outs, error replies)", "errors", ""),
        ("CPU per message, one shopper (all servers)", "cpu_ms_per_msg_seq", "ms"),
        (f"CPU per message, {shoppers} shoppers (all servers)", "cpu_ms_per_msg_conc", "ms"),
    ]
    bots = list(results)
    lines = [f"{'':<46}" + "".join(f"{bot:>14}" for bot in bots), "-" * (46 + 14 * len(bots))]
    for label, key, unit in rows:
        lines.append(f"{label:<46}" + "".join(f"{results[bot][key]:>{14 - len(unit) - 1}} {unit}" if unit
                                               else f"{results[bot][key]:>14}" for bot in bots))
    if {"stock", "bottega"} <= set(results):
        lines += ["", f"{'issue 10 target':<52}{'this run':>12}", "-" * 72]
        lines += [f"{name:<52}{measured:>12}   {'met' if met else 'NOT met'}"
                  for name, measured, met in targets(results, first, last)]
    return "\n".join(lines)
