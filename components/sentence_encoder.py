"""Dense sentence features from all-MiniLM-L6-v2, so a small training set generalises.

Sparse word and character counts know only the words the examples hold; a sentence encoder trained
on a billion sentence pairs puts "has my parcel shipped yet" beside "where is my order" although
they share no word. This featurizer gives the intent, retrieval and topic classifiers one 384-float
sentence vector per message (mean-pooled MiniLM, components/minilm.py), read from the shopper's words as the
tokenizer spelled them out ("wer is my pkg" → "where is my package").

Only sentence features: the entity tagger reads the words and their patterns, and a message costs
one encoder pass rather than one per word piece.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import minilm as minilm_module
from components.fingerprint import files_digest
from components.minilm import MiniLM

logger = logging.getLogger(__name__)

# Message property holding the sentence vector itself (read by components/intent_classifier.py).
SENTENCE_VECTOR = "sentence_vector"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a MiniLM sentence vector to every message's text (see the module docstring)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # Messages encoded at once while featurising the training data.
            "batch_size": 64,
        }

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        # The graph names every node it runs; outside one, the class name identifies the features.
        super().__init__(execution_context.node_name or type(self).__name__, config)
        self.encoder = MiniLM()
        self.batch_size = int(config["batch_size"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceEncoderFeaturizer:
        return cls({**cls.get_default_config(), **config}, execution_context)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return files_digest(__file__, minilm_module.__file__)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if int(config.get("batch_size", 1)) < 1:
            raise ValueError("SentenceEncoderFeaturizer: batch_size must be at least 1")

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize([m for m in messages if m.get(TEXT)])
        return messages

    def _featurize(self, messages: list[Message]) -> None:
        if not messages:
            return
        vectors = self.encoder.encode([_spelled_out(m) for m in messages], self.batch_size)
        for message, vector in zip(messages, vectors, strict=True):
            message.set(SENTENCE_VECTOR, vector)
            # A sentence vector only: Rasa types `sequence` as required, but its code skips a None
            # there as it does for `sentence`.
            self.add_features_to_message(sequence=None,  # type: ignore[arg-type]
                                         sentence=vector[np.newaxis, :].astype(np.float32),
                                         attribute=TEXT, message=message)


def _spelled_out(message: Message) -> str:
    """The message as the tokenizer read it: slang spelled out, the shopper's words otherwise."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(t.text for t in tokens) if tokens else str(message.get(TEXT))
