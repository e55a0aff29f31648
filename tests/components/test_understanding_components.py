"""The understanding components on messages nobody wrote a training example for."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, TEXT

from components.catalogue import CatalogueEntityExtractor
from components.catalogue_featurizer import CatalogueFeaturizer
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


def entities_after(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer, text: str,
                   tagged: tuple[tuple[str, str], ...] = (), intent: str = "search_product") -> list[tuple[str, str]]:
    """(type, the shopper's words) of every entity once the extractor ran, after a tagger's `tagged`
    (type, words) entities — what the actions receive."""
    message = tokenized(tokenizer, text, intent)
    message.set(ENTITIES, [{"entity": kind, "start": text.index(words), "end": text.index(words) + len(words),
                            "value": words, "extractor": "CRFEntityExtractor"} for kind, words in tagged])
    extractor.process([message])
    return [(e["entity"], text[e["start"]:e["end"]]) for e in message.get(ENTITIES) or []]


@pytest.mark.parametrize(("text", "sought"), [
    ("kibble for a big dog", ["kibble"]),  # who it is for
    ("a case for my phone, clear so the colour shows through", ["case"]),
    ("add the silicone case in orange for my iphone", ["silicone case"]),
    ("looking for a mouse to keep the kitten busy, she's shredding the sofa", ["mouse"]),  # the story around it
    ("I'd like a bottle of chianti", ["chianti"]),  # a measure names no product
    ("a kettle and a toaster", ["kettle", "toaster"]),  # listed
    ("pillows, duvets and a toaster", ["pillows", "duvets", "toaster"]),
    ("I'm not looking for a phone, I want a tablet", ["phone", "tablet"]),  # another request
    ("can I swap the iPhone 15 for the iPhone 16", ["iPhone 15", "iPhone 16"]),  # a swap
])
def test_only_the_products_asked_about_are_entities(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer,
                                                    text: str, sought: list[str]) -> None:
    products = [words for kind, words in entities_after(extractor, tokenizer, text) if kind == "product"]
    assert products == sought


def test_a_context_product_still_says_which_department(extractor: CatalogueEntityExtractor,
                                                       tokenizer: ShopTokenizer) -> None:
    cases = [e for e in found(extractor, tokenizer, "I need new cases for my pillows, cotton ones")
             if e["entity"] == "product"]
    assert [(e["value"], e["department"]) for e in cases] == [("case", "home")]


def test_a_verb_that_is_also_a_product_is_not_one(extractor: CatalogueEntityExtractor,
                                                  tokenizer: ShopTokenizer) -> None:
    assert entities_after(extractor, tokenizer, "bin the beanie", intent="remove_from_cart") == [("product", "beanie")]
    assert entities_after(extractor, tokenizer, "bin the kettle", intent="remove_from_cart") == [("product", "kettle")]
    assert ("product", "chuck") not in entities_after(extractor, tokenizer, "chuck a nutella in the basket",
                                                      intent="add_to_cart")
    assert ("product", "chuck") not in entities_after(extractor, tokenizer, "chuck 2 of those in my basket",
                                                      intent="add_to_cart")
    assert ("product", "chuck") not in entities_after(extractor, tokenizer, "chuck another one in",
                                                      intent="add_to_cart")
    assert ("product", "chuck") not in entities_after(extractor, tokenizer, "ok chuck 2 of those in my basket",
                                                      intent="add_to_cart")
    assert entities_after(extractor, tokenizer, "yes bin the beanie",
                          intent="remove_from_cart") == [("product", "beanie")]


@pytest.mark.parametrize(("text", "tagged", "left"), [
    ("tell me about the ultraboost 5", [("product_index", "5")], []),  # inside a catalogue name
    ("does the Fairphone 5 have a headphone jack", [("quantity", "5")], []),  # a model number
    ("do you sell tablets that fizz in water? the ones I had", [("size", "I")], []),  # no such size
    ("a red hoodie in XL", [("size", "XL")], [("size", "XL")]),
    ("add 2 kettlebells", [("quantity", "2 kettlebells")], [("quantity", "2 kettlebells")]),
])
def test_the_catalogue_overrules_a_taggers_mistakes(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer,
                                                    text: str, tagged: list[tuple[str, str]],
                                                    left: list[tuple[str, str]]) -> None:
    kinds = {kind for kind, _ in tagged}
    assert [e for e in entities_after(extractor, tokenizer, text, tagged) if e[0] in kinds] == left


@pytest.mark.parametrize(("text", "product", "department"), [
    ("a games console under 400", "games console", "electronics"),  # a keyword after a product is its head
    ("a sound bar for the tv", "sound bar", "electronics"),  # one word written as two
])
def test_product_types_written_in_two_words(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer,
                                            text: str, product: str, department: str) -> None:
    products = [e for e in found(extractor, tokenizer, text) if e["entity"] == "product"]
    assert [(text[e["start"]:e["end"]], e["department"]) for e in products] == [(product, department)]


def test_what_a_product_fits_is_not_what_it_is(lexicon: Lexicon) -> None:
    # "iPhone 15 Silicone Case with MagSafe", "Spigen Ultra Hybrid Case for Samsung Galaxy S24"
    assert not [key for key in lexicon.terms if key[0] in ("with", "for")]
    assert {t.value for t in lexicon.terms[("case",)]} == {"case"}


@pytest.mark.parametrize(("text", "words"), [
    ("need 2 return smth", ["need", "to", "return"]),
    ("a gift 4 my mum", ["a", "gift", "for"]),
    ("add 2 mugs", ["add", "2", "mugs"]),  # a number stays a number
    ("size 4 pls", ["size", "4", "please"]),
])
def test_numbers_that_stand_for_words(tokenizer: ShopTokenizer, text: str, words: list[str]) -> None:
    assert [t.text for t in tokenized(tokenizer, text).get(TOKENS_NAMES[TEXT])][:3] == words


def test_a_thing_sold_for_someone_is_that_thing_for_anyone(extractor: CatalogueEntityExtractor,
                                                           tokenizer: ShopTokenizer) -> None:
    # The catalogue only says "dog brush"; a shopper with a cat still asks for a brush.
    entities = found(extractor, tokenizer, "got a brush for a long haired cat?")
    products = [e for e in entities if e["entity"] == "product"]
    assert [(e["value"], e["department"]) for e in products] == [("brush", "pets")]


def _out_of_scope(text: str, tokenizer: ShopTokenizer, runner_up: str = "search_product") -> Any:
    message = tokenized(tokenizer, text)
    ranking = [{"name": "out_of_scope", "confidence": 0.6}, {"name": runner_up, "confidence": 0.3},
               {"name": "greet", "confidence": 0.1}]
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    return message


@pytest.mark.parametrize(("text", "intent"), [
    # A name no everyday word shares, or a product with whom it is for in its own department.
    ("how heavy is the herman miller chair, i live 4th floor and no lift", "product_details"),
    ("wat about a lead for my staffy, somethin strong", "search_product"),
])
def test_a_message_about_the_shops_goods_is_no_out_of_scope(extractor: CatalogueEntityExtractor,
                                                            tokenizer: ShopTokenizer, text: str, intent: str) -> None:
    message = _out_of_scope(text, tokenizer, intent)
    extractor.process([message])
    assert message.get("intent")["name"] == intent
    assert message.get("intent")["confidence"] == pytest.approx(0.3 / 0.4)
    assert [r["name"] for r in message.get("intent_ranking")] == [intent, "greet"]
    # What the out-of-scope reading would have dropped as an everyday word is a product again.
    products = [text[e["start"]:e["end"]] for e in message.get(ENTITIES) if e["entity"] == "product"]
    assert products == (["chair"] if "chair" in text else ["lead"])


@pytest.mark.parametrize("text", [
    "can you fix my bike, the chain keeps slipping",  # an everyday word, for no one
    "what's the weather in Milan",
    "please cancel my gym membership",
])
def test_everyday_words_leave_out_of_scope_alone(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer,
                                                 text: str) -> None:
    message = _out_of_scope(text, tokenizer)
    extractor.process([message])
    assert message.get("intent")["name"] == "out_of_scope"


@pytest.mark.parametrize(("text", "tagged", "left"), [
    ("a present for my 8 yo nephew, he loves dinosaurs", (("size", "8"),), []),  # an age, not a size
    ("lego for a 10 year old", (("quantity", "10"),), []),
    ("trainers size 8 for my 8yo", (("size", "8"),), [("size", "8")]),  # the first 8 is the size
])
def test_an_age_is_no_size_or_quantity(extractor: CatalogueEntityExtractor, tokenizer: ShopTokenizer, text: str,
                                       tagged: tuple[tuple[str, str], ...], left: list[tuple[str, str]]) -> None:
    kinds = {kind for kind, _ in tagged}
    assert [e for e in entities_after(extractor, tokenizer, text, tagged) if e[0] in kinds] == left


def test_catalogue_flags_are_token_patterns_for_the_entity_tagger(lexicon: Lexicon, tokenizer: ShopTokenizer) -> None:
    featurizer = CatalogueFeaturizer({**CatalogueFeaturizer.get_default_config()}, MagicMock(), MagicMock(),
                                     MagicMock(node_name="catalogue"), lexicon)
    message = tokenized(tokenizer, "got any red nike trainers")
    tokens = message.get(TOKENS_NAMES[TEXT])
    tokens[0].set("pattern", {"order_id": False})  # what the RegexFeaturizer put there stays
    featurizer.process([message])
    patterns = {t.text: t.get("pattern") for t in tokens}
    assert patterns["got"] == {"order_id": False}
    assert patterns["any"] == {}
    assert patterns["red"].get("catalogue_color") is True
    assert patterns["nike"].get("catalogue_brand") is True
    assert patterns["trainers"].get("catalogue_product") is True
    assert "catalogue_product" not in patterns["red"]
