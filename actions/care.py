"""Customer care: promotions, stores, marketing consent, complaints, payment trouble and
erasure of the shopper's data (hand-off to a person: actions/handoff.py).

Tickets carry the shopper's own words to the shop (which stores them); the logs never do.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import care_messages as messages
from actions.clients.desk import DeskError, get_desk_client
from actions.clients.shop import ShopClient, ShopConflict, ShopError, ShopNotFound, get_shop_client
from actions.clients.shop_care import Ticket
from actions.identity import DEFAULT_CHANNEL, a_person_can_write, customer_id
from actions.message import entity_value, order_id_in_message, ticket_subject
from actions.order_choice import RECENT_ORDERS
from actions.shop_errors import tell_shop_error
from actions.slots import answered

logger = logging.getLogger(__name__)

CONFIRMING_ERASURE = "confirming_erasure"
# All Bottega stores are in Central European Time: "today" is their today.
STORES_TIMEZONE = ZoneInfo("Europe/Paris")
MAX_CITIES = 20
NEWSLETTER_TOPICS = ("news", "offers")
_CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
_PAYLOAD = re.compile(r"^/\w+(\{.*\})\s*$", re.S)


# --- reading the request ------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


def _location_in(data: Any) -> Location | None:
    """{"lat", "lon"} (or latitude/longitude/lng), at the top level or under "location"."""
    if not isinstance(data, Mapping):
        return None
    if isinstance(data.get("location"), Mapping):
        return _location_in(data["location"])
    lat = data.get("lat", data.get("latitude"))
    lon = data.get("lon", data.get("lng", data.get("longitude")))
    try:
        found = Location(float(lat), float(lon))
    except (TypeError, ValueError):
        return None
    if -90 <= found.lat <= 90 and -180 <= found.lon <= 180:
        return found
    return None


def shared_location(tracker: Tracker) -> Location | None:
    """A location shared with the latest message: in its metadata, or in a
    `/store_locator{"lat": .., "lon": ..}` payload (lat/lon are not domain entities)."""
    latest = tracker.latest_message or {}
    last_user: dict[str, Any] = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    for metadata in (latest.get("metadata"), last_user.get("metadata")):
        found = _location_in(metadata)
        if found:
            return found
    match = _PAYLOAD.match(str(latest.get("text") or "").strip())
    if match:
        try:
            return _location_in(json.loads(match.group(1)))
        except ValueError:
            return None
    return None


def conversation_channel(tracker: Tracker) -> str:
    """The channel part of the customer id, in the shop's channel-name form."""
    channel = customer_id(tracker).split(":", 1)[0].lower()
    channel = re.sub(r"[^a-z0-9_]", "_", channel)
    return channel if _CHANNEL_NAME.match(channel) else DEFAULT_CHANNEL


def payment_problem(tracker: Tracker) -> str:
    """"charged_twice", "declined" or "other", from the words of the message."""
    words = str(tracker.latest_message.get("text") or "").lower()
    if re.search(r"twice|double|two times|2 times|charged .*again|duplicate", words):
        return "charged_twice"
    if re.search(r"declin|reject|refus|fail|didn'?t go through|not go through|won'?t go through|denied", words):
        return "declined"
    return "other"


async def _shop_cities(client: ShopClient) -> list[str]:
    stores = await client.afind_stores(limit=MAX_CITIES)
    return list(dict.fromkeys(s.city for s in stores))


# --- actions ------------------------------------------------------------------------


class ActionShowPromotions(Action):
    """The promotions running now: title, code, what it applies to, minimum order, end date."""

    def name(self) -> str:
        return "action_show_promotions"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            items = await get_shop_client().alist_promotions()
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        messages.promotions(items).send(dispatcher)
        return [answered("promotions")]


class ActionFindStores(Action):
    """A city's stores, the nearest to a shared location, or a question (buttons for our cities)."""

    def name(self) -> str:
        return "action_find_stores"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        today = datetime.now(STORES_TIMEZONE).date()
        city = entity_value(tracker, "city")
        location = None if city else shared_location(tracker)
        try:
            client = get_shop_client()
            if city:
                found = await client.afind_stores(city=city)
                if found:
                    intro = f"Our store in {found[0].city}:" if len(found) == 1 else f"Our stores in {found[0].city}:"
                    messages.stores(found, today, intro).send(dispatcher)
                    return [answered("store_locator")]
                else:
                    messages.no_store_in(city, await _shop_cities(client)).send(dispatcher)
            elif location:
                nearest = await client.afind_stores(lat=location.lat, lon=location.lon)
                messages.stores(nearest, today, "The stores nearest to you:").send(dispatcher)
                return [answered("store_locator")]
            else:
                messages.ask_where(await _shop_cities(client)).send(dispatcher)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
        return []


class ActionSubscribe(Action):
    """Offers in this chat's channel: recorded at once, nothing more to ask."""

    def name(self) -> str:
        return "action_subscribe"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        try:
            await get_shop_client().arecord_consent(customer_id(tracker), conversation_channel(tracker), "offers", True)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        messages.subscribed().send(dispatcher)
        return []


class ActionUnsubscribe(Action):
    """Withdraw news and offers in this chat's channel (order updates are not marketing)."""

    def name(self) -> str:
        return "action_unsubscribe"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        who, channel = customer_id(tracker), conversation_channel(tracker)
        try:
            client = get_shop_client()
            for topic in NEWSLETTER_TOPICS:
                await client.arecord_consent(who, channel, topic, False)
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        messages.unsubscribed().send(dispatcher)
        return []


