"""The REST channel, for Bottega's own tools only: every request needs the REST channel's token.

Rasa 3.6's built-in `rest` channel answers anyone who reaches Rasa's port and lets the caller name
any sender, so whoever reaches it speaks as any customer `rest:<sender>` (their cart, orders,
returns, erasure). Only our own tools use it (`make chat`, the transcript tests), so this channel
keeps its URL and its customer ids and asks for `Authorization: Bearer <REST_CHANNEL_TOKEN>` on
every route, compared in constant time; `REST_CHANNEL_TOKEN_PREVIOUS` is accepted too during a
rotation (docs/deployment.md).

    POST /webhooks/rest/webhook  {"sender", "message", "metadata"?}  the bot's answers, as Rasa's channel gives them

Without the token, or with a wrong one, 401; a body it cannot use, 400 with a code; never a 500.
The channel is always "rest": a body's `input_channel` (which the built-in channel believes, so a
caller could speak as `socketio:<id>`) is refused unless it says "rest".

The conversation of `{"sender": "alice"}` is `rest:alice` (actions/identity.py), the shop's customer
id: a REST caller only ever reaches REST conversations, never a web chat's or a Messenger shopper's,
whatever sender it names. A sender with a colon (`socketio:abc`, an attempt to name another channel's
conversation) is refused with 400 `bad_sender` rather than turned into `rest:socketio:abc`: no
customer id may hold two colons (shop/app/schemas.py), and a refusal tells the caller plainly. The
answers name the recipient as the caller named the sender (`"recipient_id": "alice"`).
"""

from __future__ import annotations

import logging
import os
import re
from asyncio import CancelledError, Queue
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import QueueOutputChannel, RestInput
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from actions.identity import conversation_id, platform_id
from server.api_auth import bearer_matches

logger = logging.getLogger(__name__)

MIN_TOKEN_LENGTH = 16
# Accepted during a rotation (docs/deployment.md); the variable's name, not a secret.
PREVIOUS_TOKEN_ENV = "REST_CHANNEL_TOKEN_PREVIOUS"  # noqa: S105
# The sender part of the shop's customer ids (shop/app/schemas.py, CUSTOMER_ID_PATTERN): any other
# sender would make every shop call of the conversation fail.
SENDER = re.compile(r"^[A-Za-z0-9_@+=\-][A-Za-z0-9_.@+=\-]{0,127}$")
MAX_MESSAGE = 2000  # the web chat allows 1000 characters


class RestRefusal(Exception):
    """A request body the channel cannot use: 400 with a code and what a usable body is."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


UNAUTHORIZED = {"code": "unauthorized",
                "detail": "The REST channel needs its token: `Authorization: Bearer <REST_CHANNEL_TOKEN>`."}
TOKEN_IN_URL = {"code": "token_in_url",
                "detail": "Send the REST channel's token in an `Authorization: Bearer <token>` header, never in "
                          "the URL."}
_USAGE = 'The body is a JSON object: {"sender": "<id>", "message": "<text>"} with an optional "metadata" object.'


def user_message(body: Any) -> tuple[str, str, dict[str, Any] | None]:
    """(sender, text, metadata) of a webhook body; RestRefusal when it is unusable."""
    if not isinstance(body, dict):
        raise RestRefusal("bad_body", _USAGE)
    sender = body.get("sender")
    if not isinstance(sender, str) or not SENDER.match(sender):
        raise RestRefusal("bad_sender", '"sender" must be 1 to 128 letters, digits or _.@+=- (not starting with a '
                                        "dot; no colon): the conversation is `rest:<sender>`, the shop's customer "
                                        "id.")
    text = body.get("message")
    if not isinstance(text, str) or not text.strip():
        raise RestRefusal("missing_message", '"message" must be a non-empty string.')
    if len(text) > MAX_MESSAGE:
        raise RestRefusal("message_too_long", f'"message" has more than {MAX_MESSAGE} characters.')
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RestRefusal("bad_metadata", '"metadata" must be a JSON object when it is sent.')
    if body.get("input_channel") not in (None, RestInput.name()):
        raise RestRefusal("bad_input_channel", f'Messages here are always on the "{RestInput.name()}" channel; '
                                               'leave "input_channel" out.')
    return sender, text, metadata


class RestOutput(CollectingOutputChannel):
    """Collects the bot's answers for the HTTP response, each addressed to the sender the caller named."""

    async def _persist_message(self, message: dict[str, Any]) -> None:
        await super()._persist_message(_addressed_to_caller(message))


