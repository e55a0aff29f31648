"""WhatsApp Business Cloud API: the `whatsapp` channel (webhook /webhooks/whatsapp/webhook), on channels/meta.py.

Inbound (`whatsapp_events`), per `entry[].changes[]` of field "messages" for our phone number id:

    text.body                                   → the text
    interactive.button_reply.id / list_reply.id → the id (our buttons' and rows' ids are Rasa payloads)
    button.payload (a template's quick reply)   → the payload
    location                                    → "/store_locator" with {"location": {"latitude", "longitude", …}}
    order (a cart sent from our catalogue)      → "/add_to_cart" with {"catalog_order": {"catalog_id", "items":
                                                  [{"sku", "quantity"}], "left_out"}} (channels/whatsapp_catalogue.py,
                                                  actions/catalog_order.py);
                                                  prices are never passed on: the shop's own count.
                                                  From a catalogue other than WHATSAPP_CATALOG_ID →
                                                  OTHER_CATALOGUE_REPLY, and the bot never sees it;
                                                  A cart whose lines cannot be read → UNREADABLE_CART_REPLY
    location without coordinates                → "/store_locator" (the bot asks which city)
    image, document, audio, video, sticker      → ATTACHMENT_REPLY; the bot never sees them
    contacts (a shared contact card)            → CONTACT_REPLY; unsupported → UNSUPPORTED_REPLY
    contacts[].profile.name                     → {"profile_name"} metadata
    referral (a click-to-WhatsApp ad)           → {"referral"} metadata
    statuses (sent, delivered, read, failed), reactions, system messages (a number change) → nothing
    errors (on the delivery, a failed status, a message) → logged at warning: code and title only
    a message that cannot be read (no wa_id, no message id, a text that is no text) → skipped and
                                                  logged; the rest of the delivery is handled

Before each turn the shopper's message is marked read with the typing indicator (`before_turn`).

Outbound (`render_whatsapp`), a neutral message becomes Cloud API messages within WhatsApp's limits:
text in pieces of ≤ 4,096 characters; ≤ 3 payload buttons with titles ≤ 20 as reply buttons, more
(or longer titles, or product cards) as list messages of ≤ 10 rows (titles ≤ 24, descriptions ≤ 72),
one list after another when there are more; each link button as a `cta_url` message. An interactive
body holds ≤ 1,024 characters: a longer text goes first as text messages. Product cards become rows
opening the product's details (whose single card then offers its own buttons); nothing is dropped.
With a catalogue id (WHATSAPP_CATALOG_ID), product cards are the catalogue's own product and
product_list messages instead (channels/whatsapp_catalogue.py); one Meta refuses (a SKU not in the
catalogue) is sent again as list messages: the answer is never lost.
A person's message (the care desk) starts with their name. Outside the 24-hour window only approved
templates go out: a payment notice as the order-update template, a person's reply as the
agent-reply template, when configured; anything else is refused (channels/window.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import replace
from typing import Any

from channels.graph import GraphClient, GraphError, redact
from channels.meta import (
    ATTACHMENT_REPLY,
    BadPayload,
    Inbound,
    MetaInput,
    MetaOutput,
    MetaSettings,
    expect,
    shopper_id,
    timestamp,
)
from channels.neutral import TEAM_NAME, Choice, cards_and_intro, message_choices, public_image, with_agent_name
from channels.seen import SeenStore
from channels.text import clean_text, shorten, split_text
from channels.whatsapp_catalogue import (
    CATALOG_ORDER,
    ORDER_PAYLOAD,
    OTHER_CATALOGUE_REPLY,
    catalog_id_of,
    catalogue_messages,
    order_lines,
)
from channels.window import PERSON, OutsideWindow, Templates, inside, purpose_of, whatsapp_template

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_BODY = 1024
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_INBOUND_TEXT = 2000
MAX_METADATA_VALUE = 250
MAX_TEMPLATE_PARAMETER = 900  # a template's body holds 1,024 characters with its own words
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
NO_TEMPLATES = Templates()
LIST_BUTTON = "Choose"
PRODUCTS_BUTTON = "See products"
CHOOSE_PROMPT = "Choose one:"
MORE_OPTIONS = "More options:"
MAX_ERROR_TITLE = 200
RECEIPT_SECONDS = 2.0  # the read receipt's and typing indicator's time, at most
_ATTACHMENTS = {"image", "document", "audio", "video", "sticker"}
_STATUSES = {"sent", "delivered", "read", "failed", "deleted", "warning"}
# What a shopper who shares a contact card, or sends what WhatsApp cannot pass on, is told.
CONTACT_REPLY = ("Thanks! I can't open contact cards here. Tell me in a few words what you are looking for, "
                 "and I'll help.")
UNSUPPORTED_REPLY = ("Sorry, that kind of message doesn't reach me here. Could you tell me in a few words what you "
                     "are looking for?")
UNREADABLE_CART_REPLY = ("Sorry, I couldn't read that cart. Could you send it again, or tell me which products "
                         "you'd like?")
_REPLIES = {**dict.fromkeys(_ATTACHMENTS, ATTACHMENT_REPLY), "contacts": CONTACT_REPLY,
            "unsupported": UNSUPPORTED_REPLY}
_READ = {"text", "interactive", "button", "location", "order", *_REPLIES}
_KNOWN = {*_READ, "system", "reaction", "ephemeral", "request_welcome"}  # types logs may name
_REFERRAL_KEYS = ("source_url", "source_id", "source_type", "headline", "ctwa_clid")


# --- inbound ------------------------------------------------------------------------------------


def whatsapp_events(body: Any, phone_number_id: str, catalog_id: str | None = None) -> list[Inbound]:
    """The messages of a WhatsApp webhook body to our number meant for the bot, in order. With
    `catalog_id`, a cart from any other catalogue is answered here and never reaches the bot."""
    body = expect(body, dict, "the body")
    if body.get("object") != "whatsapp_business_account":
        raise BadPayload('"object" is not "whatsapp_business_account"')
    events: list[Inbound] = []
    for entry in expect(body.get("entry"), list, "entry"):
        for change in expect(expect(entry, dict, "an entry").get("changes", []), list, "changes"):
            change = expect(change, dict, "a change")
            if change.get("field") != "messages":
                continue  # account, template and quality updates
            value = expect(change.get("value"), dict, "value")
            number = expect(value.get("metadata", {}), dict, "metadata").get("phone_number_id")
            if number is not None and str(number) != phone_number_id:
                continue  # another number of the same business account
            names = _profile_names(value.get("contacts"))
            _log_errors(value.get("errors"), "the delivery")
            for message in expect(value.get("messages", []), list, "messages"):
                # One message Meta sent in a shape we cannot read never holds up the rest of the batch.
                try:
                    inbound = _message(expect(message, dict, "a message"), names, catalog_id)
                except BadPayload as problem:
                    logger.warning("whatsapp: a message was skipped: %s", problem)
                    continue
                if inbound is not None:
                    events.append(inbound)
            for status in expect(value.get("statuses", []), list, "statuses"):  # receipts: never the bot's
                if isinstance(status, dict):
                    _log_errors(status.get("errors"), f"a {_word(status.get('status'))} status")
    return events


def _log_errors(errors: Any, where: str) -> None:
    """Meta's errors (on the delivery, a failed status, a message) at warning, with their code and
    title only: `error_data.details` and the status's recipient may name the shopper."""
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            code = error.get("code") if isinstance(error.get("code"), int) else None
            title = error.get("title") or error.get("message")
            logger.warning("whatsapp: Meta reports an error on %s: code %s, %s", where, code,
                           shorten(clean_text(title), MAX_ERROR_TITLE) if isinstance(title, str) else "no title")


