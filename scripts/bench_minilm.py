"""MiniLM sentence vectors for one message at a time: two BLAS threads against one.

    .venv/assistant/bin/python scripts/bench_minilm.py [--rounds 3] [--messages 300]

Parsing encodes one message per call. The matrices are small (a few dozen word pieces by 384), so
splitting each product over two threads costs more than it saves, most of all on a shared, busy
machine; components/minilm.py therefore encodes up to a few texts on one thread. This encodes the
held-out messages (tests/nlu/heldout.yml) both ways, alternating in rounds, and prints the median
per message of each and their ratio; compare ratios from one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import yaml
from threadpoolctl import ThreadpoolController

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.minilm import MiniLM  # noqa: E402

_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def heldout_messages(limit: int) -> list[str]:
    data = yaml.safe_load((ROOT / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8"))
    texts = []
    for block in data["nlu"]:
        examples = block["examples"]
        if isinstance(examples, str):
            examples = [{"text": line[2:]} for line in examples.splitlines() if line.startswith("- ")]
        for example in examples:
            texts.append(_ANNOTATION.sub(r"\1", str(example["text"]).strip()))
    return texts[:limit]


def median_ms(encode: object, messages: list[str]) -> float:
    timings = []
    for message in messages:
        start = time.perf_counter()
        encode([message])  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    model = MiniLM()
    messages = heldout_messages(args.messages)
    controller = ThreadpoolController()
    threads = max(i["num_threads"] for i in controller.info() if i["user_api"] == "blas")
    model.encode(messages[:20])  # warm up

    def all_threads(texts: list[str]) -> object:
        return model._encode(texts, 64)  # what encode() did before it chose one thread

    results: dict[str, list[float]] = {f"{threads} BLAS threads": [], "1 BLAS thread (encode)": []}
    for round_ in range(1, args.rounds + 1):
        several = median_ms(all_threads, messages)
        one = median_ms(model.encode, messages)
        results[f"{threads} BLAS threads"].append(several)
        results["1 BLAS thread (encode)"].append(one)
        print(f"round {round_}: {threads} threads {several:.2f} ms, 1 thread {one:.2f} ms, ratio {one / several:.2f}")
    base, new = (statistics.median(v) for v in results.values())
    print(f"{len(messages)} messages, median per message over {args.rounds} rounds:")
    for name, values in results.items():
        print(f"  {name:24} {statistics.median(values):7.2f} ms")
    print(f"  ratio (1 thread / {threads} threads) {new / base:.2f}")


if __name__ == "__main__":
    main()
