"""The understanding components on messages nobody wrote a training example for."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, TEXT

from components.catalogue import CatalogueEntityExtractor
from components.catalogue_lexicon import Lexicon
from components.register import RegisterDetector
from components.sentiment import SentimentAnalyzer
from components.tokenizer import LEXICON_HITS, ShopTokenizer

from .conftest import ROOT, tokenized


@pytest.fixture(scope="module")
def extractor(lexicon: Lexicon) -> CatalogueEntityExtractor:
    return CatalogueEntityExtractor({}, MagicMock(), MagicMock(), lexicon)


def found(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer, text: str,
          intent: str = "search_product") -> list[dict[str, Any]]:
    message = tokenized(tokenizer, text, intent)
    extractor.process([message])
    return [e for e in message.get(ENTITIES) or [] if e.get("extractor") == "CatalogueEntityExtractor"]


def test_slang_is_spelled_out_for_the_model_and_the_shoppers_words_kept(tokenizer: ShopTokenizer) -> None:
    message = tokenized(tokenizer, "gimme kicks pls 🙏")
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert [t.text for t in tokens][:4] == ["give", "me", "trainers", "please"]
    kicks = next(t for t in tokens if t.text == "trainers")
    assert message.get(TEXT)[kicks.start:kicks.end] == "kicks"
    assert message.get(TEXT) == "gimme kicks pls 🙏" and "kicks" in message.get(LEXICON_HITS)


@pytest.mark.parametrize(("text", "product", "department"), [
    ("any blackberries for my smoothie?", "blackberries", "grocery"),
    ("is the blackberry unlocked?", "blackberry", "electronics"),
    ("a mouse for my cat", "mouse", "pets"),
    ("wireless mouse for my laptop", "wireless mouse", "electronics"),
    ("vitamin tablets", "vitamin tablets", "beauty"),
    ("a tablet for netflix", "tablet", "electronics"),
])
def test_a_word_with_two_meanings_is_read_in_its_context(extractor: CatalogueEntityExtractor,
                                                          tokenizer: ShopTokenizer, text: str, product: str,
                                                          department: str) -> None:
    entities = found(extractor, tokenizer, text)
    named = [e for e in entities if e["entity"] in ("product", "brand")]
    assert [text[e["start"]:e["end"]] for e in named] == [product], entities
    assert named[0]["department"] == department


def test_orange_jumper_is_a_colour_and_a_jumper(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer) -> None:
    entities = found(extractor, tokenizer, "an orange jumper")
    assert [(e["entity"], e["value"]) for e in entities] == [("color", "orange"), ("product", "jumper")]
    assert entities[1]["department"] == "fashion"


@pytest.mark.parametrize(("text", "words"), [
    ("looking for a winter jacket", "winter jacket"),  # a product type no example names
    ("got any kicks?", "kicks"),  # the shop's synonym
    ("do you have sneekers", "sneekers"),  # a typo
    ("I need a powerbank", "powerbank"),  # two words written as one
])
def test_catalogue_words_are_products_trained_or_not(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer,
                                                     text: str, words: str) -> None:
    products = [e for e in found(extractor, tokenizer, text) if e["entity"] == "product"]
    assert [text[e["start"]:e["end"]] for e in products] == [words]


def test_a_description_word_alone_is_not_a_product(extractor: CatalogueEntityExtractor,
                                                   tokenizer: ShopTokenizer) -> None:
    assert found(extractor, tokenizer, "what colours does it come in", "product_details") == []
    assert found(extractor, tokenizer, "is it a good gift", "product_details") == []


@pytest.fixture(scope="module")
def sentiment() -> SentimentAnalyzer:
    return SentimentAnalyzer({"lexicon": str(ROOT / "data/understanding/sentiment.yml"),
                              "slang": str(ROOT / "data/lexicon/slang.yml")})


@pytest.mark.parametrize(("text", "label", "angry"), [
    ("my parcel never arrived and nobody answers", "negative", False),
    ("still waiting for my refund, 3 weeks now", "negative", False),
    ("thx so much, super fast delivery ❤️", "positive", False),
    ("where is my order?", "neutral", False),
    ("can you help me find a kettle please", "neutral", False),
    ("I'm furious!!! this is a SCAM", "negative", True),
])
def test_sentiment(sentiment: SentimentAnalyzer, text: str, label: str, angry: bool) -> None:
    result = sentiment.score(text, [])
    assert (result["label"], result["anger"]) == (label, angry), result


def test_the_names_of_things_carry_no_mood(sentiment: SentimentAnalyzer) -> None:
    text = "do you have Angry Birds toys?"
    assert sentiment.score(text, [])["label"] == "negative"  # what VADER alone would say
    birds = {"entity": "product", "start": 12, "end": 23, "value": "angry birds"}
    assert sentiment.score(text, [birds])["label"] == "neutral"


@pytest.fixture(scope="module")
def register() -> RegisterDetector:
    return RegisterDetector({"markers": str(ROOT / "data/understanding/register.yml")})


@pytest.mark.parametrize(("text", "label"), [
    ("yo got any kicks", "casual"),
    ("hey u got this in blue? thx 👍", "casual"),
    ("Good evening, I would like to know your opening hours in Milan", "formal"),
    ("Dear Sir or Madam, could you kindly tell me where my order is?", "formal"),
    ("where is my order", "neutral"),
])
def test_register(register: RegisterDetector, tokenizer: ShopTokenizer, text: str, label: str) -> None:
    message = tokenized(tokenizer, text)
    register.process([message])
    assert message.get("register")["label"] == label
    slot_entities = [e["value"] for e in message.get(ENTITIES) or [] if e["entity"] == "register"]
    assert slot_entities == ([] if label == "neutral" else [label])
