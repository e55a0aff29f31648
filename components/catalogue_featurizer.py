"""Marks every word of the catalogue in a message, so the entity tagger learns "a product is named here".

A tagger learns entities from the words its examples hold: "I need a powerbank for travelling"
has no word a product example has. This featurizer gives each token a few flags from the catalogue
lexicon (components/catalogue_lexicon.py, the same the entity extractor uses): it is (part of) a
product, a brand, a colour or a department; the product word is also a common English word
("case", "light"); it was matched through a typo or synonym. The flags are token patterns, beside
the RegexFeaturizer's, which Rasa's CRFEntityExtractor reads; they are sparse features too, for any
featurizer-reading classifier. The examples teach the tagger what the flags mean, and the flags
carry that to every product the shop sells, trained or not. For the intent classifier it also
records which kinds of catalogue word the message names and the message's words with every product
or brand masked.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import catalogue_lexicon as lexicon_module
from components.catalogue import build_lexicon, load_lexicon, save_lexicon, units_of
from components.catalogue_lexicon import BRAND, COLOR, DEPARTMENT, PRODUCT, Lexicon
from components.fingerprint import files_digest

logger = logging.getLogger(__name__)

FEATURES = (PRODUCT, BRAND, COLOR, DEPARTMENT, "common_word", "inexact")
_COLUMN = {name: i for i, name in enumerate(FEATURES)}
# Message properties for the intent classifier (components/intent_classifier.py): which kinds of
# catalogue word the message names (product, brand, colour, department: 0 or 1 each), and its
# words, lower case, with each product or brand replaced by one placeholder.
CATALOGUE_KINDS = "catalogue_kinds"
MASKED_TEXT = "catalogue_masked_text"
PRODUCT_PLACEHOLDER = "__product__"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class CatalogueFeaturizer(SparseFeaturizer, GraphComponent):
    """Per-token catalogue flags for the entity tagger (see the module docstring)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SparseFeaturizer.get_default_config(),
            # The shop's catalogue export (make nlu-catalogue) and the word-sense context words.
            "catalogue": "var/nlu/catalogue.json",
            "senses": "data/understanding/senses.yml",
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, lexicon: Lexicon | None = None) -> None:
        # The graph names every node it runs; outside one, the class name identifies the features.
        super().__init__(execution_context.node_name or type(self).__name__, config)
        self._model_storage = model_storage
        self._resource = resource
        self.lexicon = lexicon

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CatalogueFeaturizer:
        return cls({**cls.get_default_config(), **config}, model_storage, resource, execution_context)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CatalogueFeaturizer:
        return cls({**cls.get_default_config(), **config}, model_storage, resource, execution_context,
                   load_lexicon(model_storage, resource))

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        for key in ("catalogue", "senses"):
            if not config.get(key):
                raise ValueError(f"CatalogueFeaturizer: '{key}' must name a file")

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        merged = {**cls.get_default_config(), **config}
        return files_digest(merged["catalogue"], merged["senses"], __file__, lexicon_module.__file__)

    def train(self, training_data: TrainingData) -> Resource:
        self.lexicon = build_lexicon(self._config["catalogue"], self._config["senses"], training_data)
        save_lexicon(self.lexicon, self._model_storage, self._resource)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT])
            if tokens and self.lexicon is not None:
                sequence = self.token_features(message, len(tokens))
                sentence = sequence.max(axis=0).toarray()
                self.add_features_to_message(sequence=sequence, sentence=scipy.sparse.coo_matrix(sentence),
                                             attribute=TEXT, message=message)
                kinds = [float(sentence[0, _COLUMN[kind]]) for kind in (PRODUCT, BRAND, COLOR, DEPARTMENT)]
                message.set(CATALOGUE_KINDS, kinds)
                named = {row for row, col in zip(sequence.row, sequence.col, strict=True)
                         if col in (_COLUMN[PRODUCT], _COLUMN[BRAND])}
                message.set(MASKED_TEXT, _masked_text([t.text for t in tokens], named))
                _add_token_patterns(tokens, sequence)
            elif message.get(TEXT):
                message.set(CATALOGUE_KINDS, [0.0] * 4)
                message.set(MASKED_TEXT, str(message.get(TEXT)).lower())
        return messages

    def token_features(self, message: Message, token_count: int) -> scipy.sparse.coo_matrix:
        """tokens × FEATURES: 1 where a token is (part of) a catalogue word of that kind."""
        assert self.lexicon is not None
        tokens = message.get(TOKENS_NAMES[TEXT])
        token_at = {token.start: index for index, token in enumerate(tokens)}
        units = units_of(message)
        rows: list[int] = []
        cols: list[int] = []
        for match in self.lexicon.find([unit.word for unit in units]):
            kinds = {term.entity for term in match.readings}
            single_common = match.first == match.last and units[match.first].word in self.lexicon.common_words
            flags = [*kinds, *(["common_word"] if single_common and PRODUCT in kinds else []),
                     *(["inexact"] if match.fuzzy else [])]
            for unit in units[match.first:match.last + 1]:
                index = token_at.get(unit.start)
                if index is None:
                    continue
                for flag in flags:
                    rows.append(index)
                    cols.append(_COLUMN[flag])
        data = np.ones(len(rows), dtype=np.float32)
        matrix = scipy.sparse.coo_matrix((data, (rows, cols)), shape=(token_count, len(FEATURES)))
        matrix.sum_duplicates()
        matrix.data = np.minimum(matrix.data, 1.0)
        return matrix


def _add_token_patterns(tokens: list[Any], sequence: scipy.sparse.coo_matrix) -> None:
    """The flags also as token patterns (beside the RegexFeaturizer's), which a CRF tagger reads."""
    flags: dict[int, dict[str, bool]] = {}
    for row, col in zip(sequence.row, sequence.col, strict=True):
        flags.setdefault(int(row), {})[f"catalogue_{FEATURES[col]}"] = True
    for index, token in enumerate(tokens):
        token.set("pattern", {**(token.get("pattern") or {}), **flags.get(index, {})})


def _masked_text(words: list[str], named: set[int]) -> str:
    """The words, lower case, each run of product or brand tokens one placeholder."""
    out: list[str] = []
    for index, word in enumerate(words):
        if index in named:
            if index - 1 not in named:
                out.append(PRODUCT_PLACEHOLDER)
        else:
            out.append(word.lower())
    return " ".join(out)