class RestQueueOutput(QueueOutputChannel):
    """Streams the bot's answers (`?stream=true`), each addressed to the sender the caller named."""

    async def _persist_message(self, message: dict[str, Any]) -> None:
        await super()._persist_message(_addressed_to_caller(message))


def _addressed_to_caller(message: dict[str, Any]) -> dict[str, Any]:
    recipient = message.get("recipient_id")
    if isinstance(recipient, str):
        message = {**message, "recipient_id": platform_id(recipient, RestInput.name())}
    return message


class AuthenticatedRestInput(RestInput):
    """Rasa's REST channel behind a bearer token (module docstring). In credentials.yml:

        channels.rest.AuthenticatedRestInput:
          token: ${REST_CHANNEL_TOKEN}
    """

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AuthenticatedRestInput:
        token = str((credentials or {}).get("token") or "").strip()
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"channels.rest.AuthenticatedRestInput needs `token` (at least {MIN_TOKEN_LENGTH} characters) in "
                "credentials.yml, e.g. `token: ${REST_CHANNEL_TOKEN}`; `make setup` generates REST_CHANNEL_TOKEN "
                "into .env."
            )
        previous = os.environ.get(PREVIOUS_TOKEN_ENV, "").strip()
        return cls([token] + ([previous] if len(previous) >= MIN_TOKEN_LENGTH else []))

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens

    @staticmethod
    async def on_message_wrapper(on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                                 queue: Queue[Any], sender_id: str, input_channel: str,
                                 metadata: dict[str, Any] | None) -> None:
        # As the built-in channel's, with answers addressed to the caller's sender (RestQueueOutput).
        await on_new_message(UserMessage(text, RestQueueOutput(queue), sender_id, input_channel=input_channel,
                                         metadata=metadata))
        await queue.put("DONE")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("rest_webhook", __name__)

        @rest.on_request
        async def authenticate(request: Request) -> HTTPResponse | None:
            challenge = {"WWW-Authenticate": "Bearer"}
            if "token" in request.args:
                return response.json(TOKEN_IN_URL, 401, headers=challenge)
            if not bearer_matches(request.headers.get("Authorization"), self.tokens):
                return response.json(UNAUTHORIZED, 401, headers=challenge)
            return None

        @rest.exception(RestRefusal)
        async def refused(request: Request, error: RestRefusal) -> HTTPResponse:
            return response.json({"code": error.code, "detail": error.detail}, 400)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse | ResponseStream:
            sender, text, metadata = user_message(_json_body(request))
            conversation = conversation_id(self.name(), sender)
            if bool_arg(request, "stream", default=False):
                streaming = self.stream_response(on_new_message, text, conversation, self.name(), metadata)
                # Rasa types stream_response's result as returning an Awaitable; it is an async def,
                # the coroutine function Sanic asks for.
                return response.stream(streaming, content_type="text/event-stream")  # type: ignore[arg-type]
            collector = RestOutput()
            try:
                await on_new_message(UserMessage(text, collector, conversation, input_channel=self.name(),
                                                 metadata=metadata))
            except CancelledError:
                # As the built-in channel does: answer what the bot said so far. Unlike it, never
                # log the shopper's text.
                logger.error("rest: handling a message timed out")
            except Exception:
                logger.exception("rest: handling a message failed")
            return response.json(collector.messages)

        return rest


def _json_body(request: Request) -> Any:
    try:
        return request.json
    except Exception:  # Sanic raises InvalidUsage for a body that is not JSON
        raise RestRefusal("bad_body", _USAGE) from None
