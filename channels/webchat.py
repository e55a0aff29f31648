"""The browser chat's channel: Rasa's socket.io channel, one event per bot message.

Rasa 3.6's built-in `socketio` channel cannot carry our messages as they are:

- its `send_custom_json` passes the payload as keyword arguments to `AsyncServer.emit`
  (`emit("bot_uttered", type=..., cards=...)`), which raises a TypeError for every
  product-card message;
- it splits a message into one event per paragraph and sends text, buttons and custom
  payload as separate events, so the page cannot drop the plain-text list that comes
  with the cards (see actions/responses.py).

This channel keeps everything else of the built-in one (events, session persistence,
`name()` "socketio") and emits each bot message once, as `{"text", "buttons", "quick_replies",
"image", "attachment", "custom", "agent"}` with only the keys it has. Messages the shop triggers
(`trigger_intent` with `output_channel=latest`) reach the browser through `get_output_channel`.

Who may speak in a conversation: the built-in channel lets any socket join any room and speak as
any session id it names, and the session id is copied into customer ids, tickets, desk URLs and
logs. Here the server picks the session id and hands the page a session token signed with
`session_secret` (HMAC-SHA256): `<session id>.<signature>`. A socket is bound to the one
conversation its token names (`session_request {session_token}`, answered by `session_confirm
{session_id, session_token}`); what it sends goes there whatever session id it claims, and a
forged or tampered token gets a `session_error` event. The session id stays public (it is in
the customer id); only the token, kept in the shopper's browser, opens the conversation.

Rasa's conversation id, the tracker's, is `socketio:<session id>` (actions/identity.py), the shop's
customer id; the socket.io room, the token and the page keep the bare session id. Sends map the
conversation id back to the room and refuse, with a warning and nothing emitted, a conversation id
of another channel (`rest:…`, `messenger:…`): the shop's notices and the care desk's replies reach
a web chat only in its own conversations.

What a closed tab missed: a care-desk agent's reply or a payment notice emitted while no tab of the
conversation is open goes nowhere, but Rasa records it in the conversation's tracker. Each bot
event carries its tracker timestamp, and a page that comes back says the timestamp of the newest
bot message it shows (`session_request {session_token, since}`): the socket joins the room and is
sent, first, the bot messages recorded after that (at most the last `MAX_REPLAYED`) in one
`missed_messages {messages}` event, all under the conversation's lock, so a message is either in
that event or arrives live after it, never both and never neither. (One event, not one per
message: a burst of them in one long-poll answer is more than engine.io's Python client decodes.)
A page that cannot say what it shows sends no `since` and is sent nothing; one whose copy has no
bot message yet sends 0.

Nothing a socket sends reaches Rasa unchecked. Packets python-socketio would crash on (not JSON, not
an event of ours, binary, extra arguments) get `session_error {code: "bad_event"}`
(channels/socketio_server.py); a message is `{"message": "<text>"}` of at most 2,000 characters
with optional small metadata (`bad_message`, `message_too_long`), and its text is cleaned of what is
not text (channels/inbound.py). A refused event changes nothing: no message, no room, no session.

Several Rasa workers: a bot message is emitted to the conversation's room by whichever worker
produced it (the shopper's turn, a care agent's reply through the desk, a payment notice, a
reminder), while the shopper's socket is held by one worker. With a Redis URL (`WEBCHAT_REDIS_URL`,
else `LOCK_STORE_URL` when it is a Redis one) the socket.io server's client manager is
python-socketio's `AsyncRedisManager`: each emit is delivered to this worker's sockets and published
on Redis to the others, which deliver it to theirs. Nothing else of a conversation lives in one
worker: the token is checked with the shared secret, the socket's session (its conversation) stays
with the socket on the worker holding it (which the proxy's sticky sessions keep), and what a page
missed is read from the shared tracker store under the shared lock. Without a URL, in-process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import os
import re
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager

from actions.identity import ForeignConversation, conversation_id, platform_id
from channels.inbound import Refused, jwt_valid, message_of
from channels.socketio_server import StrictAsyncServer

logger = logging.getLogger(__name__)

# Keys of Rasa's bot message that the page renders, copied as they are. `agent` is the name of the
# person writing, on the care desk's messages (channels/desk.py): the page labels their bubbles.
_PASSED_THROUGH = ("text", "image", "attachment", "elements", "custom", "agent")

# The most a page that comes back is sent: what it missed lately, never a long conversation whole.
MAX_REPLAYED = 50
MIN_SECRET_LENGTH = 32
# Accepted during a rotation (docs/deployment.md); the variable's name, not a secret.
PREVIOUS_SECRET_ENV = "WEBCHAT_SESSION_SECRET_PREVIOUS"  # noqa: S105
# Where the workers' emits meet (docs/deployment.md); the variables' names, not secrets.
REDIS_URL_ENV = "WEBCHAT_REDIS_URL"
LOCK_STORE_URL_ENV = "LOCK_STORE_URL"
PUBSUB_CHANNEL = "bottega-webchat"  # Redis's pub/sub channel name, shared by one deployment's workers
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_SIGNED = b"bottega-webchat-session:v1:"  # what a token signs: this prefix and the session id
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")
SESSION_ERROR_EVT = "session_error"
MISSED_MESSAGES_EVT = "missed_messages"
INVALID_TOKEN = {"code": "invalid_session_token",
                 "detail": "This chat session is not valid any more: start a new chat."}
NO_SESSION = {"code": "no_session", "detail": "Ask for a session (session_request) before sending messages."}
BAD_SINCE = {"code": "bad_since",
             "detail": '"since" is the timestamp of the newest bot message the page shows: a number, 0 or more.'}
BAD_EVENT = {"code": "bad_event",
             "detail": "Send session_request {session_token} or user_uttered {message}, as JSON text."}


def _signature(session_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), _SIGNED + session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_conversation_id() -> str:
    """A new session id (the conversation is `socketio:<session id>`)."""
    return uuid.uuid4().hex


def sign_session(session_id: str, secret: str) -> str:
    """The session token of a conversation: its session id and the id's HMAC under the secret."""
    return f"{session_id}.{_signature(session_id, secret)}"


