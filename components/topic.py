"""The topic of every message: one of the shop's departments or a care area, with a confidence.

Topics and their labels are data (data/understanding/topics.yml): each intent has a default topic,
a training example may override it (`metadata: {topic: …}`), and product intents take the
department of the product they name. The parse result carries `topic: {name, confidence}`, and a
`topic` entity carries the name into the `topic` slot; search uses it when the shopper named no
department.

How a message gets its topic:
- an intent whose examples all share one care topic ("where is my parcel" → orders) takes it,
  as sure as the intent is;
- a product intent takes the department of the catalogue product it names (after word-sense
  resolution, components/catalogue.py), else a department the shopper named, else the word
  classifier's best department (or `general` when no department is likely);
- an intent whose examples carry different topics, and a message no intent fits, go to the word
  classifier: TF-IDF over the normalised tokens and a logistic regression, trained on the
  examples' labels and on every catalogue product's name, category and keywords.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from components.catalogue import CATALOGUE_DEPARTMENTS
from components.fingerprint import files_digest
from components.trained_state import TrainedStateComponent

logger = logging.getLogger(__name__)

TOPIC = "topic"
DEPARTMENT_TOPIC = "department"  # the default of product intents in topics.yml
GENERAL = "general"


class TopicLabels:
    """data/understanding/topics.yml: the topics and each intent's default."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.departments: list[str] = list(data["departments"])
        self.care: list[str] = list(data["care"])
        self.defaults: dict[str, str] = {str(k): str(v) for k, v in data["intents"].items()}
        unknown = set(self.defaults.values()) - {*self.departments, *self.care, DEPARTMENT_TOPIC}
        if unknown:
            raise ValueError(f"topics.yml: unknown topics {sorted(unknown)} (declare them under care:)")

    @classmethod
    def load(cls, path: str | Path) -> TopicLabels:
        return cls(yaml.safe_load(Path(path).read_text(encoding="utf-8")))

    @property
    def topics(self) -> list[str]:
        return [*self.departments, *self.care]

    def default(self, intent: str | None, full_intent: str | None = None) -> str | None:
        for key in (full_intent, intent):
            if key and key in self.defaults:
                return self.defaults[key]
        return None


