"""server/hot_path.py: the same answers as stock Rasa 3.6, computed once instead of every turn."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sklearn.feature_extraction.text import TfidfVectorizer

from server import fast_load, hot_path

ROOT = Path(__file__).resolve().parents[2]

VALID = {"events": [{"event": "slot", "name": "product", "value": "shoes"}],
         "responses": [{"text": "Here you are", "buttons": [{"title": "More", "payload": "/more"}]}]}
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": 7}]},
    {"events": [{}]},
    {"events": [{"event": "slot"}]},
    {"events": [{"no_event_key": True}], "responses": "nope"},  # two errors: the best match is reported
]


def _stock_resolve(type_name: str, default: Any = None) -> Any:
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


@pytest.fixture(scope="module", autouse=True)
def applied() -> None:
    hot_path.apply()


def test_an_action_servers_answer_is_checked_as_stock_rasa_checks_it() -> None:
    action = RemoteAction("action_search", None)
    assert action._validate_action_result(VALID) is True
    for result in INVALID:
        with pytest.raises(jsonschema.ValidationError) as patched:
            action._validate_action_result(result)
        with pytest.raises(jsonschema.ValidationError) as stock:
            jsonschema.validate(result, RemoteAction.action_response_format_spec())
        assert patched.value.message.startswith(stock.value.message + ". Failed to validate Action server response")
        assert list(patched.value.path) == list(stock.value.path)


def test_every_event_type_resolves_to_the_class_stock_rasa_finds() -> None:
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert len(names) > 20
    for name in names:
        assert Event.resolve_by_type(name) is _stock_resolve(name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_an_event_class_defined_later_is_found() -> None:
    class LateEvent(Event):  # what a module imported after the first lookups would add
        type_name = "bottega_late_event"

        def __eq__(self, other: Any) -> bool:
            return isinstance(other, LateEvent)

        def as_story_string(self) -> str:
            return self.type_name

    assert Event.resolve_by_type("action") is _stock_resolve("action")  # the table is built
    assert Event.resolve_by_type("bottega_late_event") is LateEvent


class _Processor:
    """What MessageProcessor.parse_message uses of the processor."""

    http_interpreter = None

    def __init__(self) -> None:
        self.threads: list[str] = []

    def _parse_message_with_graph(self, message: Any, tracker: Any, only_output_properties: bool) -> dict[str, Any]:
        self.threads.append(threading.current_thread().name)
        return {"text": message.text, "intent": {"name": "greet", "confidence": 0.9}, "entities": []}

    def _update_full_retrieval_intent(self, parse_data: dict[str, Any]) -> None:
        parse_data["updated"] = True

    def _check_for_unseen_features(self, parse_data: dict[str, Any]) -> None:
        parse_data["checked"] = True


def test_a_message_is_understood_on_its_own_thread_one_at_a_time() -> None:
    processor = _Processor()

    async def three() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(MessageProcessor.parse_message(processor, UserMessage(text, sender_id="a"))
                                           for text in ("hi", "red shoes", "bye"))))

    parsed = asyncio.run(three())

    assert [p["text"] for p in parsed] == ["hi", "red shoes", "bye"]
    assert all(p["updated"] and p["checked"] for p in parsed)  # the rest of stock parse_message still runs
    assert len(processor.threads) == 3 and set(processor.threads) == {processor.threads[0]}
    assert processor.threads[0].startswith("nlu") and processor.threads[0] != threading.current_thread().name


HELD_OUT = Path(__file__).resolve().parents[1] / "nlu" / "heldout.yml"
MODEL = Path(__file__).resolve().parents[2] / "models" / "bottega.tar.gz"


def held_out_texts() -> list[str]:
    """Messages written apart from the training data, in every intent (tests/nlu/heldout.yml)."""
    texts = [m.get("text") for m in RasaYAMLReader().read(str(HELD_OUT)).training_examples]
    assert len(texts) > 500
    return [str(t) for t in texts]


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test does)")
    fast_load.apply()
    return Agent.load(str(MODEL))


def test_every_held_out_message_is_read_exactly_as_stock_rasa_reads_it(agent: Agent) -> None:
    # The TF-IDF weights kept, the graph built once: every intent, confidence, ranking, entity,
    # topic and answer the same, to the last bit.
    processor = agent.processor
    assert processor is not None
    texts = held_out_texts()

    async def read_all() -> list[dict[str, Any]]:
        return [await processor.parse_message(UserMessage(text, sender_id="reader")) for text in texts]

    with hot_path.stock_rasa():
        stock = asyncio.run(read_all())
    patched = asyncio.run(read_all())

    assert len(patched) == len(stock) == len(texts)
    differences = [(text, s, p) for text, s, p in zip(texts, stock, patched, strict=True) if s != p]
    assert differences == []
    assert len({p["intent"]["name"] for p in patched}) > 20  # the model read them: many intents


def test_a_graph_run_leaves_the_kept_graph_as_it_was(agent: Agent) -> None:
    processor = agent.processor
    assert processor is not None
    first = asyncio.run(processor.parse_message(UserMessage("do you have red shoes?", sender_id="g")))
    second = asyncio.run(processor.parse_message(UserMessage("where is my order", sender_id="g")))

    kept = processor.graph_runner.__dict__[hot_path._GRAPHS]
    assert kept, "the graph was built once and kept"
    for graph in kept.values():
        assert PLACEHOLDER_MESSAGE not in graph and PLACEHOLDER_TRACKER not in graph  # inputs: each run's copy
    assert first["text"] == "do you have red shoes?" and second["text"] == "where is my order"
    assert first["intent"]["name"] != second["intent"]["name"]


def test_the_tf_idf_weights_are_what_scikit_learn_sums_and_follow_a_new_fit() -> None:
    vectorizer = TfidfVectorizer().fit(["red shoes", "blue shoes", "a red jumper"])
    stock = hot_path.STOCK["idf_"].fget
    first = vectorizer.idf_
    assert np.array_equal(first, stock(vectorizer._tfidf)) and vectorizer.idf_ is first  # kept
    with pytest.raises(ValueError, match="read-only"):
        first[0] = 1.0  # read-only: no caller can change what the next one reads
    vectorizer.fit(["a whole new vocabulary", "of other words"])
    assert np.array_equal(vectorizer.idf_, stock(vectorizer._tfidf)) and len(vectorizer.idf_) != len(first)
    assert not hasattr(TfidfVectorizer(), "idf_")  # unfitted: scikit-learn's check still says so


SWITCHED_OFF = """
from rasa.core.policies.rule_policy import RulePolicy
from sklearn.feature_extraction.text import TfidfTransformer
from server import hot_path
stock_idf, stock_keys = TfidfTransformer.idf_, RulePolicy._get_possible_keys
hot_path.apply()
print(TfidfTransformer.idf_ is stock_idf, RulePolicy._get_possible_keys is stock_keys, sorted(hot_path.STOCK))
with hot_path.stock_rasa():
    print(TfidfTransformer.idf_ is stock_idf, RulePolicy._get_possible_keys is stock_keys)
