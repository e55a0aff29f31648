"""Telling the assistant about payments, through Rasa's HTTP API (trigger_intent).

Runs after the pay page has answered, off the request path; a Rasa that is down costs a few retries
and a warning, never the shopper's payment.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request

from app.core.config import Settings
from app.crud.payments import PaymentOutcome

logger = logging.getLogger(__name__)

INTENTS = {"paid": "payment_received", "failed": "payment_failed"}


def conversation_of(customer_id: str) -> str:
    """Rasa's conversation id is the channel's sender id: 'messenger:123' -> '123'."""
    return customer_id.split(":", 1)[1]


def notify_assistant(settings: Settings, outcome: PaymentOutcome) -> bool:
    if settings.rasa_url is None:
        return False
    conversation = urllib.parse.quote(conversation_of(outcome.customer_id), safe="")
    query = {"output_channel": "latest"}
    if settings.rasa_api_token is not None:
        query["token"] = settings.rasa_api_token.get_secret_value()
    url = (f"{str(settings.rasa_url).rstrip('/')}/conversations/{conversation}/trigger_intent?"
           + urllib.parse.urlencode(query))
    body = json.dumps({
        "name": INTENTS[outcome.status],
        "entities": {"order_id": outcome.order_id},
    }).encode()
    for attempt in range(1, settings.rasa_notify_attempts + 1):
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=settings.rasa_notify_timeout_seconds):
                logger.info("assistant told: order %s %s", outcome.order_id, outcome.status)
                return True
        except urllib.error.HTTPError as error:
            if 400 <= error.code < 500:  # the assistant refused it: retrying will not help
                logger.warning("assistant refused payment notice for %s: HTTP %d",
                               outcome.order_id, error.code)
                return False
            reason = f"HTTP {error.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = type(error).__name__
        logger.warning("payment notice for %s failed (attempt %d/%d): %s", outcome.order_id,
                       attempt, settings.rasa_notify_attempts, reason)
        time.sleep(min(2 ** attempt * 0.25, 4.0))
    return False
