"""Catalog actions: departments, product search and product details.

Also home of what the cart shares with them: the search filters a message names, the last
search (the `last_search` slot) and which product a message points at.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import responses
from actions.clients.shop import (
    Department,
    ProductPage,
    ProductQuery,
    ProductSummary,
    ShopClient,
    ShopError,
    ShopNotFound,
    get_shop_client,
)
from actions.message import (
    DEPARTMENTS,
    content_words,
    entity_value,
    latest_intent,
    message_prices,
    message_size,
    parse_position,
    singular,
    topic_department,
)
from actions.shop_errors import tell_shop_error
from actions.slots import FOCUSED_SKU, LAST_SEARCH, SHOWN_SKUS

logger = logging.getLogger(__name__)

PAGE_SIZE = 5


# --- search filters -----------------------------------------------------------------

_REFINEMENTS = ("brand", "color", "size", "min_price", "max_price")
# "cheaper" / "something pricier": a price bound relative to what was just shown.
# A number said with it ("cheaper than 80") is the bound itself: filters_from_message reads it.
_CHEAPER = re.compile(r"\b(cheaper|cheapest|less (?:expensive|pricey|pricy|costly|dear)|lower[- ]priced?|"
                      r"more (?:affordable|reasonabl[ey](?: priced)?)|too (?:expensive|pricey|pricy|dear|steep)|"
                      r"not so (?:expensive|pricey|pricy|dear))\b", re.IGNORECASE)
_PRICIER = re.compile(r"\b(more expensive|pricier|higher[- ]end|higher[- ]priced?|premium|fancier|posher|"
                      r"better quality|less cheap)\b", re.IGNORECASE)


# The NLU's catalogue extractor (components/catalogue.py): its entities know every catalogue word
# and which department an ambiguous one means here ("a mouse for my cat": pets).
CATALOGUE_EXTRACTOR = "CatalogueEntityExtractor"


def _product_entity(tracker: Tracker) -> dict[str, Any] | None:
    """The product the message names: the catalogue's reading first, else the tagger's."""
    products: list[dict[str, Any]] = [e for e in tracker.latest_message.get("entities") or []
                                      if e.get("entity") == "product" and e.get("value")]
    ours = [e for e in products if e.get("extractor") == CATALOGUE_EXTRACTOR]
    found = ours or products
    return found[0] if found else None


def _search_words(tracker: Tracker, entity: dict[str, Any]) -> str:
    """What to send the shop for a product entity: the shopper's own words when they are the
    catalogue's, else the catalogue term they were read as ("kicks" → trainers, "sneekers")."""
    text = str(tracker.latest_message.get("text") or "")
    start, end = entity.get("start"), entity.get("end")
    if entity.get("literal") and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(entity["value"]).strip()



def filters_from_message(tracker: Tracker) -> dict[str, Any]:
    """Search filters named in the latest message (only those present)."""
    filters: dict[str, Any] = {}
    product = _product_entity(tracker)
    if product is not None:
        filters["q"] = _search_words(tracker, product)
    department = entity_value(tracker, "department")
    if department:
        filters["department"] = department.lower().replace(" ", "-")
    elif product is not None and product.get("ambiguous") and product.get("department") in DEPARTMENTS:
        # A word with two meanings, settled by its context: the shop searches that department.
        filters["department"] = str(product["department"])
    brand = entity_value(tracker, "brand")
    if brand:
        filters["brand"] = brand
    color = entity_value(tracker, "color")
    if color:
        filters["color"] = color.lower()
    size = message_size(tracker)
    if size:
        filters["size"] = size
    min_price, max_price = message_prices(tracker)
    if min_price is not None:
        filters["min_price"] = min_price
    if max_price is not None:
        filters["max_price"] = max_price
    return filters