def _word(value: Any) -> str:
    """A status name as logs may show it (one of Meta's words, never anything else)."""
    return value if value in _STATUSES else "unknown"


def _profile_names(contacts: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    for contact in contacts if isinstance(contacts, list) else []:
        profile = contact.get("profile") if isinstance(contact, dict) else None
        name = profile.get("name") if isinstance(profile, dict) else None
        if isinstance(name, str) and name.strip() and isinstance(contact.get("wa_id"), str):
            names[contact["wa_id"]] = " ".join(clean_text(name).split())[:MAX_METADATA_VALUE]
    return names


def _message(message: dict[str, Any], names: dict[str, str], catalog_id: str | None) -> Inbound | None:
    """The message as an Inbound, None when it is not for the bot; BadPayload when it cannot be read
    (the caller skips it)."""
    kind = message.get("type")
    _log_errors(message.get("errors"), f"a message of type {kind if kind in _KNOWN else 'unknown'}")
    if kind not in _READ:
        return None  # reaction, system (a number change), ephemeral …: nothing to answer
    sender = shopper_id(message.get("from"))
    wamid = expect(message.get("id"), str, "message.id")
    if kind in _REPLIES:  # something real the bot cannot read: answered here, politely
        inbound: Inbound | None = Inbound(sender, wamid, None, reply=_REPLIES[kind])
    elif kind == "order":
        try:
            inbound = _inbound(message, kind, sender, wamid, names, catalog_id)
        except BadPayload:  # a cart the shopper did send: told, never silently lost
            logger.info("whatsapp: a cart whose lines could not be read was answered")
            inbound = Inbound(sender, wamid, None, reply=UNREADABLE_CART_REPLY)
    else:
        inbound = _inbound(message, kind, sender, wamid, names, catalog_id)
    return replace(inbound, sent_at=timestamp(message.get("timestamp"))) if inbound is not None else None


def _inbound(message: dict[str, Any], kind: str, sender: str, wamid: str, names: dict[str, str],
             catalog_id: str | None) -> Inbound | None:
    metadata: dict[str, Any] = {}
    if sender in names:
        metadata["profile_name"] = names[sender]
    referral = message.get("referral")
    if isinstance(referral, dict):
        kept = {key: clean_text(value)[:MAX_METADATA_VALUE] for key, value in referral.items()
                if key in _REFERRAL_KEYS and isinstance(value, str)}
        if kept:
            metadata["referral"] = kept
    part = expect(message.get(kind), dict, f"message.{kind}")
    if kind == "text":
        return Inbound(sender, wamid, _text(expect(part.get("body"), str, "text.body")), metadata)
    if kind == "interactive":
        reply = part.get(str(part.get("type")))
        if part.get("type") not in ("button_reply", "list_reply") or not isinstance(reply, dict):
            return None  # nfm_reply (flows) and others we never send
        return Inbound(sender, wamid, _text(expect(reply.get("id"), str, "interactive reply id")), metadata)
    if kind == "button":
        payload = part.get("payload") if isinstance(part.get("payload"), str) else part.get("text")
        return Inbound(sender, wamid, _text(expect(payload, str, "button.payload")), metadata)
    if kind == "location":
        latitude, longitude = part.get("latitude"), part.get("longitude")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (latitude, longitude)):
            return Inbound(sender, wamid, "/store_locator", metadata)  # a place without coordinates: which city?
        location: dict[str, Any] = {"latitude": float(latitude), "longitude": float(longitude)}
        location |= {key: clean_text(part[key])[:MAX_METADATA_VALUE] for key in ("name", "address")
                     if isinstance(part.get(key), str)}
        return Inbound(sender, wamid, "/store_locator", {**metadata, "location": location})
    if kind == "order":
        order = order_lines(part)
        if catalog_id is not None and order["catalog_id"] != catalog_id:
            return Inbound(sender, wamid, None, metadata, reply=OTHER_CATALOGUE_REPLY)
        return Inbound(sender, wamid, ORDER_PAYLOAD, {**metadata, CATALOG_ORDER: order})
    return None


