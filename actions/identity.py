"""Who the shopper of a conversation is: one id for Rasa's conversation and the shop's customer.

Every channel names a conversation `<channel>:<platform id>`, the shop's customer id:
`socketio:<session>`, `rest:<sender>`, `messenger:<psid>`, `whatsapp:<wa_id>`. The tracker is keyed
by it (its sender_id), so the same platform id on two channels gives two conversations and two carts,
and a REST caller, whose conversations are all `rest:…`, can never write into a web chat's or a
Messenger shopper's. The channels build the id with `conversation_id` when a message comes in and
take the platform's id back out with `platform_id` when they send, which refuses another channel's
conversation. The actions, the care desk and the shop's payment notices all use the same id.
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker

# A conversation whose id names no channel (one from before conversation ids were prefixed, or one
# made through Rasa's HTTP API) and whose latest user event names none either is a REST conversation.
DEFAULT_CHANNEL = "rest"
# The channel part of the shop's customer ids (shop/app/schemas.py, CUSTOMER_ID_PATTERN).
CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class ForeignConversation(ValueError):
    """A channel was handed a conversation id that is not one of its own: nothing is sent."""

    code = "foreign_conversation"

    def __init__(self, channel: str) -> None:
        super().__init__(f"not a conversation of the {channel} channel")
        self.channel = channel


def conversation_id(channel: str, platform_id: str) -> str:
    """The conversation (and customer) id of a shopper whom `channel` knows as `platform_id`."""
    return f"{channel}:{platform_id}"


def channel_of(conversation: str) -> str | None:
    """The channel a conversation id names; None for an id without one (an old, unprefixed id)."""
    channel, colon, rest = conversation.partition(":")
    return channel if colon and rest and CHANNEL_NAME.match(channel) else None


def platform_id(conversation: str, channel: str) -> str:
    """The id `channel`'s platform knows the shopper of `conversation` by (the id without its channel);
    ForeignConversation when the conversation is another channel's, or names none."""
    if channel_of(conversation) != channel:
        raise ForeignConversation(channel)
    return conversation.split(":", 1)[1]


def customer_id(tracker: Tracker) -> str:
    """The shop's customer id of this conversation: its conversation id, `<channel>:<platform id>`.

    A conversation whose id names no channel (kept in a persistent tracker store from before, or
    made through Rasa's HTTP API) gets the channel of its latest user message in front, as before.
    """
    if channel_of(tracker.sender_id) is not None:
        return tracker.sender_id
    return conversation_id(tracker.get_latest_input_channel() or DEFAULT_CHANNEL, tracker.sender_id)


# Channels that only ever answer the shopper's own request: a person from the team could never
# write there (the care desk refuses to), so nothing may promise that they will.
REPLY_ONLY_CHANNELS = {"rest", "cmdline", "callback"}


def a_person_can_write(tracker: Tracker) -> bool:
    """True when a person from the team can write to this shopper in this conversation."""
    return customer_id(tracker).split(":", 1)[0] not in REPLY_ONLY_CHANNELS