@dataclass(frozen=True)
class SearchState:
    """The last search, as kept in the `last_search` slot: filters and paging."""

    query: ProductQuery
    total: int

    @property
    def has_more(self) -> bool:
        return self.query.offset + self.query.limit < self.total

    def next_page(self) -> ProductQuery:
        return replace(self.query, offset=self.query.offset + self.query.limit)

    def to_slot(self) -> dict[str, Any]:
        fields = {
            name: (str(value) if isinstance(value, Decimal) else value) for name, value in self.query.__dict__.items()
        }
        return {"query": fields, "total": self.total}

    @classmethod
    def from_slot(cls, value: Any) -> SearchState | None:
        if not isinstance(value, dict) or not isinstance(value.get("query"), dict):
            return None
        raw = dict(value["query"])
        try:
            for name in ("min_price", "max_price"):
                if raw.get(name) is not None:
                    raw[name] = Decimal(str(raw[name]))
            return cls(query=ProductQuery(**raw), total=int(value.get("total", 0)))
        except (TypeError, ValueError, InvalidOperation):
            logger.debug("Ignoring an unreadable last_search slot")
            return None


def plan_search(new_filters: dict[str, Any], previous: SearchState | None) -> tuple[ProductQuery, bool]:
    """Decide what to search for; the flag says "this is the next page of the last search".

    No filters at all means "show more" of the last search. Only refinements (brand,
    colour, size, price) narrow the last search ("in red", "under 50"). Anything
    naming a product or department starts a new search.
    """
    if not new_filters:
        if previous is not None:
            return previous.next_page(), True
        return ProductQuery(limit=PAGE_SIZE), False
    if previous is not None and set(new_filters) <= set(_REFINEMENTS):
        return replace(previous.query, offset=0, limit=PAGE_SIZE, **new_filters), False
    return ProductQuery(limit=PAGE_SIZE, **new_filters), False


@dataclass(frozen=True)
class ProductReference:
    """The product a message points at, or the message explaining why there is none."""

    sku: str | None = None
    problem: responses.BotMessage | None = None


async def resolve_product(tracker: Tracker, client: ShopClient, fallback_sku: str | None = None) -> ProductReference:
    """Which product the shopper means: a SKU (button), a position in the last results
    ("the second one"), a name ("the sony headphones": best search match), else
    `fallback_sku`, else the only product shown. Raises ShopError from the name search.
    """
    sku = entity_value(tracker, "sku")
    if sku:
        return ProductReference(sku=sku)

    shown = [str(s) for s in tracker.get_slot(SHOWN_SKUS) or []]
    position = parse_position(entity_value(tracker, "product_index"))
    if position is not None:
        index = len(shown) - 1 if position == -1 else position - 1
        if 0 <= index < len(shown):
            return ProductReference(sku=shown[index])
        searched = not shown and tracker.get_slot(LAST_SEARCH) is not None
        return ProductReference(problem=responses.unknown_position(position, len(shown), searched))

    filters = filters_from_message(tracker)
    if "q" in filters or "brand" in filters:  # "the sony headphones", "is the blackberry unlocked?"
        query = ProductQuery(limit=1, **filters)
        page = await client.asearch_products(query)
        if not page.items and singular(query.q or "") != query.q:
            query = replace(query, q=singular(query.q or ""))
            page = await client.asearch_products(query)
        if page.items:
            return ProductReference(sku=page.items[0].sku)
        return ProductReference(problem=responses.no_results(query))

    if fallback_sku:
        return ProductReference(sku=fallback_sku)
    if len(shown) == 1:
        return ProductReference(sku=shown[0])
    return ProductReference()


# --- actions ------------------------------------------------------------------------


class ActionBrowseDepartments(Action):
    """List the shop's departments, each a button that searches it."""

    def name(self) -> str:
        return "action_browse_departments"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            departments = await get_shop_client().alist_departments()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        responses.departments(departments).send(dispatcher)
        return []


