"""What the Messenger and WhatsApp channels share: Meta's webhook, answered at once, worked off in order.

Rasa 3.6's built-in `facebook` channel answers Meta only after the whole bot turn (Meta redelivers
and the shopper gets two answers), handles the first event of a batch only, never reads
X-Hub-Signature-256 and answers a bad signature with 200 (docs: ../shared/notes/meta-channels.md).
Here, for both channels:

    GET  /webhooks/<channel>/webhook   hub.mode=subscribe and hub.verify_token → hub.challenge; else 403
    POST /webhooks/<channel>/webhook   X-Hub-Signature-256 checked on the raw body, then 200 at once

- The signature is HMAC-SHA256 of the raw body under the app secret, compared in constant time;
  missing or wrong → 403 and nothing is read. A body that is not JSON, or is no delivery at all (its
  envelope: object, entry, messaging or changes, value and its lists, of the wrong types) → 400 and
  nothing is processed; over MAX_BODY bytes → 413. Never a 500.
- Every event of a batch becomes an `Inbound` (the channel's parser); echoes, delivery and read
  receipts and statuses never do, and shapes the parser does not know are skipped. One event or
  message that cannot be read (no sender id, a text that is no text) is skipped and logged without
  the shopper, and the rest of the batch is handled: Meta would otherwise send it all again.
- The answer goes back before the bot sees anything: each event is queued for its shopper, and each
  shopper's events are worked off one after the other, in the order they came (`SenderQueues`).
  When more than MAX_PENDING events wait, a delivery gets 503 and Meta sends it again later.
- A message id is handed to the bot once (`SeenStore`: Redis when configured or when Rasa's lock
  store is Redis, so several Rasa processes agree; else an SQLite file, so a restart remembers), and
  it becomes Rasa's message id: the checkout's idempotency key, tied to the confirming message,
  holds when Meta redelivers a "yes".
- The same store keeps when each shopper last wrote (the message's own time): every send checks
  Meta's 24-hour window against it (channels/window.py), and refuses, logs and does not send what
  the platform would not take; the care desk is told (`send_or_refuse`).
- A conversation's id is the shop's customer id, `messenger:<psid>` or `whatsapp:<wa_id>`
  (actions/identity.py): Rasa's tracker, the actions, the care desk and the shop's payment notices
  all name it so. Sends take the conversation id and address Meta with the bare PSID or wa_id; a
  conversation id of another channel (or one naming none) is refused, logged and not sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.identity import ForeignConversation, conversation_id, platform_id
from channels.graph import GraphClient, GraphError, redact
from channels.rest import SENDER
from channels.seen import SeenStore, seen_store
from channels.window import OutsideWindow, purpose_of

logger = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # Meta batches up to 1,000 events; real deliveries are a few KB
MAX_PENDING = 1_000  # events waiting for the bot, all shoppers together
MIN_SECRET_LENGTH = 8

# What a shopper who sends a picture, a file, a voice message or a sticker is told: the bot reads text.
ATTACHMENT_REPLY = ("Thanks! I can't open pictures, files or voice messages here yet. Tell me in a few words "
                    "what you are looking for, and I'll help.")


class BadPayload(Exception):
    """A webhook body whose known parts are not what Meta sends: 400, nothing processed."""


@dataclass(frozen=True)
class Inbound:
    """One event for the bot: the shopper's platform id, the platform's message id, and the text
    (a button's payload for a tap) with metadata. `text` None: something the bot cannot read (a
    picture, a file), which never reaches it; the channel answers with `reply` itself. `sent_at` opens
    the 24-hour window (channels/window.py)."""

    sender: str
    message_id: str
    text: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    reply: str = ATTACHMENT_REPLY
    sent_at: float | None = None  # when the shopper sent it (epoch seconds), as the platform says


# --- pure checks ----------------------------------------------------------------------------------


def challenge_answer(args: dict[str, Any], verify_token: str) -> str | None:
    """hub.challenge when hub.mode is subscribe and hub.verify_token is ours (constant time); else None."""
    mode, token, challenge = (_first(args.get(key)) for key in ("hub.mode", "hub.verify_token", "hub.challenge"))
    if mode != "subscribe" or token is None or challenge is None:
        return None
    if not hmac.compare_digest(token.encode("utf-8", "surrogateescape"), verify_token.encode()):
        return None
    return challenge


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """X-Hub-Signature-256 is `sha256=<hex HMAC-SHA256 of the raw body under the app secret>`."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    given = header.removeprefix("sha256=").strip().lower()
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def timestamp(value: Any, scale: float = 1.0) -> float | None:
    """A platform's timestamp (seconds or, with scale 1000, milliseconds; a number or its digits) in
    epoch seconds; None when it is no such thing: a missing time is not a bad body."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 16:
        value = int(value)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1e16:
        return None
    return float(value) / scale


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def shopper_id(value: Any) -> str:
    """A PSID or wa_id, which must fit the shop's customer id (`<channel>:<id>`); BadPayload if not."""
    if not isinstance(value, str) or not SENDER.match(value):
        raise BadPayload("a sender id that is not one")
    return value


