"""Products, brands, colours and departments found by the shop's own catalogue, trained or not.

The entity tagger only knows the words its examples hold; this extractor knows every word the shop sells by
(components/catalogue_lexicon.py, compiled at training time from the catalogue export and data/),
so "a winter jacket", "kettles" or "sneekers" are products although no example names them. It
runs after the tagger: where both found something, the catalogue's reading wins (the tagger's other entities,
and products the shop doesn't carry, stay).

Words with two meanings are settled by their context — the other words of the message, the other
products it names, and the shape of the phrase ("orange jumper": a colour before a product;
"oranges": plural, so the fruit) — and every product, brand or colour entity carries the
department it was read in (`department`, `department_confidence`): "a mouse for my cat" is a
product in pets, and search sends that department to the shop.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import catalogue_lexicon as lexicon_module
from components.catalogue_lexicon import (
    BRAND,
    COLOR,
    DEPARTMENT,
    ENTITY_TYPES,
    KEYWORD,
    PRODUCT,
    Lexicon,
    Match,
    Term,
    compile_lexicon,
    fold,
    words_of,
)
from components.fingerprint import files_digest

logger = logging.getLogger(__name__)

# Message property: department → weight of the products a message names (read by the topic).
CATALOGUE_DEPARTMENTS = "catalogue_departments"
# Message property: whether it names something the shop sells beyond doubt (_names_goods); an
# out-of-scope reading of such a message gives way to the likeliest shop intent (process).
NAMES_GOODS = "names_goods"
# What follows a number that is an age: "8 yo", "8yo", "8 y/o", "3 year old", "18 months".
_AGE_AFTER = re.compile(r"\s*-?\s*(yo|y/o|yrs?|years?|months?|mths?)\b", re.IGNORECASE)
OUT_OF_SCOPE = "out_of_scope"
# Intents that talk about products: there a common word that is also a product ("top", "light")
# counts; elsewhere only with the entity tagger's agreement.
PRODUCT_INTENTS = frozenset(
    {"search_product", "refine_search", "product_details", "add_to_cart", "remove_from_cart", "browse_catalog"}
)
_OWNED = frozenset({"my", "your", "his", "her", "our", "their"})
_FOR = frozenset({"for", "with", "to", "on", "in", "into"})
# Words before a noun that make it a thing in question ("return the lamp", "my sofa hasn't come").
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "my", "our", "some"})
_LEXICON_FILE = "lexicon.json"
# A tagger's numbers that a model number can be mistaken for ("Fairphone 5", "Levi's 501").
_NUMBER_TYPES = frozenset({"quantity", "product_index"})
# What may stand between two products a shopper lists: "a kettle, 2 mugs and the toaster".
_GAP_WORD = re.compile(r"[a-z0-9']+|[,&/+]")
_LIST_LINKS = frozenset({"and", "or", "n", "&", "/", "+", ",", "plus", "also", "nor"})
_LIST_FILLERS = frozenset({"a", "an", "the", "some", "any", "another", "more", "few", "couple", "of", "pair",
                           "pairs", "one", "two", "three", "four", "five", "x", "maybe", "even", "then", "too"})
# Words between two products that make the second one sought as well: another request or a comparison.
_ASKING = frozenset({"want", "wanted", "need", "instead", "rather", "than", "vs", "versus", "prefer", "just"})
_ASKING_PHRASES = re.compile(r"\b(do you (have|sell|do|stock)|have you got|got any|show me|looking for)\b")
_SWAPS = frozenset({"swap", "exchange", "replace", "change", "switch"})
# Words that measure a product rather than name one: "a bottle of chianti", "pieces in the set".
_MEASURES = frozenset({"bottle", "pack", "packet", "box", "bag", "jar", "tin", "can", "net", "bunch", "pair",
                       "piece", "set", "carton", "roll", "tube", "sachet", "punnet", "loaf", "slice"})
# After a verb at the start of a message: "chuck a nutella in", "bin the beanie", "chuck 2 of those in".
_VERB_OBJECTS = frozenset({"a", "an", "the", "it", "them", "this", "that", "these", "those", "my", "some", "me",
                           "one", "two", "three", "another", "both", "all", "more"})
# Words a message may open with before its verb: "ok chuck 2 of those in", "yes bin the beanie".
_OPENERS = frozenset({"ok", "okay", "k", "kk", "yes", "yeah", "yep", "yup", "right", "cool", "great", "so", "and",
                      "then", "now", "please", "pls", "just", "oh", "alright", "sure", "well", "hmm", "um"})



def _opens_an_order(words: list[str], index: int) -> bool:
    """The word at `index` is the verb opening the message (after any openers) and an object or a
    number follows it: "chuck a nutella in", "ok chuck 2 of those in"."""
    after = words[index + 1:index + 2]
    return (bool(after) and (after[0] in _VERB_OBJECTS or after[0].isdigit())
            and words[index] not in _OPENERS and all(word in _OPENERS for word in words[:index]))

@dataclass
class Unit:
    """One word of the message and the character span of the token it came from."""

    word: str
    start: int
    end: int


@dataclass
class _Reading:
    term: Term
    department: str | None
    score: float


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CatalogueEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds catalogue words in a message (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # The shop's catalogue export (`make nlu-catalogue`), relative to the project's root.
            "catalogue": "var/nlu/catalogue.json",
            # Trainer-edited context words per department, for words with two meanings.
            "senses": "data/understanding/senses.yml",
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 lexicon: Lexicon | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.lexicon = lexicon

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CatalogueEntityExtractor:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CatalogueEntityExtractor:
        return cls(config, model_storage, resource, load_lexicon(model_storage, resource))

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        merged = {**cls.get_default_config(), **config}
        return files_digest(merged["catalogue"], merged["senses"], __file__, lexicon_module.__file__)

    def train(self, training_data: TrainingData) -> Resource:
        self.lexicon = build_lexicon(self._config["catalogue"], self._config["senses"], training_data)
        save_lexicon(self.lexicon, self._model_storage, self._resource)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # The examples' own annotations stay; the topic classifier learns from the departments.
        for message in training_data.training_examples:
            if message.get(TEXT):
                message.set(CATALOGUE_DEPARTMENTS, _departments_of(self._find(message)))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not message.get(TEXT):
                continue
            found = self._find(message)
            if message.get(NAMES_GOODS):
                _in_scope_after_all(message)
            message.set(CATALOGUE_DEPARTMENTS, _departments_of(found), add_to_output=False)
            text = str(message.get(TEXT))
            tagged = message.get(ENTITIES, []) or []
            not_ages = [e for e in tagged if not _an_age(e, text)]
            if len(not_ages) < len(tagged):
                message.set(ENTITIES, not_ages, add_to_output=True)
            if not found:
                continue
            ours = self.add_extractor_name(found)
            kept = [e for e in message.get(ENTITIES, []) if not self._contradicted(e, ours, message.get(TEXT))]
            entities = sorted(kept + ours, key=lambda e: (int(e["start"]), e.get("extractor") != self.name))
            message.set(ENTITIES, _sought(entities, message.get(TEXT)), add_to_output=True)
        return messages

    def _contradicted(self, entity: dict[str, Any], ours: list[dict[str, Any]], text: str) -> bool:
        """A tagger's entity the catalogue says is something else: inside a catalogue name
        ("ultraboost 5" is no quantity), a model number glued to one ("Fairphone 5"), or a size the
        shop has no such thing as ("I", "Alexa")."""
        if entity.get("entity") in ENTITY_TYPES and any(_overlaps(entity, e) for e in ours):
            return True
        if any(int(e["start"]) <= int(entity["start"]) and int(entity["end"]) <= int(e["end"]) for e in ours):
            return True
        value = str(entity.get("value", ""))
        if entity.get("entity") in _NUMBER_TYPES and value.isdigit():
            glued = any(e["entity"] in (PRODUCT, BRAND) and int(e["end"]) < int(entity["start"])
                        and not text[int(e["end"]):int(entity["start"])].strip() for e in ours)
            if glued:
                return True
        return (entity.get("entity") == "size" and self.lexicon is not None and bool(self.lexicon.sizes)
                and not any(ch.isdigit() for ch in value) and fold(value).strip() not in self.lexicon.sizes)

    # --- finding --------------------------------------------------------------------------------

    def _find(self, message: Message) -> list[dict[str, Any]]:
        if self.lexicon is None:
            return []
        units = units_of(message)
        if not units:
            return []
        words = [u.word for u in units]
        matches = self.lexicon.find(words)
        intent = (message.get(INTENT) or {}).get("name") if isinstance(message.get(INTENT), dict) \
            else message.get(INTENT)
        others = [e for e in message.get(ENTITIES, []) or [] if e.get("entity") in ENTITY_TYPES]
        if intent == OUT_OF_SCOPE and self._names_goods(matches, words):
            # A shop question after all (process): read it as the likeliest in-scope intent.
            message.set(NAMES_GOODS, True, add_to_output=False)
            ranking = message.get(INTENT_RANKING_KEY) or []
            intent = next((r.get(INTENT_NAME_KEY) for r in ranking if r.get(INTENT_NAME_KEY) != OUT_OF_SCOPE), None)
        kept = [m for m in matches if self._worth_keeping(m, words, units, intent, others, matches)]
        # Who or what it is for ("cases for my pillows") is no entity, but says which cases.
        owners = [m for m in matches if _for_whom(m, words) and m not in kept]
        kept = _merge_adjacent_products(kept, units, message.get(TEXT))
        entities = []
        for match in kept:
            reading = self._resolve(match, kept, words, owners)
            start, end = units[match.first].start, units[match.last].end
            entity: dict[str, Any] = {
                "entity": reading.term.entity,
                "start": start,
                "end": end,
                "value": reading.term.value,
                "confidence_entity": round(reading.score, 3),
                # The shopper's own words are the catalogue's (no typo, no synonym): search and
                # answers may quote them as written.
                "literal": not match.fuzzy and reading.term.source == "catalogue",
            }
            if reading.department:
                entity["department"] = reading.department
                entity["department_confidence"] = round(reading.score, 3)
                entity["ambiguous"] = len({d for t in match.readings for d in t.departments}) > 1
            entities.append(entity)
        return entities

    def _names_goods(self, matches: list[Match], words: list[str]) -> bool:
        """Whether the message names something the shop sells beyond doubt: a product or brand
        by a name no everyday word shares ("the Herman Miller chair", "an airfryer"), or a
        product with whom it is for in its own department ("a lead for my dog")."""
        assert self.lexicon is not None
        owner_departments = {d for m in matches if _for_whom(m, words) for t in m.readings for d in t.departments}
        for match in matches:
            if _for_whom(match, words):
                continue
            readings = [t for t in match.readings if t.entity in (PRODUCT, BRAND)]
            named = words[match.first:match.last + 1]
            specific = not match.fuzzy and any(t.source != KEYWORD for t in readings) and not all(
                w in self.lexicon.common_words or w.isdigit() for w in named)
            owned = _determined(words, match.first) and any(
                d in owner_departments for t in readings if t.entity == PRODUCT for d in t.departments)
            if readings and (specific or owned):
                return True
        return False

    def _worth_keeping(self, match: Match, words: list[str], units: list[Unit], intent: str | None,
                       others: list[dict[str, Any]], matches: list[Match]) -> bool:
        assert self.lexicon is not None
        span = {"start": units[match.first].start, "end": units[match.last].end}
        confirmed = any(_overlaps(span, e) for e in others)
        if _for_whom(match, words) and not confirmed:
            return False  # "a mouse for my cat": the cat is who it's for, not what is sought
        if " ".join(words[match.first:match.last + 1]) in self.lexicon.sizes and not confirmed:
            return False  # "in XXL?", "got any in medium": a size, not a product
        common = match.first == match.last and words[match.first] in self.lexicon.common_words
        if common and _opens_an_order(words, match.first):
            return False  # an order, not a product: "chuck a nutella in", "bin the beanie", "ok chuck 2 in"
        after_product = any(m.last + 1 == match.first and any(t.entity == PRODUCT for t in m.readings)
                            for m in matches)
        named = after_product or (_determined(words, match.first) and intent in PRODUCT_INTENTS)
        if common and not confirmed and not named and all(t.source == KEYWORD for t in match.readings):
            return False  # "gift", "storage": words of products' descriptions, not what they are
        if common and not confirmed and intent not in PRODUCT_INTENTS and not _determined(words, match.first):
            return False
        # A typo-matched word counts only where products are talked about, or where the tagger agrees.
        return not (match.fuzzy and intent is not None and intent not in PRODUCT_INTENTS and not confirmed)

    def _resolve(self, match: Match, matches: list[Match], words: list[str],
                 owners: list[Match] | None = None) -> _Reading:
        """The likeliest reading of a match and its department, with a confidence in [0, 1]."""
        assert self.lexicon is not None
        inside = set(range(match.first, match.last + 1))
        context = [w for i, w in enumerate(words) if i not in inside]
        scores = self.lexicon.department_scores(context)
        for other in [*matches, *(owners or [])]:
            if other is match:
                continue
            departments = {d for t in other.readings for d in t.departments}
            if len(departments) == 1:
                scores[next(iter(departments))] = scores.get(next(iter(departments)), -10.0) + 2.0
        nxt = next((m for m in matches if m.first == match.last + 1), None)
        before = words[match.first - 1] if match.first > 0 else ""
        plural = words[match.last].endswith("s") and not words[match.last].endswith("ss")
        candidates: list[tuple[float, Term, str | None]] = []
        for term in match.readings:
            bonus = 0.0
            if term.entity == COLOR and (nxt is not None and any(t.entity == PRODUCT for t in nxt.readings)):
                bonus += 5.0
            if term.entity == COLOR and before in {"in", "colour", "color"}:
                bonus += 3.0
            if term.entity == BRAND and nxt is not None and any(t.entity == PRODUCT for t in nxt.readings):
                bonus += 3.0
            if term.entity == PRODUCT and plural and len(match.readings) > 1:
                bonus += 2.0
            shares = term.departments or {"": 1.0}
            for department, share in shares.items():
                base = scores.get(department, 0.0) if department else max(scores.values(), default=0.0)
                candidates.append((base + math.log(share + 1e-3) + bonus, term, department or None))
        best = max(candidates, key=lambda c: c[0])
        top = best[0]
        total = sum(math.exp(c[0] - top) for c in candidates)
        return _Reading(best[1], best[2], 1.0 / total)


def build_lexicon(catalogue: str | Path, senses: str | Path, training_data: TrainingData) -> Lexicon:
    """The lexicon of the catalogue export, the sense words and the training data's synonyms."""
    catalogue_path = Path(catalogue)
    if not catalogue_path.exists():
        raise FileNotFoundError(f"{catalogue_path} is missing: export the shop's catalogue first (make nlu-catalogue)")
    export = json.loads(catalogue_path.read_text(encoding="utf-8"))
    context = (yaml.safe_load(Path(senses).read_text(encoding="utf-8")) or {}).get("context", {})
    size_tables = [table.get("elements") for table in training_data.lookup_tables if table.get("name") == "size"]
    size_words = [str(element) for elements in size_tables if isinstance(elements, list) for element in elements]
    lexicon = compile_lexicon(export, context, dict(training_data.entity_synonyms), size_words)
    logger.info("Catalogue lexicon: %d terms, %d words", len(lexicon.terms), len(lexicon.vocabulary))
    return lexicon


