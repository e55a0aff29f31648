"""Cart actions: add (asking for a missing size or colour, or a whole WhatsApp catalogue cart), view
and remove."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import responses
from actions.care import ActionUnsubscribe
from actions.catalog import ActionSearchProducts, SearchState, resolve_product
from actions.catalog_order import add_catalog_order, catalog_order_in
from actions.checkout import ActionPrepareCheckout
from actions.clients.shop import (
    Cart,
    CartLine,
    ProductDetails,
    ProductQuery,
    ShopClient,
    ShopConflict,
    ShopError,
    ShopNotFound,
    ShopRejected,
    Variant,
    get_shop_client,
)
from actions.forms import said_stop
from actions.identity import customer_id
from actions.message import entity_value, latest_intent, message_quantity, message_size, parse_position, singular
from actions.shop_errors import tell_shop_error
from actions.slots import CART_READY, FOCUSED_SKU, LAST_SEARCH

logger = logging.getLogger(__name__)

# The item waiting for a size/colour answer, see PendingItem.
PENDING_CART_ITEM = "pending_cart_item"
# True while the bot's last question was "which size/colour?"; featurized so that
# rules send the reply back here whatever NLU made of it ("42", "M", "the navy one").
AWAITING_VARIANT = "awaiting_variant"

# The contract's code, and the one the shop also sends for a size/colour it doesn't
# have ("does not come in size 42"): both are answered with the variant question.
VARIANT_CODES = frozenset({"variant_required", "unknown_variant"})
ATTRIBUTES = ("size", "color")


@dataclass(frozen=True)
class CartRequest:
    sku: str
    quantity: int
    size: str | None
    color: str | None


@dataclass(frozen=True)
class PendingItem:
    """What was asked: the request so far, which attributes are missing and the
    in-stock values offered for them (kept in the `pending_cart_item` slot)."""

    request: CartRequest
    name: str
    missing: list[str]
    choices: dict[str, list[str]]

    def to_slot(self) -> dict[str, Any]:
        return {**self.request.__dict__, "name": self.name, "missing": self.missing, "choices": self.choices}

    @classmethod
    def from_slot(cls, value: Any) -> PendingItem | None:
        if not isinstance(value, dict) or not value.get("sku"):
            return None
        try:
            request = CartRequest(
                str(value["sku"]), int(value.get("quantity") or 1), value.get("size"), value.get("color")
            )
            choices = {a: [str(c) for c in value.get("choices", {}).get(a, [])] for a in ATTRIBUTES}
        except (TypeError, ValueError, AttributeError):
            return None
        return cls(
            request, str(value.get("name") or ""), [a for a in value.get("missing") or [] if a in ATTRIBUTES], choices
        )


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


def _pending_item(tracker: Tracker) -> PendingItem | None:
    """The item that waits for a size/colour, if the shopper is still on that product."""
    if not tracker.get_slot(AWAITING_VARIANT):
        return None
    pending = PendingItem.from_slot(tracker.get_slot(PENDING_CART_ITEM))
    # Looking at another product or searching again moves the focus away from it.
    if pending is None or pending.request.sku != tracker.get_slot(FOCUSED_SKU):
        return None
    return pending


def _mentioned(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value.casefold())}(?!\w)", text) is not None


def variant_answer(tracker: Tracker, pending: PendingItem) -> tuple[str | None, str | None] | None:
    """(size, colour) the reply gives, or None if it gives neither.

    The offered values are looked for in the text itself, so "42", "M" or "the navy
    one" answer the question even when NLU read them as a price or as nothing.
    """
    text = str(tracker.latest_message.get("text") or "").casefold().strip(" .!?")
    size = message_size(tracker)
    color = entity_value(tracker, "color")
    if size is None:
        for choice in pending.choices["size"]:
            # A one-letter size ("M") only on its own or after "size": not the m of "I'm".
            if (len(choice) > 1 and _mentioned(text, choice)) or text in (
                choice.casefold(),
                f"size {choice.casefold()}",
            ):
                size = choice
                break
    if color is None:
        color = next((c for c in pending.choices["color"] if _mentioned(text, c)), None)
    if size is None and color is None:
        return None
    return size, color


def _spelled_as_shop(value: str | None, known: Sequence[str | None]) -> str | None:
    """`value` as the shop writes it ("red" → "Red"); None if the shop has no such value."""
    if value is None:
        return None
    return next((k for k in known if k is not None and _same(k, value)), None)


# "Make it two", "change it to 3", "3 instead": the quantity in all, not that many more.
_NUMBER_WORD = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)"
_SETS_QUANTITY = re.compile(
    rf"\b(?:make (?:it|that|them|those|mine)|change (?:it|that|them|the quantity|the amount|the number) to|"
    rf"(?:set|update) (?:it|the quantity) to)\s+{_NUMBER_WORD}\b|\b{_NUMBER_WORD}\s+instead\b",
    re.IGNORECASE,
)


def _clear_pending() -> list[EventType]:
    return [SlotSet(PENDING_CART_ITEM, None), SlotSet(AWAITING_VARIANT, False)]


def _variant_options(product: ProductDetails, size: str | None, color: str | None) -> list[Variant]:
    return [
        v
        for v in product.variants
        if v.stock > 0 and (size is None or _same(v.size, size)) and (color is None or _same(v.color, color))
    ]


def _missing_attributes(product: ProductDetails, size: str | None, color: str | None, detail: str) -> list[str]:
    """What the shop still needs: attributes with several values and none chosen
    (the shop's own wording decides if the variants don't tell)."""
    chosen = {"size": size, "color": color}
    missing = [
        a for a in ATTRIBUTES if chosen[a] is None and len({getattr(v, a) for v in product.variants} - {None}) > 1
    ]
    if not missing:
        lowered = detail.lower()
        missing = [
            a for a in ATTRIBUTES if chosen[a] is None and (a in lowered or (a == "color" and "colour" in lowered))
        ]
    return missing or [a for a in ATTRIBUTES if chosen[a] is None] or list(ATTRIBUTES)


async def _with_search_choices(request: CartRequest, tracker: Tracker, client: ShopClient) -> CartRequest:
    """Size and colour the shopper already searched by ("red ... size 42"), when this product has them.

    "add the first one" after that search means the red one in 42: asking again would be the
    question a shop assistant never asks twice. A value the product lacks is simply not used.
    """
    search = SearchState.from_slot(tracker.get_slot(LAST_SEARCH))
    wanted_size = search.query.size if search and request.size is None else None
    wanted_color = search.query.color if search and request.color is None else None
    if not wanted_size and not wanted_color:
        return request
    variants = (await client.aget_product(request.sku)).variants
    size = request.size or next((v.size for v in variants if wanted_size and _same(v.size, wanted_size)), None)
    color = request.color or next((v.color for v in variants if wanted_color and _same(v.color, wanted_color)), None)
    return replace(request, size=size, color=color)


class ActionAddToCart(Action):
    """Add the product the shopper means; ask for size/colour when the shop needs it."""

    def name(self) -> str:
        return "action_add_to_cart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = catalog_order_in(tracker)
        if order is not None:
            # A cart sent from the WhatsApp catalogue (actions/catalog_order.py): a size or colour
            # question left open is no longer what the shopper is answering.
            return _clear_pending() + await add_catalog_order(dispatcher, tracker, order, self.name())
        intent = latest_intent(tracker)
        pending = _pending_item(tracker)
        names_a_product = any(entity_value(tracker, name) for name in ("sku", "product_index", "product"))
        if intent == "checkout" and not names_a_product:
            # "checkout" while the size/colour question was open (rule "checkout while a
            # size or colour is asked for"): the item they were choosing comes first.
            return await self._checkout(dispatcher, tracker, domain, pending)
        if pending is not None and not names_a_product:
            return await self._answer(dispatcher, tracker, domain, pending, intent)
        if intent == "search_product":
            # The variant-answer rules brought a new search here ("laptops in black").
            return _clear_pending() + await ActionSearchProducts().run(dispatcher, tracker, domain)
        if intent != "add_to_cart" and not names_a_product:
            # Routed here by a variant-answer rule, but the question is no longer open.
            responses.text("Sorry, I didn't get that. What would you like to add?").send(dispatcher)
            return _clear_pending()

        try:
            client = get_shop_client()
            reference = await resolve_product(tracker, client, fallback_sku=tracker.get_slot(FOCUSED_SKU))
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        if reference.problem is not None:
            reference.problem.send(dispatcher)
            return []
        if reference.sku is None:
            responses.which_product("Which product would you like to add?", "add the first one").send(dispatcher)
            return []

        # A button of the variant question names the SKU again: keep what was known.
        earlier = pending.request if pending and pending.request.sku == reference.sku else None
        color = entity_value(tracker, "color")
        request = CartRequest(
            sku=reference.sku,
            quantity=message_quantity(tracker) or (earlier.quantity if earlier else 1),
            size=message_size(tracker) or (earlier.size if earlier else None),
            color=color or (earlier.color if earlier else None),
        )
        try:
            request = await _with_search_choices(request, tracker, client)
            if _SETS_QUANTITY.search(str(tracker.latest_message.get("text") or "")) and message_quantity(tracker):
                line = await _line_in_cart(client, customer_id(tracker), request)
                if line is not None:  # "make it two" of what the cart holds: two in all, not two more
                    return await self._set_quantity(dispatcher, tracker, client, line, request.quantity)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        return await self._add(dispatcher, tracker, client, request)

    async def _set_quantity(self, dispatcher: CollectingDispatcher, tracker: Tracker, client: ShopClient,
                            line: CartLine, quantity: int) -> list[EventType]:
        try:
            cart = await client.aset_cart_line_quantity(customer_id(tracker), line.line_id, quantity)
        except ShopConflict as exc:
            responses.out_of_stock(line.name, line.size, line.color, _available(exc)).send(dispatcher)
            return _clear_pending()
        responses.quantity_set(line.name, quantity, line.size, line.color, cart).send(dispatcher)
        return [*_clear_pending(), SlotSet(FOCUSED_SKU, line.sku)]

    async def _checkout(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        pending: PendingItem | None,
    ) -> list[EventType]:
        if pending is not None:
            request = pending.request
            responses.variant_reminder(
                request.sku,
                pending.name,
                pending.missing,
                pending.choices,
                request.size,
                request.color,
                before_checkout=True,
            ).send(dispatcher)
            return []
        # The question went stale (they looked at something else since): check out.
        events = _clear_pending() + await ActionPrepareCheckout().run(dispatcher, tracker, domain)
        if SlotSet(CART_READY, True) in events:
            events.append(FollowupAction("checkout_form"))
        return events

    async def _answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        pending: PendingItem,
        intent: str | None,
    ) -> list[EventType]:
        """The reply to "which size/colour?", whatever intent NLU gave it."""
        answer = variant_answer(tracker, pending)
        if answer is None:
            if intent == "search_product":  # "show me more" instead of an answer
                return _clear_pending() + await ActionSearchProducts().run(dispatcher, tracker, domain)
            if intent == "deny" or said_stop(str(tracker.latest_message.get("text") or "")):
                # "no", "stop", "never mind": this question, not the newsletter ("stop" is both).
                responses.variant_declined(pending.name).send(dispatcher)
                return _clear_pending()
            if intent == "unsubscribe":  # "unsubscribe me from your emails" in the middle of it
                return _clear_pending() + await ActionUnsubscribe().run(dispatcher, tracker, domain)
            responses.variant_reminder(
                pending.request.sku,
                pending.name,
                pending.missing,
                pending.choices,
                pending.request.size,
                pending.request.color,
            ).send(dispatcher)
            return []
        size, color = answer
        request = replace(
            pending.request,
            size=size or pending.request.size,
            color=color or pending.request.color,
        )
        try:
            client = get_shop_client()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        return await self._add(dispatcher, tracker, client, request)

    async def _add(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        client: ShopClient,
        request: CartRequest,
    ) -> list[EventType]:
        try:
            cart = await client.aadd_to_cart(
                customer_id(tracker),
                request.sku,
                request.quantity,
                request.size,
                request.color,
            )
        except ShopRejected as exc:
            if exc.code not in VARIANT_CODES:
                tell_shop_error(dispatcher, exc, self.name())
                return _clear_pending()
            return await self._ask_variant(dispatcher, client, request, exc.detail_text)
        except ShopConflict as exc:
            name = await _product_name(client, request.sku)
            available = _available(exc)
            in_cart = await _quantity_in_cart(client, customer_id(tracker), request) if available > 0 else 0
            responses.out_of_stock(name, request.size, request.color, available, in_cart).send(dispatcher)
            return _clear_pending()
        except ShopNotFound:
            responses.product_gone().send(dispatcher)
            return _clear_pending()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []

        line = _find_line(cart.items, request.sku, request.size, request.color)
        name = line.name if line else await _product_name(client, request.sku)
        responses.added_to_cart(
            name,
            request.quantity,
            line.size if line else request.size,
            line.color if line else request.color,
            cart,
        ).send(dispatcher)
        return [*_clear_pending(), SlotSet(FOCUSED_SKU, request.sku)]

    async def _ask_variant(
        self,
        dispatcher: CollectingDispatcher,
        client: ShopClient,
        request: CartRequest,
        detail: str,
    ) -> list[EventType]:
        try:
            product = await client.aget_product(request.sku)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return _clear_pending()

        # Keep only what exists, in the shop's own spelling; say what doesn't.
        kept_size = _spelled_as_shop(request.size, [v.size for v in product.variants])
        kept_color = _spelled_as_shop(request.color, [v.color for v in product.variants])
        missing = _missing_attributes(product, kept_size, kept_color, detail)
        options = _variant_options(product, kept_size, kept_color)
        if not options:
            responses.variant_sold_out(product.name).send(dispatcher)
            return _clear_pending()

        unknown = responses.describe_variant(
            request.size if request.size and not kept_size else None,
            request.color if request.color and not kept_color else None,
        )
        if unknown:
            responses.text(f"{product.name} doesn't come in {unknown}.").send(dispatcher)
        responses.variant_question(product, missing, options, request.quantity, kept_size, kept_color).send(dispatcher)
        waiting = PendingItem(
            request=CartRequest(request.sku, request.quantity, kept_size, kept_color),
            name=product.name,
            missing=missing,
            choices={a: responses.variant_values(options, a) for a in ATTRIBUTES},
        )
        return [
            SlotSet(PENDING_CART_ITEM, waiting.to_slot()),
            SlotSet(AWAITING_VARIANT, True),
            SlotSet(FOCUSED_SKU, request.sku),
        ]


class ActionViewCart(Action):
    """Show the shopper's cart."""

    def name(self) -> str:
        return "action_view_cart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            cart = await get_shop_client().aget_cart(customer_id(tracker))
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        responses.cart_summary(cart).send(dispatcher)
        return []


