"""Client for the care desk's routes on the Rasa server (channels/desk.py).

The actions use it for one thing: erasing a conversation's history when the shopper asks for
their data to be deleted. Like the shop client: explicit timeouts, a typed error, the blocking
call off the event loop, and no silent default for the token.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

import requests

logger = logging.getLogger(__name__)

DEFAULT_RASA_URL = "http://127.0.0.1:5005"
TIMEOUT = (3.0, 5.0)


class DeskError(Exception):
    """The desk could not be reached, refused, or is not configured."""


@dataclass(frozen=True)
class DeskClient:
    base_url: str
    token: str

    @classmethod
    def from_env(cls) -> DeskClient:
        token = os.environ.get("DESK_API_TOKEN", "").strip()
        if not token:
            raise DeskError("DESK_API_TOKEN is not set: the action server cannot reach the care desk")
        return cls(os.environ.get("RASA_URL", DEFAULT_RASA_URL).rstrip("/"), token)

    def erase_conversation(self, conversation_id: str) -> None:
        """Asks Rasa to delete the conversation's history once the current turn has ended."""
        url = f"{self.base_url}/webhooks/desk/conversations/{quote(conversation_id, safe='')}"
        try:
            answer = requests.delete(url, headers={"Authorization": f"Bearer {self.token}"}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise DeskError(f"The care desk at {self.base_url} is unreachable: {type(exc).__name__}") from exc
        if answer.status_code != 202:
            raise DeskError(f"The care desk answered {answer.status_code} to the erasure")

    async def aerase_conversation(self, conversation_id: str) -> None:
        await asyncio.to_thread(self.erase_conversation, conversation_id)


@lru_cache(maxsize=1)
def get_desk_client() -> DeskClient:
    """The process-wide desk client, built from the environment on first use (DeskError when unset)."""
    return DeskClient.from_env()