def _text(value: str) -> str:
    return clean_text(value)[:MAX_INBOUND_TEXT]


# --- outbound -----------------------------------------------------------------------------------


def render_whatsapp(message: dict[str, Any], catalog_id: str | None = None) -> list[dict[str, Any]]:
    """The Cloud API message bodies (without `to`) for one neutral message, in order (module docstring);
    with `catalog_id`, product cards as the catalogue's product messages."""
    if catalog_id:
        catalogue = catalogue_messages(message, catalog_id, MAX_BODY)
        if catalogue is not None:
            first, products, rest = catalogue
            texts = [{"type": "text", "text": {"body": piece, "preview_url": False}}
                     for piece in split_text(first, MAX_TEXT)] if first else []
            return texts + products + render_whatsapp(rest)
    cards, intro = cards_and_intro(message)
    # A list shows its rows only when opened, and a row's title is short: the body keeps the
    # numbered lines (full names and prices) of the text.
    text = str(message.get("text") or "").strip() if len(cards) > 1 else intro
    every = message_choices(message)
    links = [choice for choice in every if choice.url]
    # (title, id, description) of each option: a card opens its details, a button sends its payload.
    options: list[tuple[str, str, str]] = []
    image: str | None = public_image(message.get("image"))
    if len(cards) == 1:
        card = cards[0]
        image = image or card.image_url
        links += [choice for choice in card.choices if choice.url]
        options += [(choice.title, choice.payload, "") for choice in card.choices if choice.payload]
    else:
        for card in cards:
            opens = next((choice.payload for choice in card.choices if choice.payload), None)
            title = f"{card.number}. {card.title}" if card.number is not None else card.title
            if opens:
                options.append((title, opens, card.subtitle))
    options += [(choice.title, choice.payload, "") for choice in every if choice.payload]
    options = list({option_id: (title, option_id, about) for title, option_id, about in options}.values())
    too_long = [title for title, option_id, _ in options if len(option_id) > MAX_ROW_ID]
    if too_long:  # an id WhatsApp cannot carry: the option is still shown, in words the shopper can type
        text = "\n".join([text, *(f"- {title}" for title in too_long)]).strip()
        options = [option for option in options if len(option[1]) <= MAX_ROW_ID]

    interactive = bool(options) or bool(links)
    body: str | None = None
    rendered: list[dict[str, Any]] = []
    if text and (not interactive or len(text) > MAX_BODY):
        rendered += [{"type": "text", "text": {"body": piece, "preview_url": False}}
                     for piece in split_text(text, MAX_TEXT)]
    elif text:
        body = text
    # Reply buttons: at most 3, with short titles that tell them apart (WhatsApp refuses two alike).
    fits_buttons = bool(options) and len(options) <= MAX_REPLY_BUTTONS and all(
        len(title) <= MAX_BUTTON_TITLE and not about for title, _, about in options) and len(
        {title for title, _, _ in options}) == len(options)
    if image and not fits_buttons:  # only reply buttons have room for an image
        rendered.append({"type": "image", "image": {"link": image}})
        image = None
    if options:
        if fits_buttons:
            rendered.append(_buttons(body or CHOOSE_PROMPT, options, image))
        else:
            button = PRODUCTS_BUTTON if len(cards) > 1 else LIST_BUTTON
            for start in range(0, len(options), MAX_ROWS):
                prompt = (body or CHOOSE_PROMPT) if start == 0 else MORE_OPTIONS
                rendered.append(_list(prompt, button, options[start:start + MAX_ROWS]))
        body = None
    for link in links:
        rendered.append(_link(body or link.title, link))
        body = None
    return rendered


