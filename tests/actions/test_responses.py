"""Message builders: rich payloads always come with readable text."""

from __future__ import annotations

from decimal import Decimal

from rasa_sdk.executor import CollectingDispatcher

from actions import responses
from actions.clients.shop import (
    Cart,
    CartLine,
    ProductDetails,
    ProductQuery,
    ProductSummary,
    Variant,
)

SHOE = ProductSummary(
    sku="SHOE-1",
    name="Trail Runner",
    department="sports",
    brand="Nike",
    price=Decimal("89.9"),
    currency="EUR",
    colors=["red", "blue"],
    sizes=["41", "42"],
    in_stock=True,
    image_url="https://img.example/shoe.jpg",
)


def test_payload_is_rasas_intent_with_entities_form() -> None:
    assert responses.payload("view_cart") == "/view_cart"
    assert (
        responses.payload("add_to_cart", sku="SHOE-1", size="42", color=None)
        == '/add_to_cart{"sku":"SHOE-1","size":"42"}'
    )


def test_product_cards_have_a_custom_payload_and_numbered_text() -> None:
    message = responses.product_cards([SHOE], "Here's what I found:")

    assert message.text == ("Here's what I found:\n1. Trail Runner — Nike, 89.90 EUR (in stock)")
    assert message.custom == {
        "type": "product_cards",
        "cards": [
            {
                "sku": "SHOE-1",
                "title": "Trail Runner",
                "subtitle": "Nike, 89.90 EUR (in stock)",
                "image_url": "https://img.example/shoe.jpg",
                "buttons": [
                    {"title": "Details", "payload": '/product_details{"sku":"SHOE-1"}'},
                    {"title": "Add to cart", "payload": '/add_to_cart{"sku":"SHOE-1"}'},
                ],
            }
        ],
    }


def test_send_puts_text_buttons_and_custom_in_one_message() -> None:
    dispatcher = CollectingDispatcher()

    responses.product_cards([SHOE], "Found:").send(dispatcher)

    [sent] = dispatcher.messages
    assert sent["text"].startswith("Found:")
    assert sent["custom"]["type"] == "product_cards"


def test_describe_query() -> None:
    query = ProductQuery(q="running shoes", color="red", size="42", max_price=Decimal(100))
    assert responses.describe_query(query) == "red running shoes in size 42 under 100"
    assert responses.describe_query(ProductQuery()) == "products"
    # The brand once, when the searched words already hold it.
    lego = ProductQuery(q="lego set", brand="LEGO", max_price=Decimal(15))
    assert responses.describe_query(lego) == "lego set under 15"
    assert responses.describe_query(ProductQuery(q="trainers", brand="Nike")) == "Nike trainers"


def test_variant_question_offers_in_stock_variants_as_buttons() -> None:
    product = ProductDetails(
        **SHOE.__dict__, variants=[Variant("41", "red", 0), Variant("42", "red", 3), Variant("42", "blue", 1)]
    )
    options = [v for v in product.variants if v.stock > 0]

    message = responses.variant_question(product, ["size"], options, quantity=2)

    assert message.text == "Which size would you like for Trail Runner?\nSizes in stock: 42"
    assert message.buttons[0] == {
        "title": "size 42, red",
        "payload": '/add_to_cart{"sku":"SHOE-1","size":"42","color":"red","quantity":"2"}',
    }


def test_many_combinations_are_asked_one_attribute_at_a_time() -> None:
    sizes = [str(n) for n in range(36, 47)]
    product = ProductDetails(
        **SHOE.__dict__, variants=[Variant(size, color, 1) for size in sizes for color in ("Red", "Blue")]
    )

    message = responses.variant_question(product, ["size", "color"], product.variants, quantity=1)

    # 22 combinations: colour first (2 choices), the shop asks for the size next.
    assert message.text == "Which colour would you like for Trail Runner?\nColours in stock: Red, Blue"
    assert [b["payload"] for b in message.buttons] == [
        '/add_to_cart{"sku":"SHOE-1","color":"Red"}',
        '/add_to_cart{"sku":"SHOE-1","color":"Blue"}',
    ]

    message = responses.variant_question(product, ["size"], product.variants[::2], quantity=1, color="Red")

    assert message.text.startswith("Which size would you like")
    assert len(message.buttons) == 10
    assert message.buttons[0] == {
        "title": "size 36",
        "payload": '/add_to_cart{"sku":"SHOE-1","size":"36","color":"Red"}',
    }


def test_cart_summary_lists_lines_total_and_remove_buttons() -> None:
    line = CartLine("L1", "SHOE-1", "Trail Runner", "42", "red", 2, Decimal("89.9"), Decimal("179.8"), None)
    cart = Cart("rest:alice", [line], Decimal("179.8"), "EUR", 2)

    message = responses.cart_summary(cart)

    assert message.text == (
        "Here's your cart:\n1. 2 × Trail Runner (size 42, red) — 179.80 EUR\nTotal: 179.80 EUR for 2 items."
    )
    assert message.buttons[0]["payload"] == ('/remove_from_cart{"sku":"SHOE-1","size":"42","color":"red"}')


def test_a_refused_input_is_told_with_its_limit_in_the_chats_words() -> None:
    # FastAPI's 422 detail, as the shop sends it (no `input`: the shop strips it).
    too_many = [{"type": "less_than_equal", "loc": ["body", "quantity"], "msg": "Input should be less than or equal "
                 "to 20", "ctx": {"le": 20}}]
    too_long = [{"type": "string_too_long", "loc": ["body", "shipping_address", "str"], "msg": "String should have "
                 "at most 300 characters", "ctx": {"max_length": 300}}]
    told = responses.shop_refused_input(too_many)
    assert told is not None and told.text == "Sorry, the shop can't take that quantity: it can be at most 20."
    told = responses.shop_refused_input(too_long)
    assert told is not None and told.text == "Sorry, the shop can't take that address: it can be at most 300 " \
        "characters long."
    # Nothing the shopper typed (a header, an id the bot sent): no invented explanation.
    assert responses.shop_refused_input([{"loc": ["header", "authorization"], "msg": "Field required"}]) is None
    assert responses.shop_refused_input("Choose a size") is None


def test_refusals_of_an_orders_state_use_the_chats_words() -> None:
    from actions import order_messages

    assert order_messages.cannot_any_more("BT-1", "delivered", "cancelled").text == (
        "Order BT-1 is delivered, so it can't be cancelled any more. You can return it instead.")
    assert order_messages.cannot_any_more("BT-1", "shipped", "changed").text == (
        "Order BT-1 is on its way, so it can't be changed any more.")
    assert order_messages.cannot_any_more("BT-1", "paid", "returned").text == (
        "Order BT-1 is paid and being prepared for shipping: only delivered orders can be returned.")
    assert order_messages.promotion_refused("WELCOME5", "used_by_customer").text.startswith(
        "You've already used the code WELCOME5. I haven't placed the order")
    assert order_messages.promotion_refused(None, None).text.startswith("That code can't be used on this order.")


def test_the_search_intro_reads_right_for_one_result_or_many_in_each_tone() -> None:
    query = ProductQuery(q="kettle", department="home")
    assert responses.search_intro(query, False, "casual") == "Got you! Here's what I dug up for kettle in home:"
    assert responses.search_intro(query, False, "formal") == "Certainly. Here is what I found for kettle in home:"
    assert responses.search_intro(query, False) == "Here's what I found for kettle in home:"
    assert responses.search_intro(query, True, "casual") == "More kettle in home coming up:"
