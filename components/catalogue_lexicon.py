"""Every word the shop sells by, and how to find it in a shopper's message.

Built from the shop's catalogue export (`make nlu-catalogue`: var/nlu/catalogue.json) and the
trainer-edited files in data/ — nothing here is a hard-coded product list:

- product terms: each product's name and its head-noun endings ("… Padded Winter Jacket" gives
  "winter jacket" and "jacket"), its category's words ("Jumpers & Cardigans"), its keywords, and
  the shop's synonyms ("kicks" → trainers); brands, colours and department names and words;
- the department each term belongs to, weighted by how many products carry it — a term in two
  departments ("mouse": electronics and pets) is ambiguous, and the words around it decide;
- context words per department, from every product's text plus data/understanding/senses.yml.

Matching works on lemmas (spaCy's English lookup lemmas, so "mice", "kettles" and "boxes" find
their terms), tolerates one typo in words of five letters or more (two from eight), never
"corrects" a common English word, and prefers the longest term. Pure Python and JSON: the Rasa
component (components/catalogue.py) persists a compiled lexicon and the lint reads it too.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

PRODUCT, BRAND, COLOR, DEPARTMENT = "product", "brand", "color", "department"
ENTITY_TYPES = (PRODUCT, BRAND, COLOR, DEPARTMENT)

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# Name endings that are not what a product is ("Apple AirPods Pro", "Galaxy Tab S9 Ultra").
_NOT_A_TYPE = frozenset({
    "pro", "max", "plus", "ultra", "mini", "lite", "se", "air", "set", "pack", "edition", "series", "generation",
    "gen", "new", "original", "classic", "one", "kit", "and", "with", "for", "of", "the", "in", "to", "by", "x",
    "xl", "s", "m", "l", "size", "sizes", "single", "double", "king", "multipack", "bundle", "gift", "present",
})
# First words of keywords that say whom a product is for ("dog brush", "baby monitor").
_WHO_FOR = frozenset({"dog", "cat", "puppy", "kitten", "pet", "bird", "rabbit", "hamster", "fish", "baby", "kid",
                      "child", "toddler", "men", "women", "man", "woman", "girl", "boy"})
_SOLD_AS = frozenset({"pair", "pairs", "set", "pack", "kit", "bundle", "multipack", "twin", "duo", "trio"})
_STOPWORDS = frozenset({
    "a", "an", "the", "and", "or", "of", "for", "to", "in", "on", "at", "by", "with", "from", "my", "me", "i",
    "you", "your", "it", "its", "is", "are", "be", "do", "does", "did", "have", "has", "any", "some", "this",
    "that", "these", "those", "one", "ones", "what", "which", "who", "how", "can", "could", "would", "should",
    "will", "just", "please", "pls", "want", "need", "looking", "look", "show", "find", "get", "got", "buy", "like",
    "also", "too", "very", "really", "much", "more", "less", "than", "under", "over", "about", "there", "here",
    "so", "if", "but", "not", "no", "yes",
})
_SIZE_TAIL = re.compile(
    r"\s*(\(.*?\)|\b\d+\s?x\s?\d+.*|\b\d+(?:[.,]\d+)?\s?(?:gb|tb|g|kg|ml|l|cl|mm|cm|w|inch|-inch)\b.*)$", re.I)
# How common a word may be (spaCy's lexeme log-probability) before a typo-match leaves it alone.
_COMMON_WORD_LOGPROB = -14.5
_EVERYDAY_WORD_LOGPROB = -11.5
_TERM_MAX_WORDS = 5
# A product term known only from products' keywords ("gift", "storage"), not a type or a name.
KEYWORD = "keyword"


def fold(text: str) -> str:
    """Lower case without accents: "L'Oréal" → "l'oreal"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def words_of(text: str) -> list[str]:
    """Folded words; hyphens split ("t-shirt" → t, shirt) the way the shopper's tokens do."""
    return _WORD.findall(fold(text).replace("-", " "))


@lru_cache(maxsize=1)
def _spacy_table(name: str) -> dict[str, Any]:
    path = resources.files("spacy_lookups_data").joinpath(f"data/{name}.json.gz")
    with path.open("rb") as raw, gzip.open(raw) as unzipped:
        table: dict[str, Any] = json.load(unzipped)
    return table


def english_lemmas() -> dict[str, str]:
    """spaCy's English lookup lemmas (inflected form → lemma), from spacy-lookups-data."""
    return _spacy_table("en_lemma_lookup")


