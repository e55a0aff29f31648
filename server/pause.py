"""Lets a shopper take the bot back from a paused conversation ("back to the bot").

Rasa 3.6 answers nothing while a conversation is paused (a person has it), except `/restart`,
which would throw away the conversation. A shopper whose person never comes (at night, say)
would be stuck. With this, a message read as `handback` with enough confidence is handled even
while paused: the HandoffPolicy predicts `action_handback`, which resumes the conversation and
closes the hand-off ticket. Everything else said during a pause stays for the person.

A pause also outlasts the session clock. Rasa starts a new session after an hour of the shopper's
silence (domain.yml, session_config), and a new session resets the tracker: the pause, the hand-off
ticket's slot and the time-out all gone, so an agent answering an hour later would be refused and
the bot would answer in their place. A paused conversation's session therefore never expires: it
lasts until a person hands back, the shopper asks for the bot, or the hand-off time-out fires.
"""

from __future__ import annotations

from rasa.shared.core.trackers import DialogueStateTracker

HANDBACK_INTENT = "handback"
# A misread "back to the bot" must not take the conversation away from a person mid-chat.
MIN_CONFIDENCE = 0.8
_applied = False


def shopper_wants_the_bot_back(tracker: DialogueStateTracker) -> bool:
    latest = tracker.latest_message
    if latest is None or latest.intent.get("name") != HANDBACK_INTENT:
        return False
    confidence = latest.intent.get("confidence")
    return confidence is None or float(confidence) >= MIN_CONFIDENCE


def apply() -> None:
    """Widens `MessageProcessor._should_handle_message` and keeps a paused conversation's session
    from expiring, for this process (idempotent)."""
    global _applied
    if _applied:
        return
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._should_handle_message

    def should_handle_message(tracker: DialogueStateTracker) -> bool:
        return bool(original(tracker)) or (tracker.is_paused() and shopper_wants_the_bot_back(tracker))

    MessageProcessor._should_handle_message = staticmethod(should_handle_message)  # type: ignore[method-assign]

    session_expired = MessageProcessor._has_session_expired

    # Named `self` like the method it replaces, so that it can be called the same ways.
    def has_session_expired(self: MessageProcessor, tracker: DialogueStateTracker) -> bool:
        return not tracker.is_paused() and bool(session_expired(self, tracker))

    MessageProcessor._has_session_expired = has_session_expired  # type: ignore[method-assign]
    _applied = True
