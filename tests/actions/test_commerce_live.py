"""Checkout, orders, payments, returns and refunds against the real shop, the rasa-sdk way:
Tracker, CollectingDispatcher, the domain, `await run`, then assert events and messages.

The shop is the one tests/conftest.py starts for the session (never mocked). Operator moves
(ship, deliver, receive a return, refund) go through the shop's own /admin routes and the
payment through its sandbox pay page, as a warehouse and a shopper would. Each test shops as
its own new customer.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher

from actions import checkout, orders, returns
from actions.cart import ActionAddToCart
from actions.checkout import (
    ActionCheckoutSummary,
    ActionDeclineCheckout,
    ActionPlaceOrder,
    ActionPrepareCheckout,
    ValidateCheckoutForm,
    order_idempotency_key,
)
from actions.clients.shop import ProductQuery, ShopClient, get_shop_client
from actions.orders import (
    ActionCancelOrder,
    ActionChangeAddress,
    ActionConfirmAddressChange,
    ActionGetInvoice,
    ActionKeepAddress,
    ActionOrderStatus,
    ActionPaymentFailed,
    ActionPaymentUpdate,
    ActionReviewAddressChange,
    ActionReviewCancellation,
    ValidateAddressChangeForm,
)
from actions.returns import (
    ActionRefundStatus,
    ActionRequestRefund,
    ActionStartReturn,
    ActionSubmitReturn,
    ValidateReturnForm,
)
from tests.actions.builders import entity, run_action, slots_set, texts
from tests.actions.builders import user_tracker as tracker

pytestmark = [pytest.mark.shop, pytest.mark.asyncio]

ADDRESS = "Via Roma 1, 20121 Milano, Italy"
CHECKOUT_SLOTS = {"shipping_address": ADDRESS, "delivery_option": "standard", "payment_method": "card"}
EXTERNAL = {"is_external": True}  # how Rasa marks the intent the shop's trigger_intent adds


# --- helpers ------------------------------------------------------------------------


def _admin(order_id: str, status: str) -> None:
    answer = requests.post(
        f"{os.environ['SHOP_URL']}/admin/orders/{order_id}/status",
        json={"status": status},
        headers={"Authorization": f"Bearer {os.environ['SHOP_ADMIN_TOKEN']}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def _pay(payment_url: str, action: str = "pay") -> None:
    answer = requests.post(payment_url, data={"action": action}, timeout=10)
    assert answer.status_code == 200, answer.text


def _in_stock_variants(shop: ShopClient) -> list[tuple[str, str | None, str | None, int]]:
    """(sku, size, colour, stock) of in-stock variants, first 50 in-stock products."""
    found = []
    for summary in shop.search_products(ProductQuery(in_stock=True, limit=50)).items:
        product = shop.get_product(summary.sku)
        found += [(product.sku, v.size, v.color, v.stock) for v in product.variants if v.stock > 0]
    return found


def _fill_cart(shop: ShopClient, who: str, lines: int = 1) -> None:
    plenty = [v for v in _in_stock_variants(shop) if v[3] >= 10]
    assert len(plenty) >= lines, "The live catalog needs in-stock products with at least 10 units"
    used: set[str] = set()
    for sku, size, color, _ in plenty:
        if sku in used:
            continue
        shop.add_to_cart(who, sku, 1, size, color)
        used.add(sku)
        if len(used) == lines:
            return


def _order(shop: ShopClient, who: str, lines: int = 1) -> Any:
    _fill_cart(shop, who, lines)
    return shop.place_order(who, f"setup-{uuid.uuid4().hex}", ADDRESS, "standard", "card")


def _delivered_order(shop: ShopClient, who: str, lines: int = 1) -> Any:
    created = _order(shop, who, lines)
    _pay(created.payment_url)
    _admin(created.order_id, "shipped")
    _admin(created.order_id, "delivered")
    return created


# --- checkout -----------------------------------------------------------------------


async def test_checkout_with_an_empty_cart_says_so(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    messages, events = await run_action(ActionPrepareCheckout(), tracker(sender, "checkout", "checkout"), domain)

    assert slots_set(events) == {"cart_ready": False}
    assert "cart is empty" in texts(messages)


@pytest.mark.parametrize("lines", [0, 1])
async def test_checkout_after_a_stale_colour_question_checks_out(
    lines: int, shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    # The colour question was for a product they have since moved away from.
    if lines:
        _fill_cart(shop, f"rest:{sender}", lines)
    stale = {"sku": "GONE-1", "quantity": 1, "name": "Tee", "missing": ["color"], "choices": {"color": ["Navy"]}}
    slots = {"awaiting_variant": True, "pending_cart_item": stale, "focused_sku": None}
    said = tracker(sender, "checkout", "checkout", slots=slots)

    messages, events = await run_action(ActionAddToCart(), said, domain)

    set_ = slots_set(events)
    assert set_["awaiting_variant"] is False and set_["pending_cart_item"] is None
    if lines:
        assert set_["cart_ready"] is True
        assert {"event": "followup", "timestamp": None, "name": "checkout_form"} in events
        assert "Tee" not in texts(messages)
    else:
        assert set_["cart_ready"] is False
        assert "cart is empty" in texts(messages)


async def test_the_form_validates_address_delivery_and_payment(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    form = ValidateCheckoutForm()
    said = tracker(sender, "Via", "search_product")
    dispatcher = CollectingDispatcher()

    assert await form.validate_shipping_address("Via", dispatcher, said, domain) == {"shipping_address": None}
    question = await form.validate_shipping_address("what is the address of your shop?", dispatcher, said, domain)
    assert question == {"shipping_address": None}
    assert "question" in texts(dispatcher.messages)
    assert await form.validate_shipping_address(f"  {ADDRESS} ", dispatcher, said, domain) == {
        "shipping_address": ADDRESS
    }
    assert await form.validate_delivery_option("Express delivery", dispatcher, said, domain) == {
        "delivery_option": "express"
    }
    assert await form.validate_delivery_option("next day please", dispatcher, said, domain) == {
        "delivery_option": "next_day"
    }
    assert await form.validate_delivery_option("by pigeon", dispatcher, said, domain) == {"delivery_option": None}
    assert await form.validate_payment_method("PayPal", dispatcher, said, domain) == {"payment_method": "paypal"}
    assert await form.validate_payment_method("my visa card", dispatcher, said, domain) == {"payment_method": "card"}

    stop = tracker(sender, "stop", "deny")
    assert await form.validate_shipping_address("stop", dispatcher, stop, domain) == {
        "requested_slot": None, "shipping_address": None}
    for slot in ("delivery_option", "payment_method"):  # "stop" at each question leaves nothing behind
        _, slots = await run_form_validation(form, slot, "stop", "deny", sender, domain)
        assert slots == {slot: None, "requested_slot": None}


async def test_checkout_places_exactly_one_order_even_when_the_turn_is_replayed(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"rest:{sender}"
    _fill_cart(shop, who, lines=2)

    _, events = await run_action(ActionPrepareCheckout(), tracker(sender, "checkout", "checkout"), domain)
    assert slots_set(events)["cart_ready"] is True

    summary, events = await run_action(ActionCheckoutSummary(), tracker(sender, slots=CHECKOUT_SLOTS), domain)
    assert slots_set(events) == {"confirming": "order"}
    summary_text = texts(summary)
    for word in ("Subtotal:", "Delivery (Standard delivery)", "Total:", ADDRESS, "Credit or debit card"):
        assert word in summary_text
    assert [b["payload"] for b in summary[0]["buttons"]] == ["/affirm", "/deny"]

    # The confirming "yes", delivered twice (a channel retry, or a replayed turn).
    yes = tracker(sender, "yes", "affirm", slots={**CHECKOUT_SLOTS, "confirming": "order"}, message_id="m-yes-1")
    first, first_events = await run_action(ActionPlaceOrder(), yes, domain)
    again, _ = await run_action(ActionPlaceOrder(), yes, domain)

    orders = shop.list_orders(who)
    assert len(orders) == 1
    order_id = orders[0].order_id
    assert slots_set(first_events)["order_id"] == order_id
    assert order_id in texts(first) and order_id in texts(again)
    [pay] = first[0]["buttons"]
    assert pay["url"].startswith(os.environ["SHOP_URL"] + "/pay/")
    assert pay["title"] == f"Pay {orders[0].total:.2f} {orders[0].currency}"
    assert pay["url"] in texts(first)
    assert again[0]["buttons"] == first[0]["buttons"]
    assert order_idempotency_key(yes) == f"{who}:m-yes-1"
    assert shop.get_cart(who).items == []

    # Another "yes" (a new message) finds the cart empty and points at the order already made.
    later = tracker(sender, "yes", "affirm", slots={**CHECKOUT_SLOTS, "confirming": "order"}, message_id="m-yes-2")
    messages, _ = await run_action(ActionPlaceOrder(), later, domain)
    assert f"order {order_id}" in texts(messages) and "already placed" in texts(messages)
    assert messages[0]["buttons"] == first[0]["buttons"]
    assert len(shop.list_orders(who)) == 1


async def test_the_pay_link_says_by_when_to_pay(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    who = f"rest:{sender}"
    _fill_cart(shop, who)
    yes = tracker(sender, "yes", "affirm", slots={**CHECKOUT_SLOTS, "confirming": "order"})
    placed, _ = await run_action(ActionPlaceOrder(), yes, domain)
    [summary] = shop.list_orders(who)
    order = shop.get_order(who, summary.order_id)
    due = datetime.fromisoformat(str(order.payment_due_at).replace("Z", "+00:00"))
    deadline = f"by {due:%Y-%m-%d %H:%M} UTC"
    assert deadline in texts(placed) and "go back on sale" in texts(placed)

    asked = tracker(sender, f"status of {order.order_id}", "order_status", [entity("order_id", order.order_id)])
    status, _ = await run_action(ActionOrderStatus(), asked, domain)
    assert f"Please pay {deadline}" in texts(status)


async def test_no_to_the_summary_keeps_the_cart(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    who = f"rest:{sender}"
    _fill_cart(shop, who)

    messages, events = await run_action(ActionDeclineCheckout(), tracker(sender, "no", "deny"), domain)

    assert slots_set(events) == {"confirming": None}
    assert "cart is kept" in texts(messages)
    assert shop.get_cart(who).items and shop.list_orders(who) == []


async def test_an_item_sold_out_before_checkout_is_named_and_the_cart_kept(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"rest:{sender}"
    rival = f"rest:{sender}-rival"
    sku, size, color, stock = min((v for v in _in_stock_variants(shop) if v[3] <= 20), key=lambda v: v[3])
    shop.add_to_cart(who, sku, 1, size, color)
    shop.add_to_cart(rival, sku, stock, size, color)
    shop.place_order(rival, f"rival-{uuid.uuid4().hex}", ADDRESS, "standard", "card")  # the last units go

    messages, events = await run_action(
        ActionPlaceOrder(), tracker(sender, "yes", "affirm", slots={**CHECKOUT_SLOTS, "confirming": "order"}), domain
    )

    name = shop.get_product(sku).name
    assert f"{name} sold out" in texts(messages)
    assert "cart is kept" in texts(messages)
    assert slots_set(events) == {"confirming": None}
    assert [line.sku for line in shop.get_cart(who).items] == [sku]
    assert shop.list_orders(who) == []


async def test_a_withdrawn_item_is_named_and_the_way_on_offered(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"rest:{sender}"
    sku, size, color, _ = _in_stock_variants(shop)[-1]
    name = shop.get_product(sku).name
    shop.add_to_cart(who, sku, 1, size, color)
    withdrawn = requests.delete(
        f"{os.environ['SHOP_URL']}/admin/products/{sku}",
        headers={"Authorization": f"Bearer {os.environ['SHOP_ADMIN_TOKEN']}"},
        timeout=10,
    )
    assert withdrawn.status_code == 204, withdrawn.text

    messages, events = await run_action(
        ActionPlaceOrder(), tracker(sender, "yes", "affirm", slots={**CHECKOUT_SLOTS, "confirming": "order"}), domain
    )

    said = texts(messages)
    assert f"{name} is no longer sold" in said and "haven't placed" in said
    assert "remove" in said and "Sorry, something went wrong" not in said
    assert [b["title"] for b in messages[0]["buttons"]] == ["View cart"]
    assert slots_set(events) == {"confirming": None}
    assert shop.list_orders(who) == []


async def test_a_shop_that_is_down_places_nothing_and_says_so_plainly(
    shop: ShopClient, sender: str, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_URL", "http://127.0.0.1:9")
    get_shop_client.cache_clear()

    messages, events = await run_action(
        ActionPlaceOrder(), tracker(sender, "yes", "affirm", slots={**CHECKOUT_SLOTS, "confirming": "order"}), domain
    )

    assert events == []
    assert "can't reach the shop" in texts(messages)
    assert "Nothing was charged" in texts(messages)


async def test_checking_out_again_after_a_lost_answer_gives_the_orders_pay_link(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    # The shop placed the order but its answer never arrived (a timeout): the shopper was told to
    # check out again, and by then the cart is empty.
    created = _order(shop, f"rest:{sender}")
    assert shop.get_cart(f"rest:{sender}").items == []

    messages, events = await run_action(ActionPrepareCheckout(), tracker(sender, "checkout", "checkout"), domain)

    assert slots_set(events) == {"cart_ready": False}
    assert f"your order {created.order_id}" in texts(messages) and "waiting for payment" in texts(messages)
    [pay] = messages[0]["buttons"]
    assert pay["url"] == created.payment_url


# --- payments -----------------------------------------------------------------------


async def test_payment_notice_and_i_have_paid_are_answered_honestly(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"rest:{sender}"
    created = _order(shop, who)

    # "I've paid" before paying: not received yet, with the link again.
    messages, _ = await run_action(ActionPaymentUpdate(), tracker(sender, "I've paid", "payment_received"), domain)
    assert f"haven't received the payment for {created.order_id}" in texts(messages)
    assert messages[0]["buttons"][0]["url"] == created.payment_url

    assert "purpose" not in messages[0]  # an answer to the shopper, not a notice

    _pay(created.payment_url)
    notice = tracker(sender, "EXTERNAL: payment_received", "payment_received", [entity("order_id", created.order_id)],
                     metadata=EXTERNAL)
    messages, events = await run_action(ActionPaymentUpdate(), notice, domain)
    assert texts(messages) == f"Payment received for {created.order_id} — we'll let you know when it ships."
    assert slots_set(events) == {"order_id": created.order_id}
    # The shop's notice is an order update: Messenger and WhatsApp may carry it past their 24-hour window.
    assert [message.get("purpose") for message in messages] == ["order_update"]


async def test_a_declined_payment_offers_the_link_again_and_help(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    created = _order(shop, f"rest:{sender}")
    _pay(created.payment_url, "decline")

    notice = tracker(sender, "EXTERNAL: payment_failed", "payment_failed", [entity("order_id", created.order_id)],
                     metadata=EXTERNAL)
    messages, _ = await run_action(ActionPaymentFailed(), notice, domain)

    assert "declined" in texts(messages)
    assert [message.get("purpose") for message in messages] == ["order_update"]
    buttons = messages[0]["buttons"]
    assert buttons[0]["url"] == created.payment_url
    assert buttons[1]["payload"] == f'/payment_issue{{"order_id":"{created.order_id}"}}'


# --- orders -------------------------------------------------------------------------


async def test_order_status_shows_own_orders_and_never_someone_elses(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    created = _order(shop, f"rest:{sender}")
    _pay(created.payment_url)
    _admin(created.order_id, "shipped")
    order = shop.get_order(f"rest:{sender}", created.order_id)

    asked = tracker(
        sender, f"where is {created.order_id.lower()}", "order_status", [entity("order_id", created.order_id.lower())]
    )
    messages, events = await run_action(ActionOrderStatus(), asked, domain)
    said = texts(messages)
    assert f"Order {created.order_id}" in said and "on its way" in said
    assert order.lines[0].name in said
    assert f"Tracking number: {order.tracking_number}" in said
    assert f"Estimated delivery: {order.estimated_delivery}" in said
    assert f"Total: {order.total:.2f}" in said
    assert slots_set(events) == {"order_id": created.order_id}

    # Without an id, and only one order: that order, no question (heard in a shopper trial: "which one?").
    messages, events = await run_action(ActionOrderStatus(), tracker(sender, "where is my order", "order_status"),
                                        domain)
    assert texts(messages) == said and slots_set(events) == {"order_id": created.order_id}
    # Two orders: the recent ones as buttons, the newest first.
    second = _order(shop, f"rest:{sender}")
    messages, _ = await run_action(ActionOrderStatus(), tracker(sender, "where is my order", "order_status"), domain)
    assert "Which one would you like to see?" in texts(messages)
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        f'/order_status{{"order_id":"{order_id}"}}' for order_id in (second.order_id, created.order_id)]

    # Someone else asking for it: the shop answers 404, the shopper hears "not on your account".
    stranger = tracker(
        f"{sender}-x", f"status of {created.order_id}", "order_status", [entity("order_id", created.order_id)]
    )
    messages, events = await run_action(ActionOrderStatus(), stranger, domain)
    assert "can't find order" in texts(messages) and "on your account" in texts(messages)
    assert order.lines[0].name not in texts(messages)
    assert events == []


async def test_cancel_asks_first_then_cancels(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    created = _order(shop, f"rest:{sender}")

    messages, events = await run_action(
        ActionReviewCancellation(), tracker(sender, "cancel my order", "cancel_order"), domain
    )
    assert f"cancel order {created.order_id}" in texts(messages)
    slots = slots_set(events)
    assert slots == {"order_id": created.order_id, "confirming": "cancellation"}
    assert shop.get_order(f"rest:{sender}", created.order_id).status == "pending_payment"

    messages, events = await run_action(ActionCancelOrder(), tracker(sender, "yes", "affirm", slots=slots), domain)
    assert f"order {created.order_id} is cancelled" in texts(messages)
    assert slots_set(events) == {"confirming": None}
    assert shop.get_order(f"rest:{sender}", created.order_id).status == "cancelled"


async def test_a_shipped_order_cannot_be_cancelled(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    created = _order(shop, f"rest:{sender}")
    _pay(created.payment_url)
    _admin(created.order_id, "shipped")

    asked = tracker(sender, f"cancel {created.order_id}", "cancel_order", [entity("order_id", created.order_id)])
    messages, events = await run_action(ActionReviewCancellation(), asked, domain)

    assert "can't be cancelled" in texts(messages)
    assert slots_set(events)["confirming"] is None
    # Even a stray "yes" later can't cancel it: the shop refuses and the shopper hears why.
    yes = tracker(sender, "yes", "affirm", slots={"order_id": created.order_id, "confirming": "cancellation"})
    messages, _ = await run_action(ActionCancelOrder(), yes, domain)
    # In the chat's own words, never the shop's sentence.
    assert texts(messages) == f"Order {created.order_id} is on its way, so it can't be cancelled any more."
    assert shop.get_order(f"rest:{sender}", created.order_id).status == "shipped"


async def test_the_address_changes_before_shipping(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    created = _order(shop, f"rest:{sender}")

    _, events = await run_action(
        ActionReviewAddressChange(), tracker(sender, "change my address", "change_shipping_address"), domain
    )
    slots = slots_set(events)
    assert slots["address_change_ready"] is True and slots["order_id"] == created.order_id

    new = "Corso Italia 5, 10100 Torino"
    asked, events = await run_action(
        ActionChangeAddress(), tracker(sender, new, slots={**slots, "new_shipping_address": new}), domain
    )
    # Nothing changes before the shopper confirms the address they typed.
    assert texts(asked) == f"Send order {created.order_id} to this address instead?\n{new}"
    assert [b["title"] for b in asked[0]["buttons"]] == ["Yes, change it", "No, keep the old one"]
    assert slots_set(events) == {"address_change_ready": True, "confirming": "address"}
    assert shop.get_order(f"rest:{sender}", created.order_id).shipping_address != new

    confirmed = {**slots, "new_shipping_address": new, "confirming": "address"}
    messages, events = await run_action(ActionConfirmAddressChange(), tracker(sender, "yes", "affirm",
                                                                              slots=confirmed), domain)
    assert f"now goes to {new}" in texts(messages)
    assert slots_set(events) == {"new_shipping_address": None, "address_change_ready": False, "confirming": None}


async def test_no_to_the_new_address_keeps_the_old_one(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    created = _order(shop, f"rest:{sender}")
    before = shop.get_order(f"rest:{sender}", created.order_id).shipping_address
    slots = {"order_id": created.order_id, "new_shipping_address": "Via Po 3, Torino", "confirming": "address"}

    messages, _ = await run_action(ActionKeepAddress(), tracker(sender, "no", "deny", slots=slots), domain)

    assert texts(messages) == f"OK, I've left the address of {created.order_id} as it was."
    assert shop.get_order(f"rest:{sender}", created.order_id).shipping_address == before


async def run_form_validation(form: Any, slot: str, said: str, intent: str, sender: str,
                              domain: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The slots a form's validation action sets, run the way Rasa runs it: the form has just
    filled `slot` with the shopper's words (a from_text mapping) and asks for it to be validated."""
    asked = tracker(sender, said, intent, slots={"requested_slot": slot, slot: said})
    asked.events.append({"event": "slot", "name": slot, "value": said})
    messages, events = await run_action(form, asked, domain)
    return messages, slots_set(events)