def common_english_words(logprob_above: float = _COMMON_WORD_LOGPROB) -> set[str]:
    """Words too common to be a typo of a product word ("where", "cat", "mouse")."""
    probs = _spacy_table("en_lexeme_prob")
    return {word for word, logprob in probs.items() if logprob > logprob_above and word.isalpha()}


def _rule_lemma(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass
class Term:
    """One way of naming something the shop sells."""

    words: tuple[str, ...]
    entity: str
    value: str
    departments: dict[str, float] = field(default_factory=dict)  # share of the term's products per department
    source: str = "catalogue"

    def as_json(self) -> dict[str, Any]:
        return {"words": list(self.words), "entity": self.entity, "value": self.value,
                "departments": self.departments, "source": self.source}


@dataclass
class Match:
    """A term found in a message: token positions [first, last] and every reading of those words."""

    first: int
    last: int
    readings: list[Term]
    fuzzy: bool = False


@dataclass
class Lexicon:
    """The compiled lexicon: terms by lemma sequence, lemma and typo indexes, context weights."""

    terms: dict[tuple[str, ...], list[Term]]
    lemmas: dict[str, str]  # inflected form → lemma, for the lexicon's own words only
    context: dict[str, dict[str, float]]  # word → department → weight
    department_prior: dict[str, float]
    common_words: frozenset[str]
    sizes: frozenset[str] = frozenset()  # folded: the catalogue's sizes and the data's size lookup
    vocabulary: frozenset[str] = frozenset()
    _deletes: dict[str, set[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.vocabulary = frozenset(w for key in self.terms for w in key)
        deletes: dict[str, set[str]] = defaultdict(set)
        for word in self.vocabulary:
            if len(word) >= 4 and word.isalpha():
                for variant in _deletions(word, 2 if len(word) >= 8 else 1):
                    deletes[variant].add(word)
        self._deletes = dict(deletes)

    # --- persistence ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "terms": [t.as_json() for readings in self.terms.values() for t in readings],
            "lemmas": self.lemmas,
            "context": self.context,
            "department_prior": self.department_prior,
            "common_words": sorted(self.common_words),
            "sizes": sorted(self.sizes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lexicon:
        terms: dict[tuple[str, ...], list[Term]] = defaultdict(list)
        for raw in data["terms"]:
            term = Term(tuple(raw["words"]), raw["entity"], raw["value"], dict(raw["departments"]), raw["source"])
            terms[term.words].append(term)
        return cls(dict(terms), dict(data["lemmas"]), data["context"], data["department_prior"],
                   frozenset(data["common_words"]), frozenset(data.get("sizes", ())))

    # --- reading a message ----------------------------------------------------------------------

    def lemma(self, word: str) -> str:
        if word in self.vocabulary:
            return word
        known = self.lemmas.get(word)
        if known:
            return known
        ruled = _rule_lemma(word)
        if ruled in self.vocabulary:
            return ruled
        # Short plurals the rules leave alone ("tvs", "pcs").
        return word[:-1] if word.endswith("s") and word[:-1] in self.vocabulary else word

    def correct(self, word: str) -> str | None:
        """The lexicon word `word` is a typo of, if exactly one is close enough and it isn't common."""
        if len(word) < 5 or not word.isalpha() or word in self.common_words or word in self.vocabulary:
            return None
        limit = 2 if len(word) >= 8 else 1
        candidates: set[str] = set()
        for variant in _deletions(word, limit):
            candidates |= self._deletes.get(variant, set())
        close = {c for c in candidates if _distance(word, c) <= min(limit, 2 if len(c) >= 8 else 1)}
        if not close:
            return None
        best = min(close, key=lambda c: (_distance(word, c), -len(c), c))
        ties = [c for c in close if _distance(word, c) == _distance(word, best)]
        return best if len(ties) == 1 else None

    def find(self, tokens: list[str]) -> list[Match]:
        """Longest terms first, left to right, over the message's (normalised) tokens."""
        lemmas: list[str] = []
        fuzzy: list[bool] = []
        for token in tokens:
            lemma = self.lemma(token)
            if lemma in self.vocabulary or lemma in _STOPWORDS:
                lemmas.append(lemma)
                fuzzy.append(False)
                continue
            corrected = self.correct(token) or self.correct(_rule_lemma(token))
            lemmas.append(self.lemma(corrected) if corrected else lemma)
            fuzzy.append(corrected is not None)
        matches: list[Match] = []
        i = 0
        while i < len(lemmas):
            for n in range(min(_TERM_MAX_WORDS, len(lemmas) - i), 0, -1):
                key = tuple(lemmas[i:i + n])
                readings = self.terms.get(key)
                if readings:
                    matches.append(Match(i, i + n - 1, list(readings), fuzzy=any(fuzzy[i:i + n])))
                    i += n
                    break
            else:
                i += 1
        return matches

    def department_scores(self, context_words: Iterable[str]) -> dict[str, float]:
        """Log-scores per department from the words around a term (higher: more likely)."""
        scores = {d: math.log(p) for d, p in self.department_prior.items()}
        for word in context_words:
            weights = self.context.get(word)
            if not weights:
                continue
            for department in scores:
                scores[department] += math.log(weights.get(department, 0.0) + 0.02)
        return scores


def _deletions(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one)."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


# --- compiling ------------------------------------------------------------------------------------


def _lemma_key(text: str, lemmas: dict[str, str]) -> tuple[str, ...]:
    return tuple(lemmas.get(w, _rule_lemma(w) if len(w) > 3 else w) for w in words_of(text))


def _name_phrases(name: str, brand: str, common: frozenset[str] = frozenset()) -> list[str]:
    """The product's name and its endings, which in English name what it is."""
    base = _SIZE_TAIL.sub("", name).strip() or name
    words = words_of(base)
    brand_words = words_of(brand)
    if words[: len(brand_words)] == brand_words:
        words = words[len(brand_words):]
    phrases = [" ".join(words_of(name)), " ".join(words)]
    # The model name at the front ("Nuptse", "Kindle Paperwhite", "Pixel 8a"), unless it is an
    # ordinary word ("Classic", "Soft"): what shoppers call the product by.
    if words and words[0].isalpha() and len(words[0]) >= 4 and words[0] not in _NOT_A_TYPE | common:
        phrases.append(words[0])
        if len(words) >= 2 and words[1] not in _NOT_A_TYPE:
            phrases.append(" ".join(words[:2]))
    # What it is comes before what it fits or comes with ("Silicone Case with MagSafe", "Hybrid Case
    # for Samsung Galaxy S24": a case, not a MagSafe nor a Galaxy S24).
    cut = next((i for i, word in enumerate(words) if i > 0 and word in ("with", "for")), len(words))
    words = words[:cut]
    # "Cotton Pillow Case Pair", "Fire Station Set": the ending that says how it is sold goes too.
    while len(words) > 2 and words[-1] in _SOLD_AS:
        words = words[:-1]
    for n in (1, 2, 3):
        tail = words[-n:]
        if len(tail) < n or tail[-1] in _NOT_A_TYPE or tail[-1].isdigit() or len(tail[-1]) < 3:
            continue
        if n == 1 and any(ch.isdigit() for ch in tail[0]):
            continue
        phrases.append(" ".join(tail))
    return phrases


def _category_phrases(category: str) -> list[str]:
    return [part.strip() for part in re.split(r"&|,|/|\band\b", category) if part.strip()]


def compile_lexicon(
    catalogue: dict[str, Any],
    senses: dict[str, list[str]],
    entity_synonyms: dict[str, str] | None = None,
    size_words: Iterable[str] = (),
) -> Lexicon:
    """Build the lexicon from the catalogue export, the sense words and Rasa's entity synonyms."""
    all_lemmas = english_lemmas()
    common = frozenset(common_english_words())
    # A model name may be a rare word ("Nuptse", "Nutella"), never an everyday one ("Chuck", "Run").
    everyday = frozenset(common_english_words(_EVERYDAY_WORD_LOGPROB))
    # How many products of each department carry a reading, counted in `weight`s: floats, which
    # Counter's values are not typed as.
    by_key: defaultdict[tuple[tuple[str, ...], str, str], defaultdict[str, float]] = defaultdict(
        lambda: defaultdict(float))
    departments = [d["slug"] for d in catalogue["departments"]]
    context: dict[str, Counter[str]] = defaultdict(Counter)
    dept_products: Counter[str] = Counter()

    # Where each product term comes from: a product type or model name, or only keywords.
    keyword_only: dict[tuple[tuple[str, ...], str, str], bool] = {}

    def add(text: str, entity: str, value: str, department: str | None, weight: float = 1.0,
            from_keyword: bool = False) -> None:
        key = _lemma_key(text, all_lemmas)
        if not key or len(key) > _TERM_MAX_WORDS or all(w in _STOPWORDS for w in key):
            return
        keyword_only[(key, entity, value)] = keyword_only.get((key, entity, value), True) and from_keyword
        counts = by_key[(key, entity, value)]
        if department:
            counts[department] += weight
        else:
            counts.update({})

    for dept in catalogue["departments"]:
        for text in {dept["slug"], dept["name"], *_category_phrases(dept["name"])}:
            add(text, DEPARTMENT, dept["slug"], dept["slug"])
    for color in catalogue["colors"]:
        add(color, COLOR, color.lower(), None)
    for product in catalogue["products"]:
        dept = product["department"]
        dept_products[dept] += 1
        add(product["brand"], BRAND, product["brand"], dept)
        for color in product["colors"]:
            add(color, COLOR, color.lower(), dept)
        phrases = {*_name_phrases(product["name"], product["brand"], everyday),
                   *_category_phrases(product["category"])}
        for phrase in phrases:
            add(phrase, PRODUCT, " ".join(_lemma_key(phrase, all_lemmas)), dept)
        for phrase in set(product["keywords"]) - phrases:
            add(phrase, PRODUCT, " ".join(_lemma_key(phrase, all_lemmas)), dept, from_keyword=True)
            # "dog brush", "cat toy": the thing itself, whoever it's for ("a brush for my cat").
            key = _lemma_key(phrase, all_lemmas)
            if len(key) == 2 and key[0] in _WHO_FOR and key[1].isalpha() and key[1] not in _NOT_A_TYPE:
                add(key[1], PRODUCT, key[1], dept, from_keyword=True)
        text = " ".join([product["name"], product["category"], " ".join(product["keywords"]),
                         product.get("description", "")])
        for word in set(_lemma_key(text, all_lemmas)):
            if word not in _STOPWORDS and not word.isdigit():
                context[word][dept] += 1

    terms: dict[tuple[str, ...], list[Term]] = defaultdict(list)
    for (key, entity, value), counts in by_key.items():
        total = sum(counts.values())
        shares = {d: round(c / total, 4) for d, c in counts.items()} if total else {}
        source = KEYWORD if keyword_only.get((key, entity, value)) else "catalogue"
        terms[key].append(Term(key, entity, value, shares, source))
    # Two-word names written as one ("powerbank", "soundbar", "tshirt") find the same readings.
    for key in [k for k in terms if len(k) == 2 and all(w.isalpha() for w in k)]:
        joined = ("".join(key),)
        if joined not in terms:
            terms[joined] = [Term(joined, t.entity, t.value, dict(t.departments), "joined") for t in terms[key]]

    # And the other way round ("sound bar", "pillow case"), when both halves are everyday words.
    for key in [k for k in terms if len(k) == 1 and len(k[0]) >= 6 and k[0].isalpha()]:
        for cut in range(3, len(key[0]) - 2):
            halves = (key[0][:cut], key[0][cut:])
            readings = [Term(halves, t.entity, t.value, dict(t.departments), "joined")
                        for t in terms[key] if t.entity == PRODUCT]
            if readings and halves not in terms and all(h in common for h in halves):
                terms[halves] = readings

    def alias(word: str, target: str, source: str) -> None:
        key = _lemma_key(word, all_lemmas)
        target_key = _lemma_key(target, all_lemmas)
        if not key or key in terms or target_key not in terms:
            return
        # The value is the target as the shop writes it ("kicks" → "trainers"), which search and
        # the bot's answers use; the shopper's word was not a catalogue word.
        value = " ".join(words_of(target))
        terms[key] = [Term(key, t.entity, value if t.entity != BRAND else t.value, dict(t.departments), source)
                      for t in terms[target_key]]

    for word, targets in catalogue.get("synonyms", {}).items():
        if targets:
            alias(word, targets[0], "shop synonym")
    for word, target in (entity_synonyms or {}).items():
        alias(word, target, "training synonym")

    for department, sense_phrases in senses.items():
        for phrase in sense_phrases:
            for word in _lemma_key(phrase, all_lemmas):
                if word not in _STOPWORDS:
                    context[word][department] += 3

    vocabulary = {w for key in terms for w in key}
    lemmas = {form: lemma for form, lemma in all_lemmas.items() if lemma in vocabulary and form != lemma}
    weights = {word: {d: round(c / sum(counts.values()), 4) for d, c in counts.items()}
               for word, counts in context.items()}
    total_products = sum(dept_products.values()) or 1
    prior = {d: (dept_products[d] + 1) / (total_products + len(departments)) for d in departments}
    sold_in = (size for product in catalogue["products"] for size in product.get("sizes", []))
    sizes = frozenset(fold(size).strip() for size in [*size_words, *sold_in])
    return Lexicon(dict(terms), lemmas, weights, prior, common, sizes)
