"""Facebook Messenger: the `messenger` channel (webhook /webhooks/messenger/webhook), on channels/meta.py.

Inbound (`messenger_events`), per `entry[].messaging[]` event:

    message.text                    → the text
    message.quick_reply.payload     → the payload (our buttons send Rasa's `/intent{...}`)
    postback.payload                → the payload; postback.referral (Get Started via m.me ?ref=) → metadata
    referral (m.me link, ad, QR)    → "/greet" with {"referral": {"ref", "source", "type", "ad_id"}} metadata;
                                      an ad's ads_context_data.ad_title as "headline" (names the campaign)
    message.referral                → the message as above, with the same {"referral"} metadata
    a shared location               → "/store_locator" with {"location": {"latitude", "longitude"}}: a
                                      `location` attachment's coordinates, or a pinned location's map
                                      link in a `fallback` attachment (how the apps send it today); a
                                      location without coordinates → "/store_locator" (which city?)
    other attachments               → ATTACHMENT_REPLY, the bot never sees them
    echoes, delivery, read, optin, reactions, `standby` entries (another app has the thread) → nothing

Outbound (`render_messenger`), a neutral message becomes Send API messages within Messenger's limits:
text in pieces of ≤ 2,000 characters; product cards as generic-template carousels of ≤ 10 cards
(numbered as in the text, ≤ 3 buttons each); link buttons in button templates (≤ 3 per template);
payload buttons as ≤ 13 quick replies on the last message, or, when there are more, as postback
buttons in button templates, 3 at a time. Titles are shortened after a whole word with "…"
(≤ 20 characters, card titles ≤ 80); buttons that shortening would make look alike are numbered
("1. Remove…") and listed in full under those numbers in the text (`button_titles`). Nothing is
dropped: what does not fit goes in another message.
Before each turn the shopper sees the message marked seen and the typing indicator. A person's
message (the care desk) starts with their name; outside the 24-hour window only payment notices
(tag POST_PURCHASE_UPDATE) and, for 7 days, a person's messages (HUMAN_AGENT) go out
(channels/window.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import urllib.parse
from dataclasses import replace
from typing import Any

from channels.graph import GraphError
from channels.meta import BadPayload, Inbound, MetaInput, MetaOutput, MetaSettings, expect, shopper_id, timestamp
from channels.neutral import Card, Choice, cards_and_intro, message_choices, public_image, with_agent_name
from channels.text import clean_text, shorten, split_text
from channels.window import PERSON, OutsideWindow, inside, messenger_sending

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_TEMPLATE_TEXT = 640
MAX_QUICK_REPLIES = 13
MAX_TITLE = 20  # quick replies and buttons
MAX_TEMPLATE_BUTTONS = 3
MAX_CARDS = 10
MAX_CARD_TEXT = 80  # a card's title and subtitle
MAX_PAYLOAD = 1000
MAX_INBOUND_TEXT = 2000  # what reaches the NLU (the web chat's limit)
MAX_REFERRAL_VALUE = 250
LINKS_PROMPT = "Here you go:"
MORE_OPTIONS = "More options:"


# --- inbound ------------------------------------------------------------------------------------


def messenger_events(body: Any) -> list[Inbound]:
    """The events of a Messenger webhook body meant for the bot, in order (module docstring)."""
    body = expect(body, dict, "the body")
    if body.get("object") != "page":
        raise BadPayload('"object" is not "page"')
    events: list[Inbound] = []
    for entry in expect(body.get("entry"), list, "entry"):
        entry = expect(entry, dict, "an entry")
        # `standby` entries are events while another app (a person's inbox) has the thread: not ours.
        for item in expect(entry.get("messaging", []), list, "messaging"):
            # One event in a shape we cannot read never holds up the rest of the batch.
            try:
                inbound = _event(expect(item, dict, "an event"))
            except BadPayload as problem:
                logger.warning("messenger: an event was skipped: %s", problem)
                continue
            if inbound is not None:
                events.append(inbound)
    return events


def _event(item: dict[str, Any]) -> Inbound | None:
    inbound = _inbound(item)
    return replace(inbound, sent_at=timestamp(item.get("timestamp"), 1000)) if inbound is not None else None


def _inbound(item: dict[str, Any]) -> Inbound | None:
    if not any(key in item for key in ("message", "postback", "referral")):
        return None  # delivery, read, optin, reaction, account linking …
    sender = shopper_id(expect(item.get("sender"), dict, "sender").get("id"))
    if "message" in item:
        message = expect(item["message"], dict, "message")
        if message.get("is_echo"):
            return None  # what the page itself sent
        mid = expect(message.get("mid"), str, "message.mid")
        # A message sent from an ad's or a shop's prefilled text carries its referral: the text is
        # what the shopper wrote, the referral goes with it as a standalone one does.
        referral = _referral(message.get("referral"))
        if message.get("quick_reply") is not None:
            reply = expect(message["quick_reply"], dict, "quick_reply")
            return Inbound(sender, mid, _text(expect(reply.get("payload"), str, "quick_reply.payload")), referral)
        if message.get("text") is not None:
            return Inbound(sender, mid, _text(expect(message["text"], str, "message.text")), referral)
        attachments = expect(message.get("attachments", []), list, "attachments")
        for attachment in attachments:
            location = _location(expect(attachment, dict, "an attachment"))
            if location is not None:
                return Inbound(sender, mid, "/store_locator", {**referral, "location": location})
        if any(attachment.get("type") == "location" for attachment in attachments):
            return Inbound(sender, mid, "/store_locator", referral)  # a place without coordinates: which city?
        return Inbound(sender, mid, None) if attachments else None
    if "postback" in item:
        postback = expect(item["postback"], dict, "postback")
        payload = _text(expect(postback.get("payload"), str, "postback.payload"))
        # A postback has a mid since 2020; an older or unusual one is named by its content.
        mid = postback.get("mid") if isinstance(postback.get("mid"), str) else _event_id(item)
        return Inbound(sender, mid, payload, _referral(postback.get("referral")))
    return Inbound(sender, _event_id(item), "/greet", _referral(item.get("referral")))


def _text(value: str) -> str:
    return clean_text(value)[:MAX_INBOUND_TEXT]


def _event_id(item: dict[str, Any]) -> str:
    """A stable id for an event without a message id: a redelivery is the same JSON."""
    return "event:" + hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:32]


def _referral(value: Any) -> dict[str, Any]:
    """{"referral": {...}} with the referral's text fields (ref, source, type, ad_id …), or nothing.
    An ad's title (`ads_context_data.ad_title`) comes as `headline`, as a click-to-WhatsApp ad's
    does: the greeting opens the campaign it names when the ad sets no `ref` (actions/greeting.py)."""
    if not isinstance(value, dict):
        return {}
    kept = {key: clean_text(item)[:MAX_REFERRAL_VALUE] for key, item in value.items()
            if key in ("ref", "source", "type", "ad_id", "referer_uri") and isinstance(item, str)}
    ad = value.get("ads_context_data")
    title = ad.get("ad_title") if isinstance(ad, dict) else None
    if isinstance(title, str) and title.strip():
        kept["headline"] = " ".join(clean_text(title).split())[:MAX_REFERRAL_VALUE]
    return {"referral": kept} if kept else {}


def _location(attachment: dict[str, Any]) -> dict[str, float] | None:
    """The coordinates of a shared location: a `location` attachment's payload.coordinates {lat, long},
    as Meta documented it, or, as the apps send a pinned location today (webhooks v6+: a `fallback`
    attachment, or a `location` one without coordinates), the map link's coordinates (a Bing Maps
    link's where1=<lat>,<lon> or cp=<lat>~<lon>, behind Facebook's l.php redirect)."""
    kind = attachment.get("type")
    if kind not in ("location", "fallback"):
        return None
    found_payload = attachment.get("payload")
    payload: dict[str, Any] = found_payload if isinstance(found_payload, dict) else {}
    coordinates = payload.get("coordinates")
    if isinstance(coordinates, dict):
        found = _coordinates(coordinates.get("lat"), coordinates.get("long"))
        if found is not None:
            return found
    return _coordinates_in_link(payload.get("url") or attachment.get("url"))


_PAIR = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*[,~]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_MAP_PARAMETERS = ("where1", "cp", "q", "ll", "query")


def _coordinates_in_link(url: Any, redirects: int = 1) -> dict[str, float] | None:
    if not isinstance(url, str) or len(url) > 4096:
        return None
    parsed = urllib.parse.urlparse(url)
    query = urllib.parse.parse_qs(parsed.query)
    if redirects and parsed.netloc.endswith("facebook.com") and parsed.path == "/l.php" and query.get("u"):
        return _coordinates_in_link(query["u"][0], redirects - 1)
    host = parsed.netloc.lower().split(":")[0]
    is_map = host.endswith(("bing.com", "maps.apple.com", "openstreetmap.org")) or (
        ".google." in f".{host}" and (host.startswith("maps.") or parsed.path.startswith("/maps")))
    if not is_map:
        return None  # a shared article's ?q=45,9 is no place
    for key in _MAP_PARAMETERS:
        match = _PAIR.match(query.get(key, [""])[0])
        if match:
            return _coordinates(float(match.group(1)), float(match.group(2)))
    return None


def _coordinates(latitude: Any, longitude: Any) -> dict[str, float] | None:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (latitude, longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return {"latitude": float(latitude), "longitude": float(longitude)}


# --- outbound -----------------------------------------------------------------------------------


def render_messenger(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The Send API `message` objects for one neutral message, in order (module docstring)."""
    cards, text = cards_and_intro(message)
    every = message_choices(message)
    links = [choice for choice in every if choice.url]
    replies = [choice for choice in every if choice.payload and len(choice.payload) <= MAX_PAYLOAD]
    # A payload Messenger cannot carry: the option is still shown, in words the shopper can type.
    unsendable = [choice.title for choice in every if choice.payload and len(choice.payload) > MAX_PAYLOAD]
    if unsendable:
        text = "\n".join([text, *(f"- {title}" for title in unsendable)]).strip()
    for card in cards:
        replies += card.choices[MAX_TEMPLATE_BUTTONS:]  # never the case today (2 per card); kept, not lost
    titles, legend = button_titles([*links, *replies])
    if legend:
        text = "\n".join([text, *legend]).strip()

    rendered: list[dict[str, Any]] = []
    template_text = text if links and len(text) <= MAX_TEMPLATE_TEXT else None
    if text and template_text is None:
        rendered += [{"text": piece} for piece in split_text(text, MAX_TEXT)]
    image = public_image(message.get("image"))
    if image:
        rendered.append(_attachment("image", {"url": image, "is_reusable": True}))
    for start in range(0, len(cards), MAX_CARDS):
        elements = [_element(card) for card in cards[start:start + MAX_CARDS]]
        rendered.append(_attachment("template", {"template_type": "generic", "elements": elements}))
    for start in range(0, len(links), MAX_TEMPLATE_BUTTONS):
        buttons = [_button(choice, titles) for choice in links[start:start + MAX_TEMPLATE_BUTTONS]]
        prompt = (template_text or LINKS_PROMPT) if start == 0 else MORE_OPTIONS
        rendered.append(_attachment("template", {"template_type": "button", "text": prompt, "buttons": buttons}))
    if len(replies) > MAX_QUICK_REPLIES:
        for start in range(0, len(replies), MAX_TEMPLATE_BUTTONS):
            buttons = [_button(choice, titles) for choice in replies[start:start + MAX_TEMPLATE_BUTTONS]]
            rendered.append(_attachment("template", {"template_type": "button", "text": MORE_OPTIONS,
                                                     "buttons": buttons}))
    elif replies:
        if not rendered:
            rendered.append({"text": MORE_OPTIONS})  # quick replies need a message to sit under
        rendered[-1]["quick_replies"] = [
            {"content_type": "text", "title": titles.get(choice, shorten(choice.title, MAX_TITLE)),
             "payload": choice.payload} for choice in replies]
    return rendered


