"""How well the trained model understands shoppers, on every evaluation set in tests/nlu/.

`make eval-nlu` (part of `make test`) loads the model once, parses every message of every set and
writes a report to var/eval/nlu/: summary.json, summary.md, a per-set JSON report (per-intent
precision/recall/F1 and every wrong intent) and a confusion matrix per set (confusion_<set>.png).

    python scripts/eval_nlu.py --model models/bottega.tar.gz --sets tests/nlu --out var/eval/nlu

The sets are heldout.yml (required), slang.yml, unseen_words.yml, word_sense.yml, out_of_scope.yml,
negation.yml and any other *.yml beside them except test_nlu.yml (which `make test-dialogue`
reads); tests/nlu/README.md says what each holds and which metadata the examples carry.

Intent macro-F1 of a set is averaged over the intents that set *expects*: a set written for ten
intents is not penalised for the forty it never asks about (a wrong prediction into one of those
still costs the expected intent its recall). Entity F1 counts a prediction right when its type
matches and its span overlaps an annotated entity of that type (an exact-value variant is reported
too); predicted types that no test example annotates (`sku`) are not scored.

Each gated figure has a target (issue 7) and a floor (FLOORS, what `make test` holds today):
below a floor the run fails (exit 1; `--no-gates` only reports); a target not yet met is printed.
Parse latency and training time have budgets that are printed, never gates: they depend on the
machine. The scoring is pure
functions of expected and predicted records, so tests/scripts/test_eval_nlu.py needs no model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.metrics import classification_report, f1_score

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]

# Targets: what the understanding must reach (issue 7). Each figure is printed against its target.
MIN_INTENT_MACRO_F1 = {"heldout": 0.93, "slang": 0.90, "unseen_words": 0.90}
MIN_ENTITY_F1 = 0.90
MIN_TOPIC_ACCURACY = 0.90
MIN_WSD_ACCURACY = 0.90
MIN_OOS_RECALL = 0.80
# The first held-out set (test_nlu.yml, the training data's own authors): the accuracy it held
# under `rasa test` before this evaluation replaced that check.
MIN_FIRST_HELDOUT_ACCURACY = 0.90
# Floors: what `make test` enforces today, per gate: the figure last measured less a small margin
# (training is seeded, so the margin is small), never above the target. A floor only ever rises;
# lowering one needs a reason in the commit.
FLOORS: dict[str, float] = {
    # Empty: since 2026-12-02 every gate is at its target (docs/nlu.md#figures: heldout 0.931,
    # entity F1 0.916, word sense 0.915, the others past theirs). A floor below a target may only
    # come back with a reason in the commit.
}
# Budgets: printed with a verdict, never gates (they measure the machine as much as the model).
PARSE_P50_BUDGET_MS = 25.0
TRAIN_BUDGET_S = 600.0

REQUIRED_SET = "heldout"
KNOWN_SETS = ("heldout", "slang", "unseen_words", "word_sense", "out_of_scope", "negation")
NOT_A_SET: frozenset[str] = frozenset()
OUT_OF_SCOPE = "out_of_scope"
NEUTRAL = "neutral"
DEPARTMENT_DEFAULT = "department"  # topics.yml: the topic is the department of the product named
CATALOGUE_TYPES = ("product", "brand", "color")
TOP_CONFUSED = 15
WORST_INTENTS = 10


@dataclass(frozen=True)
class Entity:
    """An annotated or predicted entity; `department` only on the catalogue extractor's."""

    entity: str
    start: int
    end: int
    value: str = ""
    role: str | None = None
    department: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Entity:
        return cls(entity=str(raw["entity"]), start=int(raw["start"]), end=int(raw["end"]),
                   value=str(raw.get("value", "")), role=raw.get("role"), department=raw.get("department"))


@dataclass(frozen=True)
class Expected:
    """What a test example says the message means. `topic` None: no topic to score (unlabelled)."""

    text: str
    intent: str
    entities: tuple[Entity, ...] = ()
    topic: str | None = None
    sense: str | None = None
    sentiment: str = NEUTRAL
    register: str = NEUTRAL


@dataclass(frozen=True)
class Predicted:
    """What the model read: the full intent (faq/<key>) and the pipeline's other outputs."""

    intent: str
    confidence: float = 0.0
    entities: tuple[Entity, ...] = ()
    topic: str | None = None
    sentiment: str | None = None
    register: str | None = None
    latency_ms: float = 0.0


Pair = tuple[Expected, Predicted]
Results = dict[str, list[Pair]]  # set name → (expected, predicted) per message


