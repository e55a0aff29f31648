"""Each flow as the shopper reads it: discover, cart, checkout, orders, returns, care, erasure,
fallback, over the REST channel against the whole stack (hand-off and erasure in the browser are
test_handoff.py's; the understanding of unfamiliar wording is test_understanding.py's).

Every reply is checked for what must never reach a shopper who did nothing wrong: an apology, a
validation message about something they did not type, an error, an empty answer.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from .chat import buttons, cards, chat, no_trouble, say, texts
from .conftest import Stack, http_json

ADDRESS = "Via Roma 1, 20121 Milano, Italy"


def clean(replies: list[dict[str, Any]]) -> str:
    """The replies' text, after checking that nothing in it apologises or complains."""
    no_trouble(replies)
    said = texts(replies)
    assert said.strip(), "an empty answer"
    for bad in ("Sorry", "too short", "looks like a question", "something went wrong", "went wrong"):
        assert bad not in said, f"unexpected {bad!r} in:\n{said}"
    return said


def test_the_rest_channel_answers_only_its_token(stack: Stack) -> None:
    # What credentials.yml configures: nobody who reaches Rasa's port without the token speaks as
    # `rest:<sender>` (channels/rest.py; tests/channels/test_rest_channel.py has the details).
    webhook, body = f"{stack.rasa_url}/webhooks/rest/webhook", {"sender": chat(stack), "message": "hi"}
    for token in (None, "wrong-" + stack.rest_token, stack.desk_token, stack.rasa_token):
        status, refused = http_json("POST", webhook, token, body=body)
        assert status == 401 and refused["code"] == "unauthorized", (status, refused)
    status, refused = http_json("POST", webhook, stack.rest_token, body={"sender": chat(stack)})
    assert status == 400 and refused["code"] == "missing_message"
    assert clean(say(stack, body["sender"], "hi"))
    assert stack.rest_token not in stack.log.read_text()


def add_a_kettle(stack: Stack, sender: str, colour: str = "Black") -> None:
    assert cards(say(stack, sender, "show me kettles")), "the seed catalogue sells kettles"
    asked = say(stack, sender, "add the first one")
    assert f"'{colour}'" in str(buttons(asked)) or colour in buttons(asked), texts(asked)
    added = clean(say(stack, sender, colour.lower()))
    assert f"({colour})" in added and "to your cart" in added, added


def place_an_order(stack: Stack, sender: str) -> tuple[str, str]:
    """(order id, pay link) of a kettle ordered through the whole checkout."""
    add_a_kettle(stack, sender)
    assert clean(say(stack, sender, "checkout")).startswith("Where should we deliver it?")
    assert clean(say(stack, sender, ADDRESS)).startswith("How should we deliver it?")
    assert clean(say(stack, sender, "standard")).startswith("How would you like to pay?")
    summary = say(stack, sender, "card")
    said = clean(summary)
    assert "Here's your order" in said and ADDRESS in said and "Total:" in said, said
    assert buttons(summary) == ["Yes, place the order", "No, not yet"]
    placed = say(stack, sender, "yes")
    said = clean(placed)
    found = re.search(r"Your order (BT-\w+) is placed", said)
    assert found, said
    pay = [b for r in placed for b in r.get("buttons") or [] if str(b.get("title")).startswith("Pay ")]
    assert pay and pay[0].get("url"), buttons(placed)
    return found.group(1), str(pay[0]["url"])


def test_checkout_asks_each_question_once_and_gives_the_pay_link(stack: Stack) -> None:
    place_an_order(stack, chat(stack))


def test_checkout_can_be_left_and_the_cart_is_kept(stack: Stack) -> None:
    sender = chat(stack)
    add_a_kettle(stack, sender)
    clean(say(stack, sender, "I'd like to check out"))
    left = clean(say(stack, sender, "never mind"))
    assert "placed no order" in left and "cart is kept" in left, left
    assert "Russell Hobbs" in clean(say(stack, sender, "what's in my cart"))


def test_a_question_about_delivery_or_paying_in_the_middle_of_checkout_is_answered(stack: Stack) -> None:
    sender = chat(stack)
    add_a_kettle(stack, sender)
    assert clean(say(stack, sender, "checkout")).startswith("Where should we deliver it?")
    # Heard in a shopper trial: "That looks like a question rather than an address", and no answer.
    for question, answer in (("can i get it by friday", "You'll pick one right after the address."),
                             ("hang on, do you take paypal?", "You'll pick one after the delivery")):
        replies = say(stack, sender, question)
        said = clean(replies)
        # The answer for someone in the middle of checkout, then the address question again (once),
        # and no button that would leave the checkout.
        assert answer in said and "You choose at checkout" not in said, said
        assert said.count("Where should we deliver it?") == 1, said
        assert said.index(answer) < said.index("Where should we deliver it?"), said
        assert "Track my order" not in buttons(replies), buttons(replies)
    assert clean(say(stack, sender, ADDRESS)).startswith("How should we deliver it?")


