"""A location shared on Messenger reaches the store locator with its coordinates, in every shape the
apps send it (channels/messenger.py); end to end through Rasa: test_meta_rasa_commerce.py."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from channels.messenger import messenger_events
from tests.channels import meta_payloads as meta

PSID = "2459998877665544"


def shared(*attachments: dict[str, Any]) -> dict[str, Any]:
    return meta.messenger({"sender": {"id": PSID}, "recipient": {"id": meta.PAGE_ID}, "timestamp": 1,
                           "message": {"mid": "m_1", "attachments": list(attachments)}})


def link(target: str) -> str:
    return "https://l.facebook.com/l.php?u=" + urllib.parse.quote(target, safe="") + "&h=AT0x"


@pytest.mark.parametrize("body", [
    meta.messenger(meta.m_location(PSID, "m_1", 45.4642, 9.19)),
    meta.messenger(meta.m_pinned_location(PSID, "m_1", 45.4642, 9.19)),
    # The coordinates only in the link, on the attachment itself (the payload may lack it) …
    shared({"type": "location", "title": "Pinned Location",
            "url": link("https://www.bing.com/maps/default.aspx?v=2&where1=45.4642%2C%209.19")}),
    # … or as Bing's cp=<lat>~<lon>, unwrapped or not.
    shared({"type": "fallback", "payload": {"url": "https://www.bing.com/maps?cp=45.4642~9.19&lvl=16"}}),
])
def test_a_shared_location_asks_the_store_locator_with_its_coordinates(body: dict[str, Any]) -> None:
    [event] = messenger_events(body)
    assert event.text == "/store_locator"
    assert event.metadata["location"] == {"latitude": 45.4642, "longitude": 9.19}


def test_a_place_without_coordinates_asks_the_store_locator_which_city() -> None:
    address = "https://www.bing.com/maps/default.aspx?where1=" + urllib.parse.quote("Via Roma 1, Milano")
    [event] = messenger_events(shared({"type": "location", "title": "Bottega", "url": link(address),
                                       "payload": {"coordinates": {"lat": 145.0, "long": 9.19}}}))
    assert event.text == "/store_locator" and "location" not in event.metadata


@pytest.mark.parametrize("attachment", [
    {"type": "fallback", "title": "A nice article", "url": "https://news.example.com/?q=45.4,9.1&where1=x"},
    {"type": "fallback"},  # an unsupported share, without payload
    {"type": "image", "payload": {"url": "https://www.bing.com/maps?cp=45.4642~9.19"}},
])
def test_other_attachments_and_links_are_not_a_location(attachment: dict[str, Any]) -> None:
    [event] = messenger_events(shared(attachment))
    assert event.text is None  # answered politely by the channel, never the bot's
