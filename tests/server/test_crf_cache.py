"""server/crf_cache.py: CRFEntityExtractor loaded from cached CRFs finds exactly the entities the
stock load (which trains them again) finds, and a model trained on other data never gets the CRFs
cached for the old one.

A small real pipeline — whitespace tokens, lexical features, the CRF — trained in a temporary model
storage, as `rasa train` persists it; the cache lives in the test's own folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import LexicalSyntacticFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from server import crf_cache

COLOURS = ["red", "blue", "green", "black", "white"]
PRODUCTS = ["shoes", "jacket", "socks", "backpack", "dress"]
TEST_TEXTS = ["do you have red shoes", "show me a green backpack", "black dress please", "any white socks"]


def _examples(entity: str) -> list[Message]:
    """Shoppers asking for a colour and a product; `entity` names what the colour is tagged as."""
    examples = []
    for i, colour in enumerate(COLOURS):
        for j, product in enumerate(PRODUCTS):
            lead = ["do you have", "i want", "show me", "looking for", "any"][(i + j) % 5]
            text = f"{lead} {colour} {product}"
            start = len(lead) + 1
            examples.append(Message(data={"text": text, "intent": "search", "entities": [
                {"start": start, "end": start + len(colour), "value": colour, "entity": entity},
                {"start": start + len(colour) + 1, "end": len(text), "value": product, "entity": "product"},
            ]}))
    return examples


class Pipeline:
    """Tokenizer and featurizer, trained once, for the CRF's training data and the test messages."""

    def __init__(self, storage: LocalModelStorage, context: ExecutionContext) -> None:
        self.tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        self.featurizer = LexicalSyntacticFeaturizer.create(
            LexicalSyntacticFeaturizer.get_default_config(), storage, Resource("lexical"), context)
        self.storage, self.context = storage, context

    def prepare(self, data: TrainingData) -> TrainingData:
        self.tokenizer.process_training_data(data)
        self.featurizer.train(data)
        self.featurizer.process_training_data(data)
        return data

    def train_crf(self, entity: str) -> CRFEntityExtractor:
        """Trains the CRF on `entity`-tagged colours and persists it in resource "crf" (a new model)."""
        data = self.prepare(TrainingData(training_examples=_examples(entity)))
        extractor = CRFEntityExtractor.create(self.config(), self.storage, Resource("crf"), self.context)
        extractor.train(data)
        return extractor

    def config(self) -> dict[str, Any]:
        return {**CRFEntityExtractor.get_default_config(), "max_iterations": 20}

    def entities(self, extractor: CRFEntityExtractor) -> list[list[tuple[str, str, float]]]:
        found = []
        for text in TEST_TEXTS:
            message = Message(data={"text": text})
            self.tokenizer.process([message])
            self.featurizer.process([message])
            extractor.process([message])
            found.append([(e["entity"], e["value"], round(e["confidence_entity"], 6))
                          for e in message.get("entities", [])])
        return found

    def load(self, *, cached: bool) -> CRFEntityExtractor:
        if cached:
            return crf_cache.load_cached(CRFEntityExtractor, self.config(), self.storage, Resource("crf"), self.context)
        return CRFEntityExtractor.load(self.config(), self.storage, Resource("crf"), self.context)


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    (tmp_path / "model").mkdir()
    storage = LocalModelStorage(tmp_path / "model")
    return Pipeline(storage, ExecutionContext(GraphSchema({}), model_id="test"))


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """How many times the CRFs are trained; the cache in the test's folder."""
    monkeypatch.setenv(crf_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    calls: list[int] = []
    stock_train = CRFEntityExtractor.train_model

    def counting(cls: type[CRFEntityExtractor], dataset: Any, config: dict[str, Any], crf_order: list[str]) -> Any:
        calls.append(1)
        return stock_train(dataset, config, crf_order)

    monkeypatch.setattr(CRFEntityExtractor, "train_model", classmethod(counting))
    return calls


def test_cached_crfs_find_what_the_stock_load_finds(pipeline: Pipeline, trainings: list[int]) -> None:
    trained = pipeline.entities(pipeline.train_crf("colour"))
    assert [(entity, value) for entity, value, _ in trained[0]] == [("colour", "red"), ("product", "shoes")]
    assert len(trainings) == 1
    stock = pipeline.entities(pipeline.load(cached=False))
    first = pipeline.entities(pipeline.load(cached=True))  # trains (a miss) and stores the CRFs
    assert len(trainings) == 3
    assert len(list(crf_cache.cache_dir().glob("*.pkl"))) == 1
    second = pipeline.entities(pipeline.load(cached=True))  # from the cache
    assert len(trainings) == 3
    assert second == first == stock == trained


def test_a_model_trained_on_other_data_is_not_given_the_old_crfs(pipeline: Pipeline, trainings: list[int]) -> None:
    pipeline.train_crf("colour")
    old = pipeline.entities(pipeline.load(cached=True))
    pipeline.train_crf("shade")  # a retrained model: the same resource, other entity data
    trained_again = len(trainings)
    new = pipeline.entities(pipeline.load(cached=True))
    assert len(trainings) == trained_again + 1  # not found in the cache: trained
    assert [entity for entity, *_ in new[0]] == ["shade", "product"]
    assert [entity for entity, *_ in old[0]] == ["colour", "product"]
    assert len(list(crf_cache.cache_dir().glob("*.pkl"))) == 2


def test_other_settings_are_another_entry(pipeline: Pipeline, trainings: list[int]) -> None:
    pipeline.train_crf("colour")
    pipeline.load(cached=True)
    other = {**pipeline.config(), "L2_c": 0.5}
    crf_cache.load_cached(CRFEntityExtractor, other, pipeline.storage, Resource("crf"), pipeline.context)
    assert len(trainings) == 3
    assert len(list(crf_cache.cache_dir().glob("*.pkl"))) == 2


def test_a_damaged_entry_is_trained_again_and_replaced(pipeline: Pipeline, trainings: list[int],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    expected = pipeline.entities(pipeline.train_crf("colour"))
    pipeline.load(cached=True)
    [entry] = crf_cache.cache_dir().glob("*.pkl")
    entry.write_bytes(b"not a pickle")
    assert pipeline.entities(pipeline.load(cached=True)) == expected
    assert "unreadable" in caplog.text
    assert len(trainings) == 3
    assert pipeline.entities(pipeline.load(cached=True)) == expected
    assert len(trainings) == 3


def test_only_the_most_recently_used_entries_are_kept(pipeline: Pipeline, trainings: list[int]) -> None:
    pipeline.train_crf("colour")
    for l2 in (0.1, 0.2, 0.3, 0.4, 0.5):
        config = {**pipeline.config(), "L2_c": l2}
        crf_cache.load_cached(CRFEntityExtractor, config, pipeline.storage, Resource("crf"), pipeline.context)
    assert len(list(crf_cache.cache_dir().glob("*.pkl"))) == crf_cache.KEEP
