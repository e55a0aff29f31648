"""Builders for rasa-sdk action tests: trackers and entities as Rasa sends them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

Entity = dict[str, Any]


def entity(name: str, value: str, role: str | None = None) -> Entity:
    found: Entity = {"entity": name, "value": value, "extractor": "CRFEntityExtractor"}
    if role:
        found["role"] = role
    return found


def build_tracker(
    text: str = "",
    intent: str | None = None,
    entities: Iterable[Entity] = (),
    slots: dict[str, Any] | None = None,
    sender_id: str = "alice",
    channel: str | None = "rest",
    *,
    message_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    paused: bool = False,
) -> Tracker:
    """A tracker whose latest event is the user message `text`, as Rasa sends it."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": list(entities),
    }
    user: dict[str, Any] = {"event": "user", "text": text, "parse_data": latest, "input_channel": channel}
    if message_id is not None:
        latest["message_id"] = user["message_id"] = message_id
    if metadata is not None:
        user["metadata"] = latest["metadata"] = metadata  # Rasa's latest_message is the event's parse_data
    events = [{"event": "action", "name": "action_listen"}, user]
    return Tracker(sender_id, dict(slots or {}), latest, events, paused, None, {}, "action_listen")


def user_tracker(
    sender: str,
    text: str = "",
    intent: str | None = None,
    entities: Iterable[Entity] = (),
    slots: dict[str, Any] | None = None,
    *,
    message_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    channel: str = "rest",
    paused: bool = False,
) -> Tracker:
    """`build_tracker` with the shopper first and a fresh message id, as every real message has."""
    return build_tracker(
        text,
        intent,
        entities,
        slots,
        sender_id=sender,
        channel=channel,
        message_id=message_id or uuid.uuid4().hex,
        metadata=metadata,
        paused=paused,
    )


async def run_action(action: Any, tracker: Tracker, domain: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Runs an action the way the action server does; returns (messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return dispatcher.messages, list(events)


def slots_set(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Slot name → value for the SlotSet events among `events` (the last one wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages: Iterable[dict[str, Any]]) -> str:
    """All text a CollectingDispatcher collected, one message a line."""
    return "\n".join(m.get("text") or "" for m in messages)
