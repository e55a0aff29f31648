"""Meta's 24-hour window: what may reach a Messenger or WhatsApp shopper, and how, given when they last wrote.

Both platforms let a business answer freely for 24 hours after the shopper's last message (the
inbound side records when that was: channels/meta.py, `SeenStore.wrote`). After that:

    what is sent                      Messenger                                   WhatsApp
    the bot's messages                refused                                     refused
    a payment or order notice         MESSAGE_TAG POST_PURCHASE_UPDATE            the order-update template
    a person's reply (the care desk)  MESSAGE_TAG HUMAN_AGENT, up to 7 days       the agent-reply template

A WhatsApp template is sent only when its name is configured (credentials.yml, registered and
approved in Meta's WhatsApp Manager: docs/channels.md); without one the message is refused. A
refused message is never sent: the channel logs it (the shopper redacted) and the care desk answers
409 `outside_window`. A shopper the store knows nothing of (never wrote, or longer ago than it keeps)
is outside every window.

What a message is comes from its own keys, which Rasa hands the output channel from the bot
message's metadata (rasa-sdk's `utter_message(**kwargs)`, BotUttered.message()): `agent` (the care
desk's replies, channels/desk.py) is a person's; `purpose: "order_update"` (actions/responses.py,
on payment notices) a notice; anything else the bot's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 24 * 3600
HUMAN_AGENT_SECONDS = 7 * 24 * 3600

REPLY = "reply"
ORDER_UPDATE = "order_update"  # actions/responses.py ORDER_UPDATE, the same word
PERSON = "person"

POST_PURCHASE_UPDATE = "POST_PURCHASE_UPDATE"
HUMAN_AGENT = "HUMAN_AGENT"


class OutsideWindow(Exception):
    """A message the platform would not take now: not sent. `detail` says why, for the desk."""

    code = "outside_window"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def purpose_of(message: dict[str, Any]) -> str:
    """PERSON, ORDER_UPDATE or REPLY (module docstring)."""
    if message.get("agent"):
        return PERSON
    if message.get("purpose") == ORDER_UPDATE:
        return ORDER_UPDATE
    return REPLY


def inside(last_wrote: float | None, now: float, seconds: float = WINDOW_SECONDS) -> bool:
    return last_wrote is not None and 0 <= now - last_wrote < seconds


def _since(last_wrote: float | None, now: float) -> str:
    if last_wrote is None:
        return "The shopper has not written on this channel (as far as the last 8 days go)"
    return f"The shopper last wrote {(now - last_wrote) / 3600:.0f} hours ago"


def messenger_sending(purpose: str, last_wrote: float | None, now: float) -> tuple[str, str | None]:
    """(messaging_type, tag) for a Send API call; OutsideWindow when nothing may go."""
    if inside(last_wrote, now):
        return ("UPDATE" if purpose == ORDER_UPDATE else "RESPONSE"), None
    if purpose == ORDER_UPDATE:
        return "MESSAGE_TAG", POST_PURCHASE_UPDATE
    if purpose == PERSON and inside(last_wrote, now, HUMAN_AGENT_SECONDS):
        return "MESSAGE_TAG", HUMAN_AGENT
    if purpose == PERSON:
        raise OutsideWindow(f"{_since(last_wrote, now)}: Messenger lets a person answer for 7 days after the "
                            "shopper's last message, and the bot for 24 hours.")
    raise OutsideWindow(f"{_since(last_wrote, now)}: Messenger takes the bot's messages for 24 hours after the "
                        "shopper's last message.")


@dataclass(frozen=True)
class Templates:
    """The approved WhatsApp templates sent outside the window (None: that kind is refused there)."""

    order_update: str | None = None
    agent_reply: str | None = None
    language: str = "en"


def whatsapp_template(purpose: str, last_wrote: float | None, now: float, templates: Templates) -> str | None:
    """None inside the window (send the message itself); outside it the template's name to send
    instead; OutsideWindow when there is none for this kind of message."""
    if inside(last_wrote, now):
        return None
    name = {ORDER_UPDATE: templates.order_update, PERSON: templates.agent_reply}.get(purpose)
    if name:
        return name
    if purpose == REPLY:
        raise OutsideWindow(f"{_since(last_wrote, now)}: WhatsApp takes only approved templates after 24 hours, "
                            "and the bot's messages have none.")
    setting = "order_update_template" if purpose == ORDER_UPDATE else "agent_reply_template"
    raise OutsideWindow(f"{_since(last_wrote, now)}: WhatsApp takes only approved templates after 24 hours, and "
                        f"no {setting} is configured (docs/channels.md).")
