"""What the actions do when the shop can't be reached or isn't needed.

No stand-in shop here: the shop is really down (a closed port) or really not
configured, which is exactly what these tests are about.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.cart import (
    ActionAddToCart,
    ActionRemoveFromCart,
    ActionViewCart,
    PendingItem,
    variant_answer,
)
from actions.catalog import ActionBrowseDepartments, ActionProductDetails, ActionSearchProducts
from actions.handoff import ActionDefaultAskRephrase
from actions.orders import ActionShowDeliveryOptions
from tests.actions.builders import build_tracker, entity, slots_set, texts

ALL_ACTIONS = [
    ActionBrowseDepartments,
    ActionSearchProducts,
    ActionProductDetails,
    ActionAddToCart,
    ActionViewCart,
    ActionRemoveFromCart,
]


@pytest.fixture
def shop_down(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SHOP_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SHOP_API_TOKEN", "irrelevant")


@pytest.mark.asyncio
@pytest.mark.parametrize("action_class", ALL_ACTIONS)
async def test_shop_down_is_said_plainly(shop_down: None, action_class: type, domain: dict[str, Any]) -> None:
    tracker = build_tracker(
        "show me the first one",
        entities=[entity("product_index", "1"), entity("product", "shoes")],
        slots={"shown_skus": ["SHOE-1"]},
    )
    dispatcher = CollectingDispatcher()

    events = await action_class().run(dispatcher, tracker, domain)

    assert "can't reach the shop" in texts(dispatcher.messages)
    assert events == []


@pytest.mark.asyncio
async def test_missing_token_is_said_plainly_not_raised(
    monkeypatch: pytest.MonkeyPatch, domain: dict[str, Any]
) -> None:
    monkeypatch.delenv("SHOP_API_TOKEN", raising=False)
    dispatcher = CollectingDispatcher()

    events = await ActionSearchProducts().run(
        dispatcher, build_tracker("show me iphones", "search_product", [entity("product", "iphones")]), domain
    )

    assert "can't reach the shop" in texts(dispatcher.messages)
    assert events == []


@pytest.mark.asyncio
async def test_add_without_a_product_asks_which(shop_down: None, domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionAddToCart().run(dispatcher, build_tracker("add it to my cart", "add_to_cart"), domain)

    assert "Which product would you like to add?" in texts(dispatcher.messages)
    assert events == []


@pytest.mark.asyncio
async def test_a_position_beyond_the_shown_products_is_explained(shop_down: None, domain: dict[str, Any]) -> None:
    dispatcher = CollectingDispatcher()
    tracker = build_tracker(
        "details of the fifth one", "product_details", [entity("product_index", "5")], slots={"shown_skus": ["A", "B"]}
    )

    await ActionProductDetails().run(dispatcher, tracker, domain)

    assert texts(dispatcher.messages) == "I only showed you 2 products, so there's no number 5."


@pytest.mark.asyncio
async def test_a_position_beyond_a_single_shown_product_reads_as_one_product(
    shop_down: None, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = build_tracker(
        "the second one", "product_details", [entity("product_index", "2")], slots={"shown_skus": ["A"]}
    )

    await ActionProductDetails().run(dispatcher, tracker, domain)

    assert texts(dispatcher.messages) == (
        "I only showed you one product, so there's no number 2. Say \"the first one\" if you meant that one."
    )


@pytest.mark.asyncio
async def test_checkout_during_the_colour_question_asks_it_again_and_keeps_the_item(
    shop_down: None, domain: dict[str, Any]
) -> None:
    pending = {
        "sku": "TEE-1",
        "quantity": 1,
        "name": "Organic Cotton Tee",
        "missing": ["color"],
        "choices": {"color": ["Navy", "White"]},
    }
    tracker = build_tracker(
        "checkout",
        "checkout",
        slots={"awaiting_variant": True, "focused_sku": "TEE-1", "pending_cart_item": pending},
    )
    dispatcher = CollectingDispatcher()

    events = await ActionAddToCart().run(dispatcher, tracker, domain)

    assert texts(dispatcher.messages) == (
        "Organic Cotton Tee isn't in your cart yet. Which colour would you like? (Or say no to leave it out.)\n"
        "You can choose: Navy, White"
    )
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["Navy", "White"]
    assert events == []  # the question stays open: "navy" next answers it


@pytest.mark.asyncio
@pytest.mark.parametrize("said", ["where do u deliver", "Which countries do you ship to?"])
async def test_where_the_shop_delivers_is_answered_with_the_countries(
    said: str, shop_down: None, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()

    events = await ActionShowDeliveryOptions().run(dispatcher, build_tracker(said, "delivery_options"), domain)

    assert [m.get("response") for m in dispatcher.messages] == ["utter_faq/shipping_countries"]
    assert slots_set(events) == {"answered_topic": "delivery_options"}


@pytest.mark.asyncio
@pytest.mark.parametrize(("said", "intent"), [("stop", "unsubscribe"), ("never mind", "nlu_fallback")])
async def test_stop_during_the_colour_question_leaves_the_item_out(
    said: str, intent: str, shop_down: None, domain: dict[str, Any]
) -> None:
    pending = {"sku": "TEE-1", "quantity": 1, "name": "Organic Cotton Tee", "missing": ["color"],
               "choices": {"color": ["Navy", "White"]}}
    tracker = build_tracker(
        said, intent, slots={"awaiting_variant": True, "focused_sku": "TEE-1", "pending_cart_item": pending}
    )
    dispatcher = CollectingDispatcher()

    events = await ActionAddToCart().run(dispatcher, tracker, domain)

    assert texts(dispatcher.messages) == "OK, I've left Organic Cotton Tee out. What else can I find for you?"
    assert slots_set(events) == {"pending_cart_item": None, "awaiting_variant": False}


@pytest.mark.asyncio
async def test_a_typed_out_of_scope_message_after_the_suggestions_is_answered_not_handed_off(
    shop_down: None, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = build_tracker("can you fix my bike", "out_of_scope")

    events = await ActionDefaultAskRephrase().run(dispatcher, tracker, domain)

    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]
    assert events == [{"event": "active_loop", "timestamp": None, "name": None},
                      {"event": "followup", "timestamp": None, "name": "action_listen"}]


@pytest.mark.asyncio
async def test_a_new_search_during_the_size_question_is_searched(shop_down: None, domain: dict[str, Any]) -> None:
    tracker = build_tracker(
        "show me laptops in black",
        "search_product",
        [entity("product", "laptops"), entity("color", "black")],
        slots={
            "awaiting_variant": True,
            "focused_sku": "SHOE-1",
            "pending_cart_item": {
                "sku": "SHOE-1",
                "quantity": 1,
                "missing": ["size"],
                "choices": {"size": ["41", "42"]},
            },
        },
    )
    dispatcher = CollectingDispatcher()

    events = await ActionAddToCart().run(dispatcher, tracker, domain)

    # The search ran (and found the shop down) instead of taking "black" as the answer.
    assert "can't reach the shop" in texts(dispatcher.messages)
    assert slots_set(events) == {"pending_cart_item": None, "awaiting_variant": False}


@pytest.mark.parametrize(
    ("reply", "intent", "size", "color"),
    [
        ("42", "out_of_scope", "42", None),
        ("M", "nlu_fallback", "M", None),
        ("the navy one", "deny", None, "Navy"),
        ("size m please", "add_to_cart", "M", None),
        ("I'm fine", "affirm", None, None),
    ],
)
def test_offered_values_in_the_reply_answer_the_question(reply: str, intent: str, size: str, color: str) -> None:
    pending = PendingItem.from_slot(
        {
            "sku": "TEE-1",
            "quantity": 1,
            "missing": ["size", "color"],
            "name": "Tee",
            "choices": {"size": ["S", "M", "42"], "color": ["Navy", "Olive"]},
        }
    )
    assert pending is not None

    answer = variant_answer(build_tracker(reply, intent), pending)

    assert answer == ((size, color) if size or color else None)


@pytest.mark.asyncio
async def test_no_to_the_variant_question_leaves_the_item_out(domain: dict[str, Any]) -> None:
    tracker = build_tracker(
        "no thanks",
        "deny",
        slots={
            "awaiting_variant": True,
            "focused_sku": "TEE-1",
            "pending_cart_item": {
                "sku": "TEE-1",
                "name": "Tee",
                "quantity": 1,
                "missing": ["size"],
                "choices": {"size": ["S", "M"]},
            },
        },
    )
    dispatcher = CollectingDispatcher()

    events = await ActionAddToCart().run(dispatcher, tracker, domain)

    assert texts(dispatcher.messages).startswith("OK, I've left Tee out.")
    assert slots_set(events) == {"pending_cart_item": None, "awaiting_variant": False}
