"""Shopping on WhatsApp and Messenger through the real Rasa server: a cart sent from the WhatsApp
catalogue fills the shop's cart, searches go out as the catalogue's product messages, and a shared
location finds the nearest store.

The stack is test_meta_rasa.py's (`meta_rasa`: Rasa with the trained model, the action server, the
real shop of tests/conftest.py, the stub Graph API), with a catalogue id configured. What is asserted
is what the stub Graph API received and what the shop holds (the cart of `whatsapp:<wa_id>`), never
how Rasa keys its trackers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from actions.clients.shop import ProductDetails, ProductQuery, get_shop_client
from actions.order_messages import ask_shipping_address
from actions.responses import format_price
from channels.whatsapp import MAX_BODY
from channels.whatsapp_catalogue import MAX_PRODUCTS, OTHER_CATALOGUE_REPLY
from tests.channels import meta_payloads as meta
from tests.channels.test_meta_rasa import deliver, messages_to, meta_rasa, text_sent
from tests.channels.test_meta_webhooks import eventually

CATALOG = meta.CATALOG_ID
MILANO_DUOMO = (45.4642, 9.1900)

pytestmark = pytest.mark.shop


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with meta_rasa(tmp_path_factory.mktemp("meta_rasa_commerce"), {"WHATSAPP_CATALOG_ID": CATALOG}) as urls:
        yield urls


def wa_id() -> str:
    return "39348" + str(uuid.uuid4().int)[:7]


def wamid() -> str:
    return f"wamid.{uuid.uuid4().hex}"


def readable(body: dict[str, Any]) -> str:
    """Everything a WhatsApp message shows in words: its text, an interactive's header and body."""
    interactive = body.get("interactive", {})
    return "\n".join([text_sent(body), str(interactive.get("header", {}).get("text") or "")])


def options(body: dict[str, Any]) -> list[str]:
    """The payloads a WhatsApp message's reply buttons and list rows send back."""
    action = body.get("interactive", {}).get("action", {})
    return ([button["reply"]["id"] for button in action.get("buttons", [])]
            + [row["id"] for section in action.get("sections", []) for row in section.get("rows", [])])


def answer_to(stub: str, who: str, after: int = 0, settle: float = 1.5) -> list[dict[str, Any]]:
    """The messages sent to `who` after the first `after`, once they have stopped coming."""
    assert eventually(lambda: len(messages_to(stub, who)) > after, 60), "no answer"
    count = -1
    while count != len(messages_to(stub, who)):
        count = len(messages_to(stub, who))
        time.sleep(settle)
    return messages_to(stub, who)[after:]


# --- the shop's own products, whatever the seed holds ------------------------------------------------


def products() -> list[ProductDetails]:
    shop = get_shop_client()
    summaries = [item for department in shop.list_departments()
                 for item in shop.search_products(ProductQuery(department=department.slug, limit=20)).items]
    return [shop.get_product(item.sku) for item in summaries]


@pytest.fixture(scope="module")
def catalogue() -> list[ProductDetails]:
    return products()


def single_variant(catalogue: list[ProductDetails], stock: range) -> ProductDetails:
    return next(p for p in catalogue if len(p.variants) == 1 and p.variants[0].stock in stock)


# --- a cart from the catalogue ---------------------------------------------------------------------


def test_a_catalogue_cart_fills_the_shops_cart_at_its_prices_and_offers_checkout(
        stack: tuple[str, str], catalogue: list[ProductDetails]) -> None:
    rasa, stub = stack
    who, message_id = wa_id(), wamid()
    plenty = single_variant(catalogue, range(3, 10_000))
    few = next(p for p in catalogue if len(p.variants) == 1 and 0 < p.variants[0].stock < 19 and p != plenty)
    sized = next(p for p in catalogue if len({(v.size, v.color) for v in p.variants}) > 1
                 and any(v.stock for v in p.variants))
    other = next(p for p in reversed(catalogue) if p not in (plenty, few, sized))
    order = meta.w_order(who, message_id, [
        (plenty.sku, 2, 0.01),  # the message's price is never believed
        ("ZZ-404", 1, 9.99),  # no such product
        (few.sku, few.variants[0].stock + 1, 1.0),  # more than the shop has
        (sized.sku, 1, 1.0),  # a size or colour to choose
        (plenty.sku + "-X", 1, 1.0),
        (other.sku, 500, 1.0),  # no quantity anybody means
    ], catalog_id=CATALOG)
    body = meta.whatsapp([order])
    for _ in range(3):  # Meta delivering it three times
        deliver(rasa, "whatsapp", body)

    sent = answer_to(stub, who)
    said = "\n".join(readable(b) for b in sent)
    offered = [option for b in sent for option in options(b)]
    assert f"2 × {plenty.name} — {format_price(plenty.price * 2, plenty.currency)}" in said
    assert "0.01" not in said
    assert "ZZ-404" in said and f"{plenty.sku}-X" in said
    assert f"{few.name}: only {few.variants[0].stock} left" in said
    assert f"{other.name}: 500 is not a quantity" in said
    assert sized.name in said and f'/add_to_cart{{"sku":"{sized.sku}","quantity":"1"}}' in offered
    assert "/checkout" in offered and "/view_cart" in offered
    assert all(len(b.get("interactive", {}).get("body", {}).get("text", "")) <= MAX_BODY for b in sent)
    assert len([b for b in sent if "From your WhatsApp cart" in readable(b)]) == 1  # answered once

    cart = get_shop_client().get_cart(f"whatsapp:{who}")
    assert [(line.sku, line.quantity, line.unit_price) for line in cart.items] == [(plenty.sku, 2, plenty.price)]
    assert f"Your cart: {format_price(cart.total, cart.currency)} for 2 items." in said

    # The checkout button starts the checkout, which asks where to deliver.
    deliver(rasa, "whatsapp", meta.whatsapp([meta.w_button_reply(who, wamid(), "/checkout", "Check out")]))
    asked = answer_to(stub, who, after=len(sent))
    assert any(ask_shipping_address().text in readable(b) for b in asked), asked


