"""The greeting: by the shopper's name when the channel knows it, and with the campaign they came for.

The channels put what they know about a shopper's arrival in the message's metadata
(channels/messenger.py, channels/whatsapp.py), which reaches the action as
`tracker.latest_message["metadata"]`:

    {"profile_name": "Giulia Rossi"}                    WhatsApp's contacts[].profile.name
    {"referral": {"ref": "spring10", "source": …}}      Messenger: an m.me/<page>?ref= link, a QR code, an
                                                        ad, Get Started opened from one of them
    {"referral": {"headline": "Spring sale", …}}        WhatsApp: the first message from a click-to-WhatsApp ad

A referral names a campaign by a promotion's code (`ref=SPRING10`), the words of its title
(`ref=spring-refresh`), or words of either with generic ones around them (`ref=spring-sale`): the
running promotion it names, when exactly one matches, is shown after the greeting with its code
and a button into its department. A referral that names none (a store's QR code, an ended sale)
changes nothing but the log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import care_messages as messages
from actions.clients.shop import ShopError, get_shop_client
from actions.clients.shop_care import Promotion

logger = logging.getLogger(__name__)

GREETING = "utter_greet"
GREETING_BY_NAME = "utter_greet_by_name"  # its texts say {shopper_name}
MAX_NAME = 40
# Words a campaign's link or ad wraps around its name, which name no promotion by themselves.
GENERIC_WORDS = {"sale", "sales", "promo", "promos", "promotion", "promotions", "offer", "offers", "campaign",
                 "deal", "deals", "discount", "discounts", "code", "ad", "ads", "the", "a", "an", "of", "our",
                 "bottega", "shop", "now", "on", "off", "and", "for", "with", "to", "in"}
# The referral fields that may name a campaign: Messenger's `ref`; a WhatsApp ad's headline.
CAMPAIGN_FIELDS = ("ref", "headline")
_WORD = re.compile(r"[^\W_]+")


def shopper_name(metadata: Mapping[str, Any]) -> str | None:
    """The first name to greet with, from the platform's profile name ("Giulia Rossi" → "Giulia");
    None when there is none, or nothing in it reads as a name (digits, emoji)."""
    name = metadata.get("profile_name")
    if not isinstance(name, str):
        return None
    words = name.split()
    first = words[0] if words else ""
    if not any(character.isalpha() for character in first):
        return None
    return first[:MAX_NAME]


def _words(value: str) -> list[str]:
    """Lower-case words, a code's letters and digits apart as well ("SPRING10" → spring10, spring, 10)."""
    found: list[str] = []
    for word in _WORD.findall(value.lower()):
        found.append(word)
        found += [part for part in re.findall(r"[^\W\d_]+|\d+", word) if part != word]
    return found


def _key(value: str) -> str:
    return "".join(_WORD.findall(value.lower()))


def campaign_of(referral: Any, promotions: Sequence[Promotion]) -> Promotion | None:
    """The running promotion a referral names (module docstring); None when it names none or several."""
    if not isinstance(referral, Mapping):
        return None
    for field in CAMPAIGN_FIELDS:
        value = referral.get(field)
        if not isinstance(value, str) or not _key(value):
            continue
        exact = [p for p in promotions if _key(value) in (_key(p.code), _key(p.title))]
        if len(exact) == 1:
            return exact[0]
        wanted = {word for word in _words(value) if word not in GENERIC_WORDS}
        if not wanted:
            continue
        named = [p for p in promotions if wanted <= set(_words(f"{p.code} {p.title}"))]
        if len(named) == 1:
            return named[0]
    return None


class ActionGreet(Action):
    """Greets the shopper (the `utter_greet` responses, by name when the channel gave one) and, when
    they arrived from a campaign's link or ad, shows that campaign."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        metadata = tracker.latest_message.get("metadata") or {}
        name = shopper_name(metadata)
        if name:
            dispatcher.utter_message(response=GREETING_BY_NAME, shopper_name=name)
        else:
            dispatcher.utter_message(response=GREETING)
        referral = metadata.get("referral")
        if not isinstance(referral, Mapping) or not any(isinstance(referral.get(f), str) for f in CAMPAIGN_FIELDS):
            return []
        try:
            promotions = await get_shop_client().alist_promotions()
        except ShopError as exc:
            # The greeting stands; the campaign waits for "any offers?".
            logger.warning("A referral's campaign could not be looked up (%s)", type(exc).__name__)
            return []
        promotion = campaign_of(referral, promotions)
        if promotion is None:
            logger.info("A referral (%s) names no running promotion", referral.get("source") or "ad")
            return []
        logger.info("A shopper arrived from the campaign of promotion %s", promotion.code)
        messages.campaign(promotion).send(dispatcher)
        return []