print(TfidfTransformer.idf_ is stock_idf, RulePolicy._get_possible_keys is stock_keys)
"""


def test_an_optimisation_named_in_bottega_hot_path_off_stays_stock() -> None:
    done = subprocess.run([sys.executable, "-c", SWITCHED_OFF], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "BOTTEGA_HOT_PATH_OFF": " idf ,"}, timeout=300)
    assert done.returncode == 0, done.stderr
    applied, stock, after = done.stdout.strip().splitlines()
    assert applied.startswith("True False")  # TF-IDF stock, the rules patched
    assert "'idf_'" not in applied and "'rule_possible_keys'" in applied
    assert stock == "True True" and after == "True False"  # stock_rasa() swaps only what was patched
    assert "idf is off (BOTTEGA_HOT_PATH_OFF)" in done.stderr


def test_an_unknown_name_in_bottega_hot_path_off_stops_the_server_with_the_names() -> None:
    done = subprocess.run([sys.executable, "-m", "server", "run", "--help"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "BOTTEGA_HOT_PATH_OFF": "idf,graph"}, timeout=300)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert ("server: BOTTEGA_HOT_PATH_OFF: no such optimisation graph; the names are validator, event_types, "
            "ted_last, nlu_thread, idf, graphs, rules, states (or all)") in done.stderr