async def relative_price(tracker: Tracker, client: ShopClient) -> dict[str, Decimal | None]:
    """Price bounds from "cheaper" or "more expensive", relative to the products just shown.

    The opposite bound is dropped: "more expensive" after "cheaper" must not keep the old ceiling.
    """
    text = str(tracker.latest_message.get("text") or "")
    cheaper, pricier = _CHEAPER.search(text), _PRICIER.search(text)
    shown = [sku for sku in tracker.get_slot(SHOWN_SKUS) or [] if isinstance(sku, str)][:10]
    if not (cheaper or pricier) or not shown:
        return {}
    products = await asyncio.gather(*(client.aget_product(sku) for sku in shown), return_exceptions=True)
    prices = [p.price for p in products if not isinstance(p, BaseException)]
    if not prices:
        return {}
    if cheaper:
        return {"max_price": min(prices) - Decimal("0.01"), "min_price": None}
    return {"min_price": max(prices) + Decimal("0.01"), "max_price": None}


class ActionSearchProducts(Action):
    """Search the catalog with the filters the shopper named; page with "show more"."""

    def name(self) -> str:
        return "action_search_products"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        previous = SearchState.from_slot(tracker.get_slot(LAST_SEARCH))
        new_search = latest_intent(tracker) == "search_product"
        try:
            client = get_shop_client()
            filters = filters_from_message(tracker)
            if previous is not None and not filters.keys() & {"min_price", "max_price"}:
                filters.update(await relative_price(tracker, client))
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        if new_search and "q" not in filters:
            # No product recognised: the message's own words, never the whole catalogue.
            words = content_words(str(tracker.latest_message.get("text") or ""))
            if words:
                filters["q"] = words
        if new_search and "department" not in filters and "q" in filters:
            department = topic_department(tracker)
            if department:
                filters["department"] = department
        if new_search and not filters:
            # "Find a product", "I want to buy something": ask, don't page an old search.
            responses.ask_what_to_find().send(dispatcher)
            return [SlotSet(LAST_SEARCH, None), SlotSet(SHOWN_SKUS, [])]
        query, is_next_page = plan_search(filters, previous)
        if is_next_page and previous is not None and not previous.has_more:
            responses.no_more_results(previous.query).send(dispatcher)
            return []

        try:
            query, page = await _search_with_retries(client, query, filters, tracker)
            near_price = None if page.items or is_next_page else await _nearest_in_price(client, query)
            suggestions = [] if page.items or near_price else await _nearest_departments(client, query, tracker)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        if near_price is not None:
            # "headphones under 50" when the cheapest cost 59: those, said so, rather than "none". The
            # search remembered is the one without the price, so "in black" narrows it.
            unbounded, shown = near_price
            responses.product_cards(shown, responses.nearest_price_intro(query, shown)).send(dispatcher)
            return [SlotSet(LAST_SEARCH, SearchState(query=unbounded, total=len(shown)).to_slot()),
                    SlotSet(FOCUSED_SKU, None), SlotSet(SHOWN_SKUS, [p.sku for p in shown])]

        state = SearchState(query=query, total=page.total)
        events: list[EventType] = [
            SlotSet(LAST_SEARCH, state.to_slot()),
            SlotSet(FOCUSED_SKU, None),
        ]
        if not page.items:
            missing = page.kind if page.kind_missing else None
            responses.no_results(query, suggestions, missing).send(dispatcher)
            return [*events, SlotSet(SHOWN_SKUS, [])]

        if page.partial and not is_next_page:
            # Tea bags and bins are no answer to "bin bags": say the shop has none, then show them.
            intro = responses.closest_matches_intro(query)
        else:
            intro = responses.search_intro(query, is_next_page, tracker.get_slot("register"))
        responses.product_cards(page.items, intro).send(dispatcher)
        shown_until = query.offset + len(page.items)
        if state.has_more:
            responses.more_results_hint(shown_until, page.total).send(dispatcher)
        elif is_next_page:
            responses.text(f"That's all {page.total}.").send(dispatcher)
        # Positions ("the 2nd one") count within the page just shown.
        return [*events, SlotSet(SHOWN_SKUS, [p.sku for p in page.items])]