@pytest.mark.parametrize(("said", "intent", "left"), [
    ("I want to cancel it instead", "cancel_order", True),
    ("stop", "deny", True),
    ("Via Po 3, 10123 Torino", "cancel_order", False),  # an address, whatever NLU made of it
])
async def test_the_address_question_can_be_left(said: str, intent: str, left: bool, sender: str,
                                                domain: dict[str, Any]) -> None:
    _, slots = await run_form_validation(ValidateAddressChangeForm(), "new_shipping_address", said, intent, sender,
                                         domain)
    assert slots == ({"new_shipping_address": None, "requested_slot": None} if left else {"new_shipping_address": said})


async def test_the_invoice_is_a_link(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    created = _order(shop, f"rest:{sender}")

    messages, _ = await run_action(ActionGetInvoice(), tracker(sender, "invoice please", "get_invoice"), domain)

    order = shop.get_order(f"rest:{sender}", created.order_id)
    assert order.invoice_url, "the shop sends invoice_url with GET /orders/{id}"
    assert messages[0]["buttons"] == [
        {"title": f"Invoice {created.order_id}", "url": order.invoice_url, "type": "web_url"}
    ]
    assert requests.get(order.invoice_url, timeout=10).status_code == 200


# --- returns and refunds --------------------------------------------------------------


async def test_a_return_is_refused_while_the_order_is_not_delivered(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    created = _order(shop, f"rest:{sender}")
    _pay(created.payment_url)
    asked = tracker(sender, f"return {created.order_id}", "return_item", [entity("order_id", created.order_id)])

    messages, events = await run_action(ActionStartReturn(), asked, domain)

    assert "hasn't been delivered yet" in texts(messages)
    assert slots_set(events)["return_ready"] is False
    # And if the form were submitted anyway, the shop refuses and the shopper hears it.
    filled = {"return_order_id": created.order_id, "return_line": "all", "return_reason": "Too small"}
    messages, _ = await run_action(ActionSubmitReturn(), tracker(sender, "Too small", slots=filled), domain)
    assert "only delivered orders can be returned" in texts(messages)


async def test_return_of_a_delivered_order_then_refund_status(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"rest:{sender}"
    created = _delivered_order(shop, who, lines=2)
    order = shop.get_order(who, created.order_id)

    _, events = await run_action(
        ActionStartReturn(), tracker(sender, "I want to return something", "return_item"), domain
    )
    slots = slots_set(events)
    assert slots["return_ready"] is True and slots["return_order_id"] == created.order_id

    form = ValidateReturnForm()
    dispatcher = CollectingDispatcher()
    button = tracker(
        sender, '/return_item{"product_index":"2"}', "return_item", [entity("product_index", "2")], slots=slots
    )
    assert await form.validate_return_line(button.latest_message["text"], dispatcher, button, domain) == {
        "return_line": order.lines[1].line_id
    }

    filled = {**slots, "return_line": order.lines[1].line_id, "return_reason": "Too small"}
    messages, events = await run_action(ActionSubmitReturn(), tracker(sender, "Too small", slots=filled), domain)
    assert "is registered" in texts(messages)
    assert slots_set(events)["return_ready"] is False
    assert shop.get_order(who, created.order_id).status == "return_requested"

    messages, _ = await run_action(ActionRefundStatus(), tracker(sender, "where is my refund", "refund_status"), domain)
    assert "no refunds" in texts(messages)

    _admin(created.order_id, "returned")
    messages, _ = await run_action(ActionRefundStatus(), tracker(sender, "where is my refund", "refund_status"), domain)
    amount = f"{order.lines[1].line_total:.2f} {order.currency}"
    assert f"{amount} for order {created.order_id}: on its way" in texts(messages)

    _admin(created.order_id, "refunded")
    messages, _ = await run_action(ActionRefundStatus(), tracker(sender, "where is my refund", "refund_status"), domain)
    assert f"{amount} for order {created.order_id}: paid back on" in texts(messages)


@pytest.mark.parametrize(("said", "intent"), [("never mind", "deny"), ("no", "deny"), ("stop", "stop"),
                                              ("cancel the return", "cancel_order")])
async def test_the_return_reason_question_can_be_left(said: str, intent: str, sender: str,
                                                       domain: dict[str, Any]) -> None:
    messages, slots = await run_form_validation(ValidateReturnForm(), "return_reason", said, intent, sender, domain)
    # The words are not kept as the reason: the submit action sees no reason and submits nothing.
    assert slots == {"return_reason": None, "requested_slot": None}
    assert messages == []


async def test_a_reason_that_starts_with_no_is_a_reason(sender: str, domain: dict[str, Any]) -> None:
    said = "no longer fits me since I lost weight"
    asked = tracker(sender, said, "deny", slots={"requested_slot": "return_reason"})
    assert await ValidateReturnForm().validate_return_reason(said, CollectingDispatcher(), asked, domain) == {
        "return_reason": said}


async def test_a_refund_request_is_guided_to_cancel_or_return(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    created = _order(shop, f"rest:{sender}")
    messages, _ = await run_action(
        ActionRequestRefund(), tracker(sender, "I want my money back", "request_refund"), domain
    )
    assert messages[0]["buttons"] == [
        {"title": "Cancel the order", "payload": f'/cancel_order{{"order_id":"{created.order_id}"}}'}
    ]

    delivered = _delivered_order(shop, f"rest:{sender}-2")
    asked = tracker(
        f"{sender}-2", f"refund {delivered.order_id}", "request_refund", [entity("order_id", delivered.order_id)]
    )
    messages, _ = await run_action(ActionRequestRefund(), asked, domain)
    assert messages[0]["buttons"][0]["payload"] == f'/return_item{{"order_id":"{delivered.order_id}"}}'


# --- the shop is down -----------------------------------------------------------------

EVERY_SLOT = {
    **CHECKOUT_SLOTS,
    "confirming": "cancellation",
    "order_id": "BT-7K3MZQ2P",
    "new_shipping_address": ADDRESS,
    "return_order_id": "BT-7K3MZQ2P",
    "return_line": "all",
    "return_reason": "Too small",
}


@pytest.mark.parametrize(
    "action_class",
    [
        ActionPrepareCheckout,
        checkout.ActionAskDeliveryOption,
        checkout.ActionAskPaymentMethod,
        ActionCheckoutSummary,
        ActionPlaceOrder,
        ActionOrderStatus,
        ActionReviewCancellation,
        ActionCancelOrder,
        orders.ActionReviewOrderChange,
        ActionReviewAddressChange,
        ActionGetInvoice,
        ActionPaymentUpdate,
        ActionPaymentFailed,
        orders.ActionShowDeliveryOptions,
        orders.ActionShowPaymentMethods,
        ActionStartReturn,
        returns.ActionAskReturnOrderId,
        returns.ActionAskReturnLine,
        ActionSubmitReturn,
        ActionRequestRefund,
        ActionRefundStatus,
    ],
)
@pytest.mark.usefixtures("shop_down")
async def test_every_commerce_action_says_plainly_when_the_shop_is_down(
    action_class: type, sender: str, domain: dict[str, Any]
) -> None:
    messages, _ = await run_action(action_class(), tracker(sender, "hello", "greet", slots=EVERY_SLOT), domain)

    assert "can't reach the shop" in texts(messages)


@pytest.mark.usefixtures("shop_down")
async def test_a_confirmed_address_change_says_plainly_when_the_shop_is_down(
    sender: str, domain: dict[str, Any]
) -> None:
    slots = {**EVERY_SLOT, "confirming": "address"}
    messages, _ = await run_action(ActionConfirmAddressChange(), tracker(sender, "yes", "affirm", slots=slots), domain)

    assert "can't reach the shop" in texts(messages)


async def test_change_order_offers_what_can_change(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    created = _order(shop, f"rest:{sender}")

    messages, events = await run_action(
        orders.ActionReviewOrderChange(), tracker(sender, "can I re-order my stuff", "change_order"), domain
    )

    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert f'/change_shipping_address{{"order_id":"{created.order_id}"}}' in payloads
    assert f'/cancel_order{{"order_id":"{created.order_id}"}}' in payloads
    assert slots_set(events) == {"order_id": created.order_id}


async def test_an_unpaid_orders_delivery_changes_from_a_button_or_in_words(
    shop: ShopClient, sender: str, domain: dict[str, Any]
) -> None:
    who = f"rest:{sender}"
    created = _order(shop, who)  # standard delivery, waiting for payment

    offered, _ = await run_action(orders.ActionReviewOrderChange(), tracker(sender, "change my order", "change_order"),
                                  domain)
    payloads = [b["payload"] for b in offered[0]["buttons"]]
    express = f'/change_order{{"order_id":"{created.order_id}","delivery_code":"express"}}'
    assert express in payloads
    assert not any('"delivery_code":"standard"' in p for p in payloads)  # not the one it already has

    pressed = tracker(sender, express, "change_order",
                      [entity("order_id", created.order_id), entity("delivery_code", "express")])
    changed, events = await run_action(orders.ActionReviewOrderChange(), pressed, domain)

    order = shop.get_order(who, created.order_id)
    assert order.delivery_option == "express"
    assert order.total != created.total  # express costs more than the free standard delivery
    assert f"order {created.order_id} now comes by Express" in texts(changed)
    assert slots_set(events) == {"order_id": created.order_id}

    typed = tracker(sender, f"switch order {created.order_id} to next day delivery", "change_order",
                    [entity("order_id", created.order_id)])
    await run_action(orders.ActionReviewOrderChange(), typed, domain)
    assert shop.get_order(who, created.order_id).delivery_option == "next_day"


async def test_a_paid_orders_delivery_stays(shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    who = f"rest:{sender}"
    created = _order(shop, who)
    _pay(created.payment_url)

    pressed = tracker(sender, "/change_order", "change_order",
                      [entity("order_id", created.order_id), entity("delivery_code", "express")])
    messages, _ = await run_action(orders.ActionReviewOrderChange(), pressed, domain)

    assert "is paid, so its delivery option can't change" in texts(messages)
    assert shop.get_order(who, created.order_id).delivery_option == "standard"
