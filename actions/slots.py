"""Slots that more than one action module sets or reads (all set by actions only; see domain.yml).

A slot only one module uses is named in that module.
"""

from __future__ import annotations

from rasa_sdk.events import EventType, SlotSet

# The last search (filters and paging), the products it showed and the one looked at last:
# set by the catalog actions, read by the cart's ("add the second one", "in size 42").
LAST_SEARCH = "last_search"
SHOWN_SKUS = "shown_skus"
FOCUSED_SKU = "focused_sku"

# Whether the cart may go to checkout: set by action_prepare_checkout, which the cart also runs.
CART_READY = "cart_ready"
# What the last yes/no question was about: "order" (place it), "cancellation" or "address" (change it).
CONFIRMING = "confirming"
# The order the conversation is about: the one just placed, shown, cancelled or changed.
ORDER_ID = "order_id"

# The care answer that "did that help?" may rate (actions/satisfaction.py).
ANSWERED_TOPIC = "answered_topic"
# "Did that help?" was asked in this session (asked once a session).
SATISFACTION_ASKED = "satisfaction_asked"


def answered(topic: str) -> EventType:
    """What a care action returns when it answered the shopper: the topic that may be rated."""
    return SlotSet(ANSWERED_TOPIC, topic)
