"""A WhatsApp catalogue cart through action_add_to_cart against the real shop, the rasa-sdk way
(actions/catalog_order.py): the lines the channel put in the message's metadata are added at the
shop's prices, what cannot be added is named, and only the latest message's cart counts.
End to end through Rasa and the WhatsApp channel: tests/channels/test_meta_rasa_commerce.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.cart import AWAITING_VARIANT, ActionAddToCart
from actions.catalog_order import CATALOG_ORDER, MAX_LINES
from actions.clients.shop import ProductDetails, ProductQuery, ShopClient
from actions.responses import format_price, shop_unavailable
from tests.actions.builders import run_action, slots_set, texts, user_tracker

pytestmark = [pytest.mark.asyncio]


def cart_message(sender: str, items: list[dict[str, Any]], left_out: int = 0) -> Tracker:
    order = {"catalog_id": "1337000000000001", "items": items, "left_out": left_out}
    return user_tracker(sender, "/add_to_cart", "add_to_cart", metadata={CATALOG_ORDER: order}, channel="whatsapp",
                        slots={AWAITING_VARIANT: True})


def single_variant(shop: ShopClient, at_least: int) -> ProductDetails:
    for summary in shop.search_products(ProductQuery(in_stock=True, limit=50)).items:
        product = shop.get_product(summary.sku)
        if len(product.variants) == 1 and product.variants[0].stock >= at_least:
            return product
    pytest.fail(f"The live catalogue needs a product with one variant and {at_least} in stock")


@pytest.mark.shop
async def test_lines_of_one_sku_are_one_line_and_the_rest_of_a_huge_cart_is_counted(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    product = single_variant(shop, 3)
    tracker = cart_message(sender, [{"sku": product.sku, "quantity": 1}, {"sku": product.sku, "quantity": 2}], 7)

    messages, events = await run_action(ActionAddToCart(), tracker, domain)

    said = texts(messages)
    assert f"- 3 × {product.name} — {format_price(product.price * 3, product.currency)}" in said
    assert f"7 more items: a cart message holds at most {MAX_LINES} here" in said
    assert [(line.sku, line.quantity) for line in shop.get_cart(f"whatsapp:{sender}").items] == [(product.sku, 3)]
    assert slots_set(events)[AWAITING_VARIANT] is False  # an open size question is no longer answered
    assert [b["payload"] for b in messages[0]["buttons"]][:2] == ["/checkout", "/view_cart"]


@pytest.mark.shop
async def test_lines_without_a_sku_or_a_whole_quantity_are_named_and_nothing_is_added(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    product = single_variant(shop, 1)
    tracker = cart_message(sender, [{"sku": "", "quantity": 1}, {"sku": product.sku, "quantity": "2"},
                                    {"sku": product.sku + "-B", "quantity": 0}, "junk"])

    messages, _ = await run_action(ActionAddToCart(), tracker, domain)

    said = texts(messages)
    assert said.startswith("I couldn't add anything from your WhatsApp cart.")
    assert "an item without a product code" in said
    assert f"{product.name}: 0 is not a quantity I can add" in said  # "2" as text is no quantity we trust
    assert f"{product.sku}-B: 0 is not a quantity I can add" in said
    assert shop.get_cart(f"whatsapp:{sender}").items == []
    assert "/checkout" not in [b["payload"] for b in messages[0].get("buttons") or []]


@pytest.mark.shop
async def test_only_the_latest_message_carries_a_cart(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    product = single_variant(shop, 1)
    earlier = cart_message(sender, [{"sku": product.sku, "quantity": 1}])
    later = user_tracker(sender, "add it", "add_to_cart", channel="whatsapp")
    tracker = Tracker(sender, {}, later.latest_message, [*earlier.events, *later.events], False, None, {},
                      "action_listen")

    messages, _ = await run_action(ActionAddToCart(), tracker, domain)

    assert "From your WhatsApp cart" not in texts(messages)
    assert shop.get_cart(f"whatsapp:{sender}").items == []


async def test_when_the_shop_is_down_the_shopper_is_told_and_asked_to_send_again(
        shop_down: None, domain: dict[str, Any]) -> None:
    tracker = cart_message(f"test-{uuid.uuid4().hex[:12]}", [{"sku": "BE-0031", "quantity": 1}])

    messages, _ = await run_action(ActionAddToCart(), tracker, domain)

    assert texts(messages) == shop_unavailable().text