def _attachment(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"attachment": {"type": kind, "payload": payload}}


def button_titles(choices: list[Choice]) -> tuple[dict[Choice, str], list[str]]:
    """The title each button shows (≤ MAX_TITLE), and the lines the text needs for them. Titles that
    shortening makes look alike ("Remove Trailblazer…" for two sizes of one boot) are numbered
    instead ("1. Remove…", "2. Remove…"), and the text lists them in full under those numbers: a
    shopper can always tell which is which. Buttons whose whole titles are alike stay as they are."""
    shown = {choice: shorten(choice.title, MAX_TITLE) for choice in choices}
    groups: dict[str, list[Choice]] = {}
    for choice in dict.fromkeys(choices):
        groups.setdefault(shown[choice], []).append(choice)
    legend: list[str] = []
    for group in groups.values():
        if len({" ".join(choice.title.split()) for choice in group}) < 2:
            continue
        for choice in group:
            number = len(legend) + 1
            shown[choice] = shorten(f"{number}. {choice.title}", MAX_TITLE)
            legend.append(f"{number}. {' '.join(choice.title.split())}")
    return shown, legend


def _button(choice: Choice, titles: dict[Choice, str] | None = None) -> dict[str, Any]:
    title = (titles or {}).get(choice) or shorten(choice.title, MAX_TITLE)
    if choice.url:
        return {"type": "web_url", "url": choice.url, "title": title}
    return {"type": "postback", "title": title, "payload": choice.payload}