def _buttons(body: str, options: list[tuple[str, str, str]], image: str | None) -> dict[str, Any]:
    interactive: dict[str, Any] = {
        "type": "button", "body": {"text": body},
        "action": {"buttons": [{"type": "reply", "reply": {"id": option_id, "title": title}}
                               for title, option_id, _ in options]}}
    if image:
        interactive["header"] = {"type": "image", "image": {"link": image}}
    return {"type": "interactive", "interactive": interactive}


def _list(body: str, button: str, options: list[tuple[str, str, str]]) -> dict[str, Any]:
    rows = []
    for title, option_id, about in options:
        row = {"id": option_id, "title": shorten(title, MAX_ROW_TITLE)}
        # A shortened title keeps its whole wording in the description, which has more room.
        description = about if row["title"] == title else " · ".join(part for part in (title, about) if part)
        if description:
            row["description"] = shorten(description, MAX_ROW_DESCRIPTION)
        rows.append(row)
    return {"type": "interactive", "interactive": {
        "type": "list", "body": {"text": body},
        "action": {"button": button, "sections": [{"title": shorten(button, MAX_ROW_TITLE), "rows": rows}]}}}


def _link(body: str, link: Choice) -> dict[str, Any]:
    return {"type": "interactive", "interactive": {
        "type": "cta_url", "body": {"text": shorten(body, MAX_BODY)},
        "action": {"name": "cta_url", "parameters": {"display_text": shorten(link.title, MAX_BUTTON_TITLE),
                                                      "url": link.url}}}}


