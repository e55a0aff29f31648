"""Channel-neutral messages the actions send.

A message is text, optional buttons and an optional `custom` payload. Rich content
(product cards) always comes with a plain-text rendering in `text`, so channels that
know nothing about the payload (REST, the Rasa shell) still show something readable;
a channel that renders the cards can drop the text of a message that has them.
Button payloads are Rasa's `/intent{"entity": "value"}` form, so a click needs no NLU.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.clients.shop import (
    Cart,
    CartLine,
    Department,
    ProductDetails,
    ProductQuery,
    ProductSummary,
    Variant,
)

Button = dict[str, str]

PRODUCT_CARDS = "product_cards"
MAX_BUTTONS = 10
# A message's `purpose` when it is a payment or order notice the shop triggered, not an answer:
# Messenger and WhatsApp may send those after their 24-hour window (channels/window.py).
ORDER_UPDATE = "order_update"


@dataclass(frozen=True)
class BotMessage:
    """One bot message: what every channel gets, whatever it can render."""

    text: str | None = None
    buttons: list[Button] = field(default_factory=list)
    custom: dict[str, Any] | None = None
    purpose: str | None = None  # ORDER_UPDATE, or None for an answer

    def send(self, dispatcher: CollectingDispatcher) -> None:
        # Extra keys reach the output channel: Rasa keeps them as the bot message's metadata.
        extra: dict[str, Any] = {"purpose": self.purpose} if self.purpose else {}
        dispatcher.utter_message(text=self.text, buttons=list(self.buttons) or None, json_message=self.custom,
                                 **extra)

    def as_order_update(self) -> BotMessage:
        return replace(self, purpose=ORDER_UPDATE)


# --- building blocks ----------------------------------------------------------------


def payload(intent: str, **entities: Any) -> str:
    """`/intent{"entity": "value"}`, leaving out entities whose value is None."""
    values = {name: str(value) for name, value in entities.items() if value is not None}
    if not values:
        return f"/{intent}"
    return f"/{intent}{json.dumps(values, separators=(',', ':'), ensure_ascii=False)}"


def button(title: str, intent: str, **entities: Any) -> Button:
    return {"title": title, "payload": payload(intent, **entities)}


def url_button(title: str, url: str) -> Button:
    """A button that opens a web page (the pay link, an invoice) instead of sending a message."""
    return {"title": title, "url": url, "type": "web_url"}


def format_price(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}".strip()


def describe_variant(size: str | None, color: str | None) -> str:
    """ "size 42, red" / "red" / "" — for "Nike Pegasus (size 42, red)"."""
    parts = [f"size {size}" if size else "", color or ""]
    return ", ".join(part for part in parts if part)


def describe_query(query: ProductQuery) -> str:
    """Say what was searched for, e.g. "red running shoes in size 42 under 100"."""
    # The brand once: "LEGO set", not "LEGO lego set" when the searched words already hold it.
    brand = query.brand if query.brand and query.brand.lower() not in (query.q or "").lower().split() else None
    words = " ".join(w for w in (query.color, brand, query.q) if w) or "products"
    if query.department:
        words += f" in {query.department}"
    if query.size:
        words += f" in size {query.size}"
    if query.min_price is not None and query.max_price is not None:
        words += f" between {query.min_price} and {query.max_price}"
    elif query.max_price is not None:
        words += f" under {query.max_price}"
    elif query.min_price is not None:
        words += f" over {query.min_price}"
    return words


# An order's status in words: "Order B-1 is on its way."
STATUS_WORDS = {
    "pending_payment": "waiting for payment",
    "paid": "paid and being prepared for shipping",
    "shipped": "on its way",
    "delivered": "delivered",
    "cancelled": "cancelled",
    "return_requested": "waiting for your return",
    "returned": "returned; your refund is being processed",
    "refunded": "refunded",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


def text(message: str, buttons: Sequence[Button] = ()) -> BotMessage:
    return BotMessage(text=message, buttons=list(buttons))


# --- catalog ------------------------------------------------------------------------


def _availability(in_stock: bool) -> str:
    return "in stock" if in_stock else "out of stock"


def _card(product: ProductSummary, subtitle: str) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "title": product.name,
        "subtitle": subtitle,
        "image_url": product.image_url,
        "buttons": [
            button("Details", "product_details", sku=product.sku),
            button("Add to cart", "add_to_cart", sku=product.sku),
        ],
    }


def _summary_line(product: ProductSummary) -> str:
    brand = f"{product.brand}, " if product.brand else ""
    return f"{brand}{format_price(product.price, product.currency)} ({_availability(product.in_stock)})"


def product_cards(products: Sequence[ProductSummary], intro: str, first_number: int = 1) -> BotMessage:
    """Numbered cards ("add the 2nd one" refers to these numbers) plus their text lines."""
    lines = [intro]
    lines += [
        f"{number}. {product.name} — {_summary_line(product)}"
        for number, product in enumerate(products, start=first_number)
    ]
    cards = [_card(product, _summary_line(product)) for product in products]
    return BotMessage(text="\n".join(lines), custom={"type": PRODUCT_CARDS, "cards": cards})


def more_results_hint(shown_until: int, total: int) -> BotMessage:
    return text(
        f'That\'s {shown_until} of {total}. Say "show more" to see the next ones, '
        'or "details of the first one" to look closer.',
        [button("Show more", "refine_search")],
    )


def no_more_results(query: ProductQuery) -> BotMessage:
    return text(
        f"That's everything I have for {describe_query(query)}. Try another search, or browse the departments.",
        [button("Browse departments", "browse_catalog")],
    )


def no_results(query: ProductQuery, near: Sequence[Department] = (), missing_kind: str | None = None) -> BotMessage:
    """Nothing matched: say so, and offer the nearest departments rather than unrelated products.
    `missing_kind`: the shop sells nothing of the kind named ("wireless socks": socks), so that is
    what the shopper is told, and leaving out a colour or a price would not help."""
    has_filters = any(
        value is not None for value in (query.brand, query.color, query.size, query.min_price, query.max_price)
    )
    described = missing_kind or describe_query(query)
    if has_filters and not missing_kind:
        hint = "Try leaving out the size, colour, brand or price, or browse the departments."
    elif len(near) == 1:
        hint = f"You could have a look around {near[0].name}, or tell me other words for it."
    else:
        hint = "Try other words, or browse the departments."
    buttons = [button(f"Browse {d.name}", "search_product", department=d.slug) for d in near if len(near) == 1]
    buttons.append(button("All departments", "browse_catalog"))
    return text(f"Sorry, we don't seem to have any {described}. {hint}", buttons)


def closest_matches_intro(query: ProductQuery) -> str:
    """No product has every word searched for: the shown ones only come close."""
    return f"Sorry, we don't seem to have any {describe_query(replace(query, department=None))}. These come closest:"


def nearest_price_intro(query: ProductQuery, shown: Sequence[ProductSummary]) -> str:
    """Nothing in the price range asked for; `shown` are the matches nearest to it."""
    if query.max_price is not None and all(p.price > query.max_price for p in shown):
        nearest = "The cheapest we have"
    elif query.min_price is not None and all(p.price < query.min_price for p in shown):
        nearest = "The dearest we have"
    else:
        nearest = "The nearest in price"
    return f"Sorry, we have no {describe_query(query)}. {nearest}:"


def ask_what_to_find() -> BotMessage:
    return text(
        'What are you looking for? Tell me a product, a brand or a department (e.g. "running shoes '
        'under 100"), or browse the departments.',
        [button("Browse departments", "browse_catalog")],
    )


def product_details(product: ProductDetails) -> BotMessage:
    lines = [f"{product.name} — {_summary_line(product)}"]
    if product.description:
        lines.append(product.description)
    if product.sizes:
        lines.append("Sizes: " + ", ".join(product.sizes))
    if product.colors:
        lines.append("Colours: " + ", ".join(product.colors))
    card = _card(product, _summary_line(product))
    card["description"] = product.description
    return BotMessage(text="\n".join(lines), custom={"type": PRODUCT_CARDS, "cards": [card]})


def departments(items: Iterable[Department]) -> BotMessage:
    items = list(items)
    if not items:
        return text("The shop has no departments to show right now.")
    lines = ["Here are our departments:"]
    lines += [f"- {d.name} ({d.product_count} products)" for d in items]
    buttons = [button(d.name, "search_product", department=d.slug) for d in items]
    return text("\n".join(lines), buttons[:MAX_BUTTONS])


def search_intro(query: ProductQuery, is_next_page: bool, tone: str | None = None) -> str:
    """The line above the results, in the shopper's tone (the `register` slot: casual, formal)."""
    described = describe_query(query)
    if is_next_page:
        return {"casual": f"More {described} coming up:", "formal": f"Here are further {described}:"}.get(
            tone or "", f"Here are more {described}:")
    if described == "products":
        return "Here are some of our products:"
    toned = {"casual": f"Got you! Here's what I dug up for {described}:",
             "formal": f"Certainly. Here is what I found for {described}:"}
    return toned.get(tone or "", f"Here's what I found for {described}:")