def example_topic(message: Message, labels: TopicLabels) -> str | None:
    """The training label of an example: its metadata, else its intent's default (products:
    the department of what it names)."""
    metadata = message.get("metadata") or {}
    example_meta = metadata.get("example") if isinstance(metadata.get("example"), dict) else metadata
    if isinstance(example_meta, dict) and example_meta.get(TOPIC):
        return str(example_meta[TOPIC])
    default = labels.default(message.get(INTENT), message.get_full_intent())
    if default != DEPARTMENT_TOPIC:
        return default
    departments: dict[str, float] = message.get(CATALOGUE_DEPARTMENTS) or {}
    if departments:
        return max(departments, key=departments.__getitem__)
    for entity in message.get(ENTITIES) or []:
        if entity.get("entity") == "department" and entity.get("value") in labels.departments:
            return str(entity["value"])
    return GENERAL


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TopicClassifier(TrainedStateComponent):
    """Sets `topic` on every message (see the module docstring)."""

    WITHOUT_STATE = "messages get no topic"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "topics": "data/understanding/topics.yml",
            # Catalogue products are extra examples of their department.
            "catalogue": "var/nlu/catalogue.json",
            # Below this, a product message with no catalogue word is `general`.
            "department_threshold": 0.35,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        merged = {**cls.get_default_config(), **config}
        return files_digest(merged["topics"], merged["catalogue"], __file__)

    def train(self, training_data: TrainingData) -> Resource:
        labels = TopicLabels.load(self._config["topics"])
        texts: list[str] = []
        targets: list[str] = []
        per_intent: dict[str, Counter[str]] = defaultdict(Counter)
        for message in training_data.intent_examples:
            topic = example_topic(message, labels)
            if topic is None:
                continue
            texts.append(_words(message))
            targets.append(topic)
            per_intent[message.get(INTENT)][topic] += 1
        catalogue_path = Path(self._config["catalogue"])
        if catalogue_path.exists():
            for product in json.loads(catalogue_path.read_text(encoding="utf-8"))["products"]:
                texts.append(" ".join([product["name"], product["category"], *product["keywords"]]).lower())
                targets.append(product["department"])
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
        features = vectorizer.fit_transform(texts)
        classifier = LogisticRegression(C=8.0, max_iter=2000)
        classifier.fit(features, targets)
        mixed = {intent: sorted(counts) for intent, counts in per_intent.items() if len(counts) > 1}
        logger.info("Topic classifier: %d examples, %d topics", len(texts), len(set(targets)))
        return self.save_state({"vectorizer": vectorizer, "classifier": classifier, "mixed": mixed,
                                "labels": {"departments": labels.departments, "care": labels.care,
                                           "intents": labels.defaults}})

    def process(self, messages: list[Message]) -> list[Message]:
        if self.state is None:
            return messages
        for message in messages:
            if message.get(TEXT):
                name, confidence = self.topic_of(message)
                message.set(TOPIC, {"name": name, "confidence": round(confidence, 3)}, add_to_output=True)
                entity = {"entity": TOPIC, "value": name, "start": 0, "end": len(message.get(TEXT)),
                          "confidence": round(confidence, 3), "extractor": self.__class__.__name__}
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages

    def topic_of(self, message: Message) -> tuple[str, float]:
        assert self.state is not None
        labels = TopicLabels(self.state["labels"])
        intent = message.get(INTENT) or {}
        intent_name = intent.get("name") if isinstance(intent, dict) else None
        confidence = float(intent.get("confidence") or 0.0) if isinstance(intent, dict) else 0.0
        default = labels.default(intent_name, _full_intent(message, intent_name))
        probabilities = self._probabilities(message)
        if default != DEPARTMENT_TOPIC and (default is None or intent_name in self.state["mixed"]):
            allowed = self.state["mixed"].get(intent_name) or labels.topics
            return _best(probabilities, allowed)
        if default != DEPARTMENT_TOPIC:
            return default, confidence
        # Product intents: the department of the product named (after word-sense resolution).
        departments: dict[str, float] = message.get(CATALOGUE_DEPARTMENTS) or {}
        if departments:
            best = max(departments, key=departments.__getitem__)
            return best, float(departments[best])
        for entity in message.get(ENTITIES) or []:
            if entity.get("entity") == "department" and entity.get("value") in labels.departments:
                return str(entity["value"]), 1.0
        name, probability = _best(probabilities, labels.departments)
        if probability < float(self._config["department_threshold"]):
            return GENERAL, 1.0 - probability
        return name, probability

    def _probabilities(self, message: Message) -> dict[str, float]:
        assert self.state is not None
        features = self.state["vectorizer"].transform([_words(message)])
        row = self.state["classifier"].predict_proba(features)[0]
        return dict(zip(self.state["classifier"].classes_, (float(p) for p in row), strict=True))


def _words(message: Message) -> str:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(t.text.lower() for t in tokens) if tokens else str(message.get(TEXT) or "").lower()


def _full_intent(message: Message, intent_name: str | None) -> str | None:
    selectors = message.get("response_selector") or {}
    # A selector per retrieval intent, or one for all of them under "default".
    selector = selectors.get(intent_name or "") or selectors.get("default") or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    return str(key) if key and str(key).startswith(f"{intent_name}/") else None


def _best(probabilities: dict[str, float], allowed: list[str]) -> tuple[str, float]:
    candidates = {t: probabilities.get(t, 0.0) for t in allowed}
    total = sum(candidates.values()) or 1.0
    best = max(candidates, key=candidates.__getitem__)
    return best, candidates[best] / total
