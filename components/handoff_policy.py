"""A dialogue policy that hands a clearly angry shopper to a person, whatever they asked.

Rules and stories are keyed on intents, and anger comes with any of them ("WHERE IS MY ORDER?!
this is a joke"). This policy looks at the latest message itself: when it is clearly angry
(components/anger.py) it predicts the hand-off action, with a priority above the RulePolicy's,
so the shopper gets an apology and a person instead of another automated answer. After the
hand-off it predicts `action_listen`, which ends the turn (the hand-off pauses the bot).

It stays out of the way inside a form (there the form judges each answer) and never fires on
a button press, on a message the shop triggered, or on the hand-back itself.

Short of clear anger, a shopper unhappy two messages in a row (the `sentiment` the NLU gives each
message, components/sentiment.py) is offered a person: after the bot's answer to the second one,
`utter_offer_person` adds a "Talk to a person" button — a choice, not a hand-off. It is offered
again only after two more unhappy messages.

It also owns the one decision rules cannot make: while a person has the conversation (paused),
a shopper's "back to the bot" is answered with `action_handback` (server/pause.py lets that one
message through Rasa's pause).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, EXTERNAL_MESSAGE_PREFIX, IS_EXTERNAL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from components.anger import is_clearly_angry

logger = logging.getLogger(__name__)

# Loops during which an angry message still goes to a person: the fallback is not a form.
_INTERRUPTIBLE_LOOPS = {None, "action_two_stage_fallback"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class HandoffPolicy(Policy):
    """Predicts `handoff_action` after a clearly angry message (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Above the RulePolicy (6): an angry "where is my order?!" goes to a person first.
            "priority": 7,
            # The action that opens the ticket and pauses the bot (actions/handoff.py).
            "handoff_action": "action_handoff",
            # The action that resumes it, and the intent that asks for it.
            "handback_action": "action_handback",
            "handback_intent": "handback",
            # Said after the answer to a second unhappy message in a row.
            "offer_action": "utter_offer_person",
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.handoff_action = str(config["handoff_action"])
        self.handback_action = str(config["handback_action"])
        self.handback_intent = str(config["handback_intent"])
        self.offer_action = str(config["offer_action"])

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        # Nothing to learn: the decision is the anger scorer's. The resource exists so the
        # policy loads like any other.
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> HandoffPolicy:
        return cls(config, model_storage, resource, execution_context)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        result = self._default_predictions(domain)
        if self._paused_shopper_wants_the_bot(tracker, domain):
            # Rules can't see that the conversation is paused, nor where the pause cut it short.
            result[domain.index_for_action(self.handback_action)] = 1.0
        elif tracker.latest_action_name == self.handback_action:
            result[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        elif self.handoff_action in domain.action_names_or_texts:
            if tracker.latest_action_name == self.handoff_action and self._angry_turn(tracker):
                result[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            elif tracker.latest_action_name == ACTION_LISTEN_NAME and self._angry_turn(tracker):
                logger.debug("Clear anger in the latest message: handing off")
                result[domain.index_for_action(self.handoff_action)] = 1.0
            elif tracker.latest_action_name == self.offer_action:
                result[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            elif self.offer_action in domain.action_names_or_texts and self._offer_due(tracker):
                logger.debug("A second unhappy message in a row: offering a person")
                result[domain.index_for_action(self.offer_action)] = 1.0
        return self._prediction(result)

    def _offer_due(self, tracker: DialogueStateTracker) -> bool:
        """The bot has just answered a second unhappy message in a row, outside forms, with no
        person involved and no offer since the unhappy run began."""
        if tracker.active_loop_name not in _INTERRUPTIBLE_LOOPS or tracker.is_paused():
            return False
        turn: list[str] = []
        unhappy_run = 0
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecuted) and event.action_name:
                if not unhappy_run:
                    turn.append(event.action_name)
                if event.action_name in (self.offer_action, self.handoff_action):
                    break  # offered or handed off already since these messages
            elif isinstance(event, UserUttered):
                if not _is_unhappy(event):
                    break
                unhappy_run += 1
                if unhappy_run == 2:
                    break
        answered = bool(turn) and turn[0] != ACTION_LISTEN_NAME
        return answered and unhappy_run >= 2

    def _paused_shopper_wants_the_bot(self, tracker: DialogueStateTracker, domain: Domain) -> bool:
        """Paused, and the shopper's latest message asks for the bot (server/pause.py lets it through)."""
        if not tracker.is_paused() or self.handback_action not in domain.action_names_or_texts:
            return False
        message = tracker.latest_message
        return (isinstance(message, UserUttered) and message.intent_name == self.handback_intent
                and tracker.latest_action_name != self.handback_action)

    @staticmethod
    def _angry_turn(tracker: DialogueStateTracker) -> bool:
        if tracker.active_loop_name not in _INTERRUPTIBLE_LOOPS:
            return False
        message = tracker.latest_message
        if not isinstance(message, UserUttered) or not message.text:
            return False
        if (message.metadata or {}).get(IS_EXTERNAL) or message.text.startswith(EXTERNAL_MESSAGE_PREFIX):
            return False
        return is_clearly_angry(message.text)


def _is_unhappy(message: UserUttered) -> bool:
    """The NLU read the message as negative (a button press has no sentiment)."""
    sentiment = (message.parse_data or {}).get("sentiment") or {}
    return isinstance(sentiment, dict) and sentiment.get("label") == "negative"