def which_product(question: str, example: str) -> BotMessage:
    return text(f'{question} Search first (e.g. "show me running shoes"), then say e.g. "{example}".')


def unknown_position(position: int, shown: int, searched: bool = False) -> BotMessage:
    """`searched`: the products shown last were none, the answer to a search that found nothing."""
    if shown == 0 and searched:
        return text("The last search found nothing, so there's nothing to pick from. What are you looking for?")
    if shown == 0:
        return text("I haven't shown you any products yet. What are you looking for?")
    if shown == 1:
        return text(f"I only showed you one product, so there's no number {position}. "
                    'Say "the first one" if you meant that one.')
    return text(f"I only showed you {shown} products, so there's no number {position}.")


def product_gone() -> BotMessage:
    return text("Sorry, that product isn't in the shop any more.")


# --- cart ---------------------------------------------------------------------------


def _cart_line(number: int, line: CartLine, currency: str) -> str:
    variant = describe_variant(line.size, line.color)
    variant = f" ({variant})" if variant else ""
    return f"{number}. {line.quantity} × {line.name}{variant} — {format_price(line.line_total, currency)}"


def _cart_total(cart: Cart) -> str:
    return (
        f"Total: {format_price(cart.total, cart.currency)} for "
        f"{cart.item_count} item{'s' if cart.item_count != 1 else ''}."
    )


