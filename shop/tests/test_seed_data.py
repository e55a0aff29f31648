"""Invariants of the seed catalogue and the scale-test generator (pure data, no database)."""

from __future__ import annotations

import inspect
import re
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from app.seed import catalog
from app.seed.generate import MAX_VARIANTS, generate_products

PRODUCTS = catalog.PRODUCTS
PRODUCT_KEYS = {
    "sku", "name", "department", "brand", "category", "description", "keywords",
    "price", "currency", "variants", "popularity",
}  # fmt: skip
VARIANT_KEYS = {"size", "color", "stock"}
DEPT_SLUGS = {d["slug"] for d in catalog.DEPARTMENTS}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _variants() -> list[dict[str, Any]]:
    return [v for p in PRODUCTS for v in p["variants"]]


def _find(substring: str, department: str) -> list[dict[str, Any]]:
    return [p for p in PRODUCTS if substring.lower() in p["name"].lower() and p["department"] == department]


def _is_money(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\d+\.\d{2}", value) is not None


# --- departments and products -------------------------------------------------------------


def test_departments_are_unique_and_include_the_core_seven() -> None:
    slugs = [d["slug"] for d in catalog.DEPARTMENTS]
    assert len(slugs) == len(set(slugs))
    assert {"electronics", "grocery", "fashion", "sports", "home", "beauty", "pets"} <= set(slugs)
    assert all(set(d) == {"slug", "name"} and d["name"] for d in catalog.DEPARTMENTS)


def test_enough_products_in_every_department() -> None:
    assert len(PRODUCTS) >= 320
    per_dept = Counter(p["department"] for p in PRODUCTS)
    assert len(per_dept) >= 7
    assert all(per_dept[slug] >= 25 for slug in DEPT_SLUGS), per_dept


def test_product_and_variant_shapes() -> None:
    for p in PRODUCTS:
        assert set(p) == PRODUCT_KEYS, p["name"]
        assert p["variants"], p["name"]
        for v in p["variants"]:
            assert set(v) == VARIANT_KEYS, p["name"]
        assert p["name"].strip() and p["brand"].strip() and p["category"].strip()
        assert len(p["description"]) >= 20 and p["description"].rstrip().endswith("."), p["name"]
        assert p["currency"] == "EUR"


def test_skus_unique_uppercase_with_department_prefix() -> None:
    skus = [p["sku"] for p in PRODUCTS]
    assert len(skus) == len(set(skus))
    for p in PRODUCTS:
        assert re.fullmatch(r"[A-Z]{2}-\d{4}", p["sku"]), p["sku"]
        assert p["sku"].startswith(catalog.SKU_PREFIXES[p["department"]] + "-"), p["sku"]


def test_every_department_exists() -> None:
    assert {p["department"] for p in PRODUCTS} <= DEPT_SLUGS


def test_prices_are_positive_decimals_with_two_places() -> None:
    for p in PRODUCTS:
        assert _is_money(p["price"]), (p["name"], p["price"])
        price = Decimal(p["price"])
        assert price > 0
        assert price.as_tuple().exponent == -2


def test_stock_and_popularity_are_sane_ints() -> None:
    for p in PRODUCTS:
        assert type(p["popularity"]) is int and 0 <= p["popularity"] <= 100, p["name"]
        for v in p["variants"]:
            assert type(v["stock"]) is int and v["stock"] >= 0, p["name"]


def test_keywords_are_lowercase_unique_words() -> None:
    for p in PRODUCTS:
        kws = p["keywords"]
        assert isinstance(kws, list) and kws, p["name"]
        assert all(isinstance(k, str) and k == k.lower() and k.strip() == k and k for k in kws), p["name"]
        assert len(kws) == len(set(kws)), p["name"]


def test_variant_options_use_the_fixed_vocabularies() -> None:
    palette = set(catalog.COLORS)
    assert all(c == c.title() for c in catalog.COLORS)
    shoe_sizes = set(catalog.SHOE_SIZES)
    assert catalog.SHOE_SIZES[0] == "36" and catalog.SHOE_SIZES[-1] == "46"
    for p in PRODUCTS:
        combos = [(v["size"], v["color"]) for v in p["variants"]]
        assert len(combos) == len(set(combos)), f"duplicate variant in {p['name']}"
        if len(combos) > 1:
            assert (None, None) not in combos, p["name"]
        for size, color in combos:
            assert color is None or color in palette, (p["name"], color)
            if size is not None and size.isdigit():
                assert size in shoe_sizes, (p["name"], size)
            assert size is None or len(size) <= 20
        if "Trainers" in p["name"] or p["category"] in {"Trainers", "Running Shoes"}:
            assert all(s in shoe_sizes for s, _ in combos), p["name"]
        if p["category"] in {"T-Shirts & Polos", "Jumpers & Cardigans", "Hoodies & Sweatshirts"}:
            assert all(s in catalog.CLOTHING_SIZES for s, _ in combos), p["name"]


def test_catalogue_is_deterministic() -> None:
    assert catalog._build_products() == PRODUCTS


# --- stock spread ---------------------------------------------------------------------------


def test_some_products_entirely_sold_out() -> None:
    sold_out = [p for p in PRODUCTS if all(v["stock"] == 0 for v in p["variants"])]
    assert len(sold_out) >= 10
    assert {p["name"] for p in sold_out} >= catalog.SOLD_OUT_NAMES


def test_stock_spread_is_realistic() -> None:
    stocks = [v["stock"] for v in _variants()]
    zero = sum(s == 0 for s in stocks) / len(stocks)
    nearly = sum(1 <= s <= 3 for s in stocks) / len(stocks)
    normal = sum(5 <= s <= 80 for s in stocks) / len(stocks)
    assert 0.04 <= zero <= 0.14, zero
    assert 0.04 <= nearly <= 0.14, nearly
    assert normal >= 0.7, normal


def test_always_stocked_products_are_in_stock() -> None:
    by_name = {p["name"]: p for p in PRODUCTS}
    for name in catalog.ALWAYS_STOCKED_NAMES:
        assert all(v["stock"] > 0 for v in by_name[name]["variants"]), name


# --- context-dependent pairs ----------------------------------------------------------------

AMBIGUOUS = [
    # (name substring, department, brand or None)
    ("BlackBerry KEY2", "electronics", "BlackBerry"),
    ("Blackberries", "grocery", None),
    ("iPhone", "electronics", "Apple"),
    ("iPad", "electronics", "Apple"),
    ("MacBook", "electronics", "Apple"),
    ("AirPods", "electronics", "Apple"),
    ("Pink Lady Apples", "grocery", None),
    ("Granny Smith Apples", "grocery", None),
    ("Logitech MX Master 3S Wireless Mouse", "electronics", "Logitech"),
    ("Catnip Toy Mouse", "pets", None),
    ("Jumper", "fashion", None),
    ("Navel Oranges", "grocery", None),
    ("iPhone 15 Silicone Case", "electronics", "Apple"),
    ("Cotton Pillow Case", "home", None),
    ("Samsung Galaxy Tab S9 Tablet", "electronics", "Samsung"),
    ("Vitamin C 1000 mg Tablets", "beauty", None),
    ("Nike Pegasus 41 Running Trainers", "sports", "Nike"),
    ("Personal Trainer Session Voucher", "sports", None),
]


@pytest.mark.parametrize(("substring", "department", "brand"), AMBIGUOUS)
def test_ambiguous_pair_side_present(substring: str, department: str, brand: str | None) -> None:
    found = _find(substring, department)
    assert found, f"no {substring!r} in {department}"
    if brand is not None:
        assert any(p["brand"] == brand for p in found), f"{substring!r} not by {brand}"


def test_blackberry_phone_is_not_in_grocery_and_berries_not_in_electronics() -> None:
    assert all(p["department"] == "electronics" for p in PRODUCTS if p["brand"] == "BlackBerry")
    assert not _find("Blackberries", "electronics")
    assert all(p["department"] != "grocery" for p in PRODUCTS if p["brand"] == "Apple")


def test_orange_jumper_comes_in_orange() -> None:
    jumpers = _find("Jumper", "fashion")
    assert any(v["color"] == "Orange" and v["stock"] > 0 for p in jumpers for v in p["variants"])


def test_pegasus_has_shoe_sizes_and_colours() -> None:
    (pegasus,) = _find("Nike Pegasus 41 Running Trainers", "sports")
    sizes = {v["size"] for v in pegasus["variants"]}
    colors = {v["color"] for v in pegasus["variants"]}
    assert {"40", "42", "44"} <= sizes <= set(catalog.SHOE_SIZES)
    assert len(colors) >= 3


def test_red_running_trainers_size_42_under_100_in_stock() -> None:
    matches = [
        p for p in PRODUCTS
        if "Running Trainers" in p["name"] and Decimal(p["price"]) < 100
        and any(v["color"] == "Red" and v["size"] == "42" and v["stock"] > 0 for v in p["variants"])
    ]  # fmt: skip
    assert len(matches) >= 3, [p["name"] for p in matches]
    assert {"Nike", "Adidas"} <= {p["brand"] for p in matches}


def test_trainers_carry_sneaker_keywords() -> None:
    trainers = [p for p in PRODUCTS if p["name"].endswith("Trainers")]
    assert len(trainers) >= 15
    for p in trainers:
        assert "sneakers" in p["keywords"], p["name"]
    running = [p for p in trainers if "Running" in p["name"]]
    assert all("running shoes" in p["keywords"] for p in running)


def test_typo_targets_exist() -> None:
    assert len([p for p in PRODUCTS if "iphone" in p["name"].lower()]) >= 3  # for "iphon"
    assert len(_find("blackberries", "grocery")) >= 2  # for "blakberries"


# --- stores, promotions, synonyms -----------------------------------------------------------


def test_stores() -> None:
    stores = catalog.STORES
    assert 8 <= len(stores) <= 12
    assert len({s["code"] for s in stores}) == len(stores)
    hours = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")
    for s in stores:
        assert set(s) == {"code", "name", "address", "city", "postcode", "country", "latitude", "longitude",
                          "phone", "opening_hours"}
        assert -90 <= s["latitude"] <= 90 and -180 <= s["longitude"] <= 180
        assert 34 <= s["latitude"] <= 72 and -25 <= s["longitude"] <= 45, f"{s['code']} is not in Europe"
        assert re.fullmatch(r"[A-Z]{2}", s["country"])
        assert s["phone"].startswith("+")
        assert tuple(s["opening_hours"]) == DAYS
        for day, value in s["opening_hours"].items():
            if value != "closed":
                assert hours.fullmatch(value), (s["code"], day, value)
                opens, closes = value.split("-")
                assert opens < closes, (s["code"], day)


def test_promotions() -> None:
    promos = catalog.PROMOTIONS
    assert 5 <= len(promos) <= 8
    assert len({p["code"] for p in promos}) == len(promos)
    keys = {"code", "title", "description", "department", "percent_off", "amount_off", "min_order",
            "starts_days_from_now", "ends_days_from_now"}
    limits = {"uses_per_customer", "uses_total"}
    for p in promos:
        assert keys <= set(p) <= keys | limits
        assert all(p[k] is None or (isinstance(p[k], int) and p[k] > 0) for k in limits & set(p))
        assert p["code"] == p["code"].upper()
        assert p["department"] is None or p["department"] in DEPT_SLUGS
        assert (p["percent_off"] is None) != (p["amount_off"] is None), p["code"]
        if p["percent_off"] is not None:
            assert 0 < p["percent_off"] < 100
        for money in ("amount_off", "min_order"):
            assert p[money] is None or (_is_money(p[money]) and Decimal(p[money]) > 0)
        assert p["starts_days_from_now"] < p["ends_days_from_now"]
    assert any(p["ends_days_from_now"] < 0 for p in promos), "need an expired promotion"
    assert any(p["starts_days_from_now"] <= 0 < p["ends_days_from_now"] for p in promos), "need an active one"


def test_synonyms() -> None:
    syn = catalog.SYNONYMS
    assert len(syn) >= 30
    for key, values in syn.items():
        assert key == key.lower() and values and all(v == v.lower() for v in values), key
        assert key not in values
    assert "trainers" in syn["sneakers"] and "trainer" in syn["sneaker"]
    assert "t-shirt" in syn["tee"] and "jumper" in syn["sweater"] and "jumper" in syn["pullover"]
    assert "sofa" in syn["couch"] and "television" in syn["tv"] and "pants" in syn["trousers"]
    assert {"smartphone", "phone"} <= set(syn["mobile"]) and {"smartphone", "phone"} <= set(syn["cellphone"])
    assert {"notebook", "macbook"} <= set(syn["laptop"]) and "headphones" in syn["earbuds"]


# --- generator ------------------------------------------------------------------------------


def test_generate_products_shape_and_uniqueness() -> None:
    gen = generate_products(2000)
    assert inspect.isgenerator(gen)
    products = list(gen)
    assert len(products) == 2000
    assert len({p["sku"] for p in products}) == 2000
    assert products[0]["sku"] == "GEN-000001"
    palette = set(catalog.COLORS)
    for p in products:
        assert set(p) == PRODUCT_KEYS
        assert p["department"] in DEPT_SLUGS
        assert _is_money(p["price"]) and Decimal(p["price"]) > 0
        assert 1 <= len(p["variants"]) <= MAX_VARIANTS
        assert 0 <= p["popularity"] <= 100
        for v in p["variants"]:
            assert set(v) == VARIANT_KEYS
            assert type(v["stock"]) is int and v["stock"] >= 0
            assert v["color"] is None or v["color"] in palette
    assert {p["department"] for p in products} == DEPT_SLUGS


def test_generate_products_is_deterministic() -> None:
    assert list(generate_products(300, seed=42)) == list(generate_products(300, seed=42))
    assert list(generate_products(300, seed=42)) != list(generate_products(300, seed=43))


def test_generate_100k_is_fast_and_vocabulary_stays_bounded() -> None:
    started = time.perf_counter()
    words: set[str] = set()
    skus: set[str] = set()
    for p in generate_products(100_000):
        skus.add(p["sku"])
        words.update(p["name"].lower().split())
    elapsed = time.perf_counter() - started
    assert len(skus) == 100_000
    assert elapsed < 10, f"100k products took {elapsed:.1f} s"
    assert 1000 <= len(words) <= 10_000, len(words)