def test_a_cart_from_another_catalogue_is_refused_politely_and_nothing_is_added(
        stack: tuple[str, str], catalogue: list[ProductDetails]) -> None:
    rasa, stub = stack
    who = wa_id()
    product = single_variant(catalogue, range(1, 10_000))
    deliver(rasa, "whatsapp", meta.whatsapp([meta.w_order(who, wamid(), [(product.sku, 1, 1.0)],
                                                          catalog_id="999000999")]))
    [refusal] = answer_to(stub, who)
    assert text_sent(refusal) == OTHER_CATALOGUE_REPLY
    assert get_shop_client().get_cart(f"whatsapp:{who}").items == []


# --- searches as the catalogue's product messages ----------------------------------------------------


def test_a_search_is_a_product_list_of_the_shops_skus_and_a_product_a_product_message(
        stack: tuple[str, str], catalogue: list[ProductDetails]) -> None:
    rasa, stub = stack
    who = wa_id()
    department = catalogue[0].department
    deliver(rasa, "whatsapp", meta.whatsapp([meta.w_button_reply(
        who, wamid(), f'/search_product{{"department":"{department}"}}', "Browse")]))
    sent = answer_to(stub, who)
    lists = [b["interactive"] for b in sent if b.get("interactive", {}).get("type") == "product_list"]
    assert len(lists) == 1, sent
    listed = lists[0]
    skus = [item["product_retailer_id"] for section in listed["action"]["sections"]
            for item in section["product_items"]]
    by_sku = {product.sku: product for product in catalogue}
    assert listed["action"]["catalog_id"] == CATALOG and 1 < len(skus) <= MAX_PRODUCTS
    assert all(by_sku[sku].department == department for sku in skus)  # the shop's SKUs, of that department
    assert all(by_sku[sku].name in listed["body"]["text"] for sku in skus)  # the numbered lines, in full
    assert listed["header"]["type"] == "text" and 0 < len(listed["header"]["text"]) <= 60
    # Sections of ten, named by the numbers of the text ("add the 2nd one").
    assert [len(s["product_items"]) for s in listed["action"]["sections"]][:-1] == [10] * (
        len(listed["action"]["sections"]) - 1)
    assert listed["action"]["sections"][0]["title"].startswith("1–")

    deliver(rasa, "whatsapp", meta.whatsapp([meta.w_list_reply(
        who, wamid(), f'/product_details{{"sku":"{skus[0]}"}}', "Details")]))
    shown = answer_to(stub, who, after=len(sent))
    product = shown[0]["interactive"]
    assert product["type"] == "product"
    assert product["action"] == {"catalog_id": CATALOG, "product_retailer_id": skus[0]}
    assert by_sku[skus[0]].name in product["body"]["text"]
    assert f'/add_to_cart{{"sku":"{skus[0]}"}}' in [option for b in shown for option in options(b)]


# --- a shared location -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["messenger location", "messenger pinned location", "whatsapp location"])
def test_a_shared_location_is_answered_with_the_nearest_store_and_its_distance(
        stack: tuple[str, str], shape: str) -> None:
    rasa, stub = stack
    latitude, longitude = MILANO_DUOMO
    channel = shape.split()[0]
    if channel == "messenger":
        who = "2" + str(uuid.uuid4().int)[:15]
        # Meta's documented `location` attachment, and the `fallback` with a map link the apps send today.
        shared = meta.m_location if shape == "messenger location" else meta.m_pinned_location
        body = meta.messenger(shared(who, f"m_{uuid.uuid4().hex}", latitude, longitude))
    else:
        who = wa_id()
        body = meta.whatsapp([meta.w_location(who, wamid(), latitude, longitude)])
    deliver(rasa, channel, body)
    nearest = get_shop_client().find_stores(lat=latitude, lon=longitude)[0]
    assert nearest.distance_km is not None and nearest.distance_km < Decimal(50)
    said = "\n".join(text_sent(b) for b in answer_to(stub, who))
    assert f"{nearest.name} ({nearest.distance_km} km away)" in said
