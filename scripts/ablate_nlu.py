"""What each part of the understanding is worth: the NLU trained without it, on the same sets.

    .venv/assistant/bin/python scripts/ablate_nlu.py [--out var/ablation] [--only full no_lexicon ...]

For each variant it writes a copy of config.yml with one part taken out, trains the NLU alone
(`rasa train nlu`, timed), evaluates it with scripts/eval_nlu.py (no gates) and prints one markdown
table of every variant's figures side by side. The variants:

- full: config.yml as it is;
- no_lexicon: the tokenizer leaves slang, typos and emoji as they are (`normalise: false`);
- no_catalogue: no catalogue features and no catalogue entity extractor (the CRF tagger's entities only);
- no_dense: no MiniLM sentence vectors (the regressions read the words alone);
- no_topic: no topic classifier (the topic figure has nothing to measure);
- no_out_of_scope_data: trained without data/nlu/out_of_scope.yml (the out-of-scope negatives).

Run it on a quiet machine: each variant trains for minutes, and latency is measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
RASA = ROOT / ".venv" / "assistant" / "bin" / "rasa"
PYTHON = ROOT / ".venv" / "assistant" / "bin" / "python"
OOS_FILE = "out_of_scope.yml"

Pipeline = list[dict[str, Any]]


def _without(*names: str) -> Callable[[Pipeline], Pipeline]:
    return lambda pipeline: [c for c in pipeline if c["name"].rsplit(".", 1)[-1] not in names]


def _no_normalising(pipeline: Pipeline) -> Pipeline:
    return [{**c, "normalise": False} if c["name"].endswith("ShopTokenizer") else c for c in pipeline]


VARIANTS: dict[str, Callable[[Pipeline], Pipeline]] = {
    "full": lambda pipeline: pipeline,
    "no_lexicon": _no_normalising,
    "no_catalogue": _without("CatalogueFeaturizer", "CatalogueEntityExtractor"),
    "no_dense": _without("SentenceEncoderFeaturizer"),
    "no_topic": _without("TopicClassifier"),
    "no_out_of_scope_data": lambda pipeline: pipeline,
}
COLUMNS = [
    ("heldout macro-F1", lambda s: s["intent_macro_f1"].get("heldout")),
    ("heldout accuracy", lambda s: s["intent_accuracy"].get("heldout")),
    ("slang macro-F1", lambda s: s["intent_macro_f1"].get("slang")),
    ("unseen macro-F1", lambda s: s["intent_macro_f1"].get("unseen_words")),
    ("negation accuracy", lambda s: s["intent_accuracy"].get("negation")),
    ("entity F1", lambda s: s["entity_f1"]),
    ("topic", lambda s: s["topic_accuracy"]),
    ("word sense", lambda s: s["wsd_accuracy"]),
    ("OOS recall", lambda s: s["oos_recall"]),
    ("parse p50 ms", lambda s: s["parse_p50_ms"]),
    ("train s", lambda s: s["train_s"]),
]


def run_variant(name: str, out: Path) -> dict[str, Any]:
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"] = VARIANTS[name](config["pipeline"])
    (folder / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    data = ROOT / "data" / "nlu"
    if name == "no_out_of_scope_data":
        data = folder / "nlu"
        shutil.copytree(ROOT / "data" / "nlu", data)
        (data / OOS_FILE).unlink()
    started = time.monotonic()
    subprocess.run([str(RASA), "train", "nlu", "--config", str(folder / "config.yml"), "--nlu", str(data),
                    "--out", str(folder), "--fixed-model-name", "model"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    (folder / "train_seconds").write_text(f"{time.monotonic() - started:.0f}\n")
    subprocess.run([str(PYTHON), "scripts/eval_nlu.py", "--model", str(folder / "model.tar.gz"), "--sets",
                    "tests/nlu", "--out", str(folder / "eval"), "--config-name", name, "--no-gates",
                    "--train-seconds", str(folder / "train_seconds")], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    summary: dict[str, Any] = json.loads((folder / "eval" / "summary.json").read_text(encoding="utf-8"))
    return summary


def table(summaries: dict[str, dict[str, Any]]) -> str:
    head = "| variant | " + " | ".join(title for title, _ in COLUMNS) + " |"
    rows = [head, "|---|" + "---:|" * len(COLUMNS)]
    for name, summary in summaries.items():
        cells = [_cell(title, pick(summary)) for title, pick in COLUMNS]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _cell(title: str, value: float | None) -> str:
    if value is None:
        return "—"
    digits = {"parse p50 ms": 1, "train s": 0}.get(title, 3)
    return f"{value:.{digits}f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "ablation")
    parser.add_argument("--only", nargs="*", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    summaries: dict[str, dict[str, Any]] = {}
    for name in args.only:
        print(f"ablate-nlu: {name}: training and evaluating", flush=True)
        summaries[name] = run_variant(name, args.out)
    report = table(summaries)
    (args.out / "ablation.md").write_text(report + "\n", encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