@dataclass
class Counts:
    """True positives, false positives and false negatives of one entity type (or all)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Gate:
    name: str
    value: float | None
    target: float

    @property
    def threshold(self) -> float:
        """The floor `make test` enforces (FLOORS), never above the target."""
        return min(FLOORS.get(self.name, self.target), self.target)

    @property
    def passed(self) -> bool:
        """A figure with no data (its set is missing or empty) fails: a gate never passes unmeasured."""
        return self.value is not None and self.value >= self.threshold

    @property
    def target_met(self) -> bool:
        return self.value is not None and self.value >= self.target


# --- expected and predicted records ------------------------------------------------------------


def example_metadata(raw: Any) -> dict[str, Any]:
    """An example's metadata as one flat dict.

    Rasa nests it: `{"example": {...}}` for an example's own, `{"intent": {...}}` for its intent
    block's; the example's wins. A plain dict (hand-made records) is taken as it is.
    """
    if not isinstance(raw, dict):
        return {}
    nested = [raw[key] for key in ("intent", "example") if isinstance(raw.get(key), dict)]
    if not nested:
        return dict(raw)
    merged: dict[str, Any] = {}
    for part in nested:
        merged.update(part)
    return merged


def load_topic_defaults(path: Path) -> dict[str, str]:
    """data/understanding/topics.yml `intents:`: intent (or faq/<key>) → its default topic."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): str(value) for key, value in (data.get("intents") or {}).items()}


def expected_topic(intent: str, metadata: dict[str, Any], defaults: dict[str, str]) -> str | None:
    """The metadata's topic, else the intent's default (faq/<key> before faq); None when the default
    is `department` and the example names none: such an example is unlabelled for topic."""
    if metadata.get("topic"):
        return str(metadata["topic"])
    default = defaults.get(intent, defaults.get(intent.split("/")[0]))
    return None if default in (None, DEPARTMENT_DEFAULT) else default


def expected_record(text: str, intent: str, entities: Iterable[dict[str, Any]], metadata: dict[str, Any],
                    defaults: dict[str, str]) -> Expected:
    return Expected(
        text=text, intent=intent, entities=tuple(Entity.from_dict(e) for e in entities),
        topic=expected_topic(intent, metadata, defaults),
        sense=str(metadata["sense"]) if metadata.get("sense") else None,
        sentiment=str(metadata.get("sentiment") or NEUTRAL), register=str(metadata.get("register") or NEUTRAL))


# Intents answered by a response selector (domain.yml's utter_faq/*, utter_chitchat/*).
RETRIEVAL_INTENTS = frozenset({"faq", "chitchat"})


def predicted_intent(parse: dict[str, Any]) -> str:
    """The full intent: a retrieval intent's answer key (faq/warranty) from its response selector
    (one per retrieval intent, or one for all of them under "default": the answer the bot gives)."""
    name = str((parse.get("intent") or {}).get("name") or "")
    selectors = parse.get("response_selector") or {}
    selected = selectors.get(name) or (selectors.get("default") if name in RETRIEVAL_INTENTS else None)
    if isinstance(selected, dict):
        key = (selected.get("response") or {}).get("intent_response_key")
        if key:
            return str(key)
    return name


def _label(parse: dict[str, Any], key: str, field: str) -> str | None:
    value = parse.get(key)
    return str(value[field]) if isinstance(value, dict) and value.get(field) else None


def predicted_record(parse: dict[str, Any], latency_ms: float) -> Predicted:
    return Predicted(
        intent=predicted_intent(parse), confidence=float((parse.get("intent") or {}).get("confidence") or 0.0),
        # Entities without a span (set by a button payload, never typed) cannot be matched to text.
        entities=tuple(Entity.from_dict(e) for e in parse.get("entities") or [] if "start" in e and "end" in e),
        topic=_label(parse, "topic", "name"), sentiment=_label(parse, "sentiment", "label"),
        register=_label(parse, "register", "label"), latency_ms=latency_ms)


# --- intents -----------------------------------------------------------------------------------


def intent_figures(pairs: Sequence[Pair]) -> dict[str, float]:
    """Accuracy, and macro-F1 over the intents this set expects (see the module docstring)."""
    expected = [e.intent for e, _ in pairs]
    predicted = [p.intent for _, p in pairs]
    if not pairs:
        return {"accuracy": 0.0, "macro_f1": 0.0}
    macro = f1_score(expected, predicted, labels=sorted(set(expected)), average="macro", zero_division=0)
    accuracy = sum(e == p for e, p in zip(expected, predicted, strict=True)) / len(pairs)
    return {"accuracy": float(accuracy), "macro_f1": float(macro)}


