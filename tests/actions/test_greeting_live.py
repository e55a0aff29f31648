"""The greeting against the real shop: by name from WhatsApp's profile name, and with the campaign an
m.me ?ref=, a Get Started referral or a click-to-WhatsApp ad names (actions/greeting.py).

The metadata is what the channels put on the message (channels/messenger.py, channels/whatsapp.py,
built here by their own parsers from Meta's payloads); the promotions are the shop's own, read from
it, never written down here. How Rasa fills the by-name response is checked with Rasa's own NLG.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from actions.clients.shop import ShopClient
from actions.greeting import GREETING, GREETING_BY_NAME, ActionGreet, campaign_of, shopper_name
from channels.messenger import messenger_events
from channels.whatsapp import whatsapp_events
from tests.actions.builders import run_action
from tests.actions.builders import user_tracker as tracker
from tests.actions.conftest import PROJECT
from tests.channels import meta_payloads as meta

pytestmark = [pytest.mark.shop, pytest.mark.asyncio]


def _messenger_metadata(event: dict[str, Any]) -> dict[str, Any]:
    [inbound] = messenger_events(meta.messenger(event))
    return inbound.metadata


def _whatsapp_metadata(message: dict[str, Any], name: str) -> dict[str, Any]:
    [inbound] = whatsapp_events(meta.whatsapp([message], names={message["from"]: name}), meta.PHONE_NUMBER_ID)
    return inbound.metadata


async def _greet(sender: str, metadata: dict[str, Any], domain: dict[str, Any], text: str = "/greet",
                 channel: str = "messenger") -> list[dict[str, Any]]:
    messages, events = await run_action(ActionGreet(), tracker(sender, text, "greet", metadata=metadata,
                                                               channel=channel), domain)
    assert events == []
    return messages


async def test_an_m_me_link_with_a_promotions_code_opens_that_campaign(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    promotions = shop.list_promotions()
    assert len(promotions) > 1, "the seeded shop runs several promotions"
    for promotion in promotions:
        metadata = _messenger_metadata(meta.m_referral("1234", promotion.code.lower()))
        greeting, offer = await _greet(sender, metadata, domain)

        assert greeting["response"] == GREETING
        assert promotion.title in offer["text"] and f"code {promotion.code}" in offer["text"]
        assert promotion.ends_at[:10] in offer["text"]
        others = [p.code for p in promotions if p.code != promotion.code]
        assert not any(code in offer["text"] for code in others)  # that campaign, not the list
        first, every = offer["buttons"]
        if promotion.department:
            assert first["payload"] == f'/search_product{{"department":"{promotion.department}"}}'
        else:
            assert first["payload"] == "/browse_catalog"
        assert every["payload"] == "/promotions"


async def test_get_started_from_a_campaign_link_in_words_opens_it(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    # The issue's own example: ref=spring-sale. "sale" names no promotion; "spring" names one.
    [spring] = [p for p in shop.list_promotions() if "spring" in f"{p.code} {p.title}".lower()]
    metadata = _messenger_metadata(meta.m_postback("1234", "m_1", "Get Started", "/greet", ref="spring-sale"))
    assert metadata["referral"]["ref"] == "spring-sale"

    greeting, offer = await _greet(sender, metadata, domain)
    assert greeting["response"] == GREETING
    assert f"code {spring.code}" in offer["text"]


async def test_a_click_to_whatsapp_ad_greets_by_name_and_opens_its_campaign(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    [spring] = [p for p in shop.list_promotions() if "spring" in f"{p.code} {p.title}".lower()]
    metadata = _whatsapp_metadata(meta.w_ad_text("393471234567", "wamid.1", "Hi! I saw your ad"), "Giulia Rossi")
    assert metadata["referral"]["headline"] == "Spring sale"

    greeting, offer = await _greet(sender, metadata, domain, "Hi! I saw your ad", "whatsapp")
    assert greeting["response"] == GREETING_BY_NAME and greeting["shopper_name"] == "Giulia"
    assert f"code {spring.code}" in offer["text"]


async def test_a_messenger_ad_without_a_ref_opens_the_campaign_its_title_names(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    [spring] = [p for p in shop.list_promotions() if "spring" in f"{p.code} {p.title}".lower()]
    for event in (meta.m_ad_referral("1234"), meta.m_text_with_referral("1234", "m_ad", "hello")):
        metadata = _messenger_metadata(event)
        assert "ref" not in metadata["referral"] and metadata["referral"]["headline"] == "Spring sale"
        greeting, offer = await _greet(sender, metadata, domain)
        assert greeting["response"] == GREETING
        assert f"code {spring.code}" in offer["text"]


async def test_a_referral_that_names_no_campaign_only_greets(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    for ref in ("store-milano-qr", "sale", "summer-sale-1999"):
        messages = await _greet(sender, _messenger_metadata(meta.m_referral("1234", ref)), domain)
        assert [m["response"] for m in messages] == [GREETING], ref


async def test_a_plain_hello_on_whatsapp_is_greeted_by_name(
        shop: ShopClient, sender: str, domain: dict[str, Any]) -> None:
    metadata = _whatsapp_metadata(meta.w_text("393471234567", "wamid.2", "hello"), "Giulia Rossi")
    [greeting] = await _greet(sender, metadata, domain, "hello", "whatsapp")
    assert greeting["response"] == GREETING_BY_NAME and greeting["shopper_name"] == "Giulia"


async def test_with_the_shop_down_a_campaign_link_still_greets(
        shop_down: None, sender: str, domain: dict[str, Any]) -> None:
    messages = await _greet(sender, _messenger_metadata(meta.m_referral("1234", "spring-sale")), domain)
    assert [m["response"] for m in messages] == [GREETING]


def test_names_and_campaigns_that_are_not_one() -> None:
    assert shopper_name({"profile_name": "Giulia Rossi"}) == "Giulia"
    assert shopper_name({"profile_name": "🌸"}) is None and shopper_name({"profile_name": "12345"}) is None
    assert shopper_name({"profile_name": ""}) is None and shopper_name({}) is None
    assert shopper_name({"profile_name": ["Giulia"]}) is None
    assert campaign_of("spring", []) is None and campaign_of({"ref": 10}, []) is None


@pytest.mark.parametrize(("register", "opening"), [(None, "Hi Giulia,"), ("casual", "Hey Giulia!"),
                                                    ("formal", "Good day, Giulia,")])
async def test_rasa_fills_the_by_name_greeting_in_every_register(register: str | None, opening: str) -> None:
    domain = Domain.load(str(PROJECT / "domain.yml"))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    conversation = DialogueStateTracker("giulia", domain.slots)
    conversation._set_slot("register", register)
    said = await nlg.generate(GREETING_BY_NAME, conversation, "whatsapp", shopper_name="Giulia")
    plain = await nlg.generate(GREETING, conversation, "whatsapp")
    assert said is not None and plain is not None
    assert said["text"].startswith(opening) and "{" not in said["text"]
    assert said["buttons"] == plain["buttons"]  # the same two ways on as the greeting without a name
