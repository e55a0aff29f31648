"""Which answer of a retrieval intent (faq/warranty, chitchat/ask_name) a message asks for.

Rasa's ResponseSelector trains a DIET-sized model for this and runs it on every message (about 7 ms
of a parse here). The answers are few and the sentence vector already says what a message means,
so a logistic regression over the MiniLM vector (components/sentence_encoder.py) and the words
picks the answer in well under a millisecond and trains in seconds. The result has the shape of
the ResponseSelector's — one selector per retrieval intent under `response_selector` — so Rasa's
`utter_faq` / `utter_chitchat` actions answer from it unchanged. Only a message read as a retrieval
intent gets one (the intent classifier runs first): nothing else would read it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from components.fingerprint import files_digest
from components.sentence_encoder import SENTENCE_VECTOR
from components.trained_state import TrainedStateComponent

logger = logging.getLogger(__name__)



@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RetrievalAnswerSelector(TrainedStateComponent, IntentClassifier):
    """Sets `response_selector` for every retrieval intent (see the module docstring)."""

    WITHOUT_STATE = "faq and chitchat get no answer"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the regression.
            "C": 10.0,
            # Answers listed in each selector's ranking.
            "ranking_length": 5,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return files_digest(__file__)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples
                    if m.get(TEXT) and m.get(INTENT_RESPONSE_KEY) and m.get(INTENT) in training_data.retrieval_intents]
        if not examples:
            self.state = None
            return self._resource
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        words.fit([m.get(TEXT).lower() for m in examples])
        self.state = {"words": words}
        classifier = LogisticRegression(C=float(self._config["C"]), max_iter=5000)
        classifier.fit(self._features(examples), [m.get_full_intent() for m in examples])
        by_intent: dict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(classifier.classes_):
            by_intent[str(key).split("/", 1)[0]].append(index)
        logger.info("Retrieval answers: %d examples, %d answers", len(examples), len(classifier.classes_))
        return self.save_state({
            "words": words,
            "classifier": classifier,
            "by_intent": dict(by_intent),
            # Each answer's texts, as the ResponseSelector hands them to the utter action.
            "responses": {str(key): training_data.responses.get(f"utter_{key}", []) for key in classifier.classes_},
        })

    def process(self, messages: list[Message]) -> list[Message]:
        if self.state is None:
            return messages
        readable = [m for m in messages if m.get(TEXT) and self._may_be_asked(m)]
        if not readable:
            return messages
        classifier = self.state["classifier"]
        probabilities = classifier.predict_proba(self._features(readable))
        for message, row in zip(readable, probabilities, strict=True):
            selectors: dict[str, Any] = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: sorted(self.state["by_intent"])}
            for intent, columns in self.state["by_intent"].items():
                share = row[columns] / max(float(row[columns].sum()), 1e-12)
                order = np.argsort(share)[::-1]
                ranking = [{INTENT_RESPONSE_KEY: str(classifier.classes_[columns[i]]),
                            PREDICTED_CONFIDENCE_KEY: float(share[i])}
                           for i in order[: int(self._config["ranking_length"])]]
                best = ranking[0][INTENT_RESPONSE_KEY]
                selectors[intent] = {
                    RESPONSE_SELECTOR_PREDICTION_KEY: {
                        RESPONSE_SELECTOR_RESPONSES_KEY: self.state["responses"].get(best, []),
                        PREDICTED_CONFIDENCE_KEY: ranking[0][PREDICTED_CONFIDENCE_KEY],
                        INTENT_RESPONSE_KEY: best,
                        RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
                    },
                    RESPONSE_SELECTOR_RANKING_KEY: ranking,
                }
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)
        return messages

    def _may_be_asked(self, message: Message) -> bool:
        """Whether the bot could give one of the answers: the message reads as a retrieval intent
        (faq, chitchat), or no classifier has read it yet. Rasa's answer actions run only for those."""
        assert self.state is not None
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        return intent is None or intent in self.state["by_intent"]

    def _features(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        assert self.state is not None
        words = self.state["words"].transform([str(m.get(TEXT)).lower() for m in messages])
        if any(m.get(SENTENCE_VECTOR) is None for m in messages):
            return words.tocsr()  # no sentence encoder in the pipeline (an ablation): the words alone
        vectors = np.stack([np.asarray(m.get(SENTENCE_VECTOR), dtype=np.float32) for m in messages])
        return scipy.sparse.hstack([scipy.sparse.csr_matrix(vectors), words]).tocsr()