def _element(card: Card) -> dict[str, Any]:
    title = f"{card.number}. {card.title}" if card.number is not None else card.title
    element: dict[str, Any] = {"title": shorten(title, MAX_CARD_TEXT)}
    if card.subtitle:
        element["subtitle"] = shorten(card.subtitle, MAX_CARD_TEXT)
    if card.image_url:
        element["image_url"] = card.image_url
    buttons = [_button(choice) for choice in card.choices[:MAX_TEMPLATE_BUTTONS]
               if choice.url or (choice.payload and len(choice.payload) <= MAX_PAYLOAD)]
    if buttons:
        element["buttons"] = buttons
    return element


class MessengerOutput(MetaOutput):
    """Sends to a PSID through the page's Send API (POST /me/messages)."""

    @classmethod
    def name(cls) -> str:
        return "messenger"

    def render(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        return render_messenger(message)

    def outgoing(self, message: dict[str, Any], purpose: str, last_wrote: float | None,
                 now: float) -> list[dict[str, Any]]:
        messaging_type, tag = messenger_sending(purpose, last_wrote, now)
        sending: dict[str, Any] = {"messaging_type": messaging_type} | ({"tag": tag} if tag else {})
        return [{**sending, "message": rendered} for rendered in self.render(with_agent_name(message))]

    async def deliver(self, shopper: str, body: dict[str, Any]) -> None:
        await self.client.post("me/messages", {"recipient": {"id": shopper}, **body}, shopper)

    def person_reply(self, last_wrote: float | None, now: float) -> str:
        try:
            _, tag = messenger_sending(PERSON, last_wrote, now)
        except OutsideWindow:
            return "refused"
        return f"tag {tag}" if tag else "message"

    async def before_turn(self, recipient_id: str, message_id: str) -> None:
        if not inside(await self.seen.last_wrote(recipient_id), time.time()):
            return  # a message Meta delivered a day late: no typing for an answer that may not go out
        shopper = self.shopper(recipient_id)
        for action in ("mark_seen", "typing_on"):
            try:
                await self.client.post("me/messages", {"recipient": {"id": shopper}, "sender_action": action}, shopper)
            except GraphError:
                return  # only a courtesy: the answer still goes out


class MessengerInput(MetaInput):
    """The Messenger webhook. In credentials.yml (docs/configuration.md):

        channels.messenger.MessengerInput:
          app_secret: ${MESSENGER_APP_SECRET}
          verify_token: ${MESSENGER_VERIFY_TOKEN}
          page_access_token: ${MESSENGER_PAGE_ACCESS_TOKEN}
          graph_url: ${META_GRAPH_URL}
          graph_version: ${META_GRAPH_VERSION}
    """

    @classmethod
    def name(cls) -> str:
        return "messenger"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessengerInput:
        credentials = dict(credentials or {})
        credentials["access_token"] = credentials.get("page_access_token")
        return cls(MetaSettings.read("channels.messenger.MessengerInput", credentials, "MESSENGER"))

    def inbound(self, body: Any) -> list[Inbound]:
        return messenger_events(body)

    def get_output_channel(self) -> MessengerOutput:
        return MessengerOutput(self.client, self._seen())
