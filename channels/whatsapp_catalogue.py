"""A Meta catalogue on WhatsApp (WHATSAPP_CATALOG_ID, docs/channels.md): carts in, product messages out.

The catalogue's items carry the shop's SKUs as their retailer ids (Commerce Manager's Content ID).

In: an `order` message (a cart the shopper sent from the catalogue) becomes ORDER_PAYLOAD with
{CATALOG_ORDER: {"catalog_id", "items": [{"sku", "quantity"}], "left_out"}} metadata
(`order_lines`), which actions/catalog_order.py adds to the shop's cart. The message's item_price and
currency are left behind: the shop's prices count. A cart from another catalogue than ours is
answered with OTHER_CATALOGUE_REPLY by the channel (channels/whatsapp.py).

Out: product cards become the catalogue's messages (`catalogue_messages`): several a `product_list`
(a text header, the numbered lines as its body, sections "1–10", "11–20", "21–30"; ≤ 30 products and
≤ 10 sections in one list, the next 30 in another), one a `product` message followed by its card's
buttons. WhatsApp's product view and cart replace the cards' buttons; the cart comes back as an
order message.
"""

from __future__ import annotations

import re
from typing import Any

from channels.meta import expect
from channels.neutral import Card, cards_and_intro
from channels.text import clean_text, shorten

ORDER_PAYLOAD = "/add_to_cart"
CATALOG_ORDER = "catalog_order"  # the metadata key actions/catalog_order.py reads
OTHER_CATALOGUE_REPLY = ("Thanks for your order! That cart comes from a catalogue that isn't ours, so I can't take "
                         "it here. Tell me which products you'd like, and I'll put them in your cart.")
MAX_ORDER_ITEMS = 100  # lines of one cart message passed on; the rest are counted, and the shopper told
MAX_RETAILER_ID = 100  # Meta's limit for a catalogue item's retailer id
CATALOG_ID = re.compile(r"^\d{1,32}$")
MAX_PRODUCTS = 30  # a product_list's products, all sections together
MAX_SECTIONS = 10
# Sections "1–10", "11–20", "21–30": the numbers "add the 2nd one" uses; 3 of the 10 a list may have.
PRODUCTS_PER_SECTION = 10
MAX_HEADER = 60
MAX_SECTION_TITLE = 24
PRODUCTS_HEADER = "Products"
MORE_PRODUCTS = "More products"
PRODUCTS_PROMPT = "Tap a product to see it and put it in your WhatsApp cart."


def catalog_id_of(credentials: dict[str, Any]) -> str | None:
    """The catalogue id of credentials.yml's `catalog_id` (digits), None when empty; ValueError otherwise."""
    catalog = str(credentials.get("catalog_id") or "").strip() or None
    if catalog is not None and not CATALOG_ID.match(catalog):
        raise ValueError("channels.whatsapp.WhatsAppInput: `catalog_id` (WHATSAPP_CATALOG_ID) must be the "
                         "catalogue's id as Commerce Manager shows it (digits), or empty.")
    return catalog


def order_lines(order: dict[str, Any]) -> dict[str, Any]:
    """An order message's catalogue and lines as {"catalog_id", "items": [{"sku", "quantity"}], "left_out"}:
    the retailer id is the shop's SKU, quantities are passed on as sent (the action tells the shopper
    about one it cannot take), lines past MAX_ORDER_ITEMS are counted in `left_out`, and prices are
    left behind. BadPayload when a line is not Meta's shape."""
    catalog = order.get("catalog_id")
    items = []
    for item in expect(order.get("product_items"), list, "order.product_items"):
        item = expect(item, dict, "an order item")
        sku = clean_text(expect(item.get("product_retailer_id"), str, "product_retailer_id")).strip()
        quantity = item.get("quantity")
        if isinstance(quantity, str) and quantity.strip().isdigit() and len(quantity) <= 9:
            quantity = int(quantity)
        items.append({"sku": sku[:MAX_RETAILER_ID], "quantity": expect(quantity, int, "an order item's quantity")})
    return {"catalog_id": str(catalog) if isinstance(catalog, (str, int)) and not isinstance(catalog, bool) else "",
            "items": items[:MAX_ORDER_ITEMS], "left_out": max(0, len(items) - MAX_ORDER_ITEMS)}


def catalogue_messages(message: dict[str, Any], catalog_id: str,
                       max_body: int) -> tuple[str, list[dict[str, Any]], dict[str, Any]] | None:
    """(a text to send first, the product messages for a message's product cards, the rest of the
    message to render as usual), or None when it has no cards or a card without a SKU (then the
    cards stay list rows).

    Several cards: `product_list` messages, the intro as the header (its first line shortened when it
    does not fit, and then the whole text as the body) and the numbered lines as the body. One card:
    a `product` message with the text as its body, then the card's buttons. A body over `max_body`
    characters is the text to send first, and the list says what to do instead."""
    cards, intro = cards_and_intro(message)
    if not cards or any(card.sku is None for card in cards):
        return None
    rest: dict[str, Any] = {key: message[key] for key in ("buttons", "quick_replies", "image") if message.get(key)}
    text = str(message.get("text") or "").strip()
    header = PRODUCTS_HEADER
    if len(cards) > 1 and intro:
        header = shorten(intro.splitlines()[0], MAX_HEADER)
        if header == intro and text.startswith(intro):
            text = text.removeprefix(intro).strip()  # the header says it: the body keeps the numbered lines
    first = ""
    if len(text) > max_body:
        first, text = text, ""
    if len(cards) == 1:
        product: dict[str, Any] = {"type": "product",
                                   "action": {"catalog_id": catalog_id, "product_retailer_id": cards[0].sku}}
        if text:
            product["body"] = {"text": text}
        card_buttons = [{"title": c.title, "url": c.url} if c.url else {"title": c.title, "payload": c.payload}
                        for c in cards[0].choices]
        rest["buttons"] = [*card_buttons, *(rest.get("buttons") or [])]
        return first, [{"type": "interactive", "interactive": product}], rest
    lists = []
    for start in range(0, len(cards), MAX_PRODUCTS):
        chunk = cards[start:start + MAX_PRODUCTS]
        sections = [{"title": _section_title(chunk[at:at + PRODUCTS_PER_SECTION], start + at + 1),
                     "product_items": [{"product_retailer_id": card.sku}
                                       for card in chunk[at:at + PRODUCTS_PER_SECTION]]}
                    for at in range(0, len(chunk), PRODUCTS_PER_SECTION)]
        lists.append({"type": "interactive", "interactive": {
            "type": "product_list",
            "header": {"type": "text", "text": header if start == 0 else MORE_PRODUCTS},
            "body": {"text": (text or PRODUCTS_PROMPT) if start == 0 else PRODUCTS_PROMPT},
            "action": {"catalog_id": catalog_id, "sections": sections}}})
    return first, lists, rest


def _section_title(cards: list[Card], position: int) -> str:
    """"1–10" after the cards' own numbers (those of the text), or their places in the list."""
    first = cards[0].number if cards[0].number is not None else position
    last = cards[-1].number if cards[-1].number is not None else position + len(cards) - 1
    return shorten(f"{first}–{last}" if last != first else str(first), MAX_SECTION_TITLE)
