"""The part our scikit-learn components share: a config, and one pickled state in the model.

The topic classifier, the intent classifier and the retrieval answer selector each train a small
scikit-learn model and keep it, with what it needs at prediction time, as one pickled dict in the
component's resource — as Rasa's own scikit-learn components do. This base holds the config
merging, `create`, `load` (a missing state is logged, and the component then sets nothing) and
the save.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from typing_extensions import Self

logger = logging.getLogger(__name__)

_STATE_FILE = "state.pkl"


class TrainedStateComponent(GraphComponent):
    """A trainable component whose trained state is one pickled dict (`self.state`)."""

    # What the component stops doing when its state is missing from the model (for the log).
    WITHOUT_STATE = "it sets nothing"

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 state: dict[str, Any] | None = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.state = state

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> Self:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> Self:
        try:
            with model_storage.read_from(resource) as folder:
                # Our own model's file, written by save_state() (as Rasa's sklearn components do).
                state = pickle.loads((folder / _STATE_FILE).read_bytes())  # noqa: S301
        except (ValueError, OSError):
            logger.warning("%s: no trained state in the model, so %s", cls.__name__, cls.WITHOUT_STATE)
            state = None
        return cls(config, model_storage, resource, state)

    def save_state(self, state: dict[str, Any]) -> Resource:
        """Keep `state` as the trained state and write it into the model."""
        self.state = state
        with self._model_storage.write_to(self._resource) as folder:
            (folder / _STATE_FILE).write_bytes(pickle.dumps(state))
        return self._resource
