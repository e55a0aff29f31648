"""Catalog actions: departments, product search and product details.

Also home of the helpers that turn what the shopper said (entities, slots) into
catalog terms — filters and product references — which the cart actions share.
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
    ShopClient,
    ShopConfigurationError,
    ShopError,
    ShopNotFound,
    ShopUnavailable,
    get_shop_client,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 5

# Slots the actions own (all set by actions only; see domain.yml).
LAST_SEARCH = "last_search"
SHOWN_SKUS = "shown_skus"
FOCUSED_SKU = "focused_sku"

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a": 1,
    "an": 1,
    "a couple": 2,
    "a pair": 2,
}
_ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "last": -1,
    "final": -1,
    "latter": -1,
    "former": 1,
}
_FIRST_INT = re.compile(r"\d+")
_AMOUNT = re.compile(r"\d+(?:[.,]\d{1,2})?")

# Unambiguous wordings of numbers. With ~20 examples an intent, NLU often takes the
# 42 of "size 42" for a price or the 2 of "2 of those" for a size; these win over it.
_NUM = r"[$€£]?\s?(\d+(?:[.,]\d{1,2})?)"
_SIZE_IN_TEXT = re.compile(r"\bsize\s+(\d{1,2}(?:\.5)?|xxs|xs|s|m|l|xl|xxl)\b", re.I)
_BETWEEN_IN_TEXT = re.compile(rf"\bbetween\s+{_NUM}\s*(?:[a-z€$£]+\s+)?(?:and|to|-)\s+{_NUM}", re.I)
_MAX_IN_TEXT = re.compile(
    rf"\b(?:under|below|less than|cheaper than|at most|up to|no more than|max)\s+{_NUM}",
    re.I,
)
_MIN_IN_TEXT = re.compile(rf"\b(?:over|above|more than|at least|min)\s+{_NUM}", re.I)
_QUANTITY_IN_TEXT = re.compile(r"\b(\d{1,3})\s*(?:x\b|×|of\b|pieces\b|pcs\b)", re.I)


# --- reading what the shopper said --------------------------------------------------


def entity_values(tracker: Tracker, name: str, role: str | None = None) -> list[str]:
    """Values of entity `name` (and `role`, if given) in the latest message."""
    values = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") != name or entity.get("value") is None:
            continue
        if role is not None and entity.get("role") != role:
            continue
        values.append(str(entity["value"]).strip())
    return [value for value in values if value]


def entity_value(tracker: Tracker, name: str, role: str | None = None) -> str | None:
    values = entity_values(tracker, name, role)
    return values[0] if values else None


def latest_intent(tracker: Tracker) -> str | None:
    """The intent the latest message was read as (a button's, or the shop's trigger, as sent)."""
    name = (tracker.latest_message.get("intent") or {}).get("name")
    return str(name) if name is not None else None


def parse_position(value: str | None) -> int | None:
    """1-based position from "2", "2nd", "#2", "second", "number two"; -1 means last."""
    if not value:
        return None
    words = value.lower().replace("#", " ").replace("number", " ").split()
    for word in words:
        if word in _ORDINAL_WORDS:
            return _ORDINAL_WORDS[word]
        if word in _NUMBER_WORDS:
            return _NUMBER_WORDS[word]
        match = _FIRST_INT.match(word)
        if match:
            return int(match.group())
    return None


def parse_quantity(value: str | None) -> int | None:
    """A positive quantity from "2", "2x", "two", "a couple"; None if there is none."""
    if not value:
        return None
    cleaned = value.lower().strip()
    if cleaned in _NUMBER_WORDS:
        return _NUMBER_WORDS[cleaned]
    match = _FIRST_INT.search(cleaned)
    if match and int(match.group()) > 0:
        return int(match.group())
    for word in cleaned.split():
        if word in _NUMBER_WORDS:
            return _NUMBER_WORDS[word]
    return None


def parse_amount(value: str | None) -> Decimal | None:
    """The number in "100", "€49.99", "50 euros", "20,50"."""
    if not value:
        return None
    match = _AMOUNT.search(value)
    if not match:
        return None
    try:
        return Decimal(match.group().replace(",", "."))
    except InvalidOperation:
        return None


def normalize_size(value: str) -> str:
    # Letter sizes are upper case in the shop's catalog convention ("M", "XL").
    return value.upper() if value.isalpha() else value


def singular(word: str) -> str:
    """A rough English singular, tried when the plural finds nothing ("iphones")."""
    lower = word.lower()
    if len(word) < 3 or lower.endswith(("ss", "us", "is")):
        return word
    if lower.endswith("ies"):
        return word[:-3] + "y"
    if lower.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if lower.endswith("s"):
        return word[:-1]
    return word


# --- search filters -----------------------------------------------------------------

_REFINEMENTS = ("brand", "color", "size", "min_price", "max_price")
# "cheaper" / "something pricier": a price bound relative to what was just shown.
_CHEAPER = re.compile(r"\b(cheaper|less expensive|lower price|more affordable|cheapest|too expensive|too pricey)\b",
                      re.IGNORECASE)
_PRICIER = re.compile(r"\b(more expensive|pricier|higher[- ]end|premium|fancier|better quality)\b", re.IGNORECASE)


@dataclass(frozen=True)
class NumbersInText:
    """Numbers whose meaning the wording makes plain ("size 42", "under 100", "2 of")."""

    size: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    quantity: int | None = None

    @property
    def prices(self) -> list[Decimal]:
        return [p for p in (self.min_price, self.max_price) if p is not None]


def numbers_in_text(text: str) -> NumbersInText:
    size = _SIZE_IN_TEXT.search(text)
    between = _BETWEEN_IN_TEXT.search(text)
    if between:
        low, high = parse_amount(between.group(1)), parse_amount(between.group(2))
    else:
        low_match, high_match = _MIN_IN_TEXT.search(text), _MAX_IN_TEXT.search(text)
        low = parse_amount(low_match.group(1)) if low_match else None
        high = parse_amount(high_match.group(1)) if high_match else None
    quantity = _QUANTITY_IN_TEXT.search(text)
    return NumbersInText(
        size=normalize_size(size.group(1)) if size else None,
        min_price=low,
        max_price=high,
        quantity=int(quantity.group(1)) if quantity and int(quantity.group(1)) else None,
    )


def message_numbers(tracker: Tracker) -> NumbersInText:
    text = str(tracker.latest_message.get("text") or "")
    if text.startswith("/"):
        # A button payload: its entities are exact, and its JSON is not wording.
        return NumbersInText()
    return numbers_in_text(text)


def message_size(tracker: Tracker) -> str | None:
    """The size asked for: "size 42" in the text, else a size entity that isn't
    really the quantity or a price of the same message."""
    numbers = message_numbers(tracker)
    if numbers.size:
        return numbers.size
    for value in entity_values(tracker, "size"):
        if value.isdigit() and (int(value) == numbers.quantity or Decimal(value) in numbers.prices):
            continue
        return normalize_size(value)
    return None


def message_quantity(tracker: Tracker) -> int | None:
    return parse_quantity(entity_value(tracker, "quantity")) or message_numbers(tracker).quantity


def message_prices(tracker: Tracker) -> tuple[Decimal | None, Decimal | None]:
    """(min, max) price: plain wording first, else price entities by role; a price
    entity that is really the size ("size 42" read as a price) is ignored."""
    numbers = message_numbers(tracker)
    if numbers.prices:
        return numbers.min_price, numbers.max_price
    size = message_size(tracker)

    def amount(role: str | None) -> Decimal | None:
        for value in entity_values(tracker, "price", role):
            parsed = parse_amount(value)
            if parsed is not None and str(parsed) != size:
                return parsed
        return None

    low, high = amount("min"), amount("max")
    if low is None and high is None:
        # A price without a recognised role is read as a budget ("for 50 euros").
        high = amount(None)
    return low, high


# The NLU's catalogue extractor (components/catalogue.py): its entities know every catalogue word
# and which department an ambiguous one means here ("a mouse for my cat": pets).
CATALOGUE_EXTRACTOR = "CatalogueEntityExtractor"
# A department read from the message's topic narrows a search only when the topic is this sure.
TOPIC_DEPARTMENT_CONFIDENCE = 0.6
DEPARTMENTS = frozenset({"electronics", "grocery", "fashion", "sports", "home", "beauty", "pets", "toys"})

# Words of a search message that never name what is sought: "do you have any ... please", and who
# it is for ("a present for my nephew, he loves dinosaurs" is a search for dinosaurs).
_NOT_CONTENT = frozenset({
    "a", "an", "the", "and", "or", "but", "of", "for", "to", "in", "on", "at", "by", "with", "from", "about",
    "into", "my", "me", "i", "im", "i'm", "i'd", "id", "you", "your", "u", "ur", "we", "our", "it", "its", "it's",
    "this", "that", "these", "those", "there", "here", "some", "any", "anything", "something", "stuff", "thing",
    "things", "one", "ones", "do", "does", "did", "doing", "have", "has", "having", "had", "got", "get", "gotta",
    "gimme", "give", "show", "find", "search", "look", "looking", "see", "sell", "sells", "selling", "stock",
    "stocked", "carry", "carrying", "want", "wanna", "need", "needing", "would", "like", "love", "buy", "buying",
    "order", "please", "pls", "plz", "thanks", "thx", "hi", "hello", "hey", "yo", "good", "morning", "afternoon",
    "evening", "what", "whats", "what's", "which", "who", "how", "where", "when", "is", "are", "was", "were", "be",
    "been", "can", "could", "should", "will", "just", "also", "too", "really", "very", "so", "much", "many", "more",
    "most", "less", "cheap", "cheaper", "cheapest", "price", "prices", "cost", "costs", "euro", "euros", "eur",
    "under", "over", "below", "above", "between", "than", "max", "min", "size", "sized", "colour", "color",
    "products", "product", "items", "item", "kind", "sort", "type", "types", "new", "nice", "best", "great", "shop",
    "store", "bottega", "he", "she", "they", "him", "her", "his", "hers", "them", "their", "us", "i'll", "i've",
    "loves", "likes", "wants", "wanted", "fan", "gift", "gifts", "present", "presents", "birthday", "christmas",
    "xmas", "nephew", "niece", "son", "daughter", "kid", "kids", "child", "children", "boy", "girl", "boys",
    "girls", "husband", "wife", "boyfriend", "girlfriend", "partner", "mum", "mom", "dad", "mother", "father",
    "brother", "sister", "friend", "friends", "grandma", "grandpa", "granddad", "year", "years", "old", "aged",
    "age",
})
_CONTENT_WORD = re.compile(r"[^\W\d_][\w'-]*")


def _product_entity(tracker: Tracker) -> dict[str, Any] | None:
    """The product the message names: the catalogue's reading first, else DIET's."""
    products = [e for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == "product" and e.get("value")]
    ours = [e for e in products if e.get("extractor") == CATALOGUE_EXTRACTOR]
    return (ours or products or [None])[0]


def _search_words(tracker: Tracker, entity: dict[str, Any]) -> str:
    """What to send the shop for a product entity: the shopper's own words when they are the
    catalogue's, else the catalogue term they were read as ("kicks" → trainers, "sneekers")."""
    text = str(tracker.latest_message.get("text") or "")
    start, end = entity.get("start"), entity.get("end")
    if entity.get("literal") and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(entity["value"]).strip()


