"""Customer care against the real shop, the rasa-sdk way: Tracker, CollectingDispatcher, the
domain, `await run`, then assert events, messages and what the shop now holds.

The shop is the one tests/conftest.py starts for the session (never mocked). Each test is
its own new customer.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from actions.care import (
    CONFIRMING_ERASURE,
    ActionAskErasure,
    ActionDeleteMyData,
    ActionFindStores,
    ActionKeepMyData,
    ActionOpenComplaint,
    ActionPaymentHelp,
    ActionShowPromotions,
    ActionSubscribe,
    ActionUnsubscribe,
)
from actions.clients.desk import get_desk_client
from actions.clients.shop import ProductQuery, ShopClient
from actions.clients.shop_orders import Order
from tests.actions.builders import entity, run_action, slots_set, texts
from tests.actions.builders import user_tracker as tracker
from tests.actions.conftest import DeskRecorder

pytestmark = [pytest.mark.shop, pytest.mark.asyncio]

MILAN_DUOMO = (45.4642, 9.19)


def _consents(shop: ShopClient, who: str) -> dict[tuple[str, str], bool]:
    return {(c.channel, c.topic): c.granted for c in shop.list_consents(who)}


# --- promotions and stores ----------------------------------------------------------


async def test_current_promotions_are_listed_with_code_scope_minimum_and_end(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    promotions = shop.list_promotions()
    assert promotions, "the seeded shop has promotions running"

    messages, events = await run_action(ActionShowPromotions(), tracker(sender, "any discounts?", "promotions"), domain)

    said = texts(messages)
    assert slots_set(events) == {"answered_topic": "promotions"}  # "did that help?" may follow
    for promo in promotions:
        assert promo.title in said and promo.code in said
        assert promo.ends_at[:10] in said
    with_minimum = next(p for p in promotions if p.min_order is not None)
    assert f"min. order {with_minimum.min_order:.2f}" in said
    assert "on everything" in said or all(p.department for p in promotions)


async def test_stores_of_a_named_city_with_today_and_the_week(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    said = tracker(sender, "stores in Milan", "store_locator", [entity("city", "Milan")])

    messages, events = await run_action(ActionFindStores(), said, domain)

    text = texts(messages)
    assert slots_set(events) == {"answered_topic": "store_locator"}
    assert "Bottega Milano Centrale" in text and "Bottega Milano Brera" in text
    assert "Piazza Duca d'Aosta 1" in text
    assert "Today:" in text and "Mon–Sat 09:00–20:00, Sun 10:00–19:00" in text
    assert "km away" not in text


async def test_a_city_without_a_store_offers_the_shop_cities(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    said = tracker(sender, "stores in Lisbon", "store_locator", [entity("city", "Lisbon")])

    messages, _ = await run_action(ActionFindStores(), said, domain)

    assert "no store in Lisbon" in texts(messages)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Milan" in titles and "Vienna" in titles
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize("how", ["metadata", "payload"])
async def test_a_shared_location_gives_the_nearest_stores_sorted_by_distance(
    shop: ShopClient, sender: str, domain: dict[str, Any], how: str
) -> None:
    lat, lon = MILAN_DUOMO
    if how == "metadata":
        said = tracker(sender, "shop near me", "store_locator", metadata={"location": {"lat": lat, "lon": lon}})
    else:
        said = tracker(sender, f'/store_locator{{"lat": {lat}, "lon": {lon}}}', "store_locator")

    messages, _ = await run_action(ActionFindStores(), said, domain)

    text = texts(messages)
    assert text.startswith("The stores nearest to you:")
    distances = [float(line.split("(")[1].split(" km")[0]) for line in text.splitlines() if "km away" in line]
    assert len(distances) == 3
    assert distances == sorted(distances)
    assert distances[0] < 5
    nearest = next(line for line in text.splitlines() if "km away" in line)
    assert nearest.startswith("Bottega Milano")


async def test_no_city_and_no_location_asks_with_city_buttons(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    messages, _ = await run_action(ActionFindStores(), tracker(sender, "nearest store pls", "store_locator"), domain)

    assert "Which city" in texts(messages)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/store_locator{"city":"Milan"}' in payloads


# --- consent ------------------------------------------------------------------------


async def test_subscribing_records_offers_on_the_conversation_channel(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    said = tracker(sender, "sign me up for offers", "subscribe_news", channel="whatsapp")

    messages, _ = await run_action(ActionSubscribe(), said, domain)

    assert _consents(shop, f"whatsapp:{sender}") == {("whatsapp", "offers"): True}
    assert "unsubscribe" in texts(messages)


async def test_unsubscribing_revokes_news_and_offers(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    await run_action(ActionSubscribe(), tracker(sender, "subscribe me", "subscribe_news"), domain)
    assert _consents(shop, f"rest:{sender}")[("rest", "offers")] is True

    messages, _ = await run_action(ActionUnsubscribe(), tracker(sender, "unsubscribe", "unsubscribe"), domain)

    assert _consents(shop, f"rest:{sender}") == {("rest", "offers"): False, ("rest", "news"): False}
    assert "won't get news or offers" in texts(messages)


# --- tickets ------------------------------------------------------------------------


async def test_a_complaint_opens_a_ticket_with_the_message_and_order(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"socketio:{sender}"
    _add_something(shop, who)  # a ticket names only the shopper's own order
    order_id = shop.place_order(who, f"complaint-{sender}", "Via Roma 1, 20121 Milano, Italy", "standard",
                                "card").order_id
    words = f"my order {order_id} arrived broken and " + "nobody answers my emails " * 10
    said = tracker(sender, words, "complaint", [entity("order_id", order_id)], channel="socketio")

    messages, _ = await run_action(ActionOpenComplaint(), said, domain)

    text = texts(messages)
    reference = next(word.rstrip(".:,") for word in text.split() if word.startswith("TK-"))
    ticket = shop.get_ticket(who, reference)
    assert ticket.kind == "complaint" and ticket.status == "open"
    assert ticket.order_id == order_id
    assert ticket.subject == words[:120]
    assert "sorry" in text.lower()
    assert "They'll get back to you in this chat" in text  # the desk's queue has it (tests/webchat)
    assert messages[0]["buttons"] == [{"title": "Talk to a person", "payload": "/human_handoff"}]


async def test_a_parcel_that_never_came_is_about_the_newest_order_and_more_complaining_is_noted(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"socketio:{sender}"
    order = _shipped_order(shop, who, f"never-came-{sender}")
    # The topic classifier reads most complaints as "general": the words say it is about a delivery.
    said = tracker(sender, "my parcel never came mate", "complaint", channel="socketio")
    said.latest_message["topic"] = {"name": "general", "confidence": 0.9}

    messages, events = await run_action(ActionOpenComplaint(), said, domain)

    text = texts(messages)
    assert f"Your latest order, {order.order_id}, is on its way" in text
    reference = slots_set(events)["complaint_ticket"]
    assert f"your reference is {reference}" in text
    assert shop.get_ticket(who, reference).order_id == order.order_id

    # "still nothing, this is a joke": the same ticket, other words, no second ticket.
    before = open_tickets(os.environ["SHOP_URL"])
    again = tracker(sender, "still nothing, this is a joke", "complaint", slots={"complaint_ticket": reference},
                    channel="socketio")
    more, more_events = await run_action(ActionOpenComplaint(), again, domain)

    assert open_tickets(os.environ["SHOP_URL"]) == before and more_events == []
    assert texts(more).startswith(f"Noted, and I'm sorry. Your complaint about order {order.order_id} ({reference})")
    assert more[0]["buttons"] == [{"title": "Talk to a person", "payload": "/human_handoff"}]

    # Once a person has closed it, a new complaint is a new ticket.
    shop.close_ticket(who, reference)
    closed, closed_events = await run_action(ActionOpenComplaint(), again, domain)
    assert slots_set(closed_events)["complaint_ticket"] not in (None, reference)
    assert "your reference is" in texts(closed)


async def test_a_complaint_about_something_else_names_no_order(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"socketio:{sender}"
    _shipped_order(shop, who, f"rude-staff-{sender}")
    said = tracker(sender, "the staff in the Milan store were so rude", "complaint", channel="socketio")

    messages, events = await run_action(ActionOpenComplaint(), said, domain)

    assert "latest order" not in texts(messages)
    assert shop.get_ticket(who, slots_set(events)["complaint_ticket"]).order_id is None


async def test_payment_help_fits_the_problem_and_opens_a_ticket(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    twice, _ = await run_action(
        ActionPaymentHelp(), tracker(sender, "i was charged twice", "payment_issue", channel="socketio"), domain
    )
    declined, _ = await run_action(
        ActionPaymentHelp(), tracker(sender, "my card was declined", "payment_issue", channel="socketio"), domain
    )

    assert "double charge" in texts(twice)
    assert "another method" in texts(declined)
    for messages in (twice, declined):
        reference = next(w.rstrip(".:,") for w in texts(messages).split() if w.startswith("TK-"))
        assert shop.get_ticket(f"socketio:{sender}", reference).kind == "payment_issue"
        assert "the team will answer in this chat" in texts(messages)


def open_tickets(shop_url: str) -> int:
    """How many tickets are open in the shop (the desk's queue counts them all)."""
    answer = requests.get(f"{shop_url}/admin/tickets", params={"status": "open", "limit": 1}, timeout=10,
                          headers={"Authorization": f"Bearer {os.environ['SHOP_ADMIN_TOKEN']}"})
    answer.raise_for_status()
    return int(answer.json()["total"])


async def test_on_a_reply_only_channel_no_ticket_is_promised_that_nobody_could_answer(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    before = open_tickets(os.environ["SHOP_URL"])

    complaint, complaint_events = await run_action(
        ActionOpenComplaint(), tracker(sender, "my parcel arrived broken", "complaint"), domain
    )
    payment, payment_events = await run_action(
        ActionPaymentHelp(), tracker(sender, "i was charged twice", "payment_issue"), domain
    )

    assert open_tickets(os.environ["SHOP_URL"]) == before  # a person could never answer them here
    for messages in (complaint, payment):
        text = texts(messages)
        assert "TK-" not in text and "in this chat." not in text, text
        assert "can't write to you in this chat" in text
        assert "web chat" in text  # where a person can answer
    assert "double charge" in texts(payment)  # the advice still comes
    assert complaint_events == payment_events == []


# --- erasure ------------------------------------------------------------------------


def _shipped_order(shop: ShopClient, who: str, key: str) -> Order:
    """An order of the shopper's, paid through its pay link and marked shipped by the shop's admin."""
    _add_something(shop, who)
    created = shop.place_order(who, key, "Via Roma 1, 20121 Milano, Italy", "standard", "card")
    assert requests.post(created.payment_url or "", data={"action": "pay"}, timeout=10).status_code == 200
    shipped = requests.post(
        f"{os.environ['SHOP_URL']}/admin/orders/{created.order_id}/status",
        json={"status": "shipped"},
        headers={"Authorization": f"Bearer {os.environ['SHOP_ADMIN_TOKEN']}"},
        timeout=10,
    )
    assert shipped.status_code == 200, shipped.text
    return created


def _add_something(shop: ShopClient, who: str) -> None:
    for summary in shop.search_products(ProductQuery(in_stock=True, limit=50)).items:
        product = shop.get_product(summary.sku)
        variant = next((v for v in product.variants if v.stock > 0), None)
        if variant is not None:
            shop.add_to_cart(who, product.sku, 1, variant.size, variant.color)
            return
    pytest.fail("the live catalog needs an in-stock product")


async def test_confirmed_erasure_empties_the_cart_and_resets_the_slots(
    shop: ShopClient, sender: str, domain: dict[str, Any], desk: DeskRecorder
) -> None:
    who = f"rest:{sender}"
    _add_something(shop, who)
    await run_action(ActionSubscribe(), tracker(sender, "subscribe me", "subscribe_news"), domain)
    assert shop.get_cart(who).item_count == 1

    asked, ask_events = await run_action(
        ActionAskErasure(), tracker(sender, "delete my data", "delete_my_data"), domain
    )
    assert slots_set(ask_events) == {CONFIRMING_ERASURE: True}
    assert "cart" in texts(asked) and "tickets" in texts(asked)

    yes = tracker(sender, "yes", "affirm", slots={CONFIRMING_ERASURE: True, "focused_sku": "X"})
    messages, events = await run_action(ActionDeleteMyData(), yes, domain)

    assert events == [{"event": "reset_slots", "timestamp": None}]
    assert "deleted, and so is the history of this chat" in texts(messages)
    assert messages[-1]["custom"] == {"type": "conversation_erased"}  # the web chat forgets its copy
    assert shop.get_cart(who).items == []
    assert shop.list_consents(who) == []
    # The conversation's history is erased by the care desk on the Rasa server, once this turn ends.
    assert desk.requests == [("DELETE", f"/webhooks/desk/conversations/{sender}", f"Bearer {desk.token}")]


async def test_erasure_waits_for_an_order_on_its_way_and_says_so(
    shop: ShopClient, sender: str, domain: dict[str, Any], desk: DeskRecorder
) -> None:
    who = f"rest:{sender}"
    created = _shipped_order(shop, who, f"erase-{sender}")

    yes = tracker(sender, "yes", "affirm", slots={CONFIRMING_ERASURE: True})
    messages, events = await run_action(ActionDeleteMyData(), yes, domain)

    said = texts(messages)
    assert created.order_id in said and "on its way" in said and "Sorry, something went wrong" not in said
    assert "nothing" in said.lower() and "deleted" in said
    assert slots_set(events) == {CONFIRMING_ERASURE: False}
    assert desk.requests == []  # the chat's history is kept too: nothing was erased
    assert [o.order_id for o in shop.list_orders(who)] == [created.order_id]


async def test_erasure_says_so_when_the_chat_history_could_not_be_erased(
    shop: ShopClient, sender: str, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESK_API_TOKEN", "a-token-of-a-desk-that-is-not-running")
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")
    get_desk_client.cache_clear()
    who = f"rest:{sender}"
    _add_something(shop, who)

    yes = tracker(sender, "yes", "affirm", slots={CONFIRMING_ERASURE: True})
    messages, events = await run_action(ActionDeleteMyData(), yes, domain)

    assert events == [{"event": "reset_slots", "timestamp": None}]
    assert shop.get_cart(who).items == []  # the shop's part is done regardless
    assert "couldn't delete the history of this chat" in texts(messages)
    assert not any(m.get("custom") for m in messages)  # nothing was erased on the server yet
    assert "delete my data" in texts(messages)


async def test_erasure_needs_the_question_first_and_no_keeps_everything(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"rest:{sender}"
    _add_something(shop, who)

    stray, stray_events = await run_action(ActionDeleteMyData(), tracker(sender, "yes", "affirm"), domain)
    kept, kept_events = await run_action(
        ActionKeepMyData(), tracker(sender, "no", "deny", slots={CONFIRMING_ERASURE: True}), domain
    )

    assert slots_set(stray_events) == {CONFIRMING_ERASURE: False}
    assert "delete my data" in texts(stray)
    assert slots_set(kept_events) == {CONFIRMING_ERASURE: False}
    assert "haven't deleted anything" in texts(kept)
    assert shop.get_cart(who).item_count == 1


# --- the shop is down ---------------------------------------------------------------


@pytest.mark.usefixtures("shop_down")
async def test_an_unreachable_shop_gets_a_plain_sentence(sender: str, domain: dict[str, Any]) -> None:
    messages, events = await run_action(ActionOpenComplaint(), tracker(sender, "this is awful", "complaint"), domain)

    assert events == []
    assert len(messages) == 1 and "Traceback" not in texts(messages) and texts(messages)
