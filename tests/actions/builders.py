"""Builders for rasa-sdk action tests: trackers and entities as Rasa sends them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker

Entity = dict[str, Any]


def entity(name: str, value: str, role: str | None = None) -> Entity:
    found: Entity = {"entity": name, "value": value, "extractor": "DIETClassifier"}
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
) -> Tracker:
    """A tracker whose latest event is the user message `text`, as Rasa sends it."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": list(entities),
    }
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest, "input_channel": channel},
    ]
    return Tracker(sender_id, dict(slots or {}), latest, events, False, None, {}, "action_listen")


def slots_set(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Slot name → value for the SlotSet events among `events` (the last one wins)."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages: Iterable[dict[str, Any]]) -> str:
    """All text a CollectingDispatcher collected, one message a line."""
    return "\n".join(m.get("text") or "" for m in messages)
