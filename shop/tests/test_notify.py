"""Where a payment notice goes: the assistant's conversation named by the customer id itself."""

from __future__ import annotations

import pytest
from pydantic import AnyHttpUrl, SecretStr

from app.core.config import Settings
from app.notify import _notice_url

SETTINGS = Settings(shop_api_token=SecretStr("t" * 32), rasa_url=AnyHttpUrl("http://127.0.0.1:5005"))


@pytest.mark.parametrize(("customer", "path"), [
    ("socketio:0123456789abcdef", "socketio:0123456789abcdef"),
    ("messenger:2400000000000001", "messenger:2400000000000001"),
    ("whatsapp:393470000001", "whatsapp:393470000001"),
    # Rasa's HTTP API does not decode a conversation id: what a URL path may hold as it is stays so.
    ("rest:ana.b+c=d@example.com", "rest:ana.b+c=d@example.com"),
])
def test_a_notice_goes_to_the_conversation_named_by_the_customer_id(customer: str, path: str) -> None:
    assert _notice_url(SETTINGS, customer) == (
        f"http://127.0.0.1:5005/conversations/{path}/trigger_intent?output_channel=latest")


@pytest.mark.parametrize("customer", ["", "..", ".rest:a", "no-channel"])
def test_a_customer_id_naming_no_conversation_gets_no_notice(customer: str) -> None:
    assert _notice_url(SETTINGS, customer) is None


def test_no_assistant_no_notice() -> None:
    assert _notice_url(Settings(shop_api_token=SecretStr("t" * 32), rasa_url=None), "rest:alice") is None
