"""How the shopper feels in each message: negative, neutral or positive, and whether it is clear anger.

VADER (vaderSentiment) reads chat text well — slang, emoji, capitals, "!!!", "not good" — but
not a shop's words: "my parcel never arrived" is neutral to it and "cancel" negative. So the
shop's words and phrases from data/understanding/sentiment.yml are laid over its lexicon, the
shopper's slang is read through data/lexicon/slang.yml first ("thx" → thanks), and the words
of products and brands the message names are left out ("Angry Birds", "Killer Queen" are things
to buy, not moods). Clear anger (components/anger.py, the signal that hands off to a person) is
reported beside the label.

The parse result carries `sentiment: {label, score, anger}`, and the message gets a `sentiment`
entity with the label, so the `sentiment` slot follows it (the Rasa docs' pattern for a
sentiment component) and the dialogue can react to two unhappy turns in a row.
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
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from components import anger as anger_module
from components.anger import is_clearly_angry
from components.fingerprint import files_digest
from components.slang import SlangLexicon

SENTIMENT = "sentiment"
NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
# Entities whose words are names of things, not the shopper's mood.
_NAMED_THINGS = frozenset({"product", "brand"})
_WORD = re.compile(r"[A-Za-z']+")


class SentimentLexicon:
    """data/understanding/sentiment.yml, applied to a VADER analyser."""

    def __init__(self, data: dict[str, Any], where: str = "sentiment.yml") -> None:
        thresholds = data.get("thresholds") or {}
        self.negative = float(thresholds.get("negative", -0.25))
        self.positive = float(thresholds.get("positive", 0.5))
        if not -1.0 <= self.negative < self.positive <= 1.0:
            raise ValueError(f"{where}: thresholds must satisfy -1 <= negative < positive <= 1")
        self.words = {str(k).lower(): float(v) for k, v in (data.get("words") or {}).items()}
        self.phrases = {str(k).lower(): float(v) for k, v in (data.get("phrases") or {}).items()}
        # Longest first, so "thank you so much" wins over a shorter phrase inside it.
        alternatives = "|".join(re.escape(p) for p in sorted(self.phrases, key=len, reverse=True))
        self._phrase = re.compile(rf"\b({alternatives})\b", re.IGNORECASE) if alternatives else None

    @classmethod
    def load(cls, path: str | Path) -> SentimentLexicon:
        return cls(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}, str(path))

    def analyser(self) -> SentimentIntensityAnalyzer:
        analyser = SentimentIntensityAnalyzer()
        analyser.lexicon.update(self.words)
        analyser.lexicon.update({_phrase_token(p): v for p, v in self.phrases.items()})
        return analyser

    def join_phrases(self, text: str) -> str:
        """Each known phrase becomes one token VADER looks up ("still waiting" → still_waiting)."""
        if self._phrase is None:
            return text
        return self._phrase.sub(lambda m: _phrase_token(m.group(0)), text)

    def label(self, score: float) -> str:
        if score <= self.negative:
            return NEGATIVE
        if score >= self.positive:
            return POSITIVE
        return NEUTRAL


def _phrase_token(phrase: str) -> str:
    return re.sub(r"\W+", "_", phrase.lower()).strip("_")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SentimentAnalyzer(GraphComponent):
    """Sets `sentiment` on every message (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # The shop's sentiment words and thresholds, relative to the project's root.
            "lexicon": "data/understanding/sentiment.yml",
            # The chat slang lexicon, read before scoring ("thx" → thanks).
            "slang": "data/lexicon/slang.yml",
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.lexicon = SentimentLexicon.load(config["lexicon"])
        self.slang = SlangLexicon.load(config["slang"])
        self.analyser = self.lexicon.analyser()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentimentAnalyzer:
        return cls({**cls.get_default_config(), **config})

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        merged = {**cls.get_default_config(), **config}
        return files_digest(merged["lexicon"], merged["slang"], __file__, anger_module.__file__)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):
                continue  # a button press carries no mood
            result = self.score(text, message.get(ENTITIES) or [])
            message.set(SENTIMENT, result, add_to_output=True)
            entity = {"entity": SENTIMENT, "value": result["label"], "start": 0, "end": len(text),
                      "confidence": abs(float(result["score"])), "extractor": self.__class__.__name__}
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages

    def score(self, text: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
        """{label, score, anger} for one message."""
        readable = self._readable(text, entities)
        compound = float(self.analyser.polarity_scores(readable)["compound"])
        angry = is_clearly_angry(text)
        label = NEGATIVE if angry else self.lexicon.label(compound)
        return {"label": label, "score": round(compound, 3), "anger": angry}

    def _readable(self, text: str, entities: list[dict[str, Any]]) -> str:
        """The text VADER reads: names of things blanked, slang spelled out, phrases joined."""
        chars = list(text)
        for entity in entities:
            if entity.get("entity") in _NAMED_THINGS and "start" in entity and "end" in entity:
                for i in range(int(entity["start"]), min(int(entity["end"]), len(chars))):
                    chars[i] = " "
        blanked = "".join(chars)

        def spell_out(match: re.Match[str]) -> str:
            word = match.group(0)
            replacement = self.slang.replace_word(word)
            if replacement is None:
                return word
            spelled = " ".join(replacement)
            return spelled.upper() if word.isupper() and len(word) > 1 else spelled

        return self.lexicon.join_phrases(_WORD.sub(spell_out, blanked))