# The complaint ticket this conversation opened: while it is open, more complaining is acknowledged
# as part of it (the desk shows the whole conversation) rather than opening another.
COMPLAINT_TICKET = "complaint_ticket"
# A complaint about an order that went astray ("my parcel never came"): its topic, or its words.
_ORDER_TOPICS = ("orders", "delivery")
_ABOUT_A_DELIVERY = re.compile(
    r"\b(parcels?|packages?|pkg|deliver(y|ies|ed)?|orders?|couriers?|drivers?|arriv(e|ed|al)|came|"
    r"turned up|shipp(ed|ing)|tracking|stuff)\b", re.IGNORECASE)
# Orders such a complaint can be about: bought, and not cancelled or sent back.
_UNDER_WAY = ("paid", "shipped", "delivered")


class ActionOpenComplaint(Action):
    """A complaint ticket in the shopper's words, with its reference: the care desk's queue shows it
    and a person answers in the chat. A complaint about a delivery that names no order is about
    the newest order under way, whose status is told. More complaining while that ticket is open
    is noted, not answered with the same words and a second ticket. On a channel a person can't
    write to, no ticket: the shopper is told where to reach one."""

    def name(self) -> str:
        return "action_open_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        named = order_id_in_message(tracker)
        if not a_person_can_write(tracker):
            # No ticket that nobody could answer: the shopper is told where a person can.
            messages.complaint_reply_only(named).send(dispatcher)
            return []
        who = customer_id(tracker)
        try:
            client = get_shop_client()
            still_open = await _open_ticket(client, who, tracker.get_slot(COMPLAINT_TICKET))
            if still_open is not None and named in (None, still_open.order_id):
                messages.complaint_noted(still_open).send(dispatcher)
                return []
            order = None
            if named is None and _about_a_delivery(tracker):
                recent = await client.alist_orders(who, RECENT_ORDERS)
                order = next((o for o in recent if o.status in _UNDER_WAY), None)
            subject, body = ticket_subject(tracker, "Complaint in chat")
            ticket = await client.aopen_ticket(
                who, "complaint", subject, body, named or (order.order_id if order else None)
            )
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        logger.info("Complaint ticket %s opened", ticket.ticket_id)
        messages.complaint_opened(ticket, order).send(dispatcher)
        return [SlotSet(COMPLAINT_TICKET, ticket.ticket_id)]


async def _open_ticket(client: ShopClient, who: str, ticket_id: Any) -> Ticket | None:
    """The ticket, while it is open (a person may have closed it since)."""
    if not isinstance(ticket_id, str) or not ticket_id:
        return None
    try:
        ticket = await client.aget_ticket(who, ticket_id)
    except ShopNotFound:
        return None
    return ticket if ticket.status == "open" else None


def _about_a_delivery(tracker: Tracker) -> bool:
    topic = tracker.latest_message.get("topic")
    if isinstance(topic, Mapping) and topic.get("name") in _ORDER_TOPICS:
        return True
    return bool(_ABOUT_A_DELIVERY.search(str(tracker.latest_message.get("text") or "")))


class ActionPaymentHelp(Action):
    """Practical help for a declined card or a double charge, and a payment_issue ticket."""

    def name(self) -> str:
        return "action_payment_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not a_person_can_write(tracker):
            messages.payment_help(payment_problem(tracker), None).send(dispatcher)
            return []
        subject, body = ticket_subject(tracker, "Payment problem in chat")
        try:
            ticket = await get_shop_client().aopen_ticket(
                customer_id(tracker), "payment_issue", subject, body, order_id_in_message(tracker)
            )
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return []
        logger.info("Payment ticket %s opened", ticket.ticket_id)
        messages.payment_help(payment_problem(tracker), ticket).send(dispatcher)
        return []


class ActionAskErasure(Action):
    """Say what erasure covers and ask to confirm; the rules branch on `confirming_erasure`."""

    def name(self) -> str:
        return "action_ask_erasure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        messages.ask_erasure().send(dispatcher)
        return [SlotSet(CONFIRMING_ERASURE, True)]


class ActionDeleteMyData(Action):
    """The shopper confirmed: erase them in the shop, then this conversation's history in Rasa
    (the care desk deletes it once this turn has ended), and forget the slots."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot(CONFIRMING_ERASURE) is not True:
            # Only ever after the question: a stray "yes" must never erase anything.
            messages.erasure_not_asked().send(dispatcher)
            return [SlotSet(CONFIRMING_ERASURE, False)]
        try:
            await get_shop_client().aerase_customer(customer_id(tracker))
        except ShopConflict as exc:
            if exc.code != "erasure_blocked":
                tell_shop_error(dispatcher, exc, self.name())
            else:
                messages.erasure_blocked([str(o) for o in exc.facts.get("order_ids") or []]).send(dispatcher)
            return [SlotSet(CONFIRMING_ERASURE, False)]
        except ShopError as exc:
            tell_shop_error(dispatcher, exc, self.name())
            return [SlotSet(CONFIRMING_ERASURE, False)]
        logger.info("Customer erased on request")
        try:
            await get_desk_client().aerase_conversation(tracker.sender_id)
            history_erased = True
        except DeskError as exc:
            logger.error("The conversation's history could not be erased: %s", exc)
            history_erased = False
        messages.erased(history_erased).send(dispatcher)
        return [AllSlotsReset()]


class ActionKeepMyData(Action):
    """The shopper said no to erasure."""

    def name(self) -> str:
        return "action_keep_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        messages.erasure_declined().send(dispatcher)
        return [SlotSet(CONFIRMING_ERASURE, False)]
