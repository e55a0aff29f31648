"""server/hot_path.py: the same answers as stock Rasa 3.6, computed once instead of every turn."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import jsonschema
import pytest
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import Event

from server import hot_path

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
