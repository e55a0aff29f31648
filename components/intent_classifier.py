"""Intents from what a message means, not only from the words the examples happen to hold.

A logistic regression over the views of the message (the catalogue view only with
`catalogue_features: true`; config.yml says why it is off):
- its MiniLM sentence vector (components/sentence_encoder.py): wording nobody wrote an example
  for lands near the examples that mean the same ("has my parcel shipped" ~ "where is my order");
- which kinds of catalogue words it names (components/catalogue_featurizer.py): "a product is
  named here" is learnt once and holds for every product the shop sells;
- word uni- and bigrams (TF-IDF) of the message with its product and brand words replaced by one
  placeholder, so "do you have <product>" is one pattern whatever the product, and short fixed
  phrases ("cancel it", "no thanks") keep their weight.

Measured against DIET on the evaluation sets written apart from the training data (docs/nlu.md):
the regression generalises better to unfamiliar wording and trains in seconds. Entities are a CRF's
(config.yml). The confidence is the regression's probability, which the FallbackClassifier reads.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from components.catalogue_featurizer import CATALOGUE_KINDS, MASKED_TEXT
from components.fingerprint import files_digest
from components.sentence_encoder import SENTENCE_VECTOR
from components.trained_state import TrainedStateComponent

logger = logging.getLogger(__name__)



@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class MeaningIntentClassifier(TrainedStateComponent, IntentClassifier):
    """Sets `intent` and `intent_ranking` (see the module docstring)."""

    WITHOUT_STATE = "messages get no intent"

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the regression (larger: fits the examples closer).
            "C": 10.0,
            # Weight of the catalogue-kind flags against the unit-length sentence vector.
            "catalogue_weight": 2.0,
            # Intents listed in the ranking (the two-stage fallback offers the top ones).
            "ranking_length": 10,
            # Read the catalogue kinds and the product-masked words (CatalogueFeaturizer); false:
            # the sentence vector and the words as written.
            "catalogue_features": True,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return files_digest(__file__)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        # The masked text is already tokenised: split on spaces only, keep the placeholder whole.
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+")  # noqa: S106
        words.fit([_masked(m, bool(self._config["catalogue_features"])) for m in examples])
        self.state = {"words": words}
        features = self._features(examples)
        classifier = LogisticRegression(C=float(self._config["C"]), max_iter=5000)
        classifier.fit(features, [m.get(INTENT) for m in examples])
        logger.info("Intent classifier: %d examples, %d intents, %d features",
                    len(examples), len(classifier.classes_), features.shape[1])
        return self.save_state({"words": words, "classifier": classifier})

    def process(self, messages: list[Message]) -> list[Message]:
        readable = [m for m in messages if m.get(TEXT)]
        if self.state is None or not readable:
            return messages
        probabilities = self.state["classifier"].predict_proba(self._features(readable))
        classes = self.state["classifier"].classes_
        for message, row in zip(readable, probabilities, strict=True):
            order = np.argsort(row)[::-1]
            ranking = [{INTENT_NAME_KEY: str(classes[i]), PREDICTED_CONFIDENCE_KEY: float(row[i])}
                       for i in order[: int(self._config["ranking_length"])]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def _features(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        """Each view the pipeline provides: without the sentence encoder or the catalogue
        featurizer (an ablation, docs/nlu.md) the regression reads the others."""
        assert self.state is not None
        blocks: list[Any] = []
        if all(m.get(SENTENCE_VECTOR) is not None for m in messages):
            blocks.append(scipy.sparse.csr_matrix(np.stack([np.asarray(m.get(SENTENCE_VECTOR)) for m in messages])))
        use_catalogue = bool(self._config["catalogue_features"])
        if use_catalogue and all(m.get(CATALOGUE_KINDS) is not None for m in messages):
            kinds = np.stack([np.asarray(m.get(CATALOGUE_KINDS), dtype=np.float32) for m in messages])
            blocks.append(scipy.sparse.csr_matrix(float(self._config["catalogue_weight"]) * kinds))
        blocks.append(self.state["words"].transform([_masked(m, use_catalogue) for m in messages]))
        return scipy.sparse.hstack(blocks).tocsr()


def _masked(message: Message, use_catalogue: bool = True) -> str:
    """The words with products masked (CatalogueFeaturizer), else the tokens as they are."""
    masked = message.get(MASKED_TEXT)
    if masked is not None and use_catalogue:
        return str(masked)
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(t.text.lower() for t in tokens) if tokens else str(message.get(TEXT)).lower()
