"""Webhook bodies as Meta sends them (Messenger Platform and WhatsApp Cloud API), for the channel tests.

Shapes follow Meta's webhook references: Messenger `{"object": "page", "entry": [{"id", "time",
"messaging": [...]}]}`, WhatsApp `{"object": "whatsapp_business_account", "entry": [{"id",
"changes": [{"field": "messages", "value": {"messaging_product", "metadata", "contacts",
"messages" | "statuses"}}]}]}`. Ids are made up; PSIDs and wa_ids are digits, as Meta's are.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

PAGE_ID = "104918273645012"
WABA_ID = "110200300400500"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


def _now() -> int:
    return int(time.time() * 1000)


# --- Messenger ------------------------------------------------------------------------------------


def messenger(*events: dict[str, Any], standby: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": PAGE_ID, "time": _now(), "messaging": list(events)}
    if standby is not None:
        entry = {"id": PAGE_ID, "time": _now(), "standby": standby}
    return {"object": "page", "entry": [entry]}


def _event(psid: str, **fields: Any) -> dict[str, Any]:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": _now(), **fields}


def m_text(psid: str, mid: str, text: str) -> dict[str, Any]:
    return _event(psid, message={"mid": mid, "text": text})


def m_quick_reply(psid: str, mid: str, title: str, payload: str) -> dict[str, Any]:
    return _event(psid, message={"mid": mid, "text": title, "quick_reply": {"payload": payload}})


def m_postback(psid: str, mid: str, title: str, payload: str, ref: str | None = None) -> dict[str, Any]:
    postback: dict[str, Any] = {"mid": mid, "title": title, "payload": payload}
    if ref is not None:
        postback["referral"] = {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
    return _event(psid, postback=postback)


def m_referral(psid: str, ref: str) -> dict[str, Any]:
    return _event(psid, referral={"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"})


AD_REFERRAL = {"source": "ADS", "type": "OPEN_THREAD", "ad_id": "23851234567890123",
               "ads_context_data": {"ad_title": "Spring sale", "photo_url": "https://scontent.xx.fbcdn.net/ad.jpg",
                                    "post_id": "104918273645012_1234"}}


def m_ad_referral(psid: str) -> dict[str, Any]:
    """A shopper who tapped an ad's "Send Message" in an existing conversation (the ad sets no ref)."""
    return _event(psid, referral=AD_REFERRAL)


