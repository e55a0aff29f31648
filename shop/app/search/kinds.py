"""What kind of product a name, a keyword or a query is about: its head noun.

English names a thing last: "Sony WH-1000XM5 Wireless Headphones" are headphones, "phone case" is a
case, "white wireless earbuds" asks for earbuds. The index uses these heads so that a query naming a
kind only finds products of that kind, and its other words ("wireless", "white") only narrow those.
"""

from __future__ import annotations

import re

from app.search.text import fold, words

# Words that end a product name without saying what it is: pack sizes, units, counts.
MEASURES = frozenset({
    "g", "kg", "mg", "ml", "l", "cl", "oz", "lb", "gb", "tb", "mm", "cm", "m", "inch", "w", "mah", "iu", "tog",
    "x", "pack", "net", "piece", "pieces", "pcs", "pair", "set", "of", "xxs", "xs", "s", "xl", "xxl",
})
# A name's tail after these describes what goes with the product: "Case for Samsung Galaxy S24",
# "Silicone Case with MagSafe", "AirPods Pro (2nd generation)".
_NAME_TAIL = re.compile(r"\s(?:for|with)\s|\(", re.IGNORECASE)
# In a query, what follows these qualifies the thing sought: "case for iphone", "jumper in orange",
# "headphones under 50".
QUERY_BOUNDARIES = frozenset({"for", "with", "without", "in", "from", "under", "below", "over", "above"})


def _token_heads(token: str) -> list[str]:
    """A last token's words as a head: "T-Shirt" → shirt and tshirt, never a letter or a number."""
    found = words(token)
    if len(found) > 1:  # words() gives a hyphenated token's parts, then the parts joined
        found = found[-2:]
    return [w for w in found if len(w) > 1 and not w.isdigit()]


def name_heads(name: str) -> list[str]:
    """The words of a product name that say what it is: "Navel Oranges 1.5 kg Net" → oranges."""
    name = _NAME_TAIL.split(name, maxsplit=1)[0]
    for token in reversed(name.split()):
        folded = fold(token).strip(".,'\"")
        if not folded or any(ch.isdigit() for ch in folded) or folded in MEASURES:
            continue
        heads = _token_heads(token)
        if heads:
            return heads
    return []


def phrase_heads(phrase: str) -> list[str]:
    """The head of a keyword phrase: "wireless mouse" → mouse, "make-up remover" → remover."""
    tokens = phrase.split()
    return _token_heads(tokens[-1]) if tokens else []


def category_heads(category: str) -> list[str]:
    """A category names one kind ("Running Shoes" → shoes) unless it joins several: the products
    of "Headphones & Speakers" are each only one of them, and say which in their own name."""
    if "&" in category or "," in category or " and " in category.lower():
        return []
    return phrase_heads(category)


def query_head_words(tokens: list[str]) -> list[str]:
    """The query's words that may name what is sought, in order: those before a word that starts a
    qualifier ("case for iphone 15" → case), or all of them when nothing comes before it."""
    for position, word in enumerate(tokens):
        if word in QUERY_BOUNDARIES:
            return tokens[:position] or tokens[position + 1:]
    return tokens