def intent_report(pairs: Sequence[Pair]) -> dict[str, Any]:
    """Per-intent precision/recall/F1/support over every intent expected or predicted."""
    expected = [e.intent for e, _ in pairs]
    predicted = [p.intent for _, p in pairs]
    labels = sorted(set(expected) | set(predicted))
    report: dict[str, Any] = classification_report(expected, predicted, labels=labels, output_dict=True,
                                                   zero_division=0)
    return report


def intent_errors(pairs: Sequence[Pair]) -> list[dict[str, Any]]:
    return [{"text": e.text, "expected": e.intent, "predicted": p.intent, "confidence": round(p.confidence, 4)}
            for e, p in pairs if e.intent != p.intent]


def entity_errors(pairs: Sequence[Pair], types: set[str]) -> list[dict[str, Any]]:
    """Messages whose entities were missed or wrongly found (overlap rule), with both readings."""
    def shown(entities: Iterable[Entity]) -> list[str]:
        return [f"{e.entity}:{e.value or '?'}@{e.start}-{e.end}" for e in entities if e.entity in types]

    errors = []
    for expected, predicted in pairs:
        counts = match_entities(expected.entities, predicted.entities, types)
        if any(c.fp or c.fn for c in counts.values()):
            errors.append({"text": expected.text, "expected": shown(expected.entities),
                           "predicted": shown(predicted.entities)})
    return errors


def sense_errors(pairs: Sequence[Pair]) -> list[dict[str, Any]]:
    """Word-sense examples read in the wrong department (or in none)."""
    errors = []
    for expected, predicted in pairs:
        if not expected.sense:
            continue
        chosen = sense_entity(expected, predicted)
        if chosen is None or chosen.department != expected.sense:
            errors.append({"text": expected.text, "sense": expected.sense,
                           "read": chosen.department if chosen else None,
                           "entity": chosen.value if chosen else None})
    return errors


def confused_pairs(pairs: Iterable[Pair], top: int = TOP_CONFUSED) -> list[tuple[str, str, int]]:
    """The (expected, predicted) intent pairs most often wrong, most frequent first."""
    counts = Counter((e.intent, p.intent) for e, p in pairs if e.intent != p.intent)
    return [(expected, predicted, n) for (expected, predicted), n in counts.most_common(top)]


# --- entities ----------------------------------------------------------------------------------