def m_text_with_referral(psid: str, mid: str, text: str, ref: str | None = None) -> dict[str, Any]:
    """A message sent from an ad's (or an m.me link's) prefilled text: the referral rides on the message."""
    referral = {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"} if ref else AD_REFERRAL
    return _event(psid, message={"mid": mid, "text": text, "referral": referral})


def m_image(psid: str, mid: str) -> dict[str, Any]:
    return _event(psid, message={"mid": mid, "attachments": [
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg"}}]})


def m_location(psid: str, mid: str, lat: float, long: float) -> dict[str, Any]:
    return _event(psid, message={"mid": mid, "attachments": [
        {"type": "location", "title": "Pinned location", "payload": {"coordinates": {"lat": lat, "long": long}}}]})


def m_pinned_location(psid: str, mid: str, lat: float, long: float) -> dict[str, Any]:
    """A location pinned in today's Messenger apps: a `fallback` attachment whose link is a Bing Maps
    page behind Facebook's l.php redirect, the coordinates in its where1 (webhooks v6 and later)."""
    bing = ("https://www.bing.com/maps/default.aspx?v=2&pc=FACEBK&mid=8100&where1="
            + urllib.parse.quote(f"{lat}, {long}") + "&FORM=FBKPL1&mkt=en-US")
    url = "https://l.facebook.com/l.php?u=" + urllib.parse.quote(bing, safe="") + "&h=AT0x&s=1"
    return _event(psid, message={"mid": mid, "attachments": [
        {"type": "fallback", "title": "Pinned Location", "url": url,
         "payload": {"url": url, "title": "Pinned Location"}}]})


def m_echo(psid: str, mid: str, text: str) -> dict[str, Any]:
    # An echo's sender is the page and its recipient the shopper.
    return {"sender": {"id": PAGE_ID}, "recipient": {"id": psid}, "timestamp": _now(),
            "message": {"is_echo": True, "app_id": 1517776481860111, "mid": mid, "text": text}}


def m_delivery(psid: str, mid: str) -> dict[str, Any]:
    return _event(psid, delivery={"mids": [mid], "watermark": _now()})


def m_read(psid: str) -> dict[str, Any]:
    return _event(psid, read={"watermark": _now()})


# --- WhatsApp -------------------------------------------------------------------------------------


def whatsapp(messages: list[dict[str, Any]] | None = None, statuses: list[dict[str, Any]] | None = None,
             names: dict[str, str] | None = None, number: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": number}}
    if messages is not None:
        senders = dict.fromkeys(str(message["from"]) for message in messages)
        value["contacts"] = [{"profile": {"name": (names or {}).get(wa_id, "Giulia Rossi")}, "wa_id": wa_id}
                             for wa_id in senders]
        value["messages"] = messages
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}]}


def _message(wa_id: str, wamid: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": kind, **fields}


def w_text(wa_id: str, wamid: str, text: str) -> dict[str, Any]:
    return _message(wa_id, wamid, "text", text={"body": text})


def w_button_reply(wa_id: str, wamid: str, reply_id: str, title: str) -> dict[str, Any]:
    return _message(wa_id, wamid, "interactive", context={"from": DISPLAY_NUMBER, "id": "wamid.prompt"},
                    interactive={"type": "button_reply", "button_reply": {"id": reply_id, "title": title}})


def w_list_reply(wa_id: str, wamid: str, reply_id: str, title: str) -> dict[str, Any]:
    return _message(wa_id, wamid, "interactive", context={"from": DISPLAY_NUMBER, "id": "wamid.prompt"},
                    interactive={"type": "list_reply",
                                 "list_reply": {"id": reply_id, "title": title, "description": "129.90 EUR"}})


def w_location(wa_id: str, wamid: str, lat: float, lon: float) -> dict[str, Any]:
    return _message(wa_id, wamid, "location", location={"latitude": lat, "longitude": lon, "name": "Duomo",
                                                        "address": "Piazza del Duomo, Milano"})


def w_image(wa_id: str, wamid: str) -> dict[str, Any]:
    return _message(wa_id, wamid, "image", image={"caption": "this one", "mime_type": "image/jpeg",
                                                  "sha256": "c2hhMjU2", "id": "1479537139650973"})


_MEDIA = {
    "document": {"caption": "my list", "filename": "list.pdf", "mime_type": "application/pdf"},
    "audio": {"mime_type": "audio/ogg; codecs=opus", "voice": True},
    "video": {"caption": "like this", "mime_type": "video/mp4"},
    "sticker": {"mime_type": "image/webp", "animated": False},
}


def w_media(wa_id: str, wamid: str, kind: str) -> dict[str, Any]:
    """A document, voice message, video or sticker (the media's id and hash, never its bytes)."""
    return _message(wa_id, wamid, kind, **{kind: {**_MEDIA[kind], "sha256": "c2hhMjU2", "id": "1479537139650974"}})


def w_contacts(wa_id: str, wamid: str) -> dict[str, Any]:
    """A shared contact card (someone else's name and number)."""
    return _message(wa_id, wamid, "contacts", contacts=[{
        "name": {"formatted_name": "Marco Bianchi", "first_name": "Marco", "last_name": "Bianchi"},
        "phones": [{"phone": "+39 347 555 0101", "wa_id": "393475550101", "type": "MOBILE"}]}])


def w_unsupported(wa_id: str, wamid: str) -> dict[str, Any]:
    """What WhatsApp cannot pass on (a poll, a view-once photo …), with Meta's error."""
    return _message(wa_id, wamid, "unsupported", errors=[{
        "code": 131051, "title": "Message type unknown", "message": "Message type unknown",
        "error_data": {"details": f"Message type is currently not supported (from {wa_id})."}}])


def w_system(wa_id: str, wamid: str) -> dict[str, Any]:
    """The shopper changed their number: a system message, nobody wrote it."""
    return _message(wa_id, wamid, "system", system={
        "body": f"User A changed from {wa_id} to 393470000999", "wa_id": "393470000999",
        "type": "user_changed_number"})


def w_failed_status(wa_id: str, wamid: str) -> dict[str, Any]:
    """A message of ours WhatsApp could not deliver, with Meta's error."""
    return {**w_status(wa_id, wamid, "failed"), "errors": [{
        "code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
        "error_data": {"details": f"Message could not be delivered to {wa_id}."}}]}


CATALOG_ID = "1337000000000001"


def w_order(wa_id: str, wamid: str, items: list[tuple[str, Any, Any]] | None = None,
            catalog_id: str = CATALOG_ID) -> dict[str, Any]:
    """A cart sent from the catalogue: (product_retailer_id, quantity, item_price) per line, in EUR."""
    lines = items if items is not None else [("SH-001", 1, 130.9)]
    return _message(wa_id, wamid, "order", order={"catalog_id": catalog_id, "text": "", "product_items": [
        {"product_retailer_id": sku, "quantity": quantity, "item_price": price, "currency": "EUR"}
        for sku, quantity, price in lines]})


def w_ad_text(wa_id: str, wamid: str, text: str) -> dict[str, Any]:
    return _message(wa_id, wamid, "text", text={"body": text}, referral={
        "source_url": "https://fb.me/2Zx3Bc", "source_id": "120207744", "source_type": "ad",
        "headline": "Spring sale", "body": "Up to 40% off", "media_type": "image", "ctwa_clid": "ARAkLkA8r"})


def w_status(wa_id: str, wamid: str, status: str) -> dict[str, Any]:
    return {"id": wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": wa_id,
            "conversation": {"id": "c0ffee", "origin": {"type": "service"}},
            "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"}}


def sent_hours_ago(body: dict[str, Any], hours: float) -> dict[str, Any]:
    """`body` with each event's or message's own time `hours` back: a delivery Meta retried late, or
    the last thing a shopper wrote before going quiet (Messenger times in ms, WhatsApp's in s, as text)."""
    at = time.time() - hours * 3600
    for entry in body["entry"]:
        for event in entry.get("messaging", []):
            event["timestamp"] = int(at * 1000)
        for change in entry.get("changes", []):
            for message in change["value"].get("messages", []):
                message["timestamp"] = str(int(at))
    return body
