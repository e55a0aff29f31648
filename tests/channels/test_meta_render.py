"""The Messenger and WhatsApp renderers within each platform's limits, and never a button lost
(channels/messenger.py, channels/whatsapp.py, channels/text.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.clients.shop import Cart, CartLine, ProductDetails, ProductSummary
from actions.responses import BotMessage, button, cart_summary, product_cards, product_details, url_button
from channels import messenger as fb
from channels import whatsapp as wa
from channels.messenger import render_messenger
from channels.text import ELLIPSIS, shorten, split_text
from channels.whatsapp import render_whatsapp
from tests.channels.junk import fuzz

TITLES = ["Women's running shoes and accessories", "Kids", "Home & kitchen, garden and more",
          "Supercalifragilisticexpialidocious", "Sale", "Très élégant — robes d'été"]


def neutral(message: BotMessage) -> dict[str, Any]:
    """What Rasa hands an output channel for a message the actions send."""
    return {"text": message.text, "buttons": message.buttons or None, "custom": message.custom}


def summary(n: int, image: str | None = None) -> ProductSummary:
    return ProductSummary(f"SH-{n:03d}", f"Trailblazer Waterproof Hiking Boot Edition {n}", "shoes", "Montagna",
                          Decimal("129.90"), "EUR", [], [], True, image or f"https://cdn.example.com/SH-{n:03d}.png")


def with_buttons(count: int, text: str = "Pick one:") -> dict[str, Any]:
    return neutral(BotMessage(text, [button(f"{TITLES[n % len(TITLES)]} {n}", "search_product", department=n)
                                     for n in range(count)]))


# --- words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "limit", "expected"), [
    ("Women's running shoes and accessories", 20, "Women's running…"),
    ("Home & kitchen, garden", 16, "Home & kitchen…"),
    ("Add to cart", 20, "Add to cart"),
    ("  Add   to\ncart ", 20, "Add to cart"),
    ("Supercalifragilisticexpialidocious", 20, "Supercalifragilisti…"),  # one word longer than the room
    ("Trailblazer Waterproof Hiking Boot", 24, "Trailblazer Waterproof…"),
    ("Trailblazer Waterproof Hiking", 23, "Trailblazer Waterproof…"),  # the word ends where the room does
])
def test_a_title_is_shortened_after_a_whole_word(title: str, limit: int, expected: str) -> None:
    assert shorten(title, limit) == expected and len(expected) <= limit


@fuzz(300)
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80), st.integers(2, 40))
def test_shorten_keeps_whole_words_within_the_limit(title: str, limit: int) -> None:
    short = shorten(title, limit)
    assert len(short) <= limit
    words = " ".join(title.split())
    if short != words:
        kept = short.removesuffix(ELLIPSIS)
        assert short.endswith(ELLIPSIS) and words.startswith(kept)
        first_word = words.split(" ")[0]
        # Cut only between words, unless the first word alone is longer than the room.
        assert len(first_word) > limit - 1 or words[len(kept.rstrip()):][:1] in (" ", ",", ";", ":", "-", "–", "—",
                                                                                  "(", "/") or kept != kept.rstrip()


@fuzz(200)
@given(st.lists(st.sampled_from(["word", "a", "longer words here.", "\n", "\n\n", "x" * 50, "é😀", "Ok!"]),
                max_size=400), st.sampled_from([20, 100, 1024, 2000, 4096]))
def test_split_text_keeps_every_word_and_the_limit(parts: list[str], limit: int) -> None:
    text = " ".join(parts)
    pieces = split_text(text, limit)
    assert all(0 < len(piece) <= limit for piece in pieces)
    if all(len(word) <= limit for word in text.split()):
        assert " ".join(pieces).split() == text.split()  # no word cut, none lost
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_a_long_text_is_split_between_paragraphs_first() -> None:
    paragraphs = [f"Paragraph {n}. " + "Some words about boots. " * 60 for n in range(5)]
    pieces = split_text("\n\n".join(paragraphs), wa.MAX_TEXT)
    assert all(len(p) <= wa.MAX_TEXT for p in pieces)
    # Two paragraphs (1,454 characters each) fit in a piece, three do not: split only between them.
    assert [p.count("Paragraph ") for p in pieces] == [2, 2, 1]
    assert all(p.startswith("Paragraph ") and p.endswith("boots.") for p in pieces)


# --- Messenger ------------------------------------------------------------------------------------


def messenger_payloads(rendered: list[dict[str, Any]]) -> list[str]:
    payloads = []
    for message in rendered:
        payload = message.get("attachment", {}).get("payload", {})
        for element in payload.get("elements", []):
            payloads += [b.get("payload") or b.get("url") for b in element.get("buttons", [])]
        payloads += [b.get("payload") or b.get("url") for b in payload.get("buttons", [])]
        payloads += [q["payload"] for q in message.get("quick_replies", [])]
    return payloads


def check_messenger_limits(rendered: list[dict[str, Any]]) -> None:
    for message in rendered:
        assert len(message.get("text", "")) <= fb.MAX_TEXT
        assert len(message.get("quick_replies", [])) <= fb.MAX_QUICK_REPLIES
        assert all(len(q["title"]) <= fb.MAX_TITLE for q in message.get("quick_replies", []))
        payload = message.get("attachment", {}).get("payload", {})
        if payload.get("template_type") == "button":
            assert 1 <= len(payload["buttons"]) <= fb.MAX_TEMPLATE_BUTTONS
            assert 0 < len(payload["text"]) <= fb.MAX_TEMPLATE_TEXT
        if payload.get("template_type") == "generic":
            assert 1 <= len(payload["elements"]) <= fb.MAX_CARDS
            for element in payload["elements"]:
                assert len(element["title"]) <= fb.MAX_CARD_TEXT
                assert len(element.get("subtitle", "")) <= fb.MAX_CARD_TEXT
                assert len(element.get("buttons", [])) <= fb.MAX_TEMPLATE_BUTTONS
        for b in payload.get("buttons", []) + [b for e in payload.get("elements", []) for b in e.get("buttons", [])]:
            assert len(b["title"]) <= fb.MAX_TITLE


def test_messenger_thirteen_buttons_are_quick_replies_under_the_text() -> None:
    rendered = render_messenger(with_buttons(13))
    assert len(rendered) == 1
    assert rendered[0]["text"].startswith("Pick one:\n1. Women's running shoes and accessories 0\n")
    replies = rendered[0]["quick_replies"]
    # Titles shortening makes alike are numbered, the text naming them in full (button_titles).
    assert len(replies) == 13 and replies[0] == {"content_type": "text", "title": "1. Women's running…",
                                                 "payload": '/search_product{"department":"0"}'}
    assert replies[1]["title"] == "Kids 1" and len({reply["title"] for reply in replies}) == 13
    check_messenger_limits(rendered)


def test_messenger_fourteen_buttons_become_button_templates_three_by_three() -> None:
    rendered = render_messenger(with_buttons(14))
    assert list(rendered[0]) == ["text"] and rendered[0]["text"].startswith("Pick one:\n1. ")
    templates = [m["attachment"]["payload"] for m in rendered[1:]]
    assert [len(t["buttons"]) for t in templates] == [3, 3, 3, 3, 2]
    assert messenger_payloads(rendered) == [f'/search_product{{"department":"{n}"}}' for n in range(14)]
    check_messenger_limits(rendered)


def test_messenger_cards_become_carousels_of_ten_numbered_as_in_the_text() -> None:
    message = neutral(product_cards([summary(n) for n in range(1, 26)], "Here are boots:", first_number=6))
    rendered = render_messenger(message)
    assert rendered[0] == {"text": "Here are boots:"}
    carousels = [m["attachment"]["payload"]["elements"] for m in rendered[1:]]
    assert [len(c) for c in carousels] == [10, 10, 5]
    assert [e["title"] for c in carousels for e in c][:2] == ["6. Trailblazer Waterproof Hiking Boot Edition 1",
                                                              "7. Trailblazer Waterproof Hiking Boot Edition 2"]
    assert len(messenger_payloads(rendered)) == 50
    check_messenger_limits(rendered)


def test_messenger_product_details_keep_the_text_and_svg_images_are_left_out() -> None:
    details = ProductDetails(**summary(1, "http://127.0.0.1:8100/images/SH-001.svg").__dict__,
                             description="Waterproof leather.", variants=[])
    rendered = render_messenger(neutral(product_details(details)))
    assert rendered[0]["text"].startswith("Trailblazer Waterproof Hiking Boot Edition 1 — Montagna")
    element = rendered[1]["attachment"]["payload"]["elements"][0]
    assert "image_url" not in element  # Meta neither fetches loopback URLs nor shows SVG
    assert [b["title"] for b in element["buttons"]] == ["Details", "Add to cart"]


@pytest.mark.parametrize(("image", "shown"), [
    ("https://shop.example.com/images/SH-001.png", True),  # the shop's PNG under a public PUBLIC_BASE_URL
    ("https://shop.example.com/bottega/images/SH-001.png", True),
    ("http://127.0.0.1:8100/images/SH-001.png", False),  # PUBLIC_BASE_URL unset: Meta cannot fetch it
    ("https://shop.example.com/images/SH-001.svg", False),  # Meta shows no SVG
])
def test_the_shops_picture_is_on_the_card_only_where_meta_can_fetch_and_show_it(image: str, shown: bool) -> None:
    details = ProductDetails(**summary(1, image).__dict__, description="Waterproof leather.", variants=[])
    cards = render_messenger(neutral(product_cards([summary(1, image), summary(2, image)], "Found:")))
    [carousel] = [m["attachment"]["payload"] for m in cards if "attachment" in m]
    assert [e.get("image_url") for e in carousel["elements"]] == ([image, image] if shown else [None, None])
    [card] = [m["interactive"] for m in render_whatsapp(neutral(product_details(details)))]
    assert card.get("header") == ({"type": "image", "image": {"link": image}} if shown else None)
    assert [b["reply"]["title"] for b in card["action"]["buttons"]] == ["Details", "Add to cart"]


def test_messenger_links_go_in_button_templates_and_a_long_text_before_them() -> None:
    links = [url_button(f"Invoice {n}", f"https://shop.example.com/invoice/{n}") for n in range(4)]
    rendered = render_messenger(neutral(BotMessage("Your invoices:", links)))
    assert [len(m["attachment"]["payload"]["buttons"]) for m in rendered] == [3, 1]
    assert rendered[0]["attachment"]["payload"]["text"] == "Your invoices:"
    long = render_messenger(neutral(BotMessage("Your order. " * 100, links[:1])))
    assert [m.get("text", "")[:10] for m in long[:-1]] == ["Your order"]
    assert long[-1]["attachment"]["payload"]["text"] == fb.LINKS_PROMPT
    check_messenger_limits(long)


def test_messenger_a_payload_too_long_to_send_is_still_offered_in_words() -> None:
    huge = {"title": "Everything", "payload": "/search_product" + json.dumps({"q": "x" * 1200})}
    rendered = render_messenger({"text": "Choose:", "buttons": [huge, {"title": "Kids", "payload": "/kids"}]})
    assert rendered[0]["text"] == "Choose:\n- Everything"
    assert [q["payload"] for q in rendered[0]["quick_replies"]] == ["/kids"]


# --- WhatsApp -------------------------------------------------------------------------------------


def whatsapp_ids(rendered: list[dict[str, Any]]) -> list[str]:
    ids = []
    for message in rendered:
        interactive = message.get("interactive", {})
        action = interactive.get("action", {})
        ids += [b["reply"]["id"] for b in action.get("buttons", [])]
        ids += [r["id"] for s in action.get("sections", []) for r in s.get("rows", [])]
        if interactive.get("type") == "cta_url":
            ids.append(action["parameters"]["url"])
    return ids


def check_whatsapp_limits(rendered: list[dict[str, Any]]) -> None:
    for message in rendered:
        if message["type"] == "text":
            assert 0 < len(message["text"]["body"]) <= wa.MAX_TEXT
            continue
        if message["type"] == "image":
            continue
        interactive = message["interactive"]
        assert 0 < len(interactive["body"]["text"]) <= wa.MAX_BODY
        action = interactive["action"]
        if interactive["type"] == "button":
            assert 1 <= len(action["buttons"]) <= wa.MAX_REPLY_BUTTONS
            titles = [b["reply"]["title"] for b in action["buttons"]]
            assert all(len(t) <= wa.MAX_BUTTON_TITLE for t in titles) and len(set(titles)) == len(titles)
        elif interactive["type"] == "list":
            rows = [r for s in action["sections"] for r in s["rows"]]
            assert 1 <= len(rows) <= wa.MAX_ROWS and len(action["button"]) <= wa.MAX_BUTTON_TITLE
            assert all(len(r["title"]) <= wa.MAX_ROW_TITLE and len(r.get("description", "")) <= wa.MAX_ROW_DESCRIPTION
                       and len(r["id"]) <= wa.MAX_ROW_ID for r in rows)
            assert len({r["id"] for r in rows}) == len(rows)
        else:
            assert interactive["type"] == "cta_url" and len(action["parameters"]["display_text"]) <= wa.MAX_BUTTON_TITLE


def test_whatsapp_three_short_buttons_are_reply_buttons() -> None:
    message = neutral(BotMessage("Shall I place the order?", [button("Yes", "affirm"), button("No", "deny"),
                                                               button("Change address", "change_shipping_address")]))
    rendered = render_whatsapp(message)
    assert len(rendered) == 1 and rendered[0]["interactive"]["type"] == "button"
    assert [b["reply"] for b in rendered[0]["interactive"]["action"]["buttons"]] == [
        {"id": "/affirm", "title": "Yes"}, {"id": "/deny", "title": "No"},
        {"id": "/change_shipping_address", "title": "Change address"}]


def test_whatsapp_a_title_too_long_for_a_button_makes_a_list_that_keeps_the_whole_title() -> None:
    rendered = render_whatsapp(with_buttons(2))
    rows = rendered[0]["interactive"]["action"]["sections"][0]["rows"]
    assert rendered[0]["interactive"]["type"] == "list"
    assert rows[0] == {"id": '/search_product{"department":"0"}', "title": "Women's running shoes…",
                       "description": "Women's running shoes and accessories 0"}
    check_whatsapp_limits(rendered)


def test_whatsapp_twenty_five_options_are_lists_of_ten() -> None:
    rendered = render_whatsapp(with_buttons(25))
    assert [len(m["interactive"]["action"]["sections"][0]["rows"]) for m in rendered] == [10, 10, 5]
    assert rendered[0]["interactive"]["body"]["text"] == "Pick one:"
    assert rendered[1]["interactive"]["body"]["text"] == wa.MORE_OPTIONS
    assert whatsapp_ids(rendered) == [f'/search_product{{"department":"{n}"}}' for n in range(25)]
    check_whatsapp_limits(rendered)


def test_whatsapp_product_details_are_reply_buttons_with_the_image() -> None:
    details = ProductDetails(**summary(1).__dict__, description="Waterproof leather.", variants=[])
    rendered = render_whatsapp(neutral(product_details(details)))
    interactive = rendered[0]["interactive"]
    assert interactive["header"] == {"type": "image", "image": {"link": "https://cdn.example.com/SH-001.png"}}
    assert interactive["body"]["text"].startswith("Trailblazer Waterproof Hiking Boot Edition 1 — Montagna")
    assert [b["reply"]["title"] for b in interactive["action"]["buttons"]] == ["Details", "Add to cart"]


def test_whatsapp_a_long_text_is_split_at_4096() -> None:
    rendered = render_whatsapp({"text": "All about our return policy. " * 400})
    assert len(rendered) == 3 and all(m["type"] == "text" for m in rendered)
    check_whatsapp_limits(rendered)


def test_whatsapp_a_pay_link_alone_is_a_cta_url_with_the_text() -> None:
    rendered = render_whatsapp(neutral(BotMessage("Pay within 60 minutes:",
                                                  [url_button("Pay now", "https://shop.example.com/pay/X")])))
    assert rendered == [{"type": "interactive", "interactive": {
        "type": "cta_url", "body": {"text": "Pay within 60 minutes:"},
        "action": {"name": "cta_url", "parameters": {"display_text": "Pay now",
                                                     "url": "https://shop.example.com/pay/X"}}}}]


# --- any message --------------------------------------------------------------------------------

_titles = st.one_of(st.sampled_from(TITLES), st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
                                                     min_size=1, max_size=60).filter(str.strip))


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    text = draw(st.sampled_from(["", "Here you are:", "Words. " * 200, "A very long line. " * 400]))
    buttons = [button(title, "pick", n=n) for n, title in enumerate(draw(st.lists(_titles, max_size=30)))]
    links = [url_button(title, f"https://shop.example.com/{n}") for n, title in
             enumerate(draw(st.lists(_titles, max_size=4)))]
    cards = draw(st.integers(0, 25))
    if cards:
        message = product_cards([summary(n) for n in range(1, cards + 1)], text or "Found:")
        return neutral(BotMessage(message.text, buttons + links, message.custom))
    return neutral(BotMessage(text or None, buttons + links))


def offered(message: dict[str, Any], whatsapp: bool) -> list[str]:
    """Every payload and link of a neutral message a shopper must be able to reach."""
    cards = (message.get("custom") or {}).get("cards", [])
    found = []
    for card in cards:
        card_buttons = [b.get("payload") or b.get("url") for b in card["buttons"]]
        found += card_buttons[:1] if whatsapp and len(cards) > 1 else card_buttons  # WhatsApp: a row opens details
    return found + [b.get("payload") or b["url"] for b in message.get("buttons") or []]


@fuzz(150)
@given(messages())
def test_every_message_renders_within_the_limits_and_loses_no_button(message: dict[str, Any]) -> None:
    on_messenger = render_messenger(message)
    check_messenger_limits(on_messenger)
    assert sorted(messenger_payloads(on_messenger)) == sorted(offered(message, whatsapp=False))
    on_whatsapp = render_whatsapp(message)
    check_whatsapp_limits(on_whatsapp)
    assert sorted(set(whatsapp_ids(on_whatsapp))) == sorted(set(offered(message, whatsapp=True)))
    for rendered in (on_messenger, on_whatsapp):
        assert rendered or not (message.get("text") or message.get("buttons") or message.get("custom"))


# --- titles that shortening makes alike ---------------------------------------------------------


def _boot(size: str) -> CartLine:
    return CartLine(f"line-{size}", "SH-001", "Trailblazer Waterproof Hiking Boot", size, "black", 1,
                    Decimal("129.90"), Decimal("129.90"), None)


def test_messenger_cart_lines_of_one_product_get_buttons_that_tell_them_apart() -> None:
    cart = Cart("messenger:39347000001", [_boot("42"), _boot("43")], Decimal("259.80"), "EUR", 2)
    rendered = render_messenger(neutral(cart_summary(cart)))
    replies = rendered[-1]["quick_replies"]
    titles = [reply["title"] for reply in replies]
    assert len(set(titles)) == len(titles), titles  # no two alike
    removes = [reply for reply in replies if reply["payload"].startswith("/remove_from_cart")]
    assert [r["title"] for r in removes] == ["1. Remove…", "2. Remove…"]
    # The text says in full which is which, under the buttons' numbers, in the buttons' order.
    text = "\n".join(message.get("text", "") for message in rendered)
    first, second = (json.loads(r["payload"].removeprefix("/remove_from_cart")) for r in removes)
    assert first["size"] == "42" and second["size"] == "43"
    assert "1. Remove Trailblazer Waterproof Hiking Boot (size 42, black)" in text.splitlines()
    assert "2. Remove Trailblazer Waterproof Hiking Boot (size 43, black)" in text.splitlines()
    check_messenger_limits(rendered)


def test_messenger_titles_that_stay_distinct_are_only_shortened_and_the_text_is_left_alone() -> None:
    message = neutral(BotMessage("Pick one:", [button("Women's running shoes and accessories", "a"),
                                              button("Home & kitchen, garden and more", "b"), button("Kids", "c"),
                                              button("Kids", "d")]))  # alike in full: nothing to tell apart
    [rendered] = render_messenger(message)
    assert rendered["text"] == "Pick one:"
    assert [r["title"] for r in rendered["quick_replies"]] == ["Women's running…", "Home & kitchen…", "Kids", "Kids"]


def test_messenger_postback_buttons_that_shortening_makes_alike_are_numbered_too() -> None:
    buttons = [button(f"Trailblazer Waterproof Hiking Boot, size {size}", "pick", size=size) for size in range(35, 49)]
    rendered = render_messenger(neutral(BotMessage("Which size?", buttons)))
    titles = [b["title"] for m in rendered[1:] for b in m["attachment"]["payload"]["buttons"]]
    assert titles == [f"{n}. Trailblazer…" for n in range(1, 15)]
    assert rendered[0]["text"].splitlines() == ["Which size?", *(
        f"{n}. Trailblazer Waterproof Hiking Boot, size {size}" for n, size in enumerate(range(35, 49), 1))]
    check_messenger_limits(rendered)
