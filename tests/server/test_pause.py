"""A paused conversation lets exactly one thing through: the shopper asking for the bot back."""

from __future__ import annotations

import time
from pathlib import Path

from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
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


class _Processor:
    """What MessageProcessor._has_session_expired reads: the assistant's own domain (its session
    configuration: a new session after 60 minutes of silence)."""

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def _silent_for(minutes: float, paused: bool) -> DialogueStateTracker:
    long_ago = time.time() - minutes * 60
    events = [ActionExecuted("action_listen", timestamp=long_ago),
              UserUttered("agent please", {"name": "human_handoff", "confidence": 1.0}, timestamp=long_ago)]
    if paused:
        events.append(ConversationPaused(timestamp=long_ago))
    return DialogueStateTracker.from_events("shopper", events)


def test_a_pause_outlasts_the_session_clock() -> None:
    pause.apply()
    expired = MessageProcessor._has_session_expired

    # A person has the conversation: it stays theirs, however long the shopper has been silent.
    assert not expired(_Processor(), _silent_for(120, paused=True))  # type: ignore[arg-type]
    assert expired(_Processor(), _silent_for(120, paused=False))  # type: ignore[arg-type]
    assert not expired(_Processor(), _silent_for(5, paused=False))  # type: ignore[arg-type]
