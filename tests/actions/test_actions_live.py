"""The actions against a real shop, the rasa-sdk way: Tracker, CollectingDispatcher,
the domain, `await run`, then assert the events and messages.

Run with `pytest tests/actions -m shop`. The shop is found at $SHOP_URL (default
http://127.0.0.1:8100) with $SHOP_API_TOKEN. These tests FAIL, never skip, when the
shop is unreachable or unconfigured: a green run must mean the actions really work.

They assume nothing about product names; they need a catalog with at least:
- one department and more than 5 products (paging);
- one in-stock product with several sizes or colours (the variant question);
- one out-of-stock product.
Each test shops as its own new customer, so carts never collide.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import pytest
import requests

from actions.cart import ActionAddToCart, ActionRemoveFromCart, ActionViewCart
from actions.catalog import ActionBrowseDepartments, ActionProductDetails, ActionSearchProducts
from actions.clients.shop import (
    ProductDetails,
    ProductQuery,
    ShopClient,
)
from actions.forms import MAX_ADDRESS_LENGTH, MIN_ADDRESS_LENGTH, address_problem
from tests.actions.builders import build_tracker, entity, run_action, slots_set, texts

pytestmark = [pytest.mark.shop, pytest.mark.asyncio]


def _products(shop: ShopClient, **filters: Any) -> list[ProductDetails]:
    page = shop.search_products(ProductQuery(limit=50, **filters))
    return [shop.get_product(p.sku) for p in page.items]


async def _search_running_trainers(domain: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """A new search for running trainers: the messages and events of the search action."""
    return await run_action(
        ActionSearchProducts(),
        build_tracker("show me running trainers", "search_product", [entity("product", "running trainers")]),
        domain,
    )


def _multi_variant_product(shop: ShopClient) -> ProductDetails:
    for product in _products(shop, in_stock=True):
        in_stock = [v for v in product.variants if v.stock > 0]
        if len(in_stock) > 1:
            return product
    pytest.fail("The live catalog needs an in-stock product with several sizes or colours")


async def test_departments_become_search_buttons(shop: ShopClient, domain: dict[str, Any]) -> None:
    departments = shop.list_departments()

    messages, events = await run_action(
        ActionBrowseDepartments(), build_tracker("what do you sell", "browse_catalog"), domain
    )

    assert events == []
    [message] = messages
    assert departments, "The live catalog needs at least one department"
    assert message["buttons"][0]["payload"] == (f'/search_product{{"department":"{departments[0].slug}"}}')
    assert departments[0].name in message["text"]


async def test_a_search_naming_nothing_asks_what_to_find(shop: ShopClient, domain: dict[str, Any]) -> None:
    # Never the whole catalogue, and never "more" of an old search ("Find a product" sends this).
    old = {"last_search": {"query": {"q": "trainers", "limit": 5, "offset": 0}, "total": 20}}
    for said in ("show me what you have", "/search_product"):
        messages, events = await run_action(
            ActionSearchProducts(), build_tracker(said, "search_product", slots=old), domain
        )
        assert "What are you looking for?" in texts(messages)
        assert not any(m.get("custom") for m in messages)
        assert slots_set(events)["last_search"] is None


async def test_without_a_recognised_product_the_messages_own_words_are_searched(
    shop: ShopClient, domain: dict[str, Any]
) -> None:
    messages, events = await run_action(
        ActionSearchProducts(), build_tracker("hi, do you have any socks please?", "search_product"), domain
    )
    assert slots_set(events)["last_search"]["query"]["q"] == "socks"
    cards = messages[0]["custom"]["cards"]
    assert cards and all("sock" in card["title"].lower() for card in cards)


async def test_search_shows_five_cards_then_pages_with_show_more(shop: ShopClient, domain: dict[str, Any]) -> None:
    messages, events = await _search_running_trainers(domain)

    slots = slots_set(events)
    cards = messages[0]["custom"]["cards"]
    assert messages[0]["custom"]["type"] == "product_cards"
    assert len(cards) == 5, "The live catalog needs more than 5 products"
    assert slots["shown_skus"] == [card["sku"] for card in cards]
    assert "1. " + cards[0]["title"] in messages[0]["text"]
    assert "show more" in messages[1]["text"]
    assert slots["focused_sku"] is None

    # "show more" (a refinement with no filters): the next page of the same search.
    messages, events = await run_action(
        ActionSearchProducts(), build_tracker("show me more", "refine_search", slots=slots), domain
    )

    next_skus = slots_set(events)["shown_skus"]
    assert next_skus and not set(next_skus) & set(slots["shown_skus"])
    assert messages[0]["text"].startswith("Here are more")


async def test_search_by_name_finds_the_product(shop: ShopClient, domain: dict[str, Any]) -> None:
    product = shop.search_products(ProductQuery(limit=1)).items[0]

    messages, events = await run_action(
        ActionSearchProducts(),
        build_tracker(f"do you have {product.name}", "search_product", [entity("product", product.name)]),
        domain,
    )

    assert product.sku in slots_set(events)["shown_skus"] or "show more" in texts(messages)


async def test_search_with_no_match_says_so(shop: ShopClient, domain: dict[str, Any]) -> None:
    messages, events = await run_action(
        ActionSearchProducts(), build_tracker("any zqxjvw?", "search_product", [entity("product", "zqxjvw")]), domain
    )

    assert texts(messages).startswith("Sorry, we don't seem to have any zqxjvw")
    assert [b["title"] for m in messages for b in m.get("buttons") or []] == ["All departments"]
    assert slots_set(events)["shown_skus"] == []


async def test_a_product_the_shop_lacks_is_named_before_the_closest_ones(
    shop: ShopClient, domain: dict[str, Any]
) -> None:
    # The shop sells bins and tea bags, no bin bags; the topic guessed grocery.
    bin_bags = {**entity("product", "bin bag"), "extractor": "CatalogueEntityExtractor", "literal": True,
                "start": 10, "end": 18}
    tracker = build_tracker("do u sell bin bags", "search_product", [bin_bags])
    tracker.latest_message["topic"] = {"name": "grocery", "confidence": 1.0}

    messages, events = await run_action(ActionSearchProducts(), tracker, domain)

    assert messages[0]["text"].startswith("Sorry, we don't seem to have any bin bags. These come closest:")
    titles = [card["title"].lower() for card in messages[0]["custom"]["cards"]]
    assert titles and not any("bin" in t and "bag" in t for t in titles)
    assert slots_set(events)["last_search"]["query"]["q"] == "bin bags"


# Words in the names of products that are not earbuds but share their category or their words.
_NOT_EARBUDS = ("speaker", "headphones", "charger", "soundbar")


def _card_titles(messages: list[dict[str, Any]]) -> list[str]:
    return [card["title"] for m in messages for card in (m.get("custom") or {}).get("cards", [])]


async def test_earbuds_then_in_white_then_cheaper_show_only_earbuds(shop: ShopClient, domain: dict[str, Any]) -> None:
    earbuds = {**entity("product", "wireless earbuds"), "extractor": "CatalogueEntityExtractor", "literal": True,
               "start": 14, "end": 30}
    messages, events = await run_action(
        ActionSearchProducts(), build_tracker("yo do u sell wireless earbuds", "search_product", [earbuds]), domain
    )
    first = _card_titles(messages)
    assert first and not [t for t in first if any(w in t.lower() for w in _NOT_EARBUDS)], first
    slots = slots_set(events)

    messages, events = await run_action(
        ActionSearchProducts(),
        build_tracker("any in white?", "refine_search", [entity("color", "white")], slots=slots),
        domain,
    )
    white = _card_titles(messages)
    assert white and not [t for t in white if any(w in t.lower() for w in _NOT_EARBUDS)], white
    for sku in slots_set(events)["shown_skus"]:
        assert any(v.color == "White" for v in shop.get_product(sku).variants)

    messages, _ = await run_action(
        ActionSearchProducts(), build_tracker("any cheaper ones?", "refine_search", slots=slots), domain
    )
    cheaper = _card_titles(messages)
    assert not [t for t in cheaper if any(w in t.lower() for w in _NOT_EARBUDS)], (texts(messages), cheaper)


async def test_a_kind_the_shop_does_not_sell_is_named_and_nothing_else_is_shown(
    shop: ShopClient, domain: dict[str, Any]
) -> None:
    # The shop sells wireless headphones, mice and chargers, and no surfboards at all.
    messages, events = await run_action(
        ActionSearchProducts(),
        build_tracker("do you have wireless surfboards", "search_product", [entity("product", "wireless surfboards")]),
        domain,
    )
    assert texts(messages).startswith("Sorry, we don't seem to have any surfboards."), texts(messages)
    assert "leaving out" not in texts(messages) and _card_titles(messages) == []
    assert slots_set(events)["shown_skus"] == []


async def test_nothing_under_the_budget_shows_the_cheapest_and_says_so(
    shop: ShopClient, domain: dict[str, Any]
) -> None:
    matching = _products(shop, q="headphones")
    budget = min(p.price for p in matching) - 1
    # The best matches, as the shop ranks them (further down come speakers of the same category).
    headphones = [shop.get_product(p.sku) for p in shop.search_products(ProductQuery(q="headphones")).items]
    assert len(headphones) >= 2
    tracker = build_tracker(f"headphones under {budget}", "search_product", [entity("product", "headphones")])

    messages, events = await run_action(ActionSearchProducts(), tracker, domain)

    assert messages[0]["text"].startswith(f"Sorry, we have no headphones under {budget}. The cheapest we have:")
    shown = [shop.get_product(sku) for sku in slots_set(events)["shown_skus"]]
    assert [p.price for p in shown] == sorted(p.price for p in headphones)[:len(shown)]
    assert [c["title"] for c in messages[0]["custom"]["cards"]] == [p.name for p in shown]
    # What is remembered is the search without the budget, so "in black" or "cheaper" refine it.
    remembered = slots_set(events)["last_search"]["query"]
    assert remembered["q"] == "headphones" and remembered["max_price"] is None


async def test_a_word_with_two_meanings_searches_the_department_it_means(
    shop: ShopClient, domain: dict[str, Any]
) -> None:
    mouse = {**entity("product", "mouse"), "extractor": "CatalogueEntityExtractor", "department": "pets",
             "ambiguous": True, "literal": True, "start": 2, "end": 7}
    messages, events = await run_action(
        ActionSearchProducts(), build_tracker("a mouse for my cat", "search_product", [mouse]), domain
    )
    assert slots_set(events)["last_search"]["query"]["department"] == "pets"
    for card in messages[0]["custom"]["cards"]:
        assert shop.get_product(card["sku"]).department == "pets"


async def test_details_of_a_position_in_the_last_results(shop: ShopClient, domain: dict[str, Any]) -> None:
    shown = [p.sku for p in shop.search_products(ProductQuery(limit=3)).items]
    product = shop.get_product(shown[1])

    messages, events = await run_action(
        ActionProductDetails(),
        build_tracker(
            "tell me more about the second one",
            "product_details",
            [entity("product_index", "2")],
            slots={"shown_skus": shown},
        ),
        domain,
    )

    assert slots_set(events) == {"focused_sku": product.sku}
    assert messages[0]["text"].startswith(product.name)
    assert messages[0]["custom"]["cards"][0]["sku"] == product.sku


async def test_details_of_an_unknown_sku(shop: ShopClient, domain: dict[str, Any]) -> None:
    messages, _ = await run_action(
        ActionProductDetails(),
        build_tracker('/product_details{"sku":"NO-SUCH-SKU"}', "product_details", [entity("sku", "NO-SUCH-SKU")]),
        domain,
    )

    assert texts(messages) == "Sorry, that product isn't in the shop any more."


async def test_add_asks_for_the_variant_then_view_and_remove(
    shop: ShopClient, domain: dict[str, Any], sender: str
) -> None:
    product = _multi_variant_product(shop)

    # 1. "add it" without size/colour: the shop wants a variant, the bot asks.
    messages, events = await run_action(
        ActionAddToCart(),
        build_tracker(
            f'/add_to_cart{{"sku":"{product.sku}"}}', "add_to_cart", [entity("sku", product.sku)], sender_id=sender
        ),
        domain,
    )

    slots = slots_set(events)
    assert slots["awaiting_variant"] is True
    assert slots["pending_cart_item"]["sku"] == product.sku
    assert messages[0]["text"].startswith("Which ")
    choice = messages[0]["buttons"][0]["payload"]

    # 2. The shopper picks the first offered variant (its button's entities).
    chosen = _payload_entities(choice)
    messages, events = await run_action(
        ActionAddToCart(),
        build_tracker(choice, "add_to_cart", [entity(k, v) for k, v in chosen.items()], slots=slots, sender_id=sender),
        domain,
    )

    assert slots_set(events)["awaiting_variant"] is False
    assert texts(messages).startswith(f"Added 1 × {product.name}")
    cart = shop.get_cart(f"rest:{sender}")  # the customer id is <channel>:<sender>
    assert [line.sku for line in cart.items] == [product.sku]

    # 3. The cart shows it, with a remove button.
    messages, _ = await run_action(
        ActionViewCart(), build_tracker("what's in my cart", "view_cart", sender_id=sender), domain
    )
    assert product.name in messages[0]["text"]
    remove = messages[0]["buttons"][0]["payload"]

    # 4. Removing it by its button empties the cart.
    messages, _ = await run_action(
        ActionRemoveFromCart(),
        build_tracker(
            remove, "remove_from_cart", [entity(k, v) for k, v in _payload_entities(remove).items()], sender_id=sender
        ),
        domain,
    )
    assert texts(messages).startswith(f"Removed {product.name}")
    assert shop.get_cart(f"rest:{sender}").items == []


async def test_a_typed_size_answers_the_variant_question(shop: ShopClient, domain: dict[str, Any], sender: str) -> None:
    product = _multi_variant_product(shop)
    variant = next(v for v in product.variants if v.stock > 0)
    _, events = await run_action(
        ActionAddToCart(),
        build_tracker(
            f'/add_to_cart{{"sku":"{product.sku}"}}', "add_to_cart", [entity("sku", product.sku)], sender_id=sender
        ),
        domain,
    )
    slots = slots_set(events)

    answer = [entity("size", variant.size)] if variant.size else []
    answer += [entity("color", variant.color)] if variant.color else []
    messages, events = await run_action(
        ActionAddToCart(),
        build_tracker("that one please", "add_to_cart", answer, slots=slots, sender_id=sender),
        domain,
    )

    assert texts(messages).startswith(f"Added 1 × {product.name}"), texts(messages)
    line = shop.get_cart(f"rest:{sender}").items[0]
    assert (line.sku, line.size, line.color) == (product.sku, variant.size, variant.color)


async def test_add_out_of_stock(shop: ShopClient, domain: dict[str, Any], sender: str) -> None:
    sold_out = [p for p in _products(shop, in_stock=False) if not p.in_stock]
    if not sold_out:
        pytest.fail("The live catalog needs an out-of-stock product")
    product = sold_out[0]
    variant = product.variants[0] if product.variants else None
    found = [entity("sku", product.sku)]
    if variant and variant.size:
        found.append(entity("size", variant.size))
    if variant and variant.color:
        found.append(entity("color", variant.color))

    messages, events = await run_action(
        ActionAddToCart(), build_tracker("/add_to_cart", "add_to_cart", found, sender_id=sender), domain
    )

    assert "out of stock" in texts(messages) or "sold out" in texts(messages)
    assert slots_set(events)["awaiting_variant"] is False
    assert shop.get_cart(f"rest:{sender}").items == []


async def test_more_than_the_shop_has_says_how_many_it_has(shop: ShopClient, domain: dict[str, Any],
                                                           sender: str) -> None:
    # Heard in a shopper trial: "make it two" of the last pouch said "out of stock right now" (one was in the cart).
    found = next(((p, v) for p in _products(shop, in_stock=True) for v in p.variants if 2 <= v.stock <= 6), None)
    if found is None:
        pytest.fail("The live catalog needs a variant with 2 to 6 in stock")
    product, variant = found
    named = [entity("sku", product.sku)] + [entity(key, value) for key, value in
                                            (("size", variant.size), ("color", variant.color)) if value]

    def adding(how_many: int) -> Any:
        return build_tracker(f"/add_to_cart{{\"quantity\": {how_many}}}", "add_to_cart",
                             [*named, entity("quantity", str(how_many))], sender_id=sender)

    messages, _ = await run_action(ActionAddToCart(), adding(variant.stock + 1), domain)
    assert texts(messages).startswith(f"Sorry, we have only {variant.stock} of {product.name}"), texts(messages)
    assert "out of stock" not in texts(messages)
    messages, _ = await run_action(ActionAddToCart(), adding(1), domain)
    assert texts(messages).startswith(f"Added 1 × {product.name}"), texts(messages)
    messages, _ = await run_action(ActionAddToCart(), adding(variant.stock), domain)
    assert f"(1 already in your cart), so you can add {variant.stock - 1} more." in texts(messages), texts(messages)
    messages, _ = await run_action(ActionAddToCart(), adding(variant.stock - 1), domain)
    assert texts(messages).startswith(f"Added {variant.stock - 1} × {product.name}"), texts(messages)
    messages, _ = await run_action(ActionAddToCart(), adding(1), domain)
    assert "your cart already holds them all" in texts(messages), texts(messages)
    assert [line.quantity for line in shop.get_cart(f"rest:{sender}").items] == [variant.stock]


async def test_make_it_two_sets_the_quantity_of_what_the_cart_holds(shop: ShopClient, domain: dict[str, Any],
                                                                     sender: str) -> None:
    # Heard in a shopper trial: "actually make it two" after adding one asked the shop for two more.
    found = next(((p, v) for p in _products(shop, in_stock=True) for v in p.variants if 5 <= v.stock <= 19), None)
    if found is None:
        pytest.fail("The live catalog needs a variant with 5 to 19 in stock")
    product, variant = found
    slots = {"focused_sku": product.sku}
    named = [entity(key, value) for key, value in (("size", variant.size), ("color", variant.color)) if value]

    def said(text: str, quantity: int) -> Any:
        return build_tracker(text, "add_to_cart", [*named, entity("quantity", str(quantity))], slots=slots,
                             sender_id=sender)

    messages, _ = await run_action(ActionAddToCart(), said("add it", 1), domain)
    assert texts(messages).startswith(f"Added 1 × {product.name}"), texts(messages)
    messages, _ = await run_action(ActionAddToCart(), said("actually make it two", 2), domain)
    assert texts(messages).startswith(f"Done: 2 × {product.name}"), texts(messages)
    assert [line.quantity for line in shop.get_cart(f"rest:{sender}").items] == [2]
    messages, _ = await run_action(ActionAddToCart(), said(f"make it {variant.stock + 1}", variant.stock + 1), domain)
    assert texts(messages).startswith(f"Sorry, we have only {variant.stock} of {product.name}"), texts(messages)
    messages, _ = await run_action(ActionAddToCart(), said("make it 25", 25), domain)  # over the shop's limit
    assert "20" in texts(messages) and "went wrong" not in texts(messages), texts(messages)
    assert [line.quantity for line in shop.get_cart(f"rest:{sender}").items] == [2]
    messages, _ = await run_action(ActionAddToCart(), said("hmm, 3 instead", 3), domain)
    assert texts(messages).startswith(f"Done: 3 × {product.name}"), texts(messages)
    messages, _ = await run_action(ActionAddToCart(), said("add 2 more", 2), domain)  # more is more
    assert texts(messages).startswith(f"Added 2 × {product.name}"), texts(messages)
    assert [line.quantity for line in shop.get_cart(f"rest:{sender}").items] == [5]


async def test_add_unknown_sku(shop: ShopClient, domain: dict[str, Any], sender: str) -> None:
    messages, _ = await run_action(
        ActionAddToCart(),
        build_tracker(
            '/add_to_cart{"sku":"NO-SUCH-SKU"}', "add_to_cart", [entity("sku", "NO-SUCH-SKU")], sender_id=sender
        ),
        domain,
    )

    assert texts(messages) == "Sorry, that product isn't in the shop any more."


async def test_empty_cart(shop: ShopClient, domain: dict[str, Any], sender: str) -> None:
    messages, _ = await run_action(
        ActionViewCart(), build_tracker("show my cart", "view_cart", sender_id=sender), domain
    )
    assert texts(messages).startswith("Your cart is empty.")

    messages, _ = await run_action(
        ActionRemoveFromCart(),
        build_tracker("remove the first item", "remove_from_cart", [entity("product_index", "1")], sender_id=sender),
        domain,
    )
    assert texts(messages) == "Your cart is already empty."


def _payload_entities(payload: str) -> dict[str, str]:
    """The entities of a button payload, /intent{"entity": "value"}."""
    entities: dict[str, str] = json.loads(payload[payload.index("{") :])
    return entities


async def test_cheaper_and_pricier_refine_relative_to_what_was_shown(shop: ShopClient, domain: dict[str, Any]) -> None:
    first_messages, events = await _search_running_trainers(domain)
    slots = slots_set(events)
    shown_prices = [shop.get_product(sku).price for sku in slots["shown_skus"]]
    assert len(shown_prices) >= 2

    messages, events = await run_action(
        ActionSearchProducts(), build_tracker("any cheaper ones?", "refine_search", slots=slots), domain
    )
    cheaper_slots = {**slots, **slots_set(events)}
    cheaper = [shop.get_product(sku).price for sku in cheaper_slots["shown_skus"]]
    assert cheaper and max(cheaper) < min(shown_prices)
    assert cheaper_slots["last_search"]["query"]["q"] == "running trainers"

    # From the cheaper page, "more expensive" goes above the dearest product shown there.
    messages, events = await run_action(
        ActionSearchProducts(), build_tracker("something more expensive", "refine_search", slots=cheaper_slots), domain
    )
    pricier = [shop.get_product(sku).price for sku in slots_set(events)["shown_skus"]]
    assert pricier and min(pricier) > max(cheaper)
    assert first_messages[0]["custom"]["cards"] and messages[0]["custom"]["cards"]


async def test_cheaper_in_a_shoppers_words_refines_below_what_was_shown(shop: ShopClient,
                                                                       domain: dict[str, Any]) -> None:
    # Heard in a shopper trial: "something less pricey pls" paged the search ("That's everything I have").
    _, events = await _search_running_trainers(domain)
    slots = slots_set(events)
    shown = [shop.get_product(sku).price for sku in slots["shown_skus"]]
    for said in ("something less pricey pls", "anything lower priced?", "too steep for me, got anything else?"):
        messages, events = await run_action(ActionSearchProducts(), build_tracker(said, "refine_search", slots=slots),
                                            domain)
        cheaper = [shop.get_product(sku).price for sku in slots_set(events)["shown_skus"]]
        assert cheaper and max(cheaper) < min(shown), (said, texts(messages))
    # Nothing dearer than the dearest shown: the answer says so, above that price.
    messages, _ = await run_action(
        ActionSearchProducts(), build_tracker("anything posher?", "refine_search", slots=slots), domain)
    assert f"over {max(shown) + Decimal('0.01')}" in texts(messages), texts(messages)


async def test_a_price_said_with_cheaper_is_the_bound_not_the_cheapest_shown(shop: ShopClient,
                                                                           domain: dict[str, Any]) -> None:
    # Heard in a shopper trial: "anything cheaper than 80 quid" answered with products "under 218.99".
    _, events = await _search_running_trainers(domain)
    slots = slots_set(events)
    cheapest_shown = min(shop.get_product(sku).price for sku in slots["shown_skus"])
    assert cheapest_shown != Decimal("80.01")  # else "below the cheapest shown" would be 80 too
    messages, events = await run_action(
        ActionSearchProducts(),
        build_tracker("anything cheaper than 80 quid", "refine_search", [entity("price", "80")], slots=slots), domain)
    query = slots_set(events)["last_search"]["query"]
    assert Decimal(str(query["max_price"])) == Decimal("80"), texts(messages)
    assert str(cheapest_shown - Decimal("0.01")) not in texts(messages)
    assert "under 80" in texts(messages), texts(messages)


async def test_another_brand_for_what_was_shown_is_that_brands_kind_of_product(shop: ShopClient,
                                                                              domain: dict[str, Any]) -> None:
    # Heard in a shopper trial: "what about samsung" after the iPhone 16: "no black Samsung iphone 16".
    _, events = await run_action(
        ActionSearchProducts(),
        build_tracker("do u have iphone 16 in black", "search_product",
                      [entity("product", "iphone 16"), entity("color", "black")]),
        domain,
    )
    slots = slots_set(events)
    category = shop.get_product(slots["shown_skus"][0]).category
    messages, events = await run_action(
        ActionSearchProducts(),
        build_tracker("what about samsung", "refine_search", [entity("brand", "Samsung")], slots=slots), domain)
    shown = [shop.get_product(sku) for sku in slots_set(events)["shown_skus"]]
    assert shown and all(p.brand == "Samsung" and p.category == category for p in shown), texts(messages)
    assert all(any(c.lower() == "black" for c in p.colors) for p in shown)  # the colour is kept
    assert slots_set(events)["last_search"]["query"]["q"] == category.lower()


async def test_the_first_one_after_a_search_that_found_nothing_says_so(shop: ShopClient,
                                                                       domain: dict[str, Any]) -> None:
    # Heard in a shopper trial: "I haven't shown you any products yet", after a list of them and a search
    # that found nothing.
    _, events = await run_action(
        ActionSearchProducts(),
        build_tracker("any surfboards?", "search_product", [entity("product", "surfboards")]), domain)
    slots = slots_set(events)
    assert slots["shown_skus"] == [] and slots["last_search"] is not None
    messages, _ = await run_action(
        ActionProductDetails(),
        build_tracker("tell me about the first one", "product_details", [entity("product_index", "1")], slots=slots),
        domain)
    assert texts(messages).startswith("The last search found nothing"), texts(messages)
    messages, _ = await run_action(
        ActionProductDetails(),
        build_tracker("tell me about the first one", "product_details", [entity("product_index", "1")]), domain)
    assert texts(messages).startswith("I haven't shown you any products yet"), texts(messages)


async def test_adding_from_a_filtered_search_uses_its_size_and_colour(
    shop: ShopClient, domain: dict[str, Any], sender: str
) -> None:
    searched = [entity("color", "red"), entity("product", "running shoes"), entity("size", "42")]
    _, events = await run_action(
        ActionSearchProducts(),
        build_tracker("red running shoes size 42", "search_product", searched, sender_id=sender),
        domain,
    )
    slots = slots_set(events)
    assert slots["shown_skus"], "the seed catalogue has red running trainers in size 42"

    messages, events = await run_action(
        ActionAddToCart(),
        build_tracker("add the first one", "add_to_cart", [entity("product_index", "1")], slots, sender_id=sender),
        domain,
    )
    assert not slots_set(events).get("awaiting_variant"), texts(messages)
    [line] = shop.get_cart(f"rest:{sender}").items
    assert (line.sku, line.size, line.color) == (slots["shown_skus"][0], "42", "Red")


async def test_the_assistants_address_limits_are_the_shops(shop: ShopClient) -> None:
    # The checkout form refuses an address the shop would refuse, with the same limits.
    answer = requests.get(f"{os.environ['SHOP_URL']}/openapi.json", timeout=10)
    assert answer.status_code == 200
    text_form = [s for s in answer.json()["components"]["schemas"]["OrderCreate"]["properties"]["shipping_address"]
                 ["anyOf"] if s.get("type") == "string"]
    assert [(s["minLength"], s["maxLength"]) for s in text_form] == [(MIN_ADDRESS_LENGTH, MAX_ADDRESS_LENGTH)]
    assert address_problem("x" * MAX_ADDRESS_LENGTH) is None
    assert "under 300 characters" in str(address_problem("x" * (MAX_ADDRESS_LENGTH + 1)))


async def test_a_quantity_over_the_shops_limit_says_what_the_limit_is(
    shop: ShopClient, domain: dict[str, Any]
) -> None:
    sku = shop.search_products(ProductQuery(q="kettle", limit=1)).items[0].sku
    tracker = build_tracker("add 500 of them", "add_to_cart", [entity("sku", sku), entity("quantity", "500")],
                            sender_id=f"limits-{sku}")

    messages, _ = await run_action(ActionAddToCart(), tracker, domain)

    assert texts(messages) == "Sorry, the shop can't take that quantity: it can be at most 20."