def render_template(name: str, language: str, purpose: str, message: dict[str, Any]) -> dict[str, Any]:
    """An approved template carrying `message` outside the window: the order-update template's one
    body parameter is the notice's text; the agent-reply template's two are the person's name and
    their text (docs/channels.md shows the bodies to register). A parameter holds one line of at
    most MAX_TEMPLATE_PARAMETER characters, as WhatsApp requires."""
    words = " ".join(str(message.get("text") or "").split())
    parameters = [shorten(words, MAX_TEMPLATE_PARAMETER) or "-"]
    if purpose == PERSON:
        agent = " ".join(str(message.get("agent") or "").split()) or TEAM_NAME
        parameters.insert(0, shorten(agent, MAX_TEMPLATE_PARAMETER))
    return {"type": "template", "template": {
        "name": name, "language": {"code": language},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]}}


class WhatsAppOutput(MetaOutput):
    """Sends to a wa_id from our business number (POST /<phone_number_id>/messages)."""

    def __init__(self, client: GraphClient, seen: SeenStore, phone_number_id: str,
                 templates: Templates = NO_TEMPLATES, catalog_id: str | None = None) -> None:
        super().__init__(client, seen)
        self.phone_number_id, self.templates, self.catalog_id = phone_number_id, templates, catalog_id

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    def render(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        return render_whatsapp(message, self.catalog_id)

    def outgoing(self, message: dict[str, Any], purpose: str, last_wrote: float | None,
                 now: float) -> list[dict[str, Any]]:
        template = whatsapp_template(purpose, last_wrote, now, self.templates)
        if template is None:
            return self.render(with_agent_name(message))
        return [render_template(template, self.templates.language, purpose, message)]

    def person_reply(self, last_wrote: float | None, now: float) -> str:
        try:
            template = whatsapp_template(PERSON, last_wrote, now, self.templates)
        except OutsideWindow:
            return "refused"
        return f"template {template}" if template else "message"

    async def send_or_refuse(self, recipient_id: str, message: dict[str, Any]) -> None:
        """As every Meta channel sends (MetaOutput), but when Meta refuses a product message (a SKU
        missing from the catalogue, a catalogue not connected to the number), the message goes out
        again without the catalogue, as list messages, after what was already delivered of it."""
        shopper = self.shopper(recipient_id)
        bodies = self.outgoing(message, purpose_of(message), await self.seen.last_wrote(recipient_id), time.time())
        delivered = 0
        try:
            for body in bodies:
                await self.deliver(shopper, body)
                delivered += 1
        except GraphError as refused:
            kind = bodies[delivered].get("interactive", {}).get("type")
            if refused.status != 400 or kind not in ("product", "product_list"):
                raise
            logger.warning("whatsapp: a %s message for %s was refused (code %s); sent without the catalogue",
                           kind, redact(recipient_id), refused.code)
            plain = render_whatsapp(with_agent_name(message))
            # What the two renderings share at the start (the text before the products) went out already.
            shared = zip(plain, bodies[:delivered], strict=False)
            same = next((n for n, (a, b) in enumerate(shared) if a != b), min(len(plain), delivered))
            for body in plain[same:]:
                await self.deliver(shopper, body)

    async def deliver(self, shopper: str, body: dict[str, Any]) -> None:
        await self.client.post(f"{self.phone_number_id}/messages", {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": shopper, **body}, shopper)

    async def before_turn(self, recipient_id: str, message_id: str) -> None:
        """The shopper's message marked read (blue ticks) with the typing indicator, which WhatsApp
        dismisses at our answer or after 25 seconds. Once, within RECEIPT_SECONDS: the turn waits
        for it (an indicator after the answer would say we are still typing), never long."""
        if not inside(await self.seen.last_wrote(recipient_id), time.time()):
            return  # a message Meta delivered a day late: no typing for an answer that may not go out
        shopper = self.shopper(recipient_id)
        receipt = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id,
                   "typing_indicator": {"type": "text"}}
        try:
            await asyncio.wait_for(self.client.post(f"{self.phone_number_id}/messages", receipt, shopper, attempts=1),
                                   RECEIPT_SECONDS)
        except GraphError:
            return  # logged by the client (redacted); the answer still goes out
        except asyncio.TimeoutError:
            logger.info("whatsapp: the read receipt for %s took over %.0f s; the turn goes on", redact(recipient_id),
                        RECEIPT_SECONDS)


class WhatsAppInput(MetaInput):
    """The WhatsApp Cloud API webhook. In credentials.yml (docs/configuration.md):

        channels.whatsapp.WhatsAppInput:
          app_secret: ${WHATSAPP_APP_SECRET}
          verify_token: ${WHATSAPP_VERIFY_TOKEN}
          access_token: ${WHATSAPP_ACCESS_TOKEN}
          phone_number_id: ${WHATSAPP_PHONE_NUMBER_ID}
          graph_url: ${META_GRAPH_URL}
          graph_version: ${META_GRAPH_VERSION}
          order_update_template: ${WHATSAPP_ORDER_UPDATE_TEMPLATE}   # optional (channels/window.py)
          agent_reply_template: ${WHATSAPP_AGENT_REPLY_TEMPLATE}     # optional
          template_language: ${WHATSAPP_TEMPLATE_LANGUAGE}           # optional, default "en"
          catalog_id: ${WHATSAPP_CATALOG_ID}                         # optional: product messages, orders
    """

    def __init__(self, settings: MetaSettings, phone_number_id: str, templates: Templates = NO_TEMPLATES,
                 catalog_id: str | None = None) -> None:
        super().__init__(settings)
        self.phone_number_id, self.templates, self.catalog_id = phone_number_id, templates, catalog_id

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WhatsAppInput:
        settings = MetaSettings.read("channels.whatsapp.WhatsAppInput", credentials, "WHATSAPP")
        number = str((credentials or {}).get("phone_number_id") or "").strip()
        if not number.isdigit():
            raise ValueError("channels.whatsapp.WhatsAppInput needs `phone_number_id` (digits) in credentials.yml, "
                             "from WHATSAPP_PHONE_NUMBER_ID (docs/configuration.md).")
        return cls(settings, number, templates_of(credentials or {}), catalog_id_of(credentials or {}))

    def inbound(self, body: Any) -> list[Inbound]:
        return whatsapp_events(body, self.phone_number_id, self.catalog_id)

    def get_output_channel(self) -> WhatsAppOutput:
        return WhatsAppOutput(self.client, self._seen(), self.phone_number_id, self.templates, self.catalog_id)


def templates_of(credentials: dict[str, Any]) -> Templates:
    """The templates named in credentials.yml; a name is what WhatsApp Manager shows (lower case,
    digits, underscores), a language code like en or en_US."""
    names: dict[str, str | None] = {}
    for key in ("order_update_template", "agent_reply_template"):
        name = str(credentials.get(key) or "").strip()
        if name and not TEMPLATE_NAME.match(name):
            raise ValueError(f"channels.whatsapp.WhatsAppInput: `{key}` must be a template's name as WhatsApp "
                             "Manager shows it (lower case letters, digits and underscores).")
        names[key] = name or None
    language = str(credentials.get("template_language") or "").strip() or "en"
    if not TEMPLATE_LANGUAGE.match(language):
        raise ValueError("channels.whatsapp.WhatsAppInput: `template_language` must be a code like en or en_US.")
    return Templates(names["order_update_template"], names["agent_reply_template"], language)
