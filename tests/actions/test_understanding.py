"""Turning what the shopper said into catalog terms (no shop involved)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.catalog import PAGE_SIZE, SearchState, filters_from_message, plan_search
from actions.clients.shop import ProductQuery
from actions.identity import (
    ForeignConversation,
    a_person_can_write,
    channel_of,
    conversation_id,
    customer_id,
    platform_id,
)
from actions.message import (
    content_words,
    message_quantity,
    message_size,
    numbers_in_text,
    parse_position,
    parse_quantity,
    singular,
    topic_department,
)
from tests.actions.builders import build_tracker, entity


@pytest.mark.parametrize(
    ("said", "position"),
    [("1", 1), ("2nd", 2), ("#3", 3), ("second", 2), ("number four", 4), ("last", -1), ("", None), ("the blue", None)],
)
def test_positions(said: str, position: int) -> None:
    assert parse_position(said) == position


@pytest.mark.parametrize(
    ("said", "quantity"),
    [("2", 2), ("two", 2), ("3x", 3), ("a couple", 2), ("0", None), ("some", None)],
)
def test_quantities(said: str, quantity: int) -> None:
    assert parse_quantity(said) == quantity


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("iphones", "iphone"),
        ("blackberries", "blackberry"),
        ("dresses", "dress"),
        ("shoes", "shoe"),
        ("glass", "glass"),
        ("TVs", "TV"),
        ("bus", "bus"),
    ],
)
def test_singular(word: str, expected: str) -> None:
    assert singular(word) == expected


def test_wording_of_numbers() -> None:
    numbers = numbers_in_text("do you have red running shoes size 42 under 100")
    assert (numbers.size, numbers.min_price, numbers.max_price) == ("42", None, Decimal(100))

    numbers = numbers_in_text("headphones between 50 and 150 euros")
    assert (numbers.min_price, numbers.max_price) == (Decimal(50), Decimal(150))

    numbers = numbers_in_text("shampoo over €9.99")
    assert numbers.min_price == Decimal("9.99")

    assert numbers_in_text("I'll take 2 of the first one").quantity == 2
    assert numbers_in_text("a t-shirt in size m").size == "M"


def test_a_negated_bound_is_the_other_bound() -> None:
    def bounds(text: str) -> tuple[Decimal | None, Decimal | None]:
        numbers = numbers_in_text(text)
        return numbers.min_price, numbers.max_price

    assert bounds("running shoes in size 10, nothing over 90 quid") == (None, Decimal(90))
    assert bounds("no more than 25 pounds please") == (None, Decimal(25))
    assert bounds("not more than €40") == (None, Decimal(40))
    assert bounds("a watch, nothing under 100") == (Decimal(100), None)
    assert bounds("at least 20 but no more than 60") == (Decimal(20), Decimal(60))
    assert bounds("over 30 and under 80") == (Decimal(30), Decimal(80))


def test_filters_prefer_clear_wording_over_confused_entities() -> None:
    # What the trained model really returned for this message: 42 as a price.
    tracker = build_tracker(
        "do you have red running shoes size 42 under 100",
        "search_product",
        [
            entity("color", "red"),
            entity("product", "running shoes"),
            entity("price", "42", "max"),
            entity("price", "100"),
        ],
    )

    assert filters_from_message(tracker) == {
        "q": "running shoes",
        "color": "red",
        "size": "42",
        "max_price": Decimal(100),
    }


def test_price_without_role_is_a_budget_and_department_is_a_slug() -> None:
    tracker = build_tracker(
        "anything in Pet Supplies for 30",
        "search_product",
        [entity("department", "Pet Supplies"), entity("price", "30")],
    )

    assert filters_from_message(tracker) == {
        "department": "pet-supplies",
        "max_price": Decimal(30),
    }


def test_a_quantity_read_as_a_size_is_not_a_size() -> None:
    tracker = build_tracker(
        "I'll take 2 of the first one",
        "add_to_cart",
        [entity("size", "2"), entity("product_index", "1")],
    )

    assert message_size(tracker) is None
    assert message_quantity(tracker) == 2


def test_button_payload_entities_are_taken_as_they_are() -> None:
    tracker = build_tracker(
        '/add_to_cart{"sku":"AB-12X","size":"M"}',
        "add_to_cart",
        [entity("sku", "AB-12X"), entity("size", "M")],
    )

    assert message_size(tracker) == "M"
    assert message_quantity(tracker) is None


def test_no_filters_without_a_previous_search_lists_everything() -> None:
    query, next_page = plan_search({}, None)

    assert query == ProductQuery(limit=PAGE_SIZE)
    assert not next_page


def test_no_filters_after_a_search_is_the_next_page() -> None:
    previous = SearchState(ProductQuery(q="shoes", limit=5, offset=5), total=12)

    query, next_page = plan_search({}, previous)

    assert next_page
    assert (query.q, query.offset) == ("shoes", 10)


def test_refinements_narrow_the_previous_search() -> None:
    previous = SearchState(ProductQuery(q="shoes", department="sports", offset=5), 12)

    query, next_page = plan_search({"color": "red", "max_price": Decimal(80)}, previous)

    assert not next_page
    assert query == ProductQuery(q="shoes", department="sports", color="red", max_price=Decimal(80), offset=0)


def test_naming_a_product_starts_a_new_search() -> None:
    previous = SearchState(ProductQuery(q="shoes", color="red"), 12)

    query, _ = plan_search({"q": "laptops"}, previous)

    assert query == ProductQuery(q="laptops", limit=PAGE_SIZE)


def test_search_state_survives_the_slot_round_trip() -> None:
    state = SearchState(ProductQuery(q="tv", min_price=Decimal("99.5"), offset=5), 7)

    slot_value = state.to_slot()

    assert SearchState.from_slot(slot_value) == state
    assert SearchState.from_slot({"query": {"nonsense": 1}}) is None
    assert SearchState.from_slot(None) is None


def test_customer_id_is_channel_and_sender() -> None:
    assert customer_id(build_tracker("hi", sender_id="alice")) == "rest:alice"
    assert customer_id(build_tracker("hi", sender_id="42", channel="telegram")) == "telegram:42"
    assert customer_id(build_tracker("hi", sender_id="bob", channel=None)) == "rest:bob"


def test_a_conversation_id_that_names_its_channel_is_the_customer_id_as_it_is() -> None:
    # What every channel names its conversations now: never prefixed twice.
    assert customer_id(build_tracker("hi", sender_id="socketio:0123abcd", channel="socketio")) == "socketio:0123abcd"
    assert customer_id(build_tracker("hi", sender_id="messenger:2400000000000001", channel="messenger")) == (
        "messenger:2400000000000001")
    # The conversation id decides, whatever channel a message claims (Rasa's HTTP API may say any).
    assert customer_id(build_tracker("hi", sender_id="whatsapp:39347000001", channel="rest")) == "whatsapp:39347000001"
    assert customer_id(build_tracker("hi", sender_id="rest:alice", channel=None)) == "rest:alice"


@pytest.mark.parametrize(("conversation", "channel", "writable"), [
    ("rest:alice", "rest", False), ("rest:alice", "socketio", False), ("socketio:0123abcd", "socketio", True),
    ("messenger:2400000000000001", None, True), ("alice", "rest", False), ("0123abcd", "socketio", True)])
def test_a_person_can_write_where_the_conversations_channel_can_send(conversation: str, channel: str | None,
                                                                     writable: bool) -> None:
    assert a_person_can_write(build_tracker("hi", sender_id=conversation, channel=channel)) is writable


def test_conversation_ids_name_their_channel_and_refuse_another() -> None:
    assert conversation_id("messenger", "2400000000000001") == "messenger:2400000000000001"
    assert platform_id("messenger:2400000000000001", "messenger") == "2400000000000001"
    assert channel_of("socketio:0123abcd") == "socketio" and channel_of("0123abcd") is None
    assert channel_of("socketio:") is None and channel_of(":abc") is None and channel_of("Rest:abc") is None
    for foreign in ("whatsapp:2400000000000001", "2400000000000001", "messenger:", "rest:messenger:1"):
        with pytest.raises(ForeignConversation):
            platform_id(foreign, "messenger")


def test_cart_lines_are_found_by_the_words_of_their_name() -> None:
    from actions.cart import lines_named
    from actions.clients.shop import CartLine

    shoes = CartLine(
        "1", "SP-2", "Nike Revolution 7 Running Trainers", "42", "Black", 1, Decimal(65), Decimal(65), None
    )
    berries = CartLine("2", "GR-1", "Fresh Blackberries 150 g", None, None, 2, Decimal(3), Decimal(6), None)

    assert lines_named([shoes, berries], "running shoes") == [shoes]
    assert lines_named([shoes, berries], "the blackberries") == [berries]
    assert lines_named([shoes, berries], "laptop") == []


@pytest.mark.parametrize(("said", "words"), [
    ("do you have socks?", "socks"),
    ("hi, I'm looking for a nice waterproof poncho please", "waterproof poncho"),
    ("show me what you have", ""),
    ("/search_product", ""),
    ("anything under 50 euros?", ""),
    ("need a present for my nephew, he is 7 and loves dinosaurs", "dinosaurs"),
    ("a lego set for my 6 yo under 15 quid", "lego set"),
    ("trainers for 40 bucks", "trainers"),
])
def test_the_content_words_of_a_search(said: str, words: str) -> None:
    assert content_words(said) == words


def test_the_topic_names_a_department_only_when_sure() -> None:
    sure = build_tracker("something for my kitten", "search_product")
    sure.latest_message["topic"] = {"name": "pets", "confidence": 0.8}
    assert topic_department(sure) == "pets"
    unsure = build_tracker("something nice", "search_product")
    unsure.latest_message["topic"] = {"name": "pets", "confidence": 0.4}
    assert topic_department(unsure) is None
    care = build_tracker("where is my order", "order_status")
    care.latest_message["topic"] = {"name": "orders", "confidence": 0.99}
    assert topic_department(care) is None


def test_an_ambiguous_catalogue_word_brings_its_department() -> None:
    mouse = {**entity("product", "mouse"), "extractor": "CatalogueEntityExtractor", "department": "pets",
             "ambiguous": True, "literal": True, "start": 2, "end": 7}
    assert filters_from_message(build_tracker("a mouse for my cat", "search_product", [mouse])) == {
        "q": "mouse", "department": "pets"}
    kicks = {**entity("product", "trainers"), "extractor": "CatalogueEntityExtractor", "department": "sports",
             "ambiguous": False, "literal": False, "start": 8, "end": 13}
    # Not literal (a synonym): the catalogue's word is searched; not ambiguous: no department.
    assert filters_from_message(build_tracker("got any kicks", "search_product", [kicks])) == {"q": "trainers"}
