"""Who the shopper of a conversation is, as far as the shop is concerned."""

from __future__ import annotations

from rasa_sdk import Tracker

# A conversation whose latest user event names no channel (messages injected through
# the HTTP API, or none yet) is treated as a REST conversation.
DEFAULT_CHANNEL = "rest"


def customer_id(tracker: Tracker) -> str:
    """The shop's customer id of this conversation: `<channel>:<sender_id>`.

    The channel is part of the id so that the same sender id on two channels
    (a Telegram chat id and a Messenger PSID may collide) gets two carts.
    """
    channel = tracker.get_latest_input_channel() or DEFAULT_CHANNEL
    return f"{channel}:{tracker.sender_id}"


# Channels that only ever answer the shopper's own request: a person from the team could never
# write there (the care desk refuses to), so nothing may promise that they will.
REPLY_ONLY_CHANNELS = {"rest", "cmdline", "callback"}


def a_person_can_write(tracker: Tracker) -> bool:
    """True when a person from the team can write to this shopper in this conversation."""
    return (tracker.get_latest_input_channel() or DEFAULT_CHANNEL) not in REPLY_ONLY_CHANNELS
