"""The catalogue search index: ranked, filtered, typo- and plural-tolerant, in memory.

Each process holds its own index, built from the database at start and refreshed by polling
`updated_at` on products and variants (at most every `refresh_seconds`), so several shop processes
stay consistent with the database and with each other within about a second. The database stays
the only source of truth: checkout re-checks stock atomically whatever search said.

The index is read and written from one thread only (the event loop: the search route is async).
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import select, union
from sqlalchemy.orm import Session, sessionmaker

from app import models
from app.search.kinds import category_heads, name_heads, phrase_heads, query_head_words
from app.search.text import fold, searchable, stem, unreadable, words

logger = logging.getLogger(__name__)

# How much a word counts by where it stands in the product.
FIELD_WEIGHTS = {"name": 3.0, "brand": 2.5, "category": 2.0, "keywords": 1.6, "department": 1.2,
                 "color": 1.0, "size": 0.6, "description": 0.4}
# How much a query word's reading counts: as typed, through a synonym, as a prefix, as a typo.
EXACT, SYNONYM, PREFIX, TYPO = 1.0, 0.9, 0.8, 0.7
# A product whose name has the very word typed ("apples", not just the stem "appl") ranks higher:
# plural and singular often tell the fruit from the brand.
SURFACE_BONUS = 1.25
# Polls look back this far: a transaction stamped before a poll may commit just after it.
POLL_OVERLAP = timedelta(seconds=5)


def compact(value: str) -> str:
    """A key for loose equality of filter values: "L'Oréal" == "loreal", "500 g" == "500G"."""
    return "".join(ch for ch in fold(value) if ch.isalnum())


@dataclass(slots=True)
class Doc:
    product_id: int
    sku: str
    name: str
    department: str
    brand: str
    price: Decimal
    currency: str
    popularity: int
    # (compact size, compact colour, units) — display values are kept in sizes/colors.
    variants: tuple[tuple[str, str, int], ...]
    sizes: tuple[str, ...]
    colors: tuple[str, ...]
    in_stock: bool
    # Browsing order and tie-break: more popular first, then the older product.
    rank: int
    terms: dict[str, float] = field(default_factory=dict)
    heads: ProductHeads | None = None

    def stock_for(self, size: str, color: str) -> bool | None:
        """Whether a variant with this size and colour is in stock; None when none exists."""
        found = None
        for s, c, units in self.variants:
            if (not size or s == size) and (not color or c == color):
                if units > 0:
                    return True
                found = False
        return found


@dataclass(slots=True, frozen=True)
class ProductHeads:
    """The terms saying what a product is (see kinds.py), kept to undo the counts on removal.
    Tuples, not sets: at 100,000 products the difference is tens of megabytes."""

    name: tuple[str, ...]  # the head of its name: "Wireless Headphones" → headphon
    keywords: tuple[str, ...]  # the head of each keyword phrase, one-word keywords included
    phrases: tuple[str, ...]  # heads of its keyword phrases of several words, and of a one-kind category

    @property
    def kinds(self) -> set[str]:
        """Every kind the product is (its department's words aside: see CatalogIndex._kind_members)."""
        return {*self.name, *self.keywords, *self.phrases}


def _product_heads(name: str, category: str, keywords: str) -> ProductHeads:
    phrases = [_phrase_terms(p) for p in keywords.split(",")]
    phrase_terms = {term for terms, several in phrases if several for term in terms}
    phrase_terms.update(_category_terms(category))
    return ProductHeads(tuple({stem(w) for w in name_heads(name)}),
                        tuple({term for terms, _ in phrases for term in terms}), tuple(phrase_terms))


@lru_cache(maxsize=65536)
def _phrase_terms(phrase: str) -> tuple[tuple[str, ...], bool]:
    """A keyword phrase's head terms, and whether it has several words (products share most)."""
    return tuple(stem(w) for w in phrase_heads(phrase)), len(phrase.split()) > 1


@lru_cache(maxsize=4096)
def _category_terms(category: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in category_heads(category))


@lru_cache(maxsize=4096)
def _cached_words(text: str) -> tuple[str, ...]:
    """words() of a text many products share: a brand's name."""
    return tuple(words(text))


@lru_cache(maxsize=256)
def _cached_terms(text: str) -> frozenset[str]:
    """The terms of a text many products share: a department's name and slug."""
    return frozenset(stem(w) for w in words(text))


@dataclass(slots=True)
class SearchQuery:
    q: str = ""
    department: str | None = None
    brand: str | None = None
    color: str | None = None
    size: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False  # True: only what can be bought now
    limit: int = 10
    offset: int = 0


@dataclass(slots=True)
class Hit:
    doc: Doc
    in_stock: bool


@dataclass(slots=True)
class SearchResult:
    hits: list[Hit]
    total: int
    corrections: dict[str, str]
    ignored: list[str]
    # No product has every query word: the hits are the ones with the most ("bin bags" → bags).
    partial: bool = False
    # The query word naming the kind of product sought ("earbuds" in "white wireless earbuds"): every
    # hit is of that kind. None when the query names no kind (a brand, a department, "wireless").
    kind: str | None = None
    # The shop has nothing of that kind: the word is in no product, and nothing else is returned.
    kind_missing: bool = False


def _product_terms(name: str, brand: str, category: str, keywords: str, department: str,
                   department_slug: str, colors: Iterable[str], sizes: Iterable[str],
                   description: str) -> dict[str, float]:
    fields = {
        "name": name, "brand": brand, "category": category, "keywords": keywords,
        "department": f"{department} {department_slug}", "color": " ".join(colors),
        "size": " ".join(sizes), "description": description,
    }
    terms: dict[str, float] = {}
    for field_name, text in fields.items():
        weight = FIELD_WEIGHTS[field_name]
        for word in words(text):
            term = stem(word)
            if terms.get(term, 0.0) < weight:
                terms[term] = weight
    return terms


class CatalogIndex:
    def __init__(self, synonyms: Mapping[str, list[str]] | None = None) -> None:
        self.docs: dict[int, Doc] = {}
        self.postings: dict[str, dict[int, float]] = {}
        self.by_department: dict[str, set[int]] = {}
        self.by_brand: dict[str, set[int]] = {}
        self.name_words: dict[str, set[int]] = {}  # folded word as written in names -> products
        self.kinds: dict[str, set[int]] = {}  # term -> the products that are of that kind
        self.brand_words: dict[str, set[int]] = {}  # folded word of a brand's name -> its products
        self.department_terms: dict[str, set[str]] = {}  # term of a department's name -> its slugs
        # How many products have a term as the head of their name, of a keyword, of a longer phrase.
        self._name_heads: dict[str, int] = {}
        self._keyword_heads: dict[str, int] = {}
        self._phrase_heads: dict[str, int] = {}
        self.vocabulary: dict[str, str] = {}  # folded word as written in the catalogue -> its term
        self._sorted_words: list[str] = []
        self._vocabulary_dirty = False
        self.synonyms = {fold(k): [fold(v) for v in vs] for k, vs in (synonyms or {}).items()}
        self._watermark: datetime | None = None
        self._last_poll = 0.0

    # --- building and refreshing ----------------------------------------------------------------

    def build(self, factory: sessionmaker[Session]) -> None:
        started = time.perf_counter()
        poll_started = datetime.now(UTC)
        with factory() as session:
            self._load(session, product_ids=None)
        self._watermark = poll_started
        self._last_poll = time.monotonic()
        logger.info("search index built: %d products, %d terms in %.2fs",
                    len(self.docs), len(self.postings), time.perf_counter() - started)

    def refresh_if_due(self, factory: sessionmaker[Session], every_seconds: float) -> None:
        now = time.monotonic()
        if self._watermark is None or now - self._last_poll < every_seconds:
            return
        self._last_poll = now
        poll_started = datetime.now(UTC)
        since = self._watermark - POLL_OVERLAP
        with factory() as session:
            changed = set(session.scalars(union(
                select(models.Product.id).where(models.Product.updated_at >= since),
                select(models.Variant.product_id).where(models.Variant.updated_at >= since),
            )))
            if changed:
                self._load(session, product_ids=changed)
        self._watermark = poll_started

    def _load(self, session: Session, product_ids: set[int] | None) -> None:
        p, d, b, v = models.Product, models.Department, models.Brand, models.Variant
        product_rows = select(p.id, p.sku, p.name, p.category, p.keywords, p.description, p.price,
                              p.currency, p.popularity, p.active, d.slug, d.name, b.name
                              ).join(d, p.department_id == d.id).join(b, p.brand_id == b.id)
        variant_rows = select(v.product_id, v.id, v.size, v.color, v.stock).order_by(v.product_id, v.id)
        if product_ids is not None:
            product_rows = product_rows.where(p.id.in_(product_ids))
            variant_rows = variant_rows.where(v.product_id.in_(product_ids))
            for product_id in product_ids:
                self._remove(product_id)
        variants: dict[int, list[tuple[int, str | None, str | None, int]]] = {}
        for product_id, variant_id, size, color, units in session.execute(variant_rows):
            variants.setdefault(product_id, []).append((variant_id, size, color, units))
        for (pid, sku, name, category, keywords, description, price, currency, popularity, active,
             dept_slug, dept_name, brand) in session.execute(product_rows):
            if active:
                self._add(pid, sku, name, category, keywords or "", description or "", price,
                          currency, popularity, dept_slug, dept_name, brand, variants.get(pid, []))
        self._vocabulary_dirty = True

    def _add(self, pid: int, sku: str, name: str, category: str, keywords: str, description: str,
             price: Decimal, currency: str, popularity: int, dept_slug: str, dept_name: str,
             brand: str, variants: list[tuple[int, str | None, str | None, int]]) -> None:
        sizes = tuple(dict.fromkeys(s for _, s, _, _ in variants if s))
        colors = tuple(dict.fromkeys(c for _, _, c, _ in variants if c))
        doc = Doc(pid, sku, name, dept_slug, brand, price, currency, popularity,
                  tuple((compact(s or ""), compact(c or ""), units) for _, s, c, units in variants),
                  sizes, colors, in_stock=any(units > 0 for *_, units in variants),
                  rank=popularity * 10**9 - pid)
        doc.terms = _product_terms(name, brand, category, keywords, dept_name, dept_slug, colors,
                                   sizes, description)
        doc.heads = _product_heads(name, category, keywords)
        for term in doc.heads.kinds:
            self.kinds.setdefault(term, set()).add(pid)
        for counts, terms in self._head_counts(doc.heads):
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
        for term, weight in doc.terms.items():
            self.postings.setdefault(term, {})[pid] = weight
        for word in words(name):
            self.name_words.setdefault(word, set()).add(pid)
        for text in (name, brand, category, keywords, dept_name, " ".join(colors)):
            for word in words(text):
                self.vocabulary.setdefault(word, stem(word))
        self.docs[pid] = doc
        dept_key = compact(dept_slug)
        self.by_department.setdefault(dept_key, set()).add(pid)
        self.by_department.setdefault(compact(dept_name), set()).add(pid)
        for term in _cached_terms(f"{dept_name} {dept_slug}"):
            self.department_terms.setdefault(term, set()).add(dept_key)
        self.by_brand.setdefault(compact(brand), set()).add(pid)
        for word in _cached_words(brand):
            self.brand_words.setdefault(word, set()).add(pid)

    def _head_counts(self, heads: ProductHeads) -> tuple[tuple[dict[str, int], tuple[str, ...]], ...]:
        return ((self._name_heads, heads.name), (self._keyword_heads, heads.keywords),
                (self._phrase_heads, heads.phrases))

    def _remove(self, pid: int) -> None:
        doc = self.docs.pop(pid, None)
        if doc is None:
            return
        for term in doc.terms:
            posting = self.postings.get(term)
            if posting is not None:
                posting.pop(pid, None)
                if not posting:
                    del self.postings[term]
        for word in words(doc.name):
            self.name_words.get(word, set()).discard(pid)
        if doc.heads is not None:
            for term in doc.heads.kinds:
                members = self.kinds.get(term)
                if members is not None:
                    members.discard(pid)
                    if not members:
                        del self.kinds[term]
            for counts, terms in self._head_counts(doc.heads):
                for term in terms:
                    counts[term] -= 1
        for group in (self.by_department, self.by_brand, self.brand_words):
            for members in group.values():
                members.discard(pid)

    # --- reading the query ----------------------------------------------------------------------

    def _sorted_vocabulary(self) -> list[str]:
        if self._vocabulary_dirty:
            self._sorted_words = sorted(self.vocabulary)
            self._vocabulary_dirty = False
        return self._sorted_words

    def _readings(self, word: str) -> tuple[dict[str, float], str | None]:
        """The catalogue terms a query word may mean, each with its weight, and a correction if any."""
        readings: dict[str, float] = {}
        term = stem(word)
        if term in self.postings:
            readings[term] = EXACT
        for synonym in self.synonyms.get(word, []) + self.synonyms.get(term, []):
            for syn_word in words(synonym):
                syn_term = stem(syn_word)
                if syn_term in self.postings:
                    readings.setdefault(syn_term, SYNONYM)
        if readings:
            return readings, None
        vocabulary = self._sorted_vocabulary()
        correction = None
        if len(word) >= 3:  # "iphon" -> iphone, "blackb" -> blackberry
            start = bisect.bisect_left(vocabulary, word)
            for candidate in vocabulary[start:start + 20]:
                if not candidate.startswith(word):
                    break
                readings.setdefault(self.vocabulary[candidate], PREFIX)
                correction = correction or candidate
        if not readings and len(word) >= 4 and not word.isdigit():
            max_edits = 1 if len(word) <= 5 else 2
            found = process.extract(word, vocabulary, scorer=Levenshtein.distance,
                                    score_cutoff=max_edits, limit=10)
            # Only the closest spellings: "blakberries" is blackberries (1 edit), not blueberries (2).
            closest = min((distance for _, distance, _ in found), default=None)
            for candidate, distance, _ in found:
                if distance == closest:
                    readings.setdefault(self.vocabulary[candidate], TYPO)
                    correction = correction or candidate
        return {t: w for t, w in readings.items() if t in self.postings}, correction

    def _is_kind(self, term: str) -> bool:
        """Whether products are named after this term: it ends a keyword phrase or a category, or
        product names that other names or the keywords confirm ("Earbuds", but not "Max": AirPods
        Max is a model, and "wireless", which only ever describes, is no kind either)."""
        if self._phrase_heads.get(term, 0) > 0:
            return True
        names = self._name_heads.get(term, 0)
        return names > 0 and (names >= 2 or self._keyword_heads.get(term, 0) > 0)

    def _kind_members(self, readings: dict[str, float]) -> set[int] | None:
        """The products of the kind a query word names, or None when it names no kind. The word's
        own readings first, its synonyms only when the shop never uses the word itself: "earbuds"
        are earbuds, not the headphones its synonym also finds; "headset" finds headphones."""
        if not any(self._is_kind(term) for term in readings):
            return None
        own = [term for term, factor in readings.items() if factor != SYNONYM]
        for terms in (own, [term for term in readings if term not in own]):
            groups = [self.kinds[term] for term in terms if term in self.kinds]
            # A department asked for by name keeps finding all of it ("sports", "toys").
            groups += [self.by_department[slug] for term in terms for slug in self.department_terms.get(term, ())]
            if groups:
                return groups[0] if len(groups) == 1 else set().union(*groups)
        return None

    def _query_kind(self, tokens: list[str], readings: dict[str, dict[str, float]],
                    ignored: list[str]) -> tuple[str | None, set[int] | None]:
        """The word naming what the query seeks and the products of that kind: its last word, before
        any qualifier ("case for iphone"), or the last before it that names a kind ("trainers nike").
        When the shop doesn't know that last word ("running socks" in a shop without socks), it is
        the kind, and nothing has it: "running" alone would find shoes. (None, None) when the query
        names no kind: a brand, a department, a colour, "wireless"."""
        sought = [w for w in query_head_words(tokens) if (w in readings or w in ignored) and not w.isdigit()]
        if sought and sought[-1] not in readings:
            return sought[-1], set()
        for word in reversed(sought):
            if word in readings:
                members = self._kind_members(readings[word])
                if members is not None:
                    # "apple" is the fruit and the brand; "apples" only the fruit.
                    brand = self.brand_words.get(word)
                    return word, members | brand if brand else members
        return None, None

    def _idf(self, term: str) -> float:
        return math.log(1.0 + len(self.docs) / len(self.postings[term]))

    def _word_scores(self, word: str, readings: dict[str, float]) -> dict[int, float]:
        scores: dict[int, float] = {}
        for term, factor in readings.items():
            boost = factor * self._idf(term)
            for pid, weight in self.postings[term].items():
                score = weight * boost
                if scores.get(pid, 0.0) < score:
                    scores[pid] = score
        for pid in self.name_words.get(word, ()):
            if pid in scores:
                scores[pid] *= SURFACE_BONUS
        return scores

    # --- searching ------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        corrections: dict[str, str] = {}
        ignored: list[str] = []
        per_word: list[dict[int, float]] = []
        read: dict[str, dict[str, float]] = {}
        tokens = words(query.q)
        for word in searchable(tokens):
            readings, correction = self._readings(word)
            if not readings:
                ignored.append(word)
                continue
            if correction and correction != word:
                corrections[word] = correction
            read[word] = readings
            per_word.append(self._word_scores(word, readings))
        kind, of_kind = self._query_kind(tokens, read, ignored)
        ignored.extend(unreadable(query.q))

        scores: dict[int, float] | None
        partial = False
        if of_kind is not None and not of_kind:
            scores = {}  # a kind the shop doesn't sell: its other words would only find other kinds
        elif per_word:
            # Only products of the kind named (_filtered keeps to them); the other words choose and
            # rank among those.
            scores = _all_words(per_word)
            if of_kind is not None and of_kind.isdisjoint(scores):
                scores = {}
            if not scores:
                scores = _most_words(per_word, of_kind)
                partial = len(per_word) > 1
        elif query.q.strip() and ignored:
            scores = {}  # the shopper asked for something and none of it is in the catalogue
        else:
            scores = None  # browsing: filters only

        matches = self._filtered(scores, query, of_kind)
        wanted = query.offset + query.limit
        docs = self.docs
        if scores is None:
            top = heapq.nlargest(wanted, matches, key=lambda pid: docs[pid].rank)
        else:
            # Score first; popularity, then age, only break ties (they add under 0.001).
            top = [pid for _, pid in heapq.nlargest(
                wanted, [(scores[pid] + docs[pid].rank * 1e-15, pid) for pid in matches])]
        size, color = compact(query.size or ""), compact(query.color or "")
        hits = [Hit(docs[pid], bool(docs[pid].stock_for(size, color)) if size or color else docs[pid].in_stock)
                for pid in top[query.offset:]]
        return SearchResult(hits, len(matches), corrections, ignored, partial and bool(matches), kind,
                            of_kind is not None and not of_kind)

    def _filtered(self, scores: dict[int, float] | None, query: SearchQuery,
                  of_kind: set[int] | None = None) -> list[int]:
        """The products that pass every filter (this loop is the hot path at 100,000 products)."""
        pools: list[Collection[int]] = []
        if query.department:
            pools.append(self.by_department.get(compact(query.department), set()))
        if query.brand:
            pools.append(self.by_brand.get(compact(query.brand), set()))
        if scores is not None:
            pools.append(scores.keys() if of_kind is None else scores.keys() & of_kind)
        pool: Collection[int] = min(pools, key=len) if pools else self.docs.keys()
        checks = [p for p in pools if p is not pool]  # the other pools become membership tests
        size, color = compact(query.size or ""), compact(query.color or "")
        low, high, only_in_stock = query.min_price, query.max_price, query.in_stock
        docs = self.docs
        out: list[int] = []
        for pid in pool:
            if checks and not all(pid in other for other in checks):
                continue
            doc = docs.get(pid)
            if doc is None or (low is not None and doc.price < low) or (high is not None and doc.price > high):
                continue
            if size or color:
                in_stock = doc.stock_for(size, color)
                if in_stock is None:
                    continue
            else:
                in_stock = doc.in_stock
            if only_in_stock and not in_stock:
                continue
            out.append(pid)
        return out


def _all_words(per_word: list[dict[int, float]]) -> dict[int, float]:
    if len(per_word) == 1:
        return per_word[0]
    smallest = min(per_word, key=len)
    return {pid: sum(scores[pid] for scores in per_word)
            for pid in smallest if all(pid in scores for scores in per_word)}


def _most_words(per_word: list[dict[int, float]], within: set[int] | None = None) -> dict[int, float]:
    """When no product (of the kind, `within`) has every word: rank by how many words match, then
    by score."""
    if len(per_word) == 1:
        return per_word[0]
    combined: dict[int, list[float]] = {}
    for scores in per_word:
        for pid, score in scores.items():
            if within is not None and pid not in within:
                continue
            entry = combined.setdefault(pid, [0.0, 0.0])
            entry[0] += 1
            entry[1] += score
    if not combined:
        return {}
    top = max(count for count, _ in combined.values())
    # Only the best-covered products: "red blackberry phone" should not list every red thing.
    return {pid: count * 100.0 + score for pid, (count, score) in combined.items() if count == top}
