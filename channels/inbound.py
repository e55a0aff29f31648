"""What the web chat takes from a socket (channels/webchat.py): a message's text and metadata, and a JWT.

A message is `{"message": "<text>"}` with optional metadata; anything else is refused with the
`session_error` the page gets. The limits keep one message from holding Rasa up or riding along in
every later turn, and the text is cleaned of what is not text (channels/text.py).
"""

from __future__ import annotations

import json
from typing import Any

import jwt
from rasa.shared.core.constants import IS_EXTERNAL

from channels.text import clean_text

BAD_MESSAGE = {"code": "bad_message", "detail": 'A message is {"message": "<text>"} with an optional metadata object.'}
# Twice what the page lets a shopper type (index.html, maxlength), leaving room for a button's payload.
# The NLU's time grows faster than the length: 2,000 characters take it 0.25 s, 50,000 over four minutes.
MAX_MESSAGE_LENGTH = 2000
MESSAGE_TOO_LONG = {"code": "message_too_long",
                    "detail": f"A message has at most {MAX_MESSAGE_LENGTH} characters."}
# Metadata is passed on to Rasa, stored in the tracker and sent to the action server on every turn.
MAX_METADATA_LENGTH = 2000
MAX_METADATA_DEPTH = 8


class Refused(Exception):
    """What a socket sent is refused with `error`, the `session_error` event's data."""

    def __init__(self, error: dict[str, str]) -> None:
        super().__init__(error["code"])
        self.error = error


def message_of(data: Any, metadata_key: str = "metadata") -> tuple[str, dict[str, Any]]:
    """(text, metadata) from a `user_uttered` event's data; Refused when it is unusable.

    The text is cleaned (channels/text.py). Metadata, an object or its JSON text, must be small and
    shallow, and may not claim `is_external`: only Rasa's own external events (a payment notice, the
    desk's hand-back) carry it, and the desk shows them as the shop's, not the shopper's.
    """
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        raise Refused(BAD_MESSAGE)
    text: str = data["message"]
    if len(text) > MAX_MESSAGE_LENGTH:
        raise Refused(MESSAGE_TOO_LONG)
    metadata = data.get(metadata_key) or {}
    if isinstance(metadata, str):
        if len(metadata) > MAX_METADATA_LENGTH:
            raise Refused(BAD_MESSAGE)
        try:
            metadata = json.loads(metadata)
        except (ValueError, RecursionError):
            raise Refused(BAD_MESSAGE) from None
    if not isinstance(metadata, dict) or IS_EXTERNAL in metadata or not _small(metadata):
        raise Refused(BAD_MESSAGE)
    return clean_text(text), metadata


def _small(value: Any) -> bool:
    """JSON of at most MAX_METADATA_LENGTH characters, nested at most MAX_METADATA_DEPTH deep."""
    def depth(item: Any, level: int) -> int:
        if level > MAX_METADATA_DEPTH or not isinstance(item, (dict, list)):
            return level
        children = item.values() if isinstance(item, dict) else item
        return max((depth(child, level + 1) for child in children), default=level)

    if depth(value, 1) > MAX_METADATA_DEPTH:
        return False
    try:
        return len(json.dumps(value, allow_nan=False)) <= MAX_METADATA_LENGTH
    except ValueError:  # NaN and Infinity: Python reads them, but they are not JSON
        return False


def jwt_valid(token: Any, key: str, algorithm: str) -> bool:
    """A JWT signed with `key`. Rasa's decode_bearer_token logs a traceback for every malformed token."""
    if not isinstance(token, str):
        return False
    try:
        jwt.decode(token.removeprefix("Bearer "), key, algorithms=[algorithm])
    except (jwt.PyJWTError, ValueError):  # ValueError: a token that is not even UTF-8 text
        return False
    return True
