"""Departments, product details and search, over HTTP on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.utils.api import Api
from tests.utils.factories import make_product

SUMMARY_KEYS = {"sku", "name", "department", "brand", "price", "currency", "colors", "sizes", "in_stock",
                "image_url"}


def names(api: Api, **params: object) -> list[str]:
    response = api.get("/products", params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_departments_list_the_seeded_catalogue(api: Api) -> None:
    departments = api.get("/departments").json()["items"]
    slugs = {d["slug"] for d in departments}
    assert {"electronics", "grocery", "fashion", "sports", "home", "beauty", "pets"} <= slugs
    assert all(d["product_count"] >= 25 for d in departments if d["slug"] in slugs - {"toys"})
    assert sum(d["product_count"] for d in departments) >= 300


def test_search_contract_shape(api: Api) -> None:
    body = api.get("/products", params={"q": "trainers", "limit": 3}).json()
    assert body["total"] >= 3 and len(body["items"]) == 3
    for item in body["items"]:
        assert item.keys() >= SUMMARY_KEYS
        assert isinstance(item["price"], str) and Decimal(item["price"]) > 0 and item["currency"] == "EUR"
        assert item["image_url"].endswith(f"/images/{item['sku']}.png")


def test_product_details_with_variants(api: Api) -> None:
    sku = api.get("/products", params={"q": "running trainers", "limit": 1}).json()["items"][0]["sku"]
    product = api.get(f"/products/{sku}").json()
    assert product["sku"] == sku and product["variants"]
    assert {"size", "color", "stock"} == set(product["variants"][0])
    assert product["in_stock"] == any(v["stock"] > 0 for v in product["variants"])
    assert api.get(f"/products/{sku.lower()}").status_code == 200


def test_unknown_product_is_404(api: Api) -> None:
    response = api.get("/products/NOPE-0000")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_product"


@pytest.mark.parametrize(("query", "department", "expected"), [
    ("blakberries", "grocery", "blackberr"),      # typo
    ("iphon", "electronics", "iphone"),           # unfinished word
    ("sneakers", None, "trainers"),               # synonym
    ("apples", "grocery", "apples"),              # plural fruit, not the brand
    ("mouse", "pets", "mouse"),                   # a cat's toy with the department given
])
def test_search_tolerates_typos_plurals_and_synonyms(api: Api, query: str, department: str | None,
                                                      expected: str) -> None:
    params = {"q": query, "limit": 5} | ({"department": department} if department else {})
    found = names(api, **params)
    assert found, f"nothing found for {query!r}"
    assert expected in found[0].lower(), found


def test_typo_is_reported_as_a_correction(api: Api) -> None:
    body = api.get("/products", params={"q": "blakberries"}).json()
    assert body["search"]["corrections"] == {"blakberries": "blackberries"}
    assert "Fresh Blackberries 150 g" in [i["name"] for i in body["items"]]


def test_context_words_find_both_meanings_and_filters_pick_one(api: Api) -> None:
    both = api.get("/products", params={"q": "blackberry", "limit": 20}).json()["items"]
    assert {"electronics", "grocery"} <= {i["department"] for i in both}
    phones = names(api, q="blackberry", department="electronics")
    assert phones and all("BlackBerry" in n for n in phones)
    assert {i["department"] for i in api.get("/products", params={"q": "apple", "department": "grocery"})
            .json()["items"]} == {"grocery"}


def test_filters_combine(api: Api) -> None:
    body = api.get("/products", params={"q": "running shoes", "color": "red", "size": "42",
                                        "max_price": 100, "in_stock": "true", "limit": 20}).json()
    assert body["total"] >= 3
    for item in body["items"]:
        assert Decimal(item["price"]) <= 100 and "Red" in item["colors"] and "42" in item["sizes"]
        assert item["in_stock"]
        variants = api.get(f"/products/{item['sku']}").json()["variants"]
        assert any(v["color"] == "Red" and v["size"] == "42" and v["stock"] > 0 for v in variants)


def test_brand_department_and_price_range(api: Api) -> None:
    items = api.get("/products", params={"brand": "nike", "min_price": 50, "max_price": 150,
                                         "limit": 50}).json()["items"]
    assert items and all(i["brand"] == "Nike" and 50 <= Decimal(i["price"]) <= 150 for i in items)
    pets = api.get("/products", params={"department": "pets", "limit": 50}).json()
    assert pets["total"] >= 25 and all(i["department"] == "pets" for i in pets["items"])


def test_paging_is_stable_and_total_is_consistent(api: Api) -> None:
    first = api.get("/products", params={"department": "fashion", "limit": 5, "offset": 0}).json()
    second = api.get("/products", params={"department": "fashion", "limit": 5, "offset": 5}).json()
    assert first["total"] == second["total"] >= 10
    assert not {i["sku"] for i in first["items"]} & {i["sku"] for i in second["items"]}
    everything = api.get("/products", params={"department": "fashion", "limit": 50}).json()["items"]
    assert [i["sku"] for i in everything[:10]] == [i["sku"] for i in first["items"] + second["items"]]


def test_nothing_matches(api: Api) -> None:
    body = api.get("/products", params={"q": "zzqx flurbo"}).json()
    assert body == {
        "items": [],
        "total": 0,
        "search": {"corrections": {}, "ignored": ["zzqx", "flurbo"], "partial": False, "kind": "flurbo",
                   "kind_missing": True},
    }


def test_a_search_no_product_fully_matches_says_the_hits_are_partial(api: Api) -> None:
    # The seed sells bins and tea bags, but no bin bags: the hits have one of the two words.
    body = api.get("/products", params={"q": "bin bags"}).json()
    assert body["search"]["partial"] is True
    assert body["items"]
    names = [item["name"].lower() for item in body["items"]]
    assert not any("bin" in name and "bag" in name for name in names)
    assert any("tea" in name for name in names) or any("bin" in name for name in names)

    whole = api.get("/products", params={"q": "tea bags"}).json()
    assert whole["search"]["partial"] is False
    assert any("Tea" in i["name"] for i in whole["items"])


def test_search_sees_stock_changes_from_checkout(api: Api, engine, customer: str) -> None:  # type: ignore[no-untyped-def]
    sku = make_product(engine, name="Zanzibar Glow Lantern", variants=[(None, None, 1)])
    assert names(api, q="zanzibar lantern", in_stock="true") == ["Zanzibar Glow Lantern"]
    assert api.add(customer, sku).status_code == 201
    assert api.checkout(customer, "key-lantern-0001").status_code == 201
    assert names(api, q="zanzibar lantern", in_stock="true") == []
    sold_out = api.get("/products", params={"q": "zanzibar lantern"}).json()["items"]
    assert [i["in_stock"] for i in sold_out] == [False]


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 51}, {"offset": -1}, {"min_price": -5}, {"max_price": "cheap"},
    {"in_stock": "maybe"}, {"q": "x" * 201}, {"department": "d" * 61},
])
def test_bad_search_parameters_are_422(api: Api, params: dict[str, object]) -> None:
    response = api.get("/products", params=params)
    assert response.status_code == 422
    assert "detail" in response.json()
