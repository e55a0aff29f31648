"""The care desk's door into Rasa: human agents take over conversations, and histories are erased.

Not a channel shoppers talk on: an HTTP interface, registered like a channel (credentials.yml)
because a channel's routes run inside the Rasa server, next to the tracker store, the lock store
and the shoppers' own channels. Every route needs the desk token (`Authorization: Bearer <token>`).

    GET    /webhooks/desk/conversations/<id>           the conversation: paused or not, its channel, the transcript
                                                       (Messenger, WhatsApp: and how a reply would go, `window`)
    POST   /webhooks/desk/conversations/<id>/takeover  an agent joins (optionally {"ticket"}): the bot pauses
    POST   /webhooks/desk/conversations/<id>/messages  {"text", "agent"}: the agent's reply, on the shopper's channel
    POST   /webhooks/desk/conversations/<id>/handback  the bot resumes (it says so and carries on where it was)
    DELETE /webhooks/desk/conversations/<id>           erase the conversation's history (the shopper asked)

`<id>` is Rasa's conversation id, which is the shop's customer id: `socketio:<session>`,
`messenger:<psid>`, `whatsapp:<wa_id>`, `rest:<sender>` (actions/identity.py), percent-encoded or
not (a colon may stand as it is). A reply reaches the shopper on the channel the conversation id
names, which must be able to send on its own (the web chat, Messenger, WhatsApp); the REST channel
only ever answers a request, so the desk refuses to reply there (409 `channel_cannot_push`) rather
than lose the text. A conversation stored under an id that names no channel (from before ids were
prefixed, in a persistent tracker store) can be read and erased, not written to (409
`old_conversation`): the shopper's next message opens `<channel>:<id>`, which the desk reaches. On
Messenger and WhatsApp a reply goes out within Meta's window (channels/window.py: HUMAN_AGENT for 7
days on Messenger, the agent-reply template on WhatsApp when one is configured); past it the desk
answers 409 `outside_window` and sends nothing.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.core.lock_store import LockStore
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, IS_EXTERNAL
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    ReminderCancelled,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.identity import ForeignConversation, channel_of
from channels.graph import GraphError
from channels.meta import MetaOutput
from channels.neutral import TEAM_NAME
from channels.text import clean_text
from channels.window import OutsideWindow
from server.tracker_store import ConversationStore

logger = logging.getLogger(__name__)

HANDBACK_INTENT = "handback"
# The reminder action_handoff schedules to bring the bot back if nobody answers, one per conversation
# (actions/handoff.py, timeout_reminder): cancelled as soon as a person takes over, replies or hands back.
HANDOFF_TIMEOUT = "handoff_timeout"
TRANSCRIPT_LENGTH = 50
MAX_TEXT = 2000
MAX_AGENT_NAME = 60
# The slot action_handback closes the ticket of (actions/handoff.py): the hand-off's, or the one a
# person took the conversation over for (a complaint, a payment problem).
HANDOFF_TICKET = "handoff_ticket"
TICKET_ID = re.compile(r"^TK-[A-Z0-9]{8}$")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
TAKEOVER_NOTICE = "A member of the Bottega team has joined the chat and will reply here."
DESK_NAME = TEAM_NAME


class DeskError(Exception):
    """A request the desk refuses, with the HTTP status and a code an agent's tool can act on."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


# --- pure helpers (tested without a server) --------------------------------------------