def verify_session(token: object, secrets: list[str]) -> str | None:
    """The session id a token names, if one of `secrets` signed it; None for anything else."""
    match = _TOKEN.match(token) if isinstance(token, str) and len(token) < 128 else None
    if match is None:
        return None
    session_id, signature = match.groups()
    valid = [hmac.compare_digest(signature, _signature(session_id, secret)) for secret in secrets]
    return session_id if any(valid) else None


def _button(button: dict[str, Any]) -> dict[str, Any]:
    """`{"title", "payload"}` or `{"title", "url"}`, whichever the action sent."""
    kept = {"title": str(button.get("title", ""))}
    if button.get("url"):
        kept["url"] = str(button["url"])
    else:
        kept["payload"] = str(button.get("payload", button.get("title", "")))
    return kept


def web_message(message: dict[str, Any]) -> dict[str, Any]:
    """The one event the page gets for one bot message (keys without a value left out).

    `timestamp`, the bot event's in the tracker (Rasa's `BotUttered.message()` has it), goes along
    with a message that has something to show: the page hands back its newest one as `since`.
    """
    event = {key: message[key] for key in _PASSED_THROUGH if message.get(key)}
    if message.get("buttons"):
        event["buttons"] = [_button(b) for b in message["buttons"]]
    if message.get("quick_replies"):
        event["quick_replies"] = [_button(b) for b in message["quick_replies"]]
    timestamp = message.get("timestamp")
    if event and isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        event["timestamp"] = timestamp
    return event