def _overlaps(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end


def _same_value(expected: Entity, predicted: Entity) -> bool:
    same = expected.value.strip().casefold() == predicted.value.strip().casefold()
    return same and (expected.role is None or expected.role == predicted.role)


def scored_entity_types(pairs: Iterable[Pair]) -> set[str]:
    """The entity types some test example annotates; predictions of any other type are not scored."""
    return {entity.entity for expected, _ in pairs for entity in expected.entities}


def match_entities(expected: Sequence[Entity], predicted: Sequence[Entity], types: set[str],
                   exact: bool = False) -> dict[str, Counts]:
    """Counts per entity type: a prediction is right when its type matches and its span overlaps an
    annotated entity of that type not already matched (`exact`: and its value and role match).

    Predictions of one type on the same span (two extractors agreeing) count once.
    """
    counts: dict[str, Counts] = defaultdict(Counts)
    spans: dict[tuple[str, int, int], list[Entity]] = defaultdict(list)
    for entity in predicted:
        if entity.entity in types:
            spans[(entity.entity, entity.start, entity.end)].append(entity)
    matched: set[int] = set()
    for (kind, _, _), group in spans.items():
        hit = next((i for i, want in enumerate(expected)
                    if i not in matched and want.entity == kind and _overlaps(want, group[0])
                    and (not exact or any(_same_value(want, got) for got in group))), None)
        if hit is None:
            counts[kind].fp += 1
        else:
            matched.add(hit)
            counts[kind].tp += 1
    for i, want in enumerate(expected):
        if i not in matched:
            counts[want.entity].fn += 1
    return counts


def entity_counts(pairs: Iterable[Pair], types: set[str], exact: bool = False) -> dict[str, Counts]:
    totals: dict[str, Counts] = defaultdict(Counts)
    for expected, predicted in pairs:
        for kind, counts in match_entities(expected.entities, predicted.entities, types, exact).items():
            totals[kind].add(counts)
    return totals


def micro(counts: dict[str, Counts]) -> Counts:
    total = Counts()
    for part in counts.values():
        total.add(part)
    return total


def entity_figures(pairs: Sequence[Pair], types: set[str]) -> dict[str, Any] | None:
    """Micro F1 (overlap and exact value) and per type P/R/F1; None when the pairs annotate nothing."""
    if not any(expected.entities for expected, _ in pairs):
        return None
    overlap = entity_counts(pairs, types)
    exact = entity_counts(pairs, types, exact=True)
    by_type = {kind: {"precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.tp + c.fn}
               for kind, c in sorted(overlap.items())}
    return {"f1": micro(overlap).f1, "f1_exact": micro(exact).f1, "precision": micro(overlap).precision,
            "recall": micro(overlap).recall, "by_type": by_type}


# --- topic, word sense, out of scope, sentiment, register --------------------------------------


def topic_figures(pairs: Sequence[Pair]) -> dict[str, Any]:
    labelled = [(e, p) for e, p in pairs if e.topic is not None]
    correct = sum(e.topic == p.topic for e, p in labelled)
    return {"accuracy": correct / len(labelled) if labelled else None, "scored": len(labelled),
            "unlabelled": len(pairs) - len(labelled)}


def _distance(a: Entity, b: Entity) -> int:
    return max(0, a.start - b.end, b.start - a.end)


def sense_entity(expected: Expected, predicted: Predicted) -> Entity | None:
    """The predicted catalogue entity that reads the annotated product: one covering its span (a
    product first), else the nearest; None when no prediction carries a department."""
    candidates = [e for e in predicted.entities if e.department]
    if not candidates:
        return None
    anchors = ([e for e in expected.entities if e.entity == "product"]
               or [e for e in expected.entities if e.entity in CATALOGUE_TYPES])
    if not anchors:
        return min(candidates, key=lambda c: c.entity != "product")

    def rank(candidate: Entity) -> tuple[bool, bool, int]:
        covers = any(_overlaps(candidate, anchor) for anchor in anchors)
        return (not covers, candidate.entity != "product", min(_distance(candidate, a) for a in anchors))

    return min(candidates, key=rank)


def wsd_figures(pairs: Sequence[Pair]) -> dict[str, Any]:
    """Word sense: the entity read for the ambiguous word carries the annotated department; and how
    often the message's topic agrees with that sense."""
    senses = [(e, p) for e, p in pairs if e.sense]
    if not senses:
        return {"accuracy": None, "topic_agreement": None, "examples": 0}
    right = 0
    for expected, predicted in senses:
        chosen = sense_entity(expected, predicted)
        right += chosen is not None and chosen.department == expected.sense
    agree = sum(e.sense == p.topic for e, p in senses)
    return {"accuracy": right / len(senses), "topic_agreement": agree / len(senses), "examples": len(senses)}


def oos_figures(results: Results) -> dict[str, float | None]:
    """Recall on out_of_scope.yml; how often other sets' in-scope messages are read as out of scope;
    precision and recall of out_of_scope over every set."""
    oos_set = results.get(OUT_OF_SCOPE, [])
    others = [(e, p) for name, pairs in results.items() if name != OUT_OF_SCOPE for e, p in pairs
              if e.intent != OUT_OF_SCOPE]
    everything = [pair for pairs in results.values() for pair in pairs]
    counts = Counts()
    for e, p in everything:
        counts.tp += e.intent == OUT_OF_SCOPE and p.intent == OUT_OF_SCOPE
        counts.fp += e.intent != OUT_OF_SCOPE and p.intent == OUT_OF_SCOPE
        counts.fn += e.intent == OUT_OF_SCOPE and p.intent != OUT_OF_SCOPE
    return {
        "recall": sum(p.intent == OUT_OF_SCOPE for _, p in oos_set) / len(oos_set) if oos_set else None,
        "false_positive_rate": sum(p.intent == OUT_OF_SCOPE for _, p in others) / len(others) if others else None,
        "precision": counts.precision if counts.tp + counts.fp else None,
        "recall_overall": counts.recall if counts.tp + counts.fn else None,
    }


def label_figures(pairs: Sequence[Pair], field: str) -> dict[str, Any]:
    """Accuracy and per-label P/R/F1 of `sentiment` or `register`: a message without the label is
    wrong; a pipeline that never gives it has no figure (None), not a zero."""
    if not any(getattr(p, field) for _, p in pairs):
        return {"accuracy": None, "by_label": {}}
    expected = [str(getattr(e, field)) for e, _ in pairs]
    predicted = [str(getattr(p, field) or "missing") for _, p in pairs]
    report = classification_report(expected, predicted, labels=sorted(set(expected) | set(predicted)),
                                   output_dict=True, zero_division=0)
    by_label = {label: {k: report[label][k] for k in ("precision", "recall", "f1-score", "support")}
                for label in sorted(set(expected) | set(predicted))}
    accuracy = sum(a == b for a, b in zip(expected, predicted, strict=True)) / len(pairs)
    return {"accuracy": accuracy, "by_label": by_label}


# --- the summary and its gates -----------------------------------------------------------------


def gates(summary: dict[str, Any]) -> list[Gate]:
    found = [Gate(f"{name} intent macro-F1", summary["intent_macro_f1"].get(name), floor)
             for name, floor in MIN_INTENT_MACRO_F1.items()]
    return [*found,
            Gate("entity F1", summary["entity_f1"], MIN_ENTITY_F1),
            Gate("topic accuracy", summary["topic_accuracy"], MIN_TOPIC_ACCURACY),
            Gate("word-sense accuracy", summary["wsd_accuracy"], MIN_WSD_ACCURACY),
            Gate("out-of-scope recall", summary["oos_recall"], MIN_OOS_RECALL),
            Gate("test_nlu intent accuracy", summary["intent_accuracy"].get("test_nlu"), MIN_FIRST_HELDOUT_ACCURACY)]


def summarise(results: Results, train_s: float | None = None, config_name: str | None = None,
              model: str | None = None) -> dict[str, Any]:
    """Every figure of the run, per set and overall, with the gates' verdicts."""
    everything = [pair for pairs in results.values() for pair in pairs]
    types = scored_entity_types(everything)
    intents = {name: intent_figures(pairs) for name, pairs in results.items()}
    entities = {name: entity_figures(pairs, types) for name, pairs in results.items()}
    annotated = [pair for name, pairs in results.items() if entities[name] is not None for pair in pairs]
    overall_entities = entity_figures(annotated, types)
    topics = {name: topic_figures(pairs) for name, pairs in results.items()}
    overall_topic = topic_figures(everything)
    wsd = wsd_figures(everything)
    oos = oos_figures(results)
    sentiment = label_figures(everything, "sentiment")
    register = label_figures(everything, "register")
    latencies = [p.latency_ms for _, p in everything]
    summary: dict[str, Any] = {
        "config_name": config_name, "model": model,
        "intent_macro_f1": {name: figures["macro_f1"] for name, figures in intents.items()},
        "intent_accuracy": {name: figures["accuracy"] for name, figures in intents.items()},
        "entity_f1": overall_entities["f1"] if overall_entities else None,
        "entity_f1_exact": overall_entities["f1_exact"] if overall_entities else None,
        "entity_f1_by_set": {name: figures["f1"] for name, figures in entities.items() if figures},
        "entity_f1_exact_by_set": {name: figures["f1_exact"] for name, figures in entities.items() if figures},
        "entity_by_type": overall_entities["by_type"] if overall_entities else {},
        "topic_accuracy": overall_topic["accuracy"],
        "topic_accuracy_by_set": {name: figures["accuracy"] for name, figures in topics.items()},
        "topic_unlabelled": {name: figures["unlabelled"] for name, figures in topics.items()},
        "wsd_accuracy": wsd["accuracy"], "wsd_topic_agreement": wsd["topic_agreement"],
        "wsd_examples": wsd["examples"],
        "wsd_accuracy_by_set": {name: wsd_figures(pairs)["accuracy"] for name, pairs in results.items()},
        "oos_share_by_set": {name: sum(p.intent == OUT_OF_SCOPE for _, p in pairs) / len(pairs) if pairs else None
                             for name, pairs in results.items()},
        "oos_recall": oos["recall"], "oos_false_positive_rate": oos["false_positive_rate"],
        "oos_precision": oos["precision"], "oos_recall_overall": oos["recall_overall"],
        "sentiment_accuracy": sentiment["accuracy"], "sentiment_by_label": sentiment["by_label"],
        "register_accuracy": register["accuracy"], "register_by_label": register["by_label"],
        "parse_p50_ms": float(np.percentile(latencies, 50)) if latencies else None,
        "parse_p95_ms": float(np.percentile(latencies, 95)) if latencies else None,
        "train_s": train_s,
        "budgets": {"parse_p50_ms": PARSE_P50_BUDGET_MS, "train_s": TRAIN_BUDGET_S},
        "messages": len(everything),
        "messages_by_set": {name: len(pairs) for name, pairs in results.items()},
    }
    summary["gates"] = {gate.name: {"value": gate.value, "threshold": gate.threshold, "target": gate.target,
                                    "passed": gate.passed, "target_met": gate.target_met}
                        for gate in gates(summary)}
    return summary


def read_train_seconds(path: Path) -> float | None:
    """The seconds the last training took (make writes them); None when never measured."""
    try:
        return float(path.read_text().strip())
    except FileNotFoundError:
        return None
    except ValueError:
        print(f"eval-nlu: {path} does not hold a number of seconds; training time not reported")
        return None


# --- report files ------------------------------------------------------------------------------


def plot_confusion(pairs: Sequence[Pair], path: Path, title: str) -> None:
    """Rows expected, columns predicted, only intents that occur; colour is the share of the row,
    so an intent with few messages shows its confusions as clearly as a large one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    expected = [e.intent for e, _ in pairs]
    predicted = [p.intent for _, p in pairs]
    labels = sorted(set(expected) | set(predicted))
    matrix = confusion_matrix(expected, predicted, labels=labels)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    side = max(6.0, 0.34 * len(labels) + 3.5)
    font = 9 if len(labels) <= 20 else 6
    fig, ax = plt.subplots(figsize=(side, side), dpi=110)
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=font)
    ax.set_yticks(range(len(labels)), labels, fontsize=font)
    ax.set_xlabel("predicted", fontsize=font + 2)
    ax.set_ylabel("expected", fontsize=font + 2)
    ax.set_title(title, fontsize=font + 4)
    for row, column in zip(*np.nonzero(matrix), strict=True):
        ax.text(column, row, str(matrix[row, column]), ha="center", va="center", fontsize=font - 1,
                color="white" if shares[row, column] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _verdict(passed: bool, value: float | None = 0.0) -> str:
    if value is None:
        return "FAILED (no data)"
    return "ok" if passed else "FAILED"


def _against(value: float | None, floor: float | None) -> str:
    """A table cell: the value, with its gate when it has one."""
    if value is None:
        return "—"
    if floor is None:
        return _fmt(value)
    return f"{_fmt(value)} {'≥' if value >= floor else '**<**'} {floor:.2f}"


def _worst_intents(results: Results) -> list[tuple[str, float, int]]:
    report = intent_report([pair for pairs in results.values() for pair in pairs])
    rows = [(name, float(s["f1-score"]), int(s["support"])) for name, s in report.items()
            if isinstance(s, dict) and name not in ("micro avg", "macro avg", "weighted avg")
            and s["support"] and s["f1-score"] < 1.0]
    return sorted(rows, key=lambda row: row[1])[:WORST_INTENTS]


def render_markdown(summary: dict[str, Any], results: Results) -> str:
    """summary.md: the figures per set against their gates, the worst confusions, the matrices."""
    label = f" — {summary['config_name']}" if summary.get("config_name") else ""
    lines = [f"# NLU evaluation{label}", "", f"{summary['messages']} messages, model `{summary['model']}`.", "",
             "## Per set", "",
             "Each figure against its gate (the overall figure is the one gated; a set below it is marked).", "",
             "| set | messages | intent accuracy | intent macro-F1 | entity F1 (exact) | topic accuracy (unlabelled) "
             "| word sense | read as out of scope |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in results:
        macro = _against(summary["intent_macro_f1"][name], MIN_INTENT_MACRO_F1.get(name))
        entity = _against(summary["entity_f1_by_set"].get(name), MIN_ENTITY_F1)
        if name in summary["entity_f1_exact_by_set"]:
            entity += f" ({_fmt(summary['entity_f1_exact_by_set'][name])})"
        topic = _against(summary["topic_accuracy_by_set"][name], MIN_TOPIC_ACCURACY)
        wsd = _against(summary["wsd_accuracy_by_set"][name], MIN_WSD_ACCURACY)
        oos = _against(summary["oos_share_by_set"][name], MIN_OOS_RECALL if name == OUT_OF_SCOPE else None)
        lines.append(f"| {name} | {summary['messages_by_set'][name]} | {_fmt(summary['intent_accuracy'][name])} "
                     f"| {macro} | {entity} | {topic} ({summary['topic_unlabelled'][name]}) | {wsd} | {oos} |")
    lines += ["", "## Gates", "", "`make test` fails below the floor; the target is where the figure must get to.", "",
              "| figure | value | floor | verdict | target | target met |", "|---|---:|---:|---|---:|---|"]
    lines += [f"| {name} | {_fmt(g['value'])} | ≥ {g['threshold']:.2f} | {_verdict(g['passed'], g['value'])} "
              f"| ≥ {g['target']:.2f} | {'yes' if g['target_met'] else '**no**'} |"
              for name, g in summary["gates"].items()]
    lines += ["", "## Other figures", "", "| figure | value |", "|---|---:|"]
    for key in ("entity_f1_exact", "wsd_topic_agreement", "oos_false_positive_rate", "oos_precision",
                "oos_recall_overall", "sentiment_accuracy", "register_accuracy"):
        lines.append(f"| {key} | {_fmt(summary[key])} |")
    lines += [f"| parse p50 (budget {PARSE_P50_BUDGET_MS:.0f} ms) | {_fmt(summary['parse_p50_ms'], 1)} ms |",
              f"| parse p95 | {_fmt(summary['parse_p95_ms'], 1)} ms |",
              f"| training (budget {TRAIN_BUDGET_S:.0f} s) | {_fmt(summary['train_s'], 0)} s |"]
    lines += ["", "## Entities by type", "", "| type | precision | recall | F1 | support |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {kind} | {_fmt(s['precision'])} | {_fmt(s['recall'])} | {_fmt(s['f1'])} | {s['support']} |"
              for kind, s in summary["entity_by_type"].items()]
    lines += ["", f"## The {TOP_CONFUSED} most confused intent pairs (all sets)", "",
              "| expected | predicted | messages |", "|---|---|---:|"]
    lines += [f"| {e} | {p} | {n} |" for e, p, n in confused_pairs(pair for ps in results.values() for pair in ps)]
    lines += ["", "## Worst intents (all sets)", "", "| intent | F1 | support |", "|---|---:|---:|"]
    lines += [f"| {name} | {f1:.3f} | {support} |" for name, f1, support in _worst_intents(results)]
    lines += ["", "## Confusion matrices (rows expected, columns predicted)", ""]
    lines += [f"- [{name}](confusion_{name}.png)" for name in results]
    return "\n".join(lines) + "\n"


def write_reports(out: Path, summary: dict[str, Any], results: Results) -> None:
    """summary.json, summary.md, <set>_report.json and confusion_<set>.png into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    types = scored_entity_types(pair for pairs in results.values() for pair in pairs)
    for name, pairs in results.items():
        report = {"messages": len(pairs), **intent_figures(pairs), "intents": intent_report(pairs),
                  "errors": intent_errors(pairs), "entity_errors": entity_errors(pairs, types),
                  "sense_errors": sense_errors(pairs)}
        (out / f"{name}_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        plot_confusion(pairs, out / f"confusion_{name}.png", f"{name}: intents")
    (out / "summary.md").write_text(render_markdown(summary, results))


def print_figures(summary: dict[str, Any]) -> None:
    """One line per figure, then the budgets and the gates' table."""
    for name, macro in summary["intent_macro_f1"].items():
        print(f"eval-nlu: {name}: {summary['messages_by_set'][name]} messages, intent accuracy "
              f"{summary['intent_accuracy'][name]:.3f}, intent macro-F1 {macro:.3f}")
    for name, value in summary["entity_f1_by_set"].items():
        print(f"eval-nlu: {name}: entity F1 {value:.3f} (exact value {summary['entity_f1_exact_by_set'][name]:.3f})")
    for name, value in summary["topic_accuracy_by_set"].items():
        print(f"eval-nlu: {name}: topic accuracy {_fmt(value)} ({summary['topic_unlabelled'][name]} unlabelled)")
    for key in ("entity_f1", "entity_f1_exact", "topic_accuracy", "wsd_accuracy", "wsd_topic_agreement",
                "oos_recall", "oos_false_positive_rate", "oos_precision", "oos_recall_overall",
                "sentiment_accuracy", "register_accuracy"):
        print(f"eval-nlu: {key} {_fmt(summary[key])}")
    p50, p95, train_s = summary["parse_p50_ms"], summary["parse_p95_ms"], summary["train_s"]
    print(f"eval-nlu: parse p50 {_fmt(p50, 1)} ms, p95 {_fmt(p95, 1)} ms")
    if p50 is not None:
        within = "within" if p50 <= PARSE_P50_BUDGET_MS else "OVER"
        print(f"eval-nlu: parse p50 is {within} the {PARSE_P50_BUDGET_MS:.0f} ms budget")
    if train_s is None:
        print("eval-nlu: training time unknown (no train-seconds file)")
    else:
        within = "within" if train_s <= TRAIN_BUDGET_S else "OVER"
        print(f"eval-nlu: training took {train_s:.0f} s, {within} the {TRAIN_BUDGET_S:.0f} s budget")
    print(f"eval-nlu: {'gate':<32} {'value':>7} {'floor':>7}  {'verdict':<16} {'target':>7}")
    for name, gate in summary["gates"].items():
        verdict = _verdict(gate["passed"], gate["value"])
        met = "met" if gate["target_met"] else "NOT MET"
        print(f"eval-nlu: {name:<32} {_fmt(gate['value']):>7} {gate['threshold']:>7.2f}  {verdict:<16} "
              f"{gate['target']:>7.2f} {met}")


# --- sets and the model ------------------------------------------------------------------------


def discover_sets(paths: Sequence[Path]) -> dict[str, Path]:
    """Set name (file stem) → file, known sets first. A folder must hold heldout.yml."""
    found: dict[str, Path] = {}
    for path in paths:
        if path.is_dir():
            if not (path / f"{REQUIRED_SET}.yml").exists():
                raise SystemExit(f"eval-nlu: {path} has no {REQUIRED_SET}.yml: the held-out set is required")
            found.update({file.stem: file for file in sorted(path.glob("*.yml")) if file.name not in NOT_A_SET})
        elif path.is_file():
            found[path.stem] = path
        else:
            raise SystemExit(f"eval-nlu: {path} does not exist")
    order = {name: i for i, name in enumerate(KNOWN_SETS)}
    return dict(sorted(found.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def load_set(path: Path, defaults: dict[str, str]) -> list[Expected]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = load_data(str(path)).training_examples
    return [expected_record(str(m.get("text")), m.get_full_intent(), m.get("entities") or [],
                            example_metadata(m.get("metadata")), defaults) for m in examples]


async def parse_sets(model: Path, sets: dict[str, list[Expected]]) -> Results:
    """Loads the model once and parses every message, timing each parse."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the model's custom components live in components/
    import structlog
    from rasa.core.agent import Agent

    from server import crf_cache, fast_load

    # Rasa logs every parse, message text included, at debug; TensorFlow warns at exit about the
    # optimizer state fast loading never builds (inference needs none).
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    fast_load.apply()  # the server's faster model loading; inference is unchanged
    crf_cache.apply()
    agent = Agent.load(str(model))
    first = next((examples[0] for examples in sets.values() if examples), None)
    if first is not None:
        await agent.parse_message(first.text)  # the first parse builds TensorFlow's graphs: not timed
    results: Results = {}
    for name, examples in sets.items():
        pairs: list[Pair] = []
        for example in examples:
            started = time.perf_counter()
            parse = await agent.parse_message(example.text)
            pairs.append((example, predicted_record(parse, (time.perf_counter() - started) * 1000)))
        results[name] = pairs
        logger.debug("parsed %d messages of %s", len(pairs), name)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=Path("models/bottega.tar.gz"))
    parser.add_argument("--sets", type=Path, nargs="+", default=[Path("tests/nlu")],
                        help="a folder of sets (must hold heldout.yml) or set files")
    parser.add_argument("--out", type=Path, default=Path("var/eval/nlu"))
    parser.add_argument("--topics", type=Path, default=Path("data/understanding/topics.yml"))
    parser.add_argument("--train-seconds", type=Path, default=Path("var/nlu/train_seconds"))
    parser.add_argument("--config-name", default=None, help="a label for this run (ablations)")
    parser.add_argument("--no-gates", action="store_true", help="report only; never fail")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notices, as `rasa` does
    if not args.model.exists():
        raise SystemExit(f"eval-nlu: no model at {args.model}: train it first (make train)")
    defaults = load_topic_defaults(args.topics)
    sets = {name: load_set(path, defaults) for name, path in discover_sets(args.sets).items()}
    empty = [name for name, examples in sets.items() if not examples]
    for name in empty:
        print(f"eval-nlu: {name} holds no examples; skipped")
    results = asyncio.run(parse_sets(args.model, {n: e for n, e in sets.items() if n not in empty}))
    summary = summarise(results, read_train_seconds(args.train_seconds), args.config_name, str(args.model))
    write_reports(args.out, summary, results)
    print_figures(summary)
    print(f"eval-nlu: report in {args.out}/summary.md")
    failed = [name for name, gate in summary["gates"].items() if gate["passed"] is False]
    if failed and not args.no_gates:
        print(f"eval-nlu: {len(failed)} gate(s) failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