def remove_line_button(line: CartLine) -> Button:
    variant = describe_variant(line.size, line.color)
    title = f"Remove {line.name}" + (f" ({variant})" if variant else "")
    return button(title, "remove_from_cart", sku=line.sku, size=line.size, color=line.color)


def cart_summary(cart: Cart) -> BotMessage:
    if not cart.items:
        return text(
            "Your cart is empty. What can I find for you?",
            [button("Browse departments", "browse_catalog")],
        )
    lines = ["Here's your cart:"]
    lines += [_cart_line(n, line, cart.currency) for n, line in enumerate(cart.items, 1)]
    lines.append(_cart_total(cart))
    buttons = [remove_line_button(line) for line in cart.items]
    return text("\n".join(lines), [*buttons[: MAX_BUTTONS - 1], button("Keep shopping", "browse_catalog")])


def added_to_cart(name: str, quantity: int, size: str | None, color: str | None, cart: Cart) -> BotMessage:
    return _cart_changed(f"Added {quantity} × {_named_variant(name, size, color)} to your cart.", cart)


def quantity_set(name: str, quantity: int, size: str | None, color: str | None, cart: Cart) -> BotMessage:
    return _cart_changed(f"Done: {quantity} × {_named_variant(name, size, color)} in your cart now.", cart)


def _named_variant(name: str, size: str | None, color: str | None) -> str:
    variant = describe_variant(size, color)
    return f"{name} ({variant})" if variant else name


def _cart_changed(said: str, cart: Cart) -> BotMessage:
    return text(f"{said} {_cart_total(cart)} Would you like to see your cart?",
                [button("View cart", "view_cart"), button("Keep shopping", "deny")])


def variant_question(
    product: ProductDetails,
    missing: Sequence[str],
    options: Sequence[Variant],
    quantity: int,
    size: str | None = None,
    color: str | None = None,
) -> BotMessage:
    """Ask for the missing size and/or colour, offering in-stock choices as buttons.

    Few combinations: one button each. Many (11 sizes × 3 colours): ask for one
    attribute at a time, the one with fewer choices first; the shop asks again
    for the other.
    """
    extra = {"quantity": quantity if quantity != 1 else None}
    if len(options) <= MAX_BUTTONS:
        asked = list(missing)
        buttons = [
            button(
                describe_variant(v.size, v.color) or product.name,
                "add_to_cart",
                sku=product.sku,
                size=v.size,
                color=v.color,
                **extra,
            )
            for v in options
        ]
    else:
        asked = [min(missing, key=lambda a: len(variant_values(options, a)))]
        buttons = [
            button(
                describe_variant(value, None) if asked[0] == "size" else value,
                "add_to_cart",
                sku=product.sku,
                size=value if asked[0] == "size" else size,
                color=value if asked[0] == "color" else color,
                **extra,
            )
            for value in variant_values(options, asked[0])[:MAX_BUTTONS]
        ]
    names = " and ".join("colour" if a == "color" else a for a in asked)
    lines = [f"Which {names} would you like for {product.name}?"]
    if "size" in asked and variant_values(options, "size"):
        lines.append("Sizes in stock: " + ", ".join(variant_values(options, "size")))
    if "color" in asked and variant_values(options, "color"):
        lines.append("Colours in stock: " + ", ".join(variant_values(options, "color")))
    return text("\n".join(lines), buttons)


def variant_values(options: Sequence[Variant], attribute: str) -> list[str]:
    """The distinct values of `attribute` ("size"/"color") among `options`, in order."""
    return _unique(getattr(v, attribute) for v in options)