def content_words(text: str) -> str:
    """The words of a message that could name a product, when the NLU recognised none:
    "do you have socks?" → "socks". Empty when nothing is left."""
    if text.startswith("/"):
        return ""
    words = [w for w in _CONTENT_WORD.findall(text.lower()) if w.strip("'-") not in _NOT_CONTENT]
    return " ".join(words[:6])


def topic_department(tracker: Tracker) -> str | None:
    """The department the message's topic names, when the NLU is sure enough of it."""
    topic = tracker.latest_message.get("topic") or {}
    name, confidence = topic.get("name"), topic.get("confidence")
    if name in DEPARTMENTS and isinstance(confidence, (int, float)) and confidence >= TOPIC_DEPARTMENT_CONFIDENCE:
        return str(name)
    return None


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


# --- talking to the shop ------------------------------------------------------------


def tell_shop_error(dispatcher: CollectingDispatcher, exc: ShopError, action: str) -> None:
    """Tell the shopper the shop failed, and log it without personal data."""
    if isinstance(exc, ShopConfigurationError):
        logger.error("%s: the shop client is not configured: %s", action, exc)
        responses.shop_unavailable().send(dispatcher)
    elif isinstance(exc, ShopUnavailable):
        logger.warning("%s: shop unavailable: %s", action, exc)
        responses.shop_unavailable().send(dispatcher)
    else:
        logger.warning(
            "%s: shop error %s (status %s, code %s)",
            action,
            type(exc).__name__,
            exc.status,
            exc.code,
        )
        refused = responses.shop_refused_input(exc.detail) if exc.status == 422 else None
        (refused or responses.shop_failed()).send(dispatcher)


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
        return ProductReference(problem=responses.unknown_position(position, len(shown)))

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
            if previous is not None:
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
            suggestions = [] if page.items else await _nearest_departments(client, query, tracker)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []

        state = SearchState(query=query, total=page.total)
        events: list[EventType] = [
            SlotSet(LAST_SEARCH, state.to_slot()),
            SlotSet(FOCUSED_SKU, None),
        ]
        if not page.items:
            responses.no_results(query, suggestions).send(dispatcher)
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
    return query, page


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
