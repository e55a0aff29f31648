"""Shoppers' queries on the seed catalogue, each with the kind of product a right answer is.

The judge (written down once, used by tests/test_search_precision.py and bench/search_versus.py):
a product is of the expected kind when its name contains one of the query's `kinds` as whole words
(accents and case aside, singular or plural alike: "Earbuds" is "earbud"), or its category is one of
the query's `categories`, or its department one of its `departments`. Precision@5 is the share of
the first five results that are of the expected kind; a query with no results scores 0.

The kinds are what a demanding shopper accepts, not what the index finds: "earbuds" are earbuds and
AirPods Pro and AirPods 4 (in-ear), never AirPods Max or a speaker; "wireless mouse" accepts any
computer mouse, since "wireless" only narrows among them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.search.text import stem, words


@dataclass(frozen=True)
class Case:
    q: str
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)  # filters sent with the text

    @property
    def label(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.q} [{extra}]" if extra else self.q


def _stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def _contains(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i:i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def is_expected_kind(case: Case, name: str, category: str, department: str) -> bool:
    """The judge: the product's name holds one of the kinds, or its category or department is named."""
    if category in case.categories or department in case.departments:
        return True
    name_stems = _stems(name)
    return any(_contains(name_stems, _stems(kind)) for kind in case.kinds)


def precision_at(case: Case, results: Sequence[tuple[str, str, str]], k: int = 5) -> float:
    """The share of the first k (name, category, department) results of the expected kind."""
    top = list(results)[:k]
    return sum(is_expected_kind(case, *r) for r in top) / len(top) if top else 0.0


_EARBUDS = ("earbuds", "airpods pro", "airpods 4")
_HEADPHONES = ("headphones", "airpods max")

CASES: list[Case] = [
    # electronics
    Case("wireless earbuds", _EARBUDS),
    Case("white wireless earbuds", _EARBUDS),
    Case("wireless earbuds", _EARBUDS, params={"color": "white"}),
    Case("earbud", _EARBUDS),
    Case("noise cancelling headphones", _HEADPHONES),
    Case("headset", _HEADPHONES),
    Case("bluetooth speaker", ("speaker", "soundbar")),
    Case("phone", categories=("Phones",)),
    Case("android phone", categories=("Phones",), params={"max_price": "600"}),
    Case("iphone case", ("case",)),
    Case("samsung tablet", ("tablet",)),
    Case("laptop", categories=("Laptops",)),
    Case("wireless mouse", ("wireless mouse", "gaming mouse", "magic mouse")),
    Case("smartwatch", ("smartwatch",), categories=("Wearables",)),
    Case("wireless charger", ("charger",)),
    Case("gaming controller", ("controller",)),
    Case("camra", ("camera",)),
    # grocery
    Case("blakberries", ("blackberries",)),
    Case("apples", ("apples",), params={"department": "grocery"}),
    Case("orange juice", ("juice",)),
    Case("coffee", ("ground coffee", "bean coffee", "espresso")),
    Case("dark chocolate", ("chocolate",)),
    Case("yogurt", ("yoghurt",)),
    Case("pasta", ("spaghetti", "penne")),
    Case("cheese", ("parmigiano", "mozzarella")),
    # fashion
    Case("jumper", categories=("Jumpers & Cardigans",), params={"color": "orange"}),
    Case("white trainers", ("trainers",)),
    Case("sneakers", ("trainers",)),
    Case("waterproof jacket", ("jacket", "coat", "overcoat")),
    Case("jeans", ("jeans",)),
    Case("tee", ("t-shirt", "polo")),
    Case("leather boots", ("boots", "boot")),
    Case("summer dress", ("dress",)),
    Case("sunglasses", ("sunglasses",)),
    # sports
    Case("running shoes", categories=("Running Shoes",)),
    Case("running shoes", categories=("Running Shoes",),
         params={"color": "red", "size": "42", "max_price": "100"}),
    Case("yoga mat", ("yoga mat",)),
    Case("tennis racket", ("racket",)),
    Case("football boots", ("football boots",)),
    Case("water bottle", ("bottle",)),
    Case("runnig socks", ("socks",)),
    Case("dumbells", ("dumbbells",)),
    Case("bike helmet", ("helmet",)),
    # home
    Case("kettle", ("kettle",)),
    Case("electric kettle", ("kettle",)),
    Case("coffee machine", ("coffee machine",)),
    Case("frying pan", ("pan", "skillet")),
    Case("pillow case", ("pillow case",)),
    Case("couch", ("sofa",)),
    Case("desk lamp", ("lamp",)),
    Case("hoover", ("vacuum",)),
    # beauty
    Case("shampoo", ("shampoo",)),
    Case("red lipstick", ("lipstick",)),
    Case("vitamin tablets", categories=("Vitamins & Supplements",)),
    Case("electric toothbrush", ("toothbrush",)),
    Case("perfume", categories=("Fragrance",)),
    # pets
    Case("cat food", categories=("Cat Food",)),
    Case("dog toy", ("dog toy", "ball", "tug toy")),
    Case("mouse", ("mouse",), params={"department": "pets"}),
    Case("leash", ("lead",)),
    Case("dog bed", ("dog bed",)),
    # toys
    Case("board game", categories=("Board Games & Puzzles",)),
    Case("jigsaw puzzle", ("puzzle",)),
    Case("teddy bear", ("teddy",)),
    Case("scooter", ("scooter",)),
    # brands and departments alone
    Case("nike", ("nike",)),
    Case("lego", ("lego",)),
    Case("sports", departments=("sports",)),
    Case("toys", ("toy",), departments=("toys",)),
]