def test_the_cart_removes_the_line_named_by_its_colour(stack: Stack) -> None:
    sender = chat(stack)
    add_a_kettle(stack, sender, "Black")
    add_a_kettle(stack, sender, "White")
    removed = clean(say(stack, sender, "remove the white one"))
    assert "Removed" in removed and "(White)" in removed, removed
    cart = clean(say(stack, sender, "show my cart"))
    assert "(Black)" in cart and "(White)" not in cart, cart


def test_an_order_is_tracked_and_a_cancellation_asked_first(stack: Stack) -> None:
    sender = chat(stack)
    order_id, _ = place_an_order(stack, sender)
    status = clean(say(stack, sender, "where is my order"))
    assert order_id in status and "waiting for payment" in status, status
    asked = say(stack, sender, f"cancel order {order_id}")
    assert order_id in clean(asked) and buttons(asked), texts(asked)
    kept = clean(say(stack, sender, "no"))
    assert order_id in kept or "kept" in kept.lower() or "won't" in kept, kept


def test_a_new_address_is_confirmed_first_and_can_be_left(stack: Stack) -> None:
    sender = chat(stack)
    order_id, _ = place_an_order(stack, sender)
    asked = clean(say(stack, sender, "I want to change my delivery address"))
    assert f"What's the new delivery address for {order_id}?" in asked, asked
    left = clean(say(stack, sender, "I want to cancel it instead"))
    assert f"left the address of {order_id} as it was" in left and "cancel my order" in left, left

    clean(say(stack, sender, "change the delivery address please"))
    confirm = say(stack, sender, "Via Po 3, 10123 Torino")
    assert clean(confirm) == f"Send order {order_id} to this address instead?\nVia Po 3, 10123 Torino"
    assert buttons(confirm) == ["Yes, change it", "No, keep the old one"]
    changed = clean(say(stack, sender, "yes"))
    assert f"order {order_id} now goes to Via Po 3, 10123 Torino" in changed, changed


def test_a_return_without_a_delivered_order_says_why(stack: Stack) -> None:
    said = clean(say(stack, chat(stack), "I want to return something"))
    assert "no delivered orders" in said and "30 days" in said, said


def test_a_quantity_over_the_limit_says_the_limit(stack: Stack) -> None:
    sender = chat(stack)
    say(stack, sender, "show me kettles")
    replies = say(stack, sender, "add 500 of the first one")
    no_trouble(replies)
    assert texts(replies) == "Sorry, the shop can't take that quantity: it can be at most 20."


def test_stop_during_the_colour_question_leaves_the_item_out_and_stays_subscribed(stack: Stack) -> None:
    sender = chat(stack)
    say(stack, sender, "show me kettles")
    say(stack, sender, "add the first one")
    said = clean(say(stack, sender, "stop"))
    assert "left" in said and "out" in said and "news or offers" not in said, said


def test_care_answers_where_and_when(stack: Stack) -> None:
    sender = chat(stack)
    hours = clean(say(stack, sender, "what are your opening hours in Milan"))
    assert "Milan" in hours, hours
    methods = clean(say(stack, sender, "which payment methods do you take"))
    assert "PayPal" in methods, methods


def test_erasure_is_asked_first_and_no_keeps_everything(stack: Stack) -> None:
    sender = chat(stack)
    asked = say(stack, sender, "delete my data")
    assert buttons(asked) == ["Yes, delete my data", "No, keep it"], texts(asked)
    kept = clean(say(stack, sender, "no"))
    assert "haven't deleted anything" in kept, kept


def test_what_the_bot_cannot_read_gets_a_way_on(stack: Stack) -> None:
    sender = chat(stack)
    unclear = say(stack, sender, "asdfgh qwerty")
    no_trouble_except_not_understood(unclear)
    assert buttons(unclear), texts(unclear)
    outside = say(stack, sender, "can you fix my bike")
    no_trouble(outside)
    assert "I'm Bottega's shop assistant" in texts(outside) and "Find a product" in buttons(outside)


def test_a_yes_or_no_that_answers_nothing_gets_a_way_on(stack: Stack) -> None:
    sender = chat(stack)
    say(stack, sender, "hi")
    for answer in ("ok", "no thanks", "yes"):
        replies = say(stack, sender, answer)
        no_trouble(replies)
        said = texts(replies)
        assert re.search(r"[Nn]othing('s| is)? (waiting|awaiting)", said), (answer, said)
        assert buttons(replies) == ["Browse departments", "My orders", "What can you do?"], (answer, said)
    # A real question still takes its yes or no.
    assert buttons(say(stack, sender, "delete my data")) == ["Yes, delete my data", "No, keep it"]
    assert "haven't deleted anything" in texts(say(stack, sender, "no thanks"))


def no_trouble_except_not_understood(replies: list[dict[str, Any]]) -> None:
    said = texts(replies)
    assert "not sure I understood" in said or "didn't quite get that" in said, said
    for bad in ("something went wrong", "Traceback"):
        assert bad not in said, said


def test_the_pay_link_opens_the_shops_pay_page(stack: Stack) -> None:
    order_id, pay_url = place_an_order(stack, chat(stack))
    page = requests.get(pay_url, timeout=30)
    assert page.status_code == 200 and order_id in page.text, page.status_code
