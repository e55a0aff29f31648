"""Two costs of stock Rasa 3.6 that every turn pays, removed without changing what Rasa does.

Profiled with py-spy on Bottega's server over the benchmark's conversation (docs/performance.md):

- **Checking the action server's answer.** `RemoteAction._validate_action_result` calls
  `jsonschema.validate(result, schema)`, which first checks the *schema itself* against the JSON
  Schema meta-schema, on every custom action: half of the Rasa process's time in a turn. Here the
  schema is checked once and a validator for it is kept; every answer is still validated against
  the same schema, and an invalid one raises the same `ValidationError` with the same message.
- **Reading stored events.** `Event.resolve_by_type` walks every subclass of `Event` (recursively,
  with `inspect.isabstract` on each) for each event it reads, so loading a tracker cost a walk per
  event. Here the walk is done once into a table of type names, in the same order (the first class
  with a name wins, as before), and done again when a name is not in it (a class imported later).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)
_applied = False


def apply() -> None:
    """Replaces the two functions for this process (idempotent)."""
    global _applied
    if _applied:
        return
    _cache_action_result_validator()
    _cache_event_types()
    _applied = True


def _cache_action_result_validator() -> None:
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # what `jsonschema.validate` does on every call
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        # What `jsonschema.validate` raises: the best match among the errors, not the first.
        error: ValidationError | None = exceptions.best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _cache_event_types() -> None:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    by_name: dict[str, type[Event]] = {}

    def build() -> None:
        by_name.clear()
        for cls in rasa.shared.utils.common.all_subclasses(Event):
            by_name.setdefault(cls.type_name, cls)

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = by_name.get(type_name)
        if found is None:
            build()  # a subclass imported since the last walk
            found = by_name.get(type_name)
        if found is not None:
            return found
        if type_name == "topic":
            return None  # Rasa's backwards compatibility for old TopicSet events
        if default is not None:
            return default
        raise ValueError(f"Unknown event name '{type_name}'.")

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