def save_lexicon(lexicon: Lexicon, model_storage: ModelStorage, resource: Resource) -> None:
    with model_storage.write_to(resource) as folder:
        (folder / _LEXICON_FILE).write_text(json.dumps(lexicon.to_json()), encoding="utf-8")


def load_lexicon(model_storage: ModelStorage, resource: Resource) -> Lexicon | None:
    """The lexicon saved with the model, or None (logged) when it is missing."""
    try:
        with model_storage.read_from(resource) as folder:
            data = json.loads((folder / _LEXICON_FILE).read_text(encoding="utf-8"))
    except (ValueError, OSError):
        logger.warning("The catalogue lexicon is missing from the model: no catalogue words")
        return None
    return Lexicon.from_json(data)


def units_of(message: Message) -> list[Unit]:
    tokens: list[Token] = message.get(TOKENS_NAMES[TEXT]) or []
    units: list[Unit] = []
    for token in tokens:
        for word in words_of(token.text):
            units.append(Unit(word, token.start, token.end))
    return units


def _merge_adjacent_products(matches: list[Match], units: list[Unit], text: str) -> list[Match]:
    """'vitamin' + 'tablets', 'cat toy' + 'mouse': one product, read by its last word (but
    "pillows, duvets" is a list)."""
    merged: list[Match] = []
    for match in matches:
        previous = merged[-1] if merged else None
        if (previous is not None and previous.last + 1 == match.first
                and not text[units[previous.last].end:units[match.first].start].strip()
                and any(t.entity == PRODUCT for t in previous.readings)
                and all(t.entity in (PRODUCT, DEPARTMENT) for t in previous.readings)
                and any(t.entity == PRODUCT for t in match.readings)):
            # The head (last word) decides what it is; the modifier narrows the department:
            # "vitamin" + "tablets" is the tablets of the departments vitamins are sold in.
            readings = [t for t in match.readings if t.entity == PRODUCT]
            head = next(t for t in previous.readings if t.entity == PRODUCT)
            value = " ".join([head.value, readings[0].value])
            modifier = {d for t in previous.readings if t.entity == PRODUCT for d in t.departments}
            combined = [Term(t.words, PRODUCT, value, _narrowed(t.departments, modifier), t.source) for t in readings]
            merged[-1] = Match(previous.first, match.last, combined, previous.fuzzy or match.fuzzy)
        else:
            merged.append(match)
    return merged


