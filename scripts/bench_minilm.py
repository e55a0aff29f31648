"""MiniLM sentence vectors for one message at a time: the TensorFlow Lite file against TensorFlow.

    .venv/assistant/bin/python scripts/bench_minilm.py [--rounds 3] [--messages 300]

Parsing encodes one message per call. components/minilm.py runs the encoder as a float32
TensorFlow Lite file on one thread. This encodes the held-out messages (tests/nlu/heldout.yml) one
at a time with that file on one thread and on two, and with the TensorFlow function the file was
converted from (transformers' BERT, as Rasa's LanguageModelFeaturizer would run it), alternating
in rounds, and prints the median per message of each and their ratios; compare ratios from one
run, not figures across runs.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.minilm import MiniLM, tensorflow_encoder  # noqa: E402

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
    one, two = MiniLM(threads=1), MiniLM(threads=2)
    reference = tensorflow_encoder()
    messages = heldout_messages(args.messages)

    def tensorflow(texts: list[str]) -> object:
        ids = np.array([one.tokenizer.encode(texts[0]).ids], dtype=np.int32)
        return reference(ids, np.ones_like(ids)).numpy()

    ways = {"TF Lite, 1 thread (used)": one.encode, "TF Lite, 2 threads": two.encode, "TensorFlow function": tensorflow}
    for encode in ways.values():
        encode(messages[:1])  # warm up
    results: dict[str, list[float]] = {name: [] for name in ways}
    for round_ in range(1, args.rounds + 1):
        for name, encode in ways.items():
            results[name].append(median_ms(encode, messages))
        print(f"round {round_}: " + ", ".join(f"{name} {values[-1]:.2f} ms" for name, values in results.items()))
    medians = {name: statistics.median(values) for name, values in results.items()}
    used = medians["TF Lite, 1 thread (used)"]
    print(f"{len(messages)} messages, median per message over {args.rounds} rounds:")
    for name, value in medians.items():
        print(f"  {name:26} {value:7.2f} ms   ratio to the one used {value / used:.2f}")


if __name__ == "__main__":
    main()