class ActionRemoveFromCart(Action):
    """Remove the cart line the shopper means; ask which when it's unclear."""

    def name(self) -> str:
        return "action_remove_from_cart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        who = customer_id(tracker)
        try:
            client = get_shop_client()
            cart = await client.aget_cart(who)
            if not cart.items:
                responses.cart_already_empty().send(dispatcher)
                return []
            matches, what = _lines_meant(tracker, cart)
            product = entity_value(tracker, "product")
            if not matches and product:
                # "the shoes" for "Running Trainers": the shop's search knows better.
                found = await client.asearch_products(ProductQuery(q=product, limit=50))
                skus = {p.sku for p in found.items}
                matches = [line for line in cart.items if line.sku in skus]
            if not matches:
                responses.not_in_cart(what).send(dispatcher)
                return []
            if len(matches) > 1:
                responses.which_cart_line(matches).send(dispatcher)
                return []
            line = matches[0]
            cart = await client.aremove_cart_line(who, line.line_id)
        except ShopNotFound:
            responses.not_in_cart("that item").send(dispatcher)
            return []
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        responses.removed_from_cart(line, cart).send(dispatcher)
        return []


def _find_line(lines: Sequence[CartLine], sku: str, size: str | None, color: str | None) -> CartLine | None:
    for line in lines:
        if line.sku == sku and (size is None or _same(line.size, size)) and (color is None or _same(line.color, color)):
            return line
    return None


