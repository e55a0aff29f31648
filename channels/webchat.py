"""The browser chat's channel: Rasa's socket.io channel, one event per bot message.

Rasa 3.6's built-in `socketio` channel cannot carry our messages as they are:

- its `send_custom_json` passes the payload as keyword arguments to `AsyncServer.emit`
  (`emit("bot_uttered", type=..., cards=...)`), which raises a TypeError for every
  product-card message;
- it splits a message into one event per paragraph and sends text, buttons and custom
  payload as separate events, so the page cannot drop the plain-text list that comes
  with the cards (see actions/responses.py).

This channel keeps everything else of the built-in one (events, session persistence,
`name()` "socketio", so customer ids stay `socketio:<session id>`) and emits each bot
message once, as `{"text", "buttons", "quick_replies", "image", "attachment", "custom", "agent"}`
with only the keys it has. Messages the shop triggers (`trigger_intent` with
`output_channel=latest`) reach the browser through `get_output_channel`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

logger = logging.getLogger(__name__)

# Keys of Rasa's bot message that the page renders, copied as they are. `agent` is the name of the
# person writing, on the care desk's messages (channels/desk.py): the page labels their bubbles.
_PASSED_THROUGH = ("text", "image", "attachment", "elements", "custom", "agent")


def _button(button: dict[str, Any]) -> dict[str, Any]:
    """`{"title", "payload"}` or `{"title", "url"}`, whichever the action sent."""
    kept = {"title": str(button.get("title", ""))}
    if button.get("url"):
        kept["url"] = str(button["url"])
    else:
        kept["payload"] = str(button.get("payload", button.get("title", "")))
    return kept


def web_message(message: dict[str, Any]) -> dict[str, Any]:
    """The one event the page gets for one bot message (keys without a value left out)."""
    event = {key: message[key] for key in _PASSED_THROUGH if message.get(key)}
    if message.get("buttons"):
        event["buttons"] = [_button(b) for b in message["buttons"]]
    if message.get("quick_replies"):
        event["quick_replies"] = [_button(b) for b in message["quick_replies"]]
    return event


class WebChatOutput(SocketIOOutput):
    """Emits each bot message whole to the socket.io room of the conversation."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        event = web_message(message)
        if event:
            await self._send_message(recipient_id, event)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, web_message({"text": text, "buttons": buttons}))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class WebChatInput(SocketIOInput):
    """Rasa's socket.io input channel, answering through `WebChatOutput`.

    In credentials.yml: `channels.webchat.WebChatInput:` with the built-in channel's keys.
    """

    def get_output_channel(self) -> WebChatOutput | None:
        if self.sio is None:  # no blueprint yet: Rasa is not serving this channel
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[] leaves CORS to Sanic-CORS (`rasa run --cors ...`), as the
        # built-in channel does; engine.io's own check would refuse every other origin.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        blueprint = SocketBlueprint(sio, self.socketio_path, "webchat_webhook", __name__)
        self.sio = sio

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> bool:
            if not self.jwt_key:
                return True
            token = (auth or {}).get("token")
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: dict[str, Any] | None) -> None:
            data = data or {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                # Every socket of this session (tabs, reconnects) joins its room, where the
                # bot's answers and the shop's notices are emitted.
                await sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: dict[str, Any]) -> None:
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not sender_id:
                    logger.warning("webchat: message without a session_id ignored (send session_request first)")
                    return
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            message = UserMessage(
                data.get("message", ""),
                WebChatOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=metadata,
            )
            await on_new_message(message)

        return blueprint