async def _search_with_retries(
    client: ShopClient, query: ProductQuery, filters: dict[str, Any], tracker: Tracker
) -> tuple[ProductQuery, ProductPage]:
    """Search; when nothing matches, try the singular, then without a department the shopper
    never named (one read from the topic or a word's sense may be wrong). That department is
    also dropped when it only held partial matches and the whole shop has a full one."""
    page = await client.asearch_products(query)
    if page.total == 0 and query.q and singular(query.q) != query.q:
        retry = replace(query, q=singular(query.q))
        retry_page = await client.asearch_products(retry)
        if retry_page.total:
            return retry, retry_page
    named_department = entity_value(tracker, "department")
    if (page.total == 0 or page.partial) and query.q and query.department and not named_department \
            and "department" in filters:
        retry = replace(query, department=None)
        retry_page = await client.asearch_products(retry)
        if retry_page.total and not (page.total and retry_page.partial):
            return retry, retry_page
    if page.total == 0 and query.q and "brand" in filters and set(filters) <= set(_REFINEMENTS):
        # Another brand for what was shown ("what about samsung" after the iPhone 16): that
        # brand's products of the same category (phones), not its "iPhone 16", which nobody makes.
        category = await _category_shown(client, tracker)
        if category and category.casefold() != query.q.casefold():
            retry = replace(query, q=category)
            retry_page = await client.asearch_products(retry)
            if retry_page.total:
                return retry, retry_page
    return query, page


async def _category_shown(client: ShopClient, tracker: Tracker) -> str | None:
    """The category of the first product of the last results, lower case; None if unknown."""
    shown = [sku for sku in tracker.get_slot(SHOWN_SKUS) or [] if isinstance(sku, str)]
    if not shown:
        return None
    try:
        category = (await client.aget_product(shown[0])).category
    except ShopError:
        return None
    return category.lower() or None


# Products looked at for the nearest prices: the best matches by the shop's relevance, the page the
# shopper would have seen (all of the kind asked for: the shop keeps "headphones" to headphones).
_PRICE_POOL = 5
_NEAREST_SHOWN = 3


async def _nearest_in_price(
    client: ShopClient, query: ProductQuery
) -> tuple[ProductQuery, list[ProductSummary]] | None:
    """Nothing in the price range: the same search without it, and its best matches nearest the
    range (the cheapest when all cost more), or None when there is no price range or no match."""
    if query.min_price is None and query.max_price is None:
        return None
    unbounded = replace(query, min_price=None, max_price=None, offset=0)
    page = await client.asearch_products(replace(unbounded, limit=_PRICE_POOL))
    if page.partial:
        return None  # no product has every word: a budget is not what is missing
    low, high = query.min_price, query.max_price

    def distance(product: ProductSummary) -> Decimal:
        return max(low - product.price if low is not None else Decimal(0),
                   product.price - high if high is not None else Decimal(0))

    nearest = sorted(page.items, key=distance)[:_NEAREST_SHOWN]
    return (replace(unbounded, limit=len(nearest)), nearest) if nearest else None


async def _nearest_departments(client: ShopClient, query: ProductQuery, tracker: Tracker) -> list[Department]:
    """Departments to offer when nothing matched: the one the message is about, else all of them."""
    departments = await client.alist_departments()
    wanted = query.department or topic_department(tracker)
    near = [d for d in departments if d.slug == wanted]
    return near or departments


class ActionProductDetails(Action):
    """Show one product's description, sizes and colours."""

    def name(self) -> str:
        return "action_product_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            client = get_shop_client()
            reference = await resolve_product(tracker, client, fallback_sku=tracker.get_slot(FOCUSED_SKU))
            if reference.problem is not None:
                reference.problem.send(dispatcher)
                return []
            if reference.sku is None:
                responses.which_product(
                    "Which product would you like to know more about?",
                    "details of the first one",
                ).send(dispatcher)
                return []
            product = await client.aget_product(reference.sku)
        except ShopNotFound:
            responses.product_gone().send(dispatcher)
            return []
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []

        responses.product_details(product).send(dispatcher)
        return [SlotSet(FOCUSED_SKU, product.sku)]