def _lines_meant(tracker: Tracker, cart: Cart) -> tuple[list[CartLine], str]:
    """Cart lines the message points at (by SKU, position or name), and how to say it.

    With nothing to go on, every line matches, so a one-line cart needs no question.
    """
    size = message_size(tracker)
    color = entity_value(tracker, "color")
    sku = entity_value(tracker, "sku")
    if sku:
        lines = [
            line
            for line in cart.items
            if line.sku == sku
            and (size is None or _same(line.size, size))
            and (color is None or _same(line.color, color))
        ]
        return lines, "that item"

    position = parse_position(entity_value(tracker, "product_index"))
    if position is not None:
        index = len(cart.items) - 1 if position == -1 else position - 1
        if 0 <= index < len(cart.items):
            return [cart.items[index]], ""
        return [], f"an item number {position}"

    product = entity_value(tracker, "product")
    if product:
        lines = [
            line
            for line in lines_named(cart.items, product)
            if (size is None or _same(line.size, size)) and (color is None or _same(line.color, color))
        ]
        return lines, f"any {product}"
    # "remove the blue one": the lines of that size and colour (every line when none is named).
    lines = [line for line in cart.items
             if (size is None or _same(line.size, size)) and (color is None or _same(line.color, color))]
    if color is None and size is None:
        return lines, "that item"
    return lines, " ".join(w for w in ("a", color, f"item in size {size}" if size else "item") if w)


