"""Telling the assistant about payments, through Rasa's HTTP API (trigger_intent).

One thread per process sends the notices, never a request worker: a Rasa that is down costs that
thread its retries and sleeps, not the shop its ability to answer (80 declines once held every
worker for seconds). Notices wait in a queue coalesced by order, so an order has at most one notice
pending, its latest outcome.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request

from app.core.config import Settings
from app.crud.payments import PaymentOutcome

logger = logging.getLogger(__name__)

INTENTS = {"paid": "payment_received", "failed": "payment_failed"}


# Characters of a customer id that a URL path may hold as they are (RFC 3986 pchar). They must stay
# so: Rasa's HTTP API does not decode its conversation ids, so `%3A` would name another conversation.
_PATH_SAFE = ":@+="


def conversation_of(customer_id: str) -> str:
    """Rasa's conversation id of a customer: the customer id itself ('messenger:123'), on every
    channel (the assistant's actions/identity.py)."""
    return customer_id


def _notice_url(settings: Settings, customer_id: str) -> str | None:
    conversation = conversation_of(customer_id)
    if settings.rasa_url is None or ":" not in conversation or conversation.startswith("."):
        # A dot segment would be resolved away by the URL's reader: never address another path.
        return None
    return (f"{str(settings.rasa_url).rstrip('/')}/conversations/"
            f"{urllib.parse.quote(conversation, safe=_PATH_SAFE)}/trigger_intent?output_channel=latest")


def _notice_headers(settings: Settings) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if settings.rasa_api_token is not None:
        # A header, never `?token=`: URLs end up in access logs (python -m server accepts only this).
        headers["Authorization"] = f"Bearer {settings.rasa_api_token.get_secret_value()}"
    return headers


class Notifier:
    """A queue of payment notices and the one thread that sends them, with retries."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pending: dict[str, PaymentOutcome] = {}  # by order id, oldest first
        self._ready = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payment-notices", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stops after the notice being sent; those still queued are dropped, and counted in the log."""
        self._stopping.set()
        with self._ready:
            self._ready.notify_all()
        self._thread.join(timeout)
        if self._pending:
            logger.warning("%d payment notices not sent: the shop is stopping", len(self._pending))

    def submit(self, outcome: PaymentOutcome) -> None:
        """Queues a notice; one still waiting for the same order is replaced by this later one."""
        with self._ready:
            self._pending.pop(outcome.order_id, None)
            self._pending[outcome.order_id] = outcome
            while len(self._pending) > self.settings.rasa_notify_queue_size:
                dropped = next(iter(self._pending))
                del self._pending[dropped]
                logger.warning("payment notice for %s dropped: too many waiting", dropped)
            self._ready.notify()

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._ready:
                while not self._pending and not self._stopping.is_set():
                    self._ready.wait()
                if self._stopping.is_set():
                    return
                order_id = next(iter(self._pending))
                outcome = self._pending.pop(order_id)
            try:
                self._send(outcome)
            except Exception:  # the thread must outlive any one notice
                logger.exception("payment notice for %s failed", outcome.order_id)

    def _send(self, outcome: PaymentOutcome) -> bool:
        settings = self.settings
        url = _notice_url(settings, outcome.customer_id)
        if url is None:
            return False
        body = json.dumps({"name": INTENTS[outcome.status], "entities": {"order_id": outcome.order_id}}).encode()
        for attempt in range(1, settings.rasa_notify_attempts + 1):
            request = urllib.request.Request(url, data=body, method="POST", headers=_notice_headers(settings))
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
            if attempt < settings.rasa_notify_attempts and self._stopping.wait(min(2 ** attempt * 0.25, 4.0)):
                return False
        return False
