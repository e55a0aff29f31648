"""The turn-cost work changes no prediction (issue 10): every test conversation, joined into one long
conversation, is predicted step by step by the trained model twice: by stock Rasa on the whole
conversation as stock Rasa holds it, and by Bottega's server on the compacted conversation
server/tracker_store.py hands Rasa, saved and loaded again before each of the shopper's messages
(as the server does), with server/hot_path.py on (event reading; TED run only when no policy of
higher priority is certain; states worked out once per tracker). Every prediction (action,
policy, every probability, events) must be the same.

The long conversation is ~250 messages, so the boundary moves on every message past the first
keep_turns; it runs at the configured keep_turns (endpoints.yml) and at the smallest one the store
accepts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from server import fast_load, hot_path
from server.tracker_store import MIN_KEEP_TURNS, ConversationStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "bottega.tar.gz"
CONFIGURED_KEEP_TURNS = yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]["keep_turns"]


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` first (make test does)")
    fast_load.apply()
    hot_path.apply()
    return Agent.load(str(MODEL))


def long_conversation(domain: Domain) -> list[Event]:
    """Every story of tests/test_stories/, one after the other, as one shopper's conversation."""
    events: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(),
                           ActionExecuted(ACTION_LISTEN_NAME)]
    for path in sorted((ROOT / "tests" / "test_stories").glob("*.yml")):
        for step in YAMLStoryReader(domain).read_from_file(str(path)):
            for event in step.explicit_events(domain, should_append_final_listen=False):
                if isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME \
                        and isinstance(events[-1], ActionExecuted) and events[-1].action_name == ACTION_LISTEN_NAME:
                    continue
                events.append(event)
    return events


def same(full: PolicyPrediction, compacted: PolicyPrediction) -> bool:
    return (full.policy_name == compacted.policy_name and full.probabilities == compacted.probabilities
            and full.events == compacted.events and full.optional_events == compacted.optional_events)


async def _replay(agent: Agent, store: ConversationStore, events: list[Event]) -> dict[str, Any]:
    processor = agent.processor
    assert processor is not None and agent.domain is not None
    sender = "shopper-with-a-long-thread"
    full = DialogueStateTracker(sender, agent.domain.slots)
    compacted = await store.get_or_create_tracker(sender, append_action_listen=False)
    predictions, differences, shortest, winners = 0, [], len(events), Counter()
    for index, event in enumerate(events):
        if isinstance(event, UserUttered):  # a new message: the server saves the turn before and loads again
            await store.save(compacted)
            loaded = await store.retrieve(sender)
            assert loaded is not None
            compacted = loaded
            shortest = min(shortest, len(compacted.events))
        if isinstance(event, ActionExecuted) and index > 2:
            predictions += 1
            with hot_path.stock_rasa():
                on_full = processor._predict_next_with_tracker(full)
            on_compacted = processor._predict_next_with_tracker(compacted)
            winners[str(on_full.policy_name).split("_")[-1]] += 1
            if not same(on_full, on_compacted):
                differences.append((index, event.action_name, on_full.policy_name, on_compacted.policy_name))
        full.update(event)
        compacted.update(event)
    await store.save(compacted)
    return {"predictions": predictions, "differences": differences, "full": len(full.events),
            "compacted": len(compacted.events), "winners": winners}


@pytest.mark.parametrize("keep_turns", sorted({CONFIGURED_KEEP_TURNS, MIN_KEEP_TURNS}))
def test_compaction_changes_no_prediction_on_the_test_conversations(agent: Agent, tmp_path: Path,
                                                                     keep_turns: int) -> None:
    assert agent.domain is not None
    events = long_conversation(agent.domain)
    messages = sum(isinstance(event, UserUttered) for event in events)
    assert messages > 10 * keep_turns, "the test conversations are too few to move the boundary several times"
    store = ConversationStore(agent.domain, host=f"sqlite:///{tmp_path / 'conversations.sqlite3'}",
                              keep_turns=keep_turns)

    result = asyncio.run(_replay(agent, store, events))

    assert result["predictions"] > 300
    assert result["differences"] == []
    # Both ways of predicting ran: TED skipped (a rule was certain) and TED run and chosen.
    assert result["winners"]["RulePolicy"] > 100 and result["winners"]["TEDPolicy"] >= 5, result["winners"]
    # It did compact: the last loaded conversation holds the last keep_turns messages of the ~250.
    loaded = asyncio.run(store.retrieve("shopper-with-a-long-thread"))
    assert loaded is not None
    assert sum(isinstance(e, UserUttered) for e in loaded.events) == keep_turns
    assert result["compacted"] < result["full"] / 3
    # ...and every event was stored.
    whole = asyncio.run(store.retrieve_full_tracker("shopper-with-a-long-thread"))
    assert whole is not None and [e.as_dict() for e in whole.events] == [e.as_dict() for e in events]
