"""Casual or formal: the tone a shopper writes in, so the bot can answer in the same one.

"yo got any kicks" and "Good evening, I would like to know your opening hours" ask for the same
kind of answer in different voices. The markers are data (data/understanding/register.yml): words
and phrases with weights, plus every slang word the tokenizer spelled out (components/tokenizer.py)
and every emoji, which count as casual. The parse result carries `register: {label, score}`, and
a `register` entity carries a casual or formal label into the `register` slot, which the
responses' conditional variations read (domain.yml). A neutral message sets nothing, so the
conversation keeps the tone the shopper last showed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.fingerprint import files_digest
from components.tokenizer import LEXICON_HITS

REGISTER = "register"
CASUAL, NEUTRAL, FORMAL = "casual", "neutral", "formal"
_EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")


class RegisterMarkers:
    """data/understanding/register.yml."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.formal_at = float(data.get("formal_at", 2))
        self.casual_at = float(data.get("casual_at", -2))
        self.slang_weight = float(data.get("slang_weight", 1.5))
        self.emoji_weight = float(data.get("emoji_weight", 1.5))
        self.weights: dict[str, float] = {str(k).lower(): float(v) for k, v in (data.get("formal") or {}).items()}
        for key, value in (data.get("casual") or {}).items():
            self.weights[str(key).lower()] = -float(value)
        alternatives = "|".join(re.escape(k) for k in sorted(self.weights, key=len, reverse=True))
        self._markers = re.compile(rf"(?<![\w'])({alternatives})(?![\w'])", re.IGNORECASE)

    @classmethod
    def load(cls, path: str | Path) -> RegisterMarkers:
        return cls(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})

    def score(self, text: str, slang_hits: list[str]) -> float:
        """Formal weights minus casual ones; slang and emoji count as casual."""
        markers = sum(self.weights[m.group(0).lower()] for m in self._markers.finditer(text))
        words = [hit for hit in slang_hits if not _EMOJI.search(hit)]
        return markers - self.slang_weight * len(words) - self.emoji_weight * len(_EMOJI.findall(text))

    def label(self, score: float) -> str:
        if score >= self.formal_at:
            return FORMAL
        if score <= self.casual_at:
            return CASUAL
        return NEUTRAL


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RegisterDetector(GraphComponent):
    """Sets `register` on every message (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"markers": "data/understanding/register.yml"}

    def __init__(self, config: dict[str, Any]) -> None:
        self.markers = RegisterMarkers.load(config["markers"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> RegisterDetector:
        return cls({**cls.get_default_config(), **config})

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return files_digest(config.get("markers") or cls.get_default_config()["markers"], __file__)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue
            score = self.markers.score(text, list(message.get(LEXICON_HITS) or []))
            label = self.markers.label(score)
            message.set(REGISTER, {"label": label, "score": round(score, 2)}, add_to_output=True)
            if label != NEUTRAL:
                entity = {"entity": REGISTER, "value": label, "start": 0, "end": len(text),
                          "confidence": 1.0, "extractor": self.__class__.__name__}
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages
