"""Reading the bot's channel-neutral messages (actions/responses.py) for the channels that render them.

A bot message, as Rasa hands it to an output channel, has `text`, `buttons` (and `quick_replies`),
each `{"title", "payload"}` or a link `{"title", "url"}`, `image`, and a `custom` payload, which for
product cards is `{"type": "product_cards", "cards": [{"sku", "title", "subtitle", "image_url",
"buttons"}]}`. The text of a cards message repeats them as numbered lines after an intro, for
channels that cannot show cards; a channel that shows them keeps the intro and the numbers.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

PRODUCT_CARDS = "product_cards"  # actions/responses.py
_NUMBERED = re.compile(r"^(\d{1,3})\. ")


@dataclass(frozen=True)
class Choice:
    """A button: `payload` sends a message back, `url` opens a page."""

    title: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Card:
    number: int | None
    title: str
    subtitle: str
    image_url: str | None
    choices: list[Choice] = field(default_factory=list)
    sku: str | None = None  # the shop's SKU: the product's retailer id in a Meta catalogue


def choices(buttons: Any) -> list[Choice]:
    """The buttons of a message (or card) that carry a title and a payload or a URL, in order."""
    found: list[Choice] = []
    for button in buttons if isinstance(buttons, list) else []:
        if not isinstance(button, dict) or not str(button.get("title") or "").strip():
            continue
        title = " ".join(str(button["title"]).split())
        if button.get("url"):
            found.append(Choice(title, url=str(button["url"])))
        else:
            found.append(Choice(title, payload=str(button.get("payload") or title)))
    return found


def message_choices(message: dict[str, Any]) -> list[Choice]:
    return choices(message.get("buttons")) + choices(message.get("quick_replies"))


def cards_and_intro(message: dict[str, Any]) -> tuple[list[Card], str]:
    """The product cards of a message (none when it has none) and the text to send with them: the
    whole text, or, when its numbered lines are the cards, the rest of it (the numbers go on the cards)."""
    text = str(message.get("text") or "").strip()
    custom = message.get("custom")
    if not isinstance(custom, dict) or custom.get("type") != PRODUCT_CARDS or not isinstance(custom.get("cards"), list):
        return [], text
    raw = [card for card in custom["cards"] if isinstance(card, dict) and str(card.get("title") or "").strip()]
    lines = text.splitlines()
    numbered = [line for line in lines if _NUMBERED.match(line)]
    numbers: list[int | None] = [None] * len(raw)
    if raw and len(numbered) == len(raw):
        numbers = [int(_NUMBERED.match(line).group(1)) for line in numbered]  # type: ignore[union-attr]
        text = "\n".join(line for line in lines if not _NUMBERED.match(line)).strip()
    cards = [Card(number, " ".join(str(card["title"]).split()), " ".join(str(card.get("subtitle") or "").split()),
                  public_image(card.get("image_url")), choices(card.get("buttons")),
                  (card["sku"].strip() or None) if isinstance(card.get("sku"), str) else None)
             for number, card in zip(numbers, raw, strict=True)]
    return cards, text


def public_image(url: Any) -> str | None:
    """An image URL Meta can fetch and show: https, and not SVG (which neither app renders)."""
    if not isinstance(url, str):
        return None
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "https" or not parsed.netloc or parsed.path.lower().endswith(".svg"):
        return None
    return url


TEAM_NAME = "Bottega team"  # how the web chat labels a person's message: "<agent> · Bottega team"


def with_agent_name(message: dict[str, Any]) -> dict[str, Any]:
    """A person's message (the care desk's, with `agent`) with their name before the text, as the web
    chat labels the bubble; channels without labels show it so. The desk's own notices, signed by
    the team, already say who writes."""
    agent = " ".join(str(message.get("agent") or "").split())
    text = str(message.get("text") or "").strip()
    if not agent or agent == TEAM_NAME or not text:
        return message
    return {**message, "text": f"{agent} · {TEAM_NAME}:\n{text}"}