def variant_reminder(
    sku: str,
    name: str,
    missing: Sequence[str],
    choices: dict[str, list[str]],
    size: str | None,
    color: str | None,
    *,
    before_checkout: bool = False,
) -> BotMessage:
    """The variant question again: after a reply that answered nothing, or when the shopper
    asks to check out while the item still waits for its size or colour."""
    asked = [a for a in missing if choices.get(a)] or list(missing)
    attribute = asked[0]
    label = "colour" if attribute == "color" else attribute
    values = choices.get(attribute, [])
    if before_checkout:
        lines = [f"{name or 'That item'} isn't in your cart yet. Which {label} would you like? "
                 "(Or say no to leave it out.)"]
    else:
        lines = [f"Sorry, which {label} would you like for {name or 'it'}?"]
    if values:
        lines.append("You can choose: " + ", ".join(values))
    buttons = [
        button(
            describe_variant(value, None) if attribute == "size" else value,
            "add_to_cart",
            sku=sku,
            size=value if attribute == "size" else size,
            color=value if attribute == "color" else color,
        )
        for value in values[:MAX_BUTTONS]
    ]
    return text("\n".join(lines), buttons)


def variant_declined(name: str) -> BotMessage:
    return text(f"OK, I've left {name or 'it'} out. What else can I find for you?")


def variant_sold_out(name: str) -> BotMessage:
    return text(f"Sorry, {name} is sold out in every size and colour right now.")


def out_of_stock(name: str, size: str | None, color: str | None, available: int = 0, in_cart: int = 0) -> BotMessage:
    """Sold out, or (`available` above 0) fewer left than asked for, `in_cart` of them already in the cart."""
    variant = describe_variant(size, color)
    variant = f" in {variant}" if variant else ""
    if available <= 0:
        return text(f"Sorry, {name}{variant} is out of stock right now.")
    if in_cart >= available:
        return text(f"Sorry, we have only {available} of {name}{variant}, and your cart already holds "
                    f"{'it' if available == 1 else 'them all'}.")
    if in_cart:
        return text(f"Sorry, we have only {available} of {name}{variant} ({in_cart} already in your cart), "
                    f"so you can add {available - in_cart} more.")
    return text(f"Sorry, we have only {available} of {name}{variant} right now.")


def which_cart_line(lines: Sequence[CartLine]) -> BotMessage:
    return text(
        "Which item should I remove?",
        [remove_line_button(line) for line in lines][:MAX_BUTTONS],
    )


def not_in_cart(what: str) -> BotMessage:
    return text(f"I can't find {what} in your cart.", [button("View cart", "view_cart")])


def cart_already_empty() -> BotMessage:
    return text("Your cart is already empty.")


def removed_from_cart(line: CartLine, cart: Cart) -> BotMessage:
    variant = describe_variant(line.size, line.color)
    variant = f" ({variant})" if variant else ""
    rest = _cart_total(cart) if cart.items else "Your cart is now empty."
    return text(f"Removed {line.name}{variant} from your cart. {rest}")


# --- when the shop fails ------------------------------------------------------------


def shop_unavailable() -> BotMessage:
    return text("Sorry, I can't reach the shop right now, so I can't look that up. Please try again in a few minutes.")


def shop_failed() -> BotMessage:
    return text("Sorry, something went wrong on our side. Please try again.")


# What the shop's request fields are to a shopper (its 422 answers name the field).
_FIELD_WORDS = {"quantity": "quantity", "shipping_address": "address", "address": "address",
                "reason": "reason", "subject": "message", "message": "message", "promo_code": "code"}


def shop_refused_input(detail: Any) -> BotMessage | None:
    """A 422 the shopper's own input caused, told in the chat's words with the limit to keep to
    ("at most 20"), or None when the detail names no field the shopper typed. The shop's own
    sentences never reach the shopper (the chat owns its copy)."""
    if not isinstance(detail, list):
        return None
    for error in detail:
        if not isinstance(error, dict):
            continue
        where = [str(part) for part in error.get("loc") or []]
        label = next((_FIELD_WORDS[part] for part in reversed(where) if part in _FIELD_WORDS), None)
        if label is None:
            continue
        ctx = error.get("ctx")
        limits = ctx if isinstance(ctx, dict) else {}
        if "le" in limits:
            rule = f"it can be at most {limits['le']}"
        elif "ge" in limits:
            rule = f"it must be at least {limits['ge']}"
        elif "max_length" in limits:
            rule = f"it can be at most {limits['max_length']} characters long"
        elif "min_length" in limits:
            rule = f"it needs at least {limits['min_length']} characters"
        else:
            rule = "please check it"
        return text(f"Sorry, the shop can't take that {label}: {rule}.")
    return None


def _unique(values: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen
