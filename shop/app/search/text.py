"""How shoppers' words and catalogue words are made comparable: folding, tokens, stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_stemmer = snowballstemmer.stemmer("english")

# Words that carry no product meaning in a shop query ("show me some cheap red shoes please").
STOPWORDS = frozenset({
    "a", "an", "and", "any", "are", "at", "be", "can", "could", "do", "does", "find", "for", "from", "get",
    "give", "got", "have", "i", "im", "i'm", "in", "is", "it", "looking", "me", "my", "need", "of", "on",
    "or", "please", "show", "some", "that", "the", "there", "to", "want", "with", "you", "your", "size",
    "sized", "cheap", "cheaper", "buy", "something", "anything",
    # Chat fillers: the last word of a query names what is sought, so "earbuds pls" must end on earbuds.
    "pls", "plz", "thanks", "thank", "thx", "cheers", "mate", "lol", "u", "ur", "yo", "hi", "hey", "hello",
    "sell", "sells", "selling",
})


def fold(text: str) -> str:
    """Lower-case without accents: 'L'Oréal Crème' -> "l'oreal creme"."""
    if text.isascii():  # most queries and filters: nothing to decompose (and 10x faster)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def words(text: str) -> list[str]:
    """Folded words; a hyphenated or apostrophised word also yields its parts and its joined form."""
    out: list[str] = []
    for token in _TOKEN.findall(fold(text)):
        if "-" in token or "'" in token:
            parts = re.split(r"[-']", token)
            out.extend(p for p in parts if p)
            out.append("".join(parts))
        else:
            out.append(token)
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if word.isdigit() or len(word) <= 3:
        return word
    stemmed: str = _stemmer.stemWord(word)
    return stemmed


def query_words(text: str) -> list[str]:
    """The words of a query worth searching for, in order, without repeats."""
    return searchable(words(text))


def searchable(tokens: list[str]) -> list[str]:
    """The words of a query's words() worth searching for, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in tokens:
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)


def unreadable(text: str) -> list[str]:
    """The parts of a query that say something but hold no word we can read: other scripts
    ('телефон', '手机'), emoji. They are reported as ignored, never dropped as if unsaid, so a query
    made only of them matches nothing instead of browsing the whole catalogue."""
    return [part for part in text.split() if not words(part) and any(
        unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "So" for c in part)]
