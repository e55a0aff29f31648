"""Loads Rasa's TensorFlow models (TED; DIET where a pipeline has one) without tracing a training graph.

Stock Rasa 3.6 builds a loaded model's weights by running `fit` on one example, which makes
TensorFlow trace and compile the whole training step of every model before the server answers:
about 40 s of a 45 s start on a 2-core machine. Building the weights with one *eager* step gives
variables of the same shapes at a fraction of the cost; the trained weights are then loaded over
them exactly as before, and inference is compiled as before, only without AutoGraph's source
conversion where the model traces without it (TED does). Training is untouched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa.utils.tensorflow.model_data import RasaModelData
    from rasa.utils.tensorflow.models import RasaModel

logger = logging.getLogger(__name__)
_applied = False


def compile_inference(model: RasaModel, predict_data_example: RasaModelData) -> None:
    """Traces `model`'s prediction function as stock Rasa does, on a first `run_inference`, but
    without AutoGraph's conversion of its Python source first (a third of the tracing).

    Code that needs AutoGraph (an `if` or a loop on a tensor) cannot be traced without it and
    raises: it is then traced again the stock way. Code that can be traced either way gives the
    same graph either way.
    """
    import tensorflow as tf

    model.predict_step = tf.autograph.experimental.do_not_convert(model.predict_step)  # type: ignore[method-assign]
    try:
        model.run_inference(predict_data_example)
    except (TypeError, ValueError, NotImplementedError) as error:  # OperatorNotAllowedInGraphError is a TypeError
        logger.debug("%s needs AutoGraph to be traced (%s); tracing it the stock way", type(model).__name__, error)
        del model.predict_step
        model._tf_predict_step = None
        model.run_inference(predict_data_example)


def apply() -> None:
    """Replaces `RasaModel.load` for this process (idempotent)."""
    global _applied
    if _applied:
        return
    import tensorflow as tf
    from rasa.utils.tensorflow import models
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    def load(
        cls: type[models.RasaModel],
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> models.RasaModel:
        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        learning_rate = config.get(LEARNING_RATE, 0.001)
        # One eager step creates every variable with its trained shape...
        model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), run_eagerly=True)
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
        # ...then the model is compiled as configured and gets its trained weights, as in stock Rasa.
        model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate), run_eagerly=config.get(RUN_EAGERLY))
        model.load_weights(model_file_name)
        if not finetune_mode and predict_data_example:
            compile_inference(model, predict_data_example)
        return model

    models.RasaModel.load = classmethod(load)  # type: ignore[method-assign, assignment]
    _applied = True
    logger.debug("Rasa model loading without training-graph tracing is enabled")