def _sought(entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The products the shopper asks about: the first one named, and the ones listed with it.

    Other products in the message are its context — who or what it is for ("kibble for a big dog",
    "a case for my iphone 15"), what it goes with ("trainers to wear with jeans"), or the story
    around it ("she's shredding the sofa") — and their department still reads the message
    (_resolve), but searching for them would show the shopper things they did not ask for. A
    measure names no product ("a bottle of chianti"), and a second request or a comparison names
    another ("not a phone, I want a tablet"; "swap the iPhone 15 for the iPhone 16").
    """
    products = [e for e in entities if e["entity"] == PRODUCT]
    measures = [e for e, after in pairwise(products)
                if set(words_of(str(e["value"]))) <= _MEASURES
                and _GAP_WORD.findall(text[int(e["end"]):int(after["start"])].casefold())[:1] in (["of"], ["in"])]
    kept: list[dict[str, Any]] = []
    last: dict[str, Any] | None = None
    for entity in entities:
        if entity["entity"] != PRODUCT:
            kept.append(entity)
        elif entity in measures:
            continue
        elif last is None or _also_sought(text[: int(last["start"])], text[int(last["end"]):int(entity["start"])]):
            kept.append(entity)
            last = entity
    return kept


def _also_sought(before: str, gap: str) -> bool:
    """Whether a product after another one is sought too, from the text between them (and the
    text before the first: a swap)."""
    words = _GAP_WORD.findall(gap.casefold())
    if not words:
        return False
    if (len(words) <= 4 and any(w in _LIST_LINKS for w in words)
            and all(w in _LIST_LINKS or w in _LIST_FILLERS or w.isdigit() for w in words)):
        return True  # listed with it: "a kettle, 2 mugs and the toaster"
    if any(w in _ASKING for w in words) or _ASKING_PHRASES.search(" ".join(words)):
        return True  # another request, or a comparison
    swap = any(w in _SWAPS for w in _GAP_WORD.findall(before.casefold()))
    return swap and all(w in _LIST_FILLERS or w in {"for", "with", "to", "into"} for w in words)


def _an_age(entity: dict[str, Any], text: str) -> bool:
    """A number a tagger read as a size, quantity or price that is someone's age ("my 8 yo
    nephew", "for a 3 year old"): no filter of the search."""
    if entity.get("entity") not in ("size", "quantity", "price") or not isinstance(entity.get("end"), int):
        return False
    return _AGE_AFTER.match(text[int(entity["end"]):]) is not None


def _in_scope_after_all(message: Message) -> None:
    """An out-of-scope reading of a message that names the shop's goods ("how heavy is the Herman
    Miller chair", "a lead for my staffy") becomes the likeliest other intent, its confidence
    renormalised over the in-scope ones: asked about the shop's goods, it is a shop question."""
    intent = message.get(INTENT)
    ranking = message.get(INTENT_RANKING_KEY) or []
    if not isinstance(intent, dict) or intent.get(INTENT_NAME_KEY) != OUT_OF_SCOPE or len(ranking) < 2:
        return
    rest = [r for r in ranking if r.get(INTENT_NAME_KEY) != OUT_OF_SCOPE]
    in_scope = 1.0 - float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    if not rest or in_scope <= 0.0:
        return
    renormalised = [{**r, PREDICTED_CONFIDENCE_KEY: float(r[PREDICTED_CONFIDENCE_KEY]) / in_scope} for r in rest]
    message.set(INTENT, renormalised[0], add_to_output=True)
    message.set(INTENT_RANKING_KEY, renormalised, add_to_output=True)


def _departments_of(entities: list[dict[str, Any]]) -> dict[str, float]:
    weights: dict[str, float] = {}
    for entity in entities:
        department = entity.get("department")
        if department and entity.get("entity") in (PRODUCT, BRAND):
            weights[department] = max(weights.get(department, 0.0), float(entity.get("department_confidence", 0.0)))
    return weights


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return int(a["start"]) < int(b["end"]) and int(b["start"]) < int(a["end"])


def _narrowed(departments: dict[str, float], allowed: set[str]) -> dict[str, float]:
    """The shares of the departments in `allowed`, renormalised; all of them when none is."""
    kept = {d: share for d, share in departments.items() if d in allowed}
    total = sum(kept.values())
    return {d: share / total for d, share in kept.items()} if total else departments


def _for_whom(match: Match, words: list[str]) -> bool:
    """"for my cat", "with your phone": who or what the product is for."""
    return match.first > 1 and words[match.first - 1] in _OWNED and words[match.first - 2] in _FOR


def _determined(words: list[str], index: int) -> bool:
    """A determiner or possessive just before the word ("the lamp", "my sofa")."""
    return index > 0 and words[index - 1] in _DETERMINERS
