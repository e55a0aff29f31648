"""The part our scikit-learn components share: a config, and one pickled state in the model.

The topic classifier, the intent classifier and the retrieval answer selector each train a small
scikit-learn model and keep it, with what it needs at prediction time, as one pickled dict in the
component's resource — as Rasa's own scikit-learn components do. This base holds the config
merging, `create`, `load` (a missing state is logged, and the component then sets nothing) and
the save, and it lays the regressions' coefficients out for one message at a time (`_for_parsing`).
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import numpy as np
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
        return cls(config, model_storage, resource, _for_parsing(state))

    def save_state(self, state: dict[str, Any]) -> Resource:
        """Keep `state` as the trained state and write it into the model."""
        self.state = state
        with self._model_storage.write_to(self._resource) as folder:
            (folder / _STATE_FILE).write_bytes(pickle.dumps(state))
        self.state = _for_parsing(state)
        return self._resource


def _for_parsing(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The state with every fitted linear model's coefficients in column-major order. A message's
    features are a sparse row, and scipy multiplies it by `coef_.T` only after copying that matrix
    into row-major order: for the intent regression, megabytes copied per message, a third of its
    time. In column-major order `coef_.T` is already row-major, and the products are unchanged."""
    if state is None:
        return None
    for value in state.values():
        coefficients = getattr(value, "coef_", None)
        if isinstance(coefficients, np.ndarray) and coefficients.ndim == 2:
            value.coef_ = np.asfortranarray(coefficients)
    return state