def replay_since(value: object) -> float | None:
    """A session request's `since` as a timestamp; None when it has none; ValueError when it is not one."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    return float(value)


def missed_messages(events: Iterable[Event], since: float, channel: str,
                    limit: int = MAX_REPLAYED) -> list[dict[str, Any]]:
    """The page's events for the bot messages recorded after `since`, oldest first, the newest `limit`.

    Only what Rasa sent on `channel`: a bot message counts when the conversation's latest user
    message (an external one, such as a payment notice or a reminder, keeps the channel before it)
    came on that channel, which is where Rasa's `output_channel=latest` and the care desk send. A
    REST caller cannot write into a web chat's conversation (it only reaches `rest:…` ones), but
    Rasa's HTTP API, for operators, can name any channel: what it answers there never shows here.
    """
    missed: list[dict[str, Any]] = []
    latest_channel: str | None = None
    for event in events:
        if isinstance(event, UserUttered):
            latest_channel = event.input_channel
        elif isinstance(event, BotUttered) and latest_channel == channel and event.timestamp > since:
            message = web_message(event.message())
            if message:
                missed.append(message)
    return missed[-limit:] if limit > 0 else []


def pubsub_url(environ: Mapping[str, str]) -> str | None:
    """The Redis the workers share emits through: WEBCHAT_REDIS_URL, else LOCK_STORE_URL when it is
    a Redis URL; None (in-process) without either. A WEBCHAT_REDIS_URL that is not Redis is a ValueError."""
    own = environ.get(REDIS_URL_ENV, "").strip()
    if own:
        if not own.startswith(_REDIS_SCHEMES):
            raise ValueError(f"{REDIS_URL_ENV} must be a redis://, rediss:// or unix:// URL")
        return own
    lock_store = environ.get(LOCK_STORE_URL_ENV, "").strip()
    return lock_store if lock_store.startswith(_REDIS_SCHEMES) else None


def _without_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


class WebChatOutput(SocketIOOutput):
    """Emits each bot message whole to the socket.io room of the conversation (`recipient_id` is
    Rasa's conversation id, `socketio:<session id>`; the room is the session id)."""

    async def _send_message(self, socket_id: str, response: Any) -> None:
        try:
            room = platform_id(socket_id, self.name())
        except ForeignConversation:
            logger.warning("webchat: a message for a conversation of another channel was not sent")
            return
        await super()._send_message(room, response)

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
    """Rasa's socket.io input channel, answering through `WebChatOutput`, one conversation per token.

    In credentials.yml: `channels.webchat.WebChatInput:` with the built-in channel's keys and
    `session_secret: ${WEBCHAT_SESSION_SECRET}` (32+ characters; `make run` generates it).
    """

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        credentials = credentials or {}
        secret = str(credentials.get("session_secret") or "").strip()
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"channels.webchat.WebChatInput needs `session_secret` (at least {MIN_SECRET_LENGTH} characters) in "
                "credentials.yml, e.g. `session_secret: ${WEBCHAT_SESSION_SECRET}`; `make run` generates it into .env."
            )
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        previous = os.environ.get(PREVIOUS_SECRET_ENV, "").strip()
        # The first signs new tokens; the previous one is only accepted (and its tokens re-signed).
        channel.session_secrets = [secret] + ([previous] if len(previous) >= MIN_SECRET_LENGTH else [])
        channel.redis_url = pubsub_url(os.environ)
        channel.pubsub_channel = str(credentials.get("pubsub_channel") or PUBSUB_CHANNEL)
        return channel

    session_secrets: list[str]
    # Where emits are shared with the other workers (None: this process only), and on which channel.
    redis_url: str | None = None
    pubsub_channel: str = PUBSUB_CHANNEL
    # The Sanic app serving the channel, whose `ctx.agent` has the tracker and lock stores (Rasa
    # sets it when the model is loaded, and replaces it when another model is loaded).
    app: Sanic | None = None

    def get_output_channel(self) -> WebChatOutput | None:
        if self.sio is None:  # no blueprint yet: Rasa is not serving this channel
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[] leaves CORS to Sanic-CORS (`rasa run --cors ...`), as the
        # built-in channel does; engine.io's own check would refuse every other origin.
        manager = None
        if self.redis_url:
            # A connect timeout: an emit waits for Redis inside a turn, which must not hang on it.
            manager = AsyncRedisManager(self.redis_url, channel=self.pubsub_channel,
                                        redis_options={"socket_connect_timeout": 3, "socket_keepalive": True})
            logger.info("webchat: emits are shared with the other workers through %s",
                        _without_password(self.redis_url))
        sio = StrictAsyncServer(SESSION_ERROR_EVT, BAD_EVENT, cors_allowed_origins=[], client_manager=manager)
        # Rasa types the path and the JWT algorithm as optional; `null` in credentials.yml means the default.
        blueprint = SocketBlueprint(sio, self.socketio_path or "/socket.io", "webchat_webhook", __name__)
        self.sio = sio

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.listener("before_server_start")
        async def remember_app(app: Sanic, _: Any) -> None:
            self.app = app
            # Subscribed from the start, not at the first shopper: another worker's emit to a shopper
            # who connects here later would otherwise miss a worker that has not had one yet.
            sio.start_manager()

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return jwt_valid(token, self.jwt_key, self.jwt_algorithm or "HS256")

        async def refuse(sid: str, error: dict[str, str]) -> None:
            await sio.emit(SESSION_ERROR_EVT, error, room=sid, namespace=self.namespace, ignore_queue=True)

        async def session_of(sid: str) -> dict[str, Any] | None:
            """The socket's session; None when its client has gone since it sent the event (a message
            and a close in one request): engine.io has dropped the session, and python-socketio raises."""
            try:
                return await sio.get_session(sid, namespace=self.namespace)  # type: ignore[no-any-return]
            except KeyError:
                logger.info("webchat: an event from a socket that has closed since was dropped")
                return None

        async def join(sid: str, session_id: str, since: float | None) -> None:
            """Joins the session's room, sent first what the page missed since `since`."""
            agent = getattr(self.app.ctx, "agent", None) if self.app is not None else None
            if since is None or agent is None:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
                return
            conversation = conversation_id(self.name(), session_id)
            try:
                # Under the lock no turn is half done: each message is saved, or emitted after we join.
                async with agent.lock_store.lock(conversation):
                    await sio.enter_room(sid, session_id, namespace=self.namespace)
                    tracker = await agent.tracker_store.retrieve_full_tracker(conversation)
                    missed = missed_messages(tracker.events if tracker else [], since, self.name())
                    if missed:
                        await sio.emit(MISSED_MESSAGES_EVT, {"messages": missed}, room=sid, namespace=self.namespace,
                                       ignore_queue=True)
            except Exception:
                # The chat still works from here on; only the missed messages are not shown.
                logger.exception("webchat: the messages a page missed could not be read")
                await sio.enter_room(sid, session_id, namespace=self.namespace)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            token = data.get("session_token") if isinstance(data, dict) else None
            try:
                since = replay_since(data.get("since") if isinstance(data, dict) else None)
            except ValueError:
                await refuse(sid, BAD_SINCE)
                return
            if token is None:
                session_id = new_conversation_id()
            else:
                verified = verify_session(token, self.session_secrets)
                if verified is None:
                    logger.info("webchat: a session token that does not verify was refused")
                    await refuse(sid, INVALID_TOKEN)
                    return
                session_id = verified
            session = await session_of(sid)
            if session is None:
                return
            previous = session.get("conversation_id")
            if previous and previous != session_id:
                # A socket belongs to one conversation: "New chat" and erasure leave the old one.
                await sio.leave_room(sid, previous, namespace=self.namespace)
            session["conversation_id"] = session_id
            await sio.save_session(sid, session, namespace=self.namespace)
            if self.session_persistence:
                # Every socket of this conversation (tabs, reconnects) joins its room, where the
                # bot's answers and the shop's notices are emitted; a new conversation missed nothing.
                await join(sid, session_id, since if token is not None else None)
            confirmed = {"session_id": session_id,
                         "session_token": sign_session(session_id, self.session_secrets[0])}
            # To the socket itself, which this worker holds: nothing to share with the others.
            await sio.emit("session_confirm", confirmed, room=sid, namespace=self.namespace, ignore_queue=True)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if self.session_persistence:
                # Whatever session id the message names, it goes to the socket's own conversation.
                session = await session_of(sid)
                if session is None:
                    return
                session_id = session.get("conversation_id")
                if not session_id:
                    await refuse(sid, NO_SESSION)
                    return
            else:
                session_id = sid  # the socket's own room
            try:
                text, metadata = message_of(data, self.metadata_key or "metadata")
            except Refused as refused:
                await refuse(sid, refused.error)
                return
            message = UserMessage(
                text,
                WebChatOutput(sio, self.bot_message_evt),
                conversation_id(self.name(), session_id),
                input_channel=self.name(),
                metadata=metadata,
            )
            await on_new_message(message)

        return blueprint
