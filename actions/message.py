"""Reading the shopper's latest message: its entities and intent, the numbers in its wording
(positions, quantities, sizes, prices), the words that could name a product, its topic's
department, an order id it names and the text a ticket carries.

Every action module reads messages through these; they only read the tracker, never the shop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rasa_sdk import Tracker

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
_MAX_IN_TEXT = re.compile(rf"\b(?:under|below|less than|cheaper than|at most|up to|upto|max)\s+{_NUM}", re.I)
_MIN_IN_TEXT = re.compile(rf"\b(?:over|above|more than|at least|min)\s+{_NUM}", re.I)
# A negated bound is the other bound: "nothing over 90", "no more than 25" (a maximum), "not under 50"
# (a minimum). These are read first and taken out of the text, so "over 90" is not read again.
_NEGATION = r"\b(?:no|not|nothing|none|never)\s+"
_NEGATED_MAX_IN_TEXT = re.compile(rf"{_NEGATION}(?:over|above|more than|higher than|exceeding)\s+{_NUM}", re.I)
_NEGATED_MIN_IN_TEXT = re.compile(rf"{_NEGATION}(?:under|below|less than|cheaper than)\s+{_NUM}", re.I)
_QUANTITY_IN_TEXT = re.compile(r"\b(\d{1,3})\s*(?:x\b|×|of\b|pieces\b|pcs\b)", re.I)


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
        negated_high, negated_low = _NEGATED_MAX_IN_TEXT.search(text), _NEGATED_MIN_IN_TEXT.search(text)
        rest = _NEGATED_MIN_IN_TEXT.sub(" ", _NEGATED_MAX_IN_TEXT.sub(" ", text))
        low_match = negated_low or _MIN_IN_TEXT.search(rest)
        high_match = negated_high or _MAX_IN_TEXT.search(rest)
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



# --- what the message is about ---------------------------------------------------------

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
    "age", "yrs", "month", "months", "quid", "pound", "pounds", "buck", "bucks", "dollar", "dollars", "gbp", "usd",
})
_CONTENT_WORD = re.compile(r"[^\W\d_][\w'-]*")


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


# --- orders and tickets ---------------------------------------------------------------

# The shop's order ids: BT, a dash, letters and digits (BT-7K3MZQ2P). Only BT- is looked for
# in free text, so words like "re-order" are never taken for an order id.
ORDER_ID_PATTERN = re.compile(r"\b([Bb][Tt]-[A-Za-z0-9]{4,16})\b")
SUBJECT_LENGTH = 120
BODY_LENGTH = 4000


def order_id_in_message(tracker: Tracker) -> str | None:
    """The order id the latest message names (entity, else written in the text), upper-cased."""
    for candidate in (entity_value(tracker, "order_id"), str(tracker.latest_message.get("text") or "")):
        match = ORDER_ID_PATTERN.search(candidate or "")
        if match:
            return match.group(1).upper()
    return None


def ticket_subject(tracker: Tracker, fallback: str) -> tuple[str, str]:
    """(subject, body) from the shopper's latest message: the first 120 characters, and the
    whole message; `fallback` when the message was a button payload or empty."""
    message = " ".join(str(tracker.latest_message.get("text") or "").split())
    if len(message) < 2 or message.startswith("/"):
        return fallback, ""
    return message[:SUBJECT_LENGTH], message[:BODY_LENGTH]