def expect(value: Any, kind: type, what: str) -> Any:
    """`value` if it is a `kind`, else BadPayload naming `what` (never the value: it may be personal)."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise BadPayload(f"{what} is not a {kind.__name__}")
    return value


# --- each shopper's events in order, off the request --------------------------------------------


class SenderQueues:
    """Runs jobs in the background, one shopper's jobs one after the other in the order submitted."""

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self.max_pending = max_pending
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def has_room(self, count: int) -> bool:
        return len(self._running) + count <= self.max_pending

    def submit(self, sender: str, job: Callable[[], Awaitable[None]]) -> None:
        previous = self._tails.get(sender)
        task = asyncio.create_task(self._run(sender, previous, job))
        self._tails[sender] = task
        self._running.add(task)  # a task nobody holds may be garbage-collected mid-run
        task.add_done_callback(self._running.discard)

    async def _run(self, sender: str, previous: asyncio.Task[None] | None, job: Callable[[], Awaitable[None]]) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # its failure is its own; only its end matters here
        try:
            await job()
        except Exception:
            logger.exception("meta: handling an event of %s failed", redact(sender))
        finally:
            if self._tails.get(sender) is asyncio.current_task():
                del self._tails[sender]

    async def drain(self) -> None:
        """Waits for every job submitted so far (tests, shutdown)."""
        while self._running:
            await asyncio.wait(list(self._running))


# --- the channels' common parts -------------------------------------------------------------------


@dataclass(frozen=True)
class MetaSettings:
    """What both channels read from credentials.yml (the channel's own keys come on top)."""

    app_secret: str
    verify_token: str
    access_token: str
    graph_url: str
    graph_version: str
    seen: str | None

    @classmethod
    def read(cls, channel: str, credentials: dict[str, Any] | None, env_prefix: str) -> MetaSettings:
        from channels.graph import DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION

        credentials = credentials or {}
        values = {key: str(credentials.get(key) or "").strip() for key in ("app_secret", "verify_token",
                                                                             "access_token")}
        missing = [key for key, value in values.items() if len(value) < MIN_SECRET_LENGTH]
        if missing:
            raise ValueError(
                f"{channel} needs {', '.join(missing)} (at least {MIN_SECRET_LENGTH} characters each) in "
                f"credentials.yml, from {env_prefix}_APP_SECRET, {env_prefix}_VERIFY_TOKEN and the access token's "
                "variable (docs/configuration.md)."
            )
        return cls(values["app_secret"], values["verify_token"], values["access_token"],
                   str(credentials.get("graph_url") or DEFAULT_GRAPH_URL).strip(),
                   str(credentials.get("graph_version") or DEFAULT_GRAPH_VERSION).strip(),
                   str(credentials.get("seen_store") or "").strip() or None)


