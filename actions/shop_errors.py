"""Telling the shopper that the shop failed them, the same way in every action."""

from __future__ import annotations

import logging

from rasa_sdk.executor import CollectingDispatcher

from actions import responses
from actions.clients.shop import ShopConfigurationError, ShopError, ShopUnavailable

logger = logging.getLogger(__name__)


def tell_shop_error(dispatcher: CollectingDispatcher, exc: ShopError, action: str) -> None:
    """Tell the shopper the shop failed, and log it without personal data."""
    if isinstance(exc, ShopConfigurationError):
        logger.error("%s: the shop client is not configured: %s", action, exc)
        responses.shop_unavailable().send(dispatcher)
    elif isinstance(exc, ShopUnavailable):
        logger.warning("%s: shop unavailable: %s", action, exc)
        responses.shop_unavailable().send(dispatcher)
    else:
        logger.warning(
            "%s: shop error %s (status %s, code %s)",
            action,
            type(exc).__name__,
            exc.status,
            exc.code,
        )
        refused = responses.shop_refused_input(exc.detail) if exc.status == 422 else None
        (refused or responses.shop_failed()).send(dispatcher)
