"""Fails `make test-dialogue` when the NLU reads the held-out test set (tests/nlu/) too badly.

`rasa test` writes its reports but never fails on NLU quality; this reads them and prints one
line per figure. Thresholds are the floor the model must keep: lower them only with a reason.

    python scripts/check_nlu_report.py results
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Floors on the held-out set (see docs/training.md for the figures they were set against).
MIN_INTENT_ACCURACY = 0.90
MIN_INTENT_WEIGHTED_F1 = 0.90
MIN_ENTITY_WEIGHTED_F1 = 0.90
MIN_RESPONSE_ACCURACY = 0.85


def _report(folder: Path, name: str) -> dict[str, object]:
    path = folder / name
    if not path.exists():
        raise SystemExit(f"check-nlu: {path} is missing: did rasa test evaluate the NLU test set?")
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


def main(folder: Path) -> int:
    intents = _report(folder, "intent_report.json")
    entities = _report(folder, "DIETClassifier_report.json")
    responses = _report(folder, "response_selection_report.json")
    figures = [
        ("intent accuracy", float(intents["accuracy"]), MIN_INTENT_ACCURACY),  # type: ignore[arg-type]
        ("intent weighted F1", float(intents["weighted avg"]["f1-score"]), MIN_INTENT_WEIGHTED_F1),  # type: ignore[index]
        ("entity weighted F1", float(entities["weighted avg"]["f1-score"]), MIN_ENTITY_WEIGHTED_F1),  # type: ignore[index]
        ("response selection accuracy", float(responses["accuracy"]), MIN_RESPONSE_ACCURACY),  # type: ignore[arg-type]
    ]
    failed = False
    for name, value, floor in figures:
        verdict = "ok" if value >= floor else "BELOW THE FLOOR"
        failed |= value < floor
        print(f"check-nlu: held-out {name} {value:.3f} (floor {floor:.2f}) {verdict}")
    wrong = [name for name, scores in intents.items()
             if isinstance(scores, dict) and scores.get("support") and scores.get("f1-score", 1.0) < 0.5]
    if wrong:
        print(f"check-nlu: intents read badly (F1 < 0.5): {', '.join(sorted(wrong))}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "results")))