class MetaOutput(OutputChannel):
    """Sends the bot's channel-neutral messages, each rendered for the platform (`render`), within
    Meta's 24-hour window (channels/window.py): `seen` is the store the inbound side records in
    when each shopper last wrote, by conversation id.

    The `recipient_id` Rasa and the care desk hand over is the conversation id (`messenger:<psid>`);
    `deliver` gets the platform's id (`shopper`)."""

    def __init__(self, client: GraphClient, seen: SeenStore) -> None:
        self.client, self.seen = client, seen

    @abstractmethod
    def render(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """The platform's message bodies for one neutral message, in the order they are sent."""

    @abstractmethod
    def outgoing(self, message: dict[str, Any], purpose: str, last_wrote: float | None,
                 now: float) -> list[dict[str, Any]]:
        """The API bodies that carry `message` now (rendered, tagged, or a template); OutsideWindow
        when the platform would not take it. A person's message is rendered with their name before
        the text (`with_agent_name`); a template carries the name in a parameter of its own."""

    @abstractmethod
    async def deliver(self, shopper: str, body: dict[str, Any]) -> None:
        """Sends one body of `outgoing` to the shopper (the PSID or wa_id); GraphError when Meta refuses it."""

    @abstractmethod
    def person_reply(self, last_wrote: float | None, now: float) -> str:
        """How a person's reply would go now: "message", the tag or template it would need, or "refused"."""

    def shopper(self, recipient_id: str) -> str:
        """The PSID or wa_id of a conversation id of this channel; ForeignConversation for any other."""
        return platform_id(recipient_id, self.name())

    async def window(self, recipient_id: str) -> dict[str, Any]:
        """What the care desk shows of Meta's window: when the shopper last wrote (ISO time, None when
        unknown) and how a person's reply would go now (`person_reply`)."""
        last_wrote = await self.seen.last_wrote(recipient_id)
        when = datetime.fromtimestamp(last_wrote, timezone.utc).isoformat() if last_wrote is not None else None
        return {"last_wrote": when, "person_reply": self.person_reply(last_wrote, time.time())}

    async def send_or_refuse(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Sends one neutral message, or raises: ForeignConversation (not this channel's conversation)
        or OutsideWindow (nothing was sent), GraphError (Meta refused a part; the rest, which would
        make no sense without it, was not sent). For the care desk, which must tell a person their
        reply did not go out."""
        shopper = self.shopper(recipient_id)
        purpose = purpose_of(message)
        last_wrote = await self.seen.last_wrote(recipient_id)
        for body in self.outgoing(message, purpose, last_wrote, time.time()):
            await self.deliver(shopper, body)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        try:
            await self.send_or_refuse(recipient_id, message)
        except ForeignConversation:
            logger.warning("%s: a message (%s) for a conversation of another channel was not sent", self.name(),
                           purpose_of(message))
        except OutsideWindow as refused:
            logger.warning("%s: a message (%s) for %s was not sent, outside the 24-hour window: %s", self.name(),
                           purpose_of(message), redact(recipient_id), refused.detail)
        except GraphError:
            # Logged by the client (redacted). The turn goes on, and the tracker keeps what the bot said.
            return

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "quick_replies": quick_replies})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"custom": json_message})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"attachment": attachment})

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"elements": elements})

    async def before_turn(self, recipient_id: str, message_id: str) -> None:
        """What the platform shows the shopper of conversation `recipient_id` while the bot thinks
        about message `message_id` (Messenger: seen, typing; WhatsApp: read, typing); nothing by
        default. Only a courtesy: it never fails the turn."""


class MetaInput(InputChannel):
    """A Meta webhook (module docstring); subclasses parse their platform's body and render its messages."""

    def __init__(self, settings: MetaSettings) -> None:
        self.settings = settings
        self.client = GraphClient(settings.graph_url, settings.graph_version, settings.access_token)
        self.queues = SenderQueues()
        self.seen: SeenStore | None = None
        self._lock_store: Any = None

    @abstractmethod
    def inbound(self, body: Any) -> list[Inbound]:
        """The events of a parsed webhook body meant for the bot, in order; BadPayload when it is not Meta's."""

    @abstractmethod
    def get_output_channel(self) -> MetaOutput: ...

    def _seen(self) -> SeenStore:
        """The store of handled messages and of when each shopper last wrote, opened on first use
        (after the server started: a Redis lock store's client is known then)."""
        if self.seen is None:
            self.seen = seen_store(self.settings.seen, self._lock_store)
        return self.seen

    async def handle(self, event: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One event, in the background: once per message id, to the bot or answered here."""
        conversation = conversation_id(self.name(), event.sender)
        # The shopper wrote: the 24-hour window runs from the message's own time (a delivery Meta
        # retried for a day opens no window now), never from the future.
        await self._seen().wrote(conversation, min(event.sent_at or time.time(), time.time()))
        if not await self._seen().first_time(f"{self.name()}:{event.message_id}"):
            logger.info("%s: message of %s delivered again; handled once already", self.name(), redact(event.sender))
            return
        output = self.get_output_channel()
        if event.text is None:
            await output.send_response(conversation, {"text": event.reply})
            return
        await output.before_turn(conversation, event.message_id)
        await on_new_message(UserMessage(event.text, output, conversation, input_channel=self.name(),
                                         message_id=event.message_id, metadata=event.metadata or None))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_webhook", __name__)

        @webhook.listener("before_server_start")
        async def remember_lock_store(app: Sanic, _: Any) -> None:
            agent = getattr(app.ctx, "agent", None)
            self._lock_store = getattr(agent, "lock_store", None)

        @webhook.listener("after_server_stop")
        async def close_client(app: Sanic, _: Any) -> None:
            await self.client.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            challenge = challenge_answer(dict(request.args), self.settings.verify_token)
            if challenge is None:
                logger.info("%s: a webhook verification with a wrong mode or token was refused", self.name())
                return response.text("Forbidden", 403)
            return response.text(challenge)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.body or b""
            if len(body) > MAX_BODY:
                return response.json({"code": "too_large"}, 413)
            if not signature_valid(body, request.headers.get("X-Hub-Signature-256"), self.settings.app_secret):
                logger.info("%s: a webhook call without a valid X-Hub-Signature-256 was refused", self.name())
                return response.json({"code": "bad_signature"}, 403)
            try:
                events = self.inbound(json.loads(body))
            except (ValueError, RecursionError, BadPayload) as problem:  # ValueError: not JSON, not UTF-8
                logger.info("%s: a signed webhook body was refused (%s)", self.name(), type(problem).__name__)
                return response.json({"code": "bad_body"}, 400)
            if not self.queues.has_room(len(events)):
                logger.warning("%s: %d events wait for the bot; Meta is asked to send again later", self.name(),
                               MAX_PENDING)
                return response.json({"code": "busy"}, 503, headers={"Retry-After": "30"})
            for event in events:
                self.queues.submit(event.sender, partial(self.handle, event, on_new_message))
            return response.text("EVENT_RECEIVED")

        return webhook