def lines_named(lines: Sequence[CartLine], phrase: str) -> list[CartLine]:
    """Lines whose name shares the most words with `phrase` ("running shoes" finds
    "Nike Running Trainers"), ignoring short words and plural endings."""
    words = {singular(w).casefold() for w in re.findall(r"\w+", phrase) if len(w) > 2}

    def overlap(line: CartLine) -> int:
        name = {singular(w).casefold() for w in re.findall(r"\w+", line.name)}
        return len(words & name)

    best = max((overlap(line) for line in lines), default=0)
    return [line for line in lines if best and overlap(line) == best]


def _available(refused: ShopConflict) -> int:
    """How many the shop says it has (its 409 `out_of_stock` names them); 0 when it says none."""
    available = refused.facts.get("available")
    return available if isinstance(available, int) and not isinstance(available, bool) else 0


async def _line_in_cart(client: ShopClient, customer: str, request: CartRequest) -> CartLine | None:
    """The cart's line of the requested item, if it holds one. Raises ShopError."""
    return _find_line((await client.aget_cart(customer)).items, request.sku, request.size, request.color)


async def _quantity_in_cart(client: ShopClient, customer: str, request: CartRequest) -> int:
    """How many of the requested item the cart holds already; 0 if the shop can't say."""
    try:
        line = await _line_in_cart(client, customer, request)
    except ShopError:
        return 0
    return line.quantity if line else 0


async def _product_name(client: ShopClient, sku: str) -> str:
    """The product's name for a message; "that product" if the shop can't say."""
    try:
        return (await client.aget_product(sku)).name
    except ShopError:
        return "that product"
