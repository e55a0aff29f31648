"""Our scikit-learn components train, save their state into the model, and load it back."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import MagicMock

import numpy as np
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.catalogue_featurizer import CATALOGUE_KINDS, MASKED_TEXT
from components.intent_classifier import MeaningIntentClassifier
from components.retrieval import RetrievalAnswerSelector
from components.sentence_encoder import SENTENCE_VECTOR

GREETINGS = ["hi", "hello there", "hey", "good morning", "hiya"]
ORDERS = ["where is my order", "my parcel is late", "track my package", "has it shipped", "order status"]


def _message(text: str, direction: float, **data: object) -> Message:
    message = Message(data={TEXT: text, **data})
    message.set(SENTENCE_VECTOR, np.array([direction, 1.0 - direction], dtype=np.float32))
    message.set(CATALOGUE_KINDS, [0.0, 0.0, 0.0, 0.0])
    message.set(MASKED_TEXT, text)
    return message


def test_the_intent_classifier_survives_saving_and_loading(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    examples = [_message(t, 1.0, intent="greet") for t in GREETINGS]
    examples += [_message(t, 0.0, intent="order_status") for t in ORDERS]
    MeaningIntentClassifier.create({}, storage, resource, MagicMock()).train(TrainingData(examples))

    loaded = MeaningIntentClassifier.load({}, storage, resource, MagicMock())
    message = _message("hello again", 0.9)
    loaded.process([message])
    assert message.get(INTENT)["name"] == "greet"
    assert [r["name"] for r in message.get("intent_ranking")] == ["greet", "order_status"]


def test_a_model_without_the_state_sets_nothing(tmp_path: Path) -> None:
    loaded = MeaningIntentClassifier.load({}, LocalModelStorage(tmp_path), Resource("empty"), MagicMock())
    message = _message("hello", 1.0)
    loaded.process([message])
    assert message.get(INTENT) is None


def test_the_retrieval_selector_answers_in_the_response_selectors_shape(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("answers")
    examples = [_message(t, 1.0, intent="faq", intent_response_key="faq/warranty")
                for t in ("what warranty do you give", "is there a guarantee", "warranty on laptops")]
    examples += [_message(t, 0.0, intent="faq", intent_response_key="faq/size_guide")
                 for t in ("what size should i take", "size chart please", "do they run small")]
    responses = {"utter_faq/warranty": [{"text": "Two years."}], "utter_faq/size_guide": [{"text": "XS to XXL."}]}
    RetrievalAnswerSelector.create({}, storage, resource, MagicMock()).train(
        TrainingData(examples, responses=responses))

    loaded = RetrievalAnswerSelector.load({}, storage, resource, MagicMock())
    message = _message("how long is the guarantee", 0.95)
    loaded.process([message])
    answer = message.get("response_selector")["faq"]["response"]
    assert answer[INTENT_RESPONSE_KEY] == "faq/warranty" and answer["utter_action"] == "utter_faq/warranty"
    assert answer["responses"] == [{"text": "Two years."}]

    # A message read as another intent gets no answer: no action would say it.
    read_as_faq, read_as_greet = _message("how long is the guarantee", 0.95), _message("hi there", 0.95)
    read_as_faq.set(INTENT, {"name": "faq", "confidence": 0.9})
    read_as_greet.set(INTENT, {"name": "greet", "confidence": 0.9})
    loaded.process([read_as_faq, read_as_greet])
    assert read_as_faq.get("response_selector")["faq"]["response"]["utter_action"] == "utter_faq/warranty"
    assert read_as_greet.get("response_selector") is None


def test_a_loaded_regression_reads_a_message_without_copying_its_coefficients(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("intents")
    examples = [_message(t, 1.0, intent="greet") for t in GREETINGS]
    examples += [_message(t, 0.0, intent="order_status") for t in ORDERS]
    examples += [_message(t, 0.5, intent="thank") for t in ("thanks", "thank you", "cheers", "ta", "thx")]
    trained = MeaningIntentClassifier.create({}, storage, resource, MagicMock())
    trained.train(TrainingData(examples))
    loaded = MeaningIntentClassifier.load({}, storage, resource, MagicMock())

    for component in (trained, loaded):
        assert component.state is not None
        coefficients = component.state["classifier"].coef_
        # scipy multiplies a sparse row by coef_.T, copying it first unless it is already row-major.
        assert coefficients.T.flags["C_CONTIGUOUS"]
    row_major = MeaningIntentClassifier.load({}, storage, resource, MagicMock())
    assert row_major.state is not None
    row_major.state["classifier"].coef_ = np.ascontiguousarray(row_major.state["classifier"].coef_)
    for text, direction in (("hello again", 0.9), ("where is it", 0.1), ("many thanks", 0.5)):
        ours, theirs = _message(text, direction), _message(text, direction)
        loaded.process([ours])
        row_major.process([theirs])
        assert ours.get("intent_ranking") == theirs.get("intent_ranking")