def token_matches(header: str | None, expected: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time. Never a `?token=`: URLs end up
    in access logs and browser histories."""
    given = header[7:].strip() if header and header.lower().startswith("bearer ") else ""
    # Sanic hands on a header's bytes that are not UTF-8 as lone surrogates: compare the bytes sent.
    return bool(given) and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def agent_reply(body: Any) -> tuple[str, str]:
    """(text, agent name) from a reply's JSON body; DeskError 400 when it is unusable."""
    if not isinstance(body, dict):
        raise DeskError(400, "bad_body", 'The body must be a JSON object: {"text": "...", "agent": "..."}.')
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DeskError(400, "missing_text", '"text" must be a non-empty string.')
    if len(text) > MAX_TEXT:
        raise DeskError(400, "text_too_long", f'"text" has more than {MAX_TEXT} characters.')
    agent = body.get("agent", "")
    if not isinstance(agent, str) or len(agent) > MAX_AGENT_NAME:
        raise DeskError(400, "bad_agent", f'"agent" must be a name of at most {MAX_AGENT_NAME} characters.')
    # What was pasted into the agent's tool goes to the shopper's channel and the tracker as text.
    text, agent = clean_text(text).strip(), " ".join(clean_text(agent).split())
    if not text:
        raise DeskError(400, "missing_text", '"text" must be a non-empty string.')
    return text, agent or "agent"


def takeover_ticket(body: Any) -> str | None:
    """The ticket a take-over is for, from its optional JSON body `{"ticket": "TK-…"}`."""
    if body is None or body == {}:
        return None
    ticket = body.get("ticket") if isinstance(body, dict) else None
    if not isinstance(ticket, str) or not TICKET_ID.match(ticket.strip().upper()):
        raise DeskError(400, "bad_ticket", 'The body is optional; if sent: {"ticket": "TK-XXXXXXXX"}.')
    return ticket.strip().upper()


def stop_the_form(tracker: DialogueStateTracker) -> None:
    """A person has the conversation: an open form stops, so that what the shopper writes to them, and
    the hand-back after, never answers the form's question (its slots' from_text mappings hold only
    while it is active)."""
    if tracker.active_loop_name:
        tracker.update(ActiveLoop(None))
        tracker.update(SlotSet("requested_slot", None))


def _when(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat() if timestamp else None


def transcript(tracker: DialogueStateTracker, length: int = TRANSCRIPT_LENGTH) -> list[dict[str, Any]]:
    """The conversation's last `length` messages and hand-over marks, oldest first.

    `from` is "shopper", "bot", "agent" (with the agent's name), or "system" for what the shop
    triggered (a payment notice) and for the moments the bot paused and resumed.
    """
    lines: list[dict[str, Any]] = []
    for event in tracker.events:
        line: dict[str, Any] | None = None
        if isinstance(event, UserUttered):
            # Rasa marks its external events (trigger_intent, the hand-back) in their metadata, which
            # the web chat refuses from shoppers; a shopper may type "EXTERNAL: ..." as well as anything.
            external = (event.metadata or {}).get(IS_EXTERNAL) is True
            if external and event.intent_name == HANDBACK_INTENT:
                continue  # the "handed back" mark says it
            if external:
                entities = ", ".join(f"{e.get('entity')}={e.get('value')}" for e in event.entities or [])
                line = {"from": "system", "text": f"{event.intent_name}" + (f" ({entities})" if entities else "")}
            else:
                line = {"from": "shopper", "text": event.text or ""}
        elif isinstance(event, BotUttered):
            agent = (event.metadata or {}).get("agent")
            line = {"from": "agent", "agent": agent} if agent else {"from": "bot"}
            line["text"] = event.text or ""
            buttons = (event.data or {}).get("buttons") or []
            if buttons:
                line["buttons"] = [str(b.get("title", "")) for b in buttons if isinstance(b, dict)]
        elif isinstance(event, ConversationPaused):
            line = {"from": "system", "text": "handed to a person: the bot is paused"}
        elif isinstance(event, ConversationResumed):
            line = {"from": "system", "text": "handed back: the bot answers again"}
        if line is not None:
            line["time"] = _when(event.timestamp)
            lines.append(line)
    return lines[-length:]


async def delete_conversation(store: TrackerStore, conversation_id: str) -> bool:
    """Deletes every stored event of the conversation; False when there was none.

    Rasa 3.6's tracker stores have no delete, so each kind Bottega supports is handled here;
    any other kind raises NotImplementedError rather than pretend.
    """
    while hasattr(store, "_tracker_store"):  # AwaitableTrackerStore, FailSafeTrackerStore
        store = store._tracker_store
    if isinstance(store, ConversationStore):  # its snapshots as well as its events
        return store.delete_conversation(conversation_id)
    if isinstance(store, InMemoryTrackerStore):
        return store.store.pop(conversation_id, None) is not None
    if isinstance(store, RedisTrackerStore):
        return bool(store.red.delete(store.key_prefix + conversation_id))
    if isinstance(store, SQLTrackerStore):
        with store.session_scope() as session:
            deleted = (
                session.query(SQLTrackerStore.SQLEvent)
                .filter(SQLTrackerStore.SQLEvent.sender_id == conversation_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return bool(deleted)
    raise NotImplementedError(f"erasing a conversation from a {type(store).__name__} is not supported")


# --- the channel --------------------------------------------------------------------------


def push_channel(input_channels: list[InputChannel], name: str | None) -> OutputChannel | None:
    """An output channel that can reach the shopper unprompted on channel `name`, if any."""
    for channel in input_channels:
        if channel.name() == name:
            output = channel.get_output_channel()
            if output is not None and not isinstance(output, CollectingOutputChannel):
                return output
    return None


class DeskInput(InputChannel):
    """The care desk's HTTP routes (module docstring). In credentials.yml:

        channels.desk.DeskInput:
          token: ${DESK_API_TOKEN}
    """

    @classmethod
    def name(cls) -> str:
        return "desk"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> DeskInput:
        token = str((credentials or {}).get("token") or "").strip()
        if len(token) < 16:
            raise ValueError(
                "channels.desk.DeskInput needs `token` (at least 16 characters) in credentials.yml, "
                "e.g. `token: ${DESK_API_TOKEN}`; `make run` generates DESK_API_TOKEN into .env."
            )
        return cls(token)

    def __init__(self, token: str) -> None:
        self.token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        desk = Blueprint("desk_webhook", __name__)

        @desk.on_request
        async def authenticate(request: Request) -> HTTPResponse | None:
            if not token_matches(request.headers.get("Authorization"), self.token):
                return response.json({"code": "unauthorized", "detail": "A valid desk token is required."}, 401)
            return None

        @desk.exception(DeskError)
        async def refused(request: Request, error: DeskError) -> HTTPResponse:
            return response.json({"code": error.code, "detail": error.detail}, error.status)

        @desk.route("/conversations/<conversation_id>", methods=["GET"], unquote=True)
        async def show(request: Request, conversation_id: str) -> HTTPResponse:
            tracker = await _existing(request, conversation_id)
            state = _state(tracker)
            output = push_channel(_input_channels(request), channel_of(tracker.sender_id))
            if isinstance(output, MetaOutput):
                # Before a person writes: whether Meta's window lets the reply go, and how.
                state["window"] = await output.window(tracker.sender_id)
            return response.json(state)

        @desk.route("/conversations/<conversation_id>/takeover", methods=["POST"], unquote=True)
        async def takeover(request: Request, conversation_id: str) -> HTTPResponse:
            ticket = takeover_ticket(_json_body(request))
            async with _lock_store(request).lock(conversation_id):
                tracker = await _existing(request, conversation_id)
                notified = None
                if not tracker.is_paused():
                    output = _shopper_channel(request, tracker)
                    try:
                        await _say(output, tracker, BotUttered(TAKEOVER_NOTICE, metadata={"agent": DESK_NAME}))
                        notified = True
                    except DeskError as refused:
                        # Outside Meta's window, or Meta refused it: the person still takes over (their
                        # reply may go where the notice could not: Messenger's HUMAN_AGENT, a template).
                        notified = False
                        logger.info("An agent took over a conversation; the shopper was not told (%s)", refused.code)
                    tracker.update(ConversationPaused())
                    logger.info("An agent took over a conversation")
                stop_the_form(tracker)
                if ticket and not tracker.get_slot(HANDOFF_TICKET):
                    # Hand-back closes it (action_handback), as it closes a hand-off's ticket.
                    tracker.update(SlotSet(HANDOFF_TICKET, ticket))
                await _person_is_here(tracker)
                await _store(request).save(tracker)
            state = _state(tracker)
            if notified is not None:
                state["notified"] = notified  # False: the shopper was not told a person joined
            return response.json(state)

        @desk.route("/conversations/<conversation_id>/messages", methods=["POST"], unquote=True)
        async def reply(request: Request, conversation_id: str) -> HTTPResponse:
            text, agent = agent_reply(_json_body(request))
            async with _lock_store(request).lock(conversation_id):
                tracker = await _existing(request, conversation_id)
                if not tracker.is_paused():
                    raise DeskError(409, "not_handed_off",
                                    "The bot is answering this conversation: take it over first (POST .../takeover).")
                output = _shopper_channel(request, tracker)
                # `agent` tells the shopper's channel a person wrote this (channels ignore keys they
                # don't know; the web chat labels the bubble).
                await _say(output, tracker, BotUttered(text, metadata={"agent": agent}))
                await _person_is_here(tracker)
                await _store(request).save(tracker)
            return response.json({"delivered": True, "channel": _channel(tracker)})

        @desk.route("/conversations/<conversation_id>/handback", methods=["POST"], unquote=True)
        async def handback(request: Request, conversation_id: str) -> HTTPResponse:
            processor = request.app.ctx.agent.processor
            async with _lock_store(request).lock(conversation_id):
                tracker = await _existing(request, conversation_id)
                if not tracker.is_paused():
                    raise DeskError(409, "not_handed_off", "The bot is already answering this conversation.")
                output: OutputChannel = (
                    push_channel(_input_channels(request), channel_of(tracker.sender_id))
                    or CollectingOutputChannel()
                )
                await _person_is_here(tracker)
                stop_the_form(tracker)  # (stopped at the hand-off already; the hand-back answers no question)
                tracker.update(ConversationResumed())
                # The pause cut the hand-off turn short of its action_listen; without it the
                # dialogue would read the hand-back as the rest of that turn.
                if tracker.latest_action_name != ACTION_LISTEN_NAME:
                    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                # The bot picks up through its dialogue: the `handback` intent's rule says so to the
                # shopper and carries on from the slots and cart as they were.
                # Updates `tracker` in place and saves it.
                await processor.trigger_external_user_uttered(HANDBACK_INTENT, None, tracker, output)
            logger.info("A conversation was handed back to the bot")
            return response.json(_state(tracker))

        @desk.route("/conversations/<conversation_id>", methods=["DELETE"], unquote=True)
        async def erase(request: Request, conversation_id: str) -> HTTPResponse:
            store, locks = _store(request), _lock_store(request)
            conversation_id = _checked(conversation_id)
            # The erasure is asked for from inside the shopper's own turn, which holds the
            # conversation's lock and saves the tracker when it ends: wait for it, then delete.
            request.app.add_task(_erase_when_free(store, locks, conversation_id))
            return response.json({"conversation_id": conversation_id, "erasing": True}, 202)

        return desk


async def _say(output: OutputChannel, tracker: DialogueStateTracker, said: BotUttered) -> None:
    """Sends a person's message and records it, as Rasa sends and records the bot's: the channel gets
    the recorded event's `message()`, timestamp included (the web chat's pages keep it to ask for
    what they missed, channels/webchat.py). On Messenger and WhatsApp a message the platform would
    not take is refused, not recorded: 409 `outside_window` (Meta's 24-hour window, channels/window.py)
    or 502 `not_delivered` (Meta refused it)."""
    if isinstance(output, MetaOutput):
        try:
            await output.send_or_refuse(tracker.sender_id, said.message())
        except ForeignConversation:  # _shopper_channel picks the conversation's own channel: never here
            raise DeskError(409, "channel_cannot_push", "The conversation is not on this channel.") from None
        except OutsideWindow as refused:
            raise DeskError(409, OutsideWindow.code, refused.detail) from None
        except GraphError as failed:
            raise DeskError(502, "not_delivered", f"The platform refused the message ({failed}); it was not "
                                                  "delivered. Try again later.") from None
    else:
        await output.send_response(tracker.sender_id, said.message())
    tracker.update(said)


async def _person_is_here(tracker: DialogueStateTracker) -> None:
    """A person has the conversation: the bot must not come back by itself when the time-out fires."""
    cancel = ReminderCancelled(name=f"{HANDOFF_TIMEOUT}:{tracker.sender_id}")
    await MessageProcessor._cancel_reminders([cancel], tracker)
    tracker.update(cancel)


async def _erase_when_free(store: TrackerStore, locks: LockStore, conversation_id: str) -> None:
    try:
        async with locks.lock(conversation_id):
            found = await delete_conversation(store, conversation_id)
        logger.info("Conversation history erased on request (%s)", "found" if found else "nothing stored")
    except Exception:
        logger.exception("Erasing a conversation's history failed")


def _json_body(request: Request) -> Any:
    if not request.body:
        return None
    try:
        return request.json
    except Exception:  # Sanic raises InvalidUsage for a body that is not JSON
        return "not JSON"


def _store(request: Request) -> TrackerStore:
    return request.app.ctx.agent.tracker_store  # type: ignore[no-any-return]


def _lock_store(request: Request) -> LockStore:
    return request.app.ctx.agent.lock_store  # type: ignore[no-any-return]


def _input_channels(request: Request) -> list[InputChannel]:
    return list(getattr(request.app.ctx, "input_channels", None) or [])


def _unknown(conversation_id: str) -> DeskError:
    return DeskError(404, "unknown_conversation", f"No conversation {conversation_id!r}.")


def _checked(conversation_id: str) -> str:
    """The id, unless it holds control characters: no channel names a conversation so, and
    PostgreSQL refuses a NUL in a query (a 500 from the tracker store)."""
    if _CONTROL.search(conversation_id):
        raise _unknown(conversation_id)
    return conversation_id


async def _existing(request: Request, conversation_id: str) -> DialogueStateTracker:
    # Every event, not the compacted tracker the bot reads (server/tracker_store.py): the person
    # reads the whole transcript, and what the desk writes is stored after all of it.
    tracker = await _store(request).retrieve_full_tracker(_checked(conversation_id))
    if tracker is None:
        raise _unknown(conversation_id)
    return tracker


def _channel(tracker: DialogueStateTracker) -> str | None:
    """The conversation's channel: the one its id names (an old unprefixed id: where the shopper last wrote)."""
    return channel_of(tracker.sender_id) or tracker.get_latest_input_channel()


def _shopper_channel(request: Request, tracker: DialogueStateTracker) -> OutputChannel:
    name = channel_of(tracker.sender_id)
    if name is None:
        raise DeskError(409, "old_conversation",
                        "This conversation's id names no channel (it is from before ids were `<channel>:<id>`): "
                        "it can be read and erased, not written to. The shopper's next message opens "
                        f"`{_channel(tracker) or '<channel>'}:{tracker.sender_id}`.")
    output = push_channel(_input_channels(request), name)
    if output is None:
        raise DeskError(409, "channel_cannot_push",
                        f"The shopper writes on the {name or 'unknown'} channel, which only answers the shopper's "
                        "own messages; a reply cannot reach them there.")
    return output


def _state(tracker: DialogueStateTracker) -> dict[str, Any]:
    return {
        "conversation_id": tracker.sender_id,
        "channel": _channel(tracker),
        "paused": tracker.is_paused(),
        "messages": transcript(tracker),
    }
