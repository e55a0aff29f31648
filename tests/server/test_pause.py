"""A paused conversation lets exactly one thing through: the shopper asking for the bot back."""

from __future__ import annotations

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from server import pause


def _tracker(intent: str, confidence: float, paused: bool = True) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0})]
    if paused:
        events.append(ConversationPaused())
    events.append(UserUttered("said while paused", {"name": intent, "confidence": confidence}))
    return DialogueStateTracker.from_events("shopper", events)


def test_only_a_confident_handback_gets_through_a_pause() -> None:
    pause.apply()
    pause.apply()  # idempotent
    should_handle = MessageProcessor._should_handle_message

    assert should_handle(_tracker("handback", 0.95))
    assert not should_handle(_tracker("handback", 0.55))  # a misreading keeps the person
    assert not should_handle(_tracker("order_status", 0.99))  # everything else waits for the person
    assert should_handle(_tracker("order_status", 0.99, paused=False))
    assert should_handle(_tracker("restart", 1.0))  # Rasa's own exception stays
