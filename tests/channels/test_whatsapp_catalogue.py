"""WhatsApp with a catalogue (WHATSAPP_CATALOG_ID): product cards as the catalogue's `product_list` and
`product` messages within WhatsApp's limits, and carts sent from the catalogue read into what the
bot gets (channels/whatsapp_catalogue.py); the last tests run the channel on loopback with the stub Graph API
(tests/channels/meta_server.py). Through the real Rasa and shop: test_meta_rasa_commerce.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from actions.clients.shop import ProductDetails, ProductSummary
from actions.responses import BotMessage, button, more_results_hint, product_cards, product_details, url_button
from channels import whatsapp as wa
from channels import whatsapp_catalogue as catalogue
from channels.meta import BadPayload
from channels.whatsapp import render_whatsapp, whatsapp_events
from tests.channels import meta_payloads as meta
from tests.channels.junk import fuzz
from tests.channels.meta_server import NOT_IN_CATALOGUE
from tests.channels.test_meta_render import check_whatsapp_limits, neutral, whatsapp_ids
from tests.channels.test_meta_webhooks import deliver, eventually, graph, meta_server, mid, said, shopper, text_of

CATALOG = meta.CATALOG_ID


def summary(n: int) -> ProductSummary:
    return ProductSummary(f"SH-{n:03d}", f"Trailblazer Waterproof Hiking Boot Edition {n}", "shoes", "Montagna",
                          Decimal("129.90"), "EUR", [], [], True, f"https://cdn.example.com/SH-{n:03d}.png")


def search(count: int, intro: str = "Here are hiking boots:") -> dict[str, Any]:
    return neutral(product_cards([summary(n) for n in range(1, count + 1)], intro))


def product_lists(rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["interactive"] for m in rendered if m.get("interactive", {}).get("type") == "product_list"]


def listed_skus(rendered: list[dict[str, Any]]) -> list[str]:
    return [item["product_retailer_id"] for listed in product_lists(rendered)
            for section in listed["action"]["sections"] for item in section["product_items"]]


def check_catalogue_limits(rendered: list[dict[str, Any]]) -> None:
    """WhatsApp's limits for product messages, and the other messages' (test_meta_render.py)."""
    for listed in product_lists(rendered):
        sections = listed["action"]["sections"]
        assert listed["action"]["catalog_id"] == CATALOG
        assert 1 <= len(sections) <= catalogue.MAX_SECTIONS
        assert 1 <= sum(len(s["product_items"]) for s in sections) <= catalogue.MAX_PRODUCTS
        assert all(s["product_items"] and 0 < len(s["title"]) <= catalogue.MAX_SECTION_TITLE for s in sections)
        assert listed["header"]["type"] == "text" and 0 < len(listed["header"]["text"]) <= catalogue.MAX_HEADER
        assert 0 < len(listed["body"]["text"]) <= wa.MAX_BODY
    for product in [m["interactive"] for m in rendered if m.get("interactive", {}).get("type") == "product"]:
        assert set(product["action"]) == {"catalog_id", "product_retailer_id"}
        assert len(product.get("body", {}).get("text", "")) <= wa.MAX_BODY
    check_whatsapp_limits([m for m in rendered if m.get("interactive", {}).get("type") not in ("product_list",
                                                                                                "product")])


# --- rendering ------------------------------------------------------------------------------------


def test_a_search_is_a_product_list_in_sections_of_ten_with_the_numbered_lines() -> None:
    message = search(12)
    rendered = render_whatsapp(message, CATALOG)
    [listed] = product_lists(rendered)
    assert listed["header"] == {"type": "text", "text": "Here are hiking boots:"}
    # The full names and prices, numbered, under the intro.
    assert listed["body"]["text"] == message["text"].removeprefix("Here are hiking boots:").strip()
    assert [(s["title"], len(s["product_items"])) for s in listed["action"]["sections"]] == [("1–10", 10),
                                                                                             ("11–12", 2)]
    assert listed_skus(rendered) == [f"SH-{n:03d}" for n in range(1, 13)]
    check_catalogue_limits(rendered)


def test_more_than_thirty_products_go_in_more_lists_and_none_is_dropped() -> None:
    rendered = render_whatsapp(search(45), CATALOG)
    lists = product_lists(rendered)
    assert [sum(len(s["product_items"]) for s in listed["action"]["sections"]) for listed in lists] == [30, 15]
    assert [s["title"] for s in lists[1]["action"]["sections"]] == ["31–40", "41–45"]
    assert lists[1]["header"]["text"] == catalogue.MORE_PRODUCTS
    assert lists[1]["body"]["text"] == catalogue.PRODUCTS_PROMPT
    assert listed_skus(rendered) == [f"SH-{n:03d}" for n in range(1, 46)]
    # 45 numbered lines are more than a body holds: they go first, as text, and the list says what to do.
    assert [m["type"] for m in rendered] == ["text", "interactive", "interactive"]
    assert lists[0]["body"]["text"] == catalogue.PRODUCTS_PROMPT
    assert "45. Trailblazer Waterproof Hiking Boot Edition 45" in rendered[0]["text"]["body"]
    check_catalogue_limits(rendered)


def test_a_long_intro_is_a_short_header_and_the_buttons_of_the_message_still_follow() -> None:
    intro = "Here is everything we have for a long walk in the mountains in the rain and snow of the Alps:"
    cards = product_cards([summary(n) for n in range(1, 4)], intro)
    message = neutral(BotMessage(cards.text, [button("Show more", "refine_search"),
                                              url_button("Size guide", "https://shop.example.com/sizes")],
                                 cards.custom))
    rendered = render_whatsapp(message, CATALOG)
    [listed] = product_lists(rendered)
    assert listed["header"]["text"].endswith("…") and intro.startswith(listed["header"]["text"][:-1])
    assert listed["body"]["text"] == cards.text  # the header is cut short: the body says it all
    assert whatsapp_ids(rendered) == ["/refine_search", "https://shop.example.com/sizes"]
    assert rendered[-1]["interactive"]["type"] == "cta_url"
    check_catalogue_limits(rendered)


def test_one_product_is_a_product_message_then_its_buttons() -> None:
    details = ProductDetails(**summary(7).__dict__, description="Waterproof leather.", variants=[])
    rendered = render_whatsapp(neutral(product_details(details)), CATALOG)
    assert rendered[0]["interactive"]["type"] == "product"
    assert rendered[0]["interactive"]["action"] == {"catalog_id": CATALOG, "product_retailer_id": "SH-007"}
    assert rendered[0]["interactive"]["body"]["text"].startswith("Trailblazer Waterproof Hiking Boot Edition 7")
    assert whatsapp_ids(rendered) == ['/product_details{"sku":"SH-007"}', '/add_to_cart{"sku":"SH-007"}']
    check_catalogue_limits(rendered)


def test_without_a_catalogue_or_a_sku_the_cards_stay_list_rows() -> None:
    assert product_lists(render_whatsapp(search(12))) == []
    assert render_whatsapp(search(12)) == render_whatsapp(search(12), None)
    message = search(3)
    message["custom"]["cards"][1].pop("sku")
    assert product_lists(render_whatsapp(message, CATALOG)) == []
    assert render_whatsapp(message, CATALOG) == render_whatsapp(message)


def test_a_message_without_cards_is_rendered_as_without_a_catalogue() -> None:
    hint = neutral(more_results_hint(5, 17))
    assert render_whatsapp(hint, CATALOG) == render_whatsapp(hint)


@fuzz(100)
@given(st.integers(1, 70), st.sampled_from(["", "Found:", "Boots " * 30]),
       st.lists(st.sampled_from(["Show more", "Women's running shoes and accessories", "Sale"]), max_size=12))
def test_any_search_stays_within_the_limits_and_keeps_every_product_and_button(
        count: int, intro: str, titles: list[str]) -> None:
    cards = product_cards([summary(n) for n in range(1, count + 1)], intro)
    buttons = [button(title, "pick", n=n) for n, title in enumerate(titles)]
    message = neutral(BotMessage(cards.text, buttons, cards.custom))
    rendered = render_whatsapp(message, CATALOG)
    check_catalogue_limits(rendered)
    products = listed_skus(rendered) + [m["interactive"]["action"]["product_retailer_id"] for m in rendered
                                        if m.get("interactive", {}).get("type") == "product"]
    assert products == [f"SH-{n:03d}" for n in range(1, count + 1)]
    card_buttons = [b["payload"] for b in message["custom"]["cards"][0]["buttons"]] if count == 1 else []
    assert sorted(set(whatsapp_ids(rendered))) == sorted({*card_buttons, *(b["payload"] for b in buttons)})


# --- reading a cart -------------------------------------------------------------------------------


def order_body(items: list[tuple[str, Any, Any]], catalog_id: str = CATALOG) -> dict[str, Any]:
    return meta.whatsapp([meta.w_order("391234567", "wamid.order1", items, catalog_id)])


def test_a_cart_becomes_add_to_cart_with_its_lines_and_no_prices() -> None:
    [event] = whatsapp_events(order_body([("SH-001", 2, 0.01), ("SH-002", "3", 1)]), meta.PHONE_NUMBER_ID, CATALOG)
    assert (event.text, event.message_id) == (catalogue.ORDER_PAYLOAD, "wamid.order1")
    assert event.metadata[catalogue.CATALOG_ORDER] == {"catalog_id": CATALOG, "left_out": 0, "items": [
        {"sku": "SH-001", "quantity": 2}, {"sku": "SH-002", "quantity": 3}]}
    assert event.metadata["profile_name"] == "Giulia Rossi"


def test_a_cart_from_another_catalogue_is_answered_by_the_channel() -> None:
    [event] = whatsapp_events(order_body([("SH-001", 1, 1.0)], "999"), meta.PHONE_NUMBER_ID, CATALOG)
    assert event.text is None and event.reply == catalogue.OTHER_CATALOGUE_REPLY
    # Without a catalogue id configured, a cart of any catalogue is taken.
    [taken] = whatsapp_events(order_body([("SH-001", 1, 1.0)], "999"), meta.PHONE_NUMBER_ID)
    assert taken.text == catalogue.ORDER_PAYLOAD


def test_a_huge_cart_is_passed_on_up_to_the_limit_and_the_rest_counted() -> None:
    items = [(f"SH-{n:03d}", 1, 1.0) for n in range(catalogue.MAX_ORDER_ITEMS + 7)]
    [event] = whatsapp_events(order_body(items), meta.PHONE_NUMBER_ID, CATALOG)
    order = event.metadata[catalogue.CATALOG_ORDER]
    assert len(order["items"]) == catalogue.MAX_ORDER_ITEMS and order["left_out"] == 7


@pytest.mark.parametrize("item", [
    {"product_retailer_id": 17, "quantity": 1},
    {"product_retailer_id": "SH-001", "quantity": 1.5},
    {"product_retailer_id": "SH-001", "quantity": "two"},
    {"product_retailer_id": "SH-001"},
    "SH-001",
])
def test_a_cart_line_of_the_wrong_shape_is_answered_and_never_reaches_the_bot(item: Any) -> None:
    body = order_body([])
    body["entry"][0]["changes"][0]["value"]["messages"][0]["order"]["product_items"] = [item]
    with pytest.raises(BadPayload):
        catalogue.order_lines(body["entry"][0]["changes"][0]["value"]["messages"][0]["order"])
    [event] = whatsapp_events(body, meta.PHONE_NUMBER_ID, CATALOG)  # the rest of a batch is not held up
    assert event.text is None and event.reply == wa.UNREADABLE_CART_REPLY


def test_a_catalogue_id_that_is_not_digits_is_refused_at_start() -> None:
    credentials = {"app_secret": "x" * 10, "verify_token": "y" * 10, "access_token": "z" * 10,
                   "phone_number_id": meta.PHONE_NUMBER_ID}
    assert wa.WhatsAppInput.from_credentials({**credentials, "catalog_id": ""}).catalog_id is None
    assert wa.WhatsAppInput.from_credentials({**credentials, "catalog_id": CATALOG}).catalog_id == CATALOG
    with pytest.raises(ValueError, match="WHATSAPP_CATALOG_ID"):
        wa.WhatsAppInput.from_credentials({**credentials, "catalog_id": "my catalogue"})


# --- on loopback, with the stub Graph API ------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("whatsapp_catalogue")
    with meta_server(folder, "the Meta channels' server with a catalogue", {"WHATSAPP_CATALOG_ID": CATALOG}) as url:
        yield url
        assert "Traceback" not in (folder / "server.log").read_text()


@pytest.fixture(autouse=True)
def fresh(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        requests.post(f"{request.getfixturevalue('server')}/test/reset", timeout=10)


def sent(server: str) -> list[dict[str, Any]]:
    """The messages sent to shoppers (the read receipts, which have no `to`, left out)."""
    return [call["body"] for call in graph(server) if "to" in call["body"]]


def test_a_search_goes_to_the_graph_api_as_product_lists(server: str) -> None:
    who = shopper()
    assert deliver(server, "whatsapp", meta.whatsapp([meta.w_text(who, mid(), "cards 35")])).status_code == 200
    bodies = eventually(lambda: len(sent(server)) >= 4 and sent(server))
    assert all(body["to"] == who and body["messaging_product"] == "whatsapp" for body in bodies)
    assert listed_skus(bodies) == [f"SH-{n:03d}" for n in range(1, 36)]
    check_catalogue_limits(bodies)
    hint = bodies[-1]["interactive"]
    assert hint["type"] == "button" and hint["action"]["buttons"][0]["reply"]["id"] == "/refine_search"


def test_a_cart_from_another_catalogue_gets_a_polite_answer_and_never_reaches_the_bot(server: str) -> None:
    who = shopper()
    order = meta.w_order(who, mid(), [("SH-001", 1, 1.0)], catalog_id="999000999")
    assert deliver(server, "whatsapp", meta.whatsapp([order])).status_code == 200
    [answer] = eventually(lambda: sent(server))
    assert text_of(answer) == catalogue.OTHER_CATALOGUE_REPLY and said(server) == []


def test_a_cart_of_ours_delivered_three_times_reaches_the_bot_once(server: str) -> None:
    who = shopper()
    body = meta.whatsapp([meta.w_order(who, mid(), [("SH-001", 2, 1.0)])])
    for _ in range(3):
        assert deliver(server, "whatsapp", body).status_code == 200
    heard = eventually(lambda: said(server))
    assert eventually(lambda: sent(server))
    assert [(s["text"], s["metadata"]["catalog_order"]["items"]) for s in said(server)] == [
        ("/add_to_cart", [{"sku": "SH-001", "quantity": 2}])] and len(heard) == 1


def test_a_product_message_meta_refuses_goes_out_again_as_buttons(server: str) -> None:
    who = shopper()
    assert deliver(server, "whatsapp", meta.whatsapp([meta.w_text(who, mid(), "product 404")])).status_code == 200
    calls = eventually(lambda: len(sent(server)) >= 2 and sent(server))
    refused, again = calls[0]["interactive"], calls[1]["interactive"]
    assert refused["type"] == "product" and refused["action"]["product_retailer_id"] == NOT_IN_CATALOGUE
    assert again["type"] == "button" and again["body"]["text"].startswith("Trailblazer Waterproof Hiking Boot")
    assert [b["reply"]["id"] for b in again["action"]["buttons"]] == [
        '/product_details{"sku":"SH-404"}', '/add_to_cart{"sku":"SH-404"}']
    assert len(sent(server)) == 2
