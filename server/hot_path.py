"""Costs of stock Rasa 3.6 that every turn pays, removed without changing what Rasa does.

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
- **TED when a rule has decided.** Every prediction runs every policy, then the ensemble picks the
  most confident, a tie going to the higher priority. TED's network is the dearest of them (a third
  of a turn), yet when a policy of higher priority is certain (confidence 1.0) TED cannot win:
  its best is 1.0 at a lower priority. Here the other policies run first, and TED only when none
  of them is certain; otherwise it is given a prediction of zeros, which the ensemble passes over
  exactly as it passed over TED's own. Not skipped when TED could win regardless: a model trained
  on stories' text (TED's end-to-end predictions outrank the others) or an action just rejected
  (its confidence is zeroed in every prediction). In the benchmark's conversation every action
  was the RulePolicy's at 1.0.
- **The same states, worked out again by each policy.** The memoization policy, the rule policy
  (more than once) and TED each turn the whole tracker into states (`past_states`), replaying every
  event: a fifth of a turn. Here the states are kept on the tracker for its number of events and the
  same arguments, and each caller gets its own copy (the featurizers edit the last state in place).
  A tracker only changes by gaining events, so a count that moved means states worked out anew.
- **Understanding a message on the event loop.** `MessageProcessor.parse_message` runs the NLU graph
  on the server's only thread, so while one shopper's message is read (MiniLM, a fifth of a turn,
  in TensorFlow Lite) nobody else's turn moves. Here it runs on one thread of its own: TensorFlow
  Lite lets go of Python's lock while it computes, so another shopper's turn goes on meanwhile on
  the other core. One thread, so messages are still read one at a time, in order, by components
  that were never written for two at once (two threads, each component behind a lock of its own so
  that two messages could be in different components at once, answered no more messages a second
  with 20 shoppers: what is left is Python's lock, not the reading).
- **The graph worked out again on every run.** Rasa's graph runner, on every run of the model's
  graph (reading a message, and each prediction of a turn), works out which nodes the targets need
  (a recursive walk without memory) and builds the task graph for them. Both depend only on the
  loaded model and the targets: here they are worked out once per target list and copied per run.
- **Every rule parsed again for every state.** RulePolicy finds the rules that apply by filtering
  every rule key (a JSON text) against the conversation's states, last state first; for each rule
  and state it looks the parsed rule up in an LRU cache and reverses a copy of it. Here each
  lookup table's rules are parsed and reversed once; the filter is the same, in the same order,
  so the same set of rules comes out (and the same one of equal length wins).
- **The TF-IDF weights, summed on every message.** scikit-learn's `TfidfTransformer.transform` checks
  it is fitted with `hasattr(self, "idf_")`, and `idf_` sums the whole diagonal matrix of weights
  (one per word and word pair of the training data) into a new array: on every message, for the
  intent and the topic classifiers, most of their time. Here the array is worked out once per
  matrix and kept, read-only, with the matrix; the transform itself is untouched.

`BOTTEGA_HOT_PATH_OFF` (a comma-separated list of the names in `apply`, or `all`) leaves the named
ones as stock Rasa has them: to tell whether one of them is behind a misbehaviour, and for
interleaved runs of the benchmark with and without one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor
    from rasa.engine.graph import GraphNode
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
_applied = False
# Stock Rasa's functions, for the tests that compare (tests/server/test_same_predictions.py).
STOCK: dict[str, Any] = {}


def apply() -> None:
    """Replaces the functions for this process (idempotent), but those BOTTEGA_HOT_PATH_OFF names."""
    global _applied
    if _applied:
        return
    patches: dict[str, Callable[[], None]] = {
        "validator": _cache_action_result_validator, "event_types": _cache_event_types,
        "ted_last": _decisive_policies_first, "nlu_thread": _understanding_off_the_loop,
        "idf": _idf_once_per_matrix, "graphs": _graphs_built_once, "rules": _rules_parsed_once,
        "states": _states_once_per_tracker}
    off = {name.strip() for name in os.environ.get("BOTTEGA_HOT_PATH_OFF", "").split(",") if name.strip()}
    unknown = off - set(patches) - {"all"}
    if unknown:
        raise ValueError(f"BOTTEGA_HOT_PATH_OFF: no such optimisation {', '.join(sorted(unknown))}; "
                         f"the names are {', '.join(patches)} (or all)")
    for name, patch in patches.items():
        if name in off or "all" in off:
            logger.warning("server/hot_path.py: %s is off (BOTTEGA_HOT_PATH_OFF)", name)
        else:
            patch()
    _applied = True


@contextmanager
def stock_rasa() -> Iterator[None]:
    """Stock Rasa's functions for the duration (the tests that compare), then these again."""
    places = _places()
    patched = {key: getattr(owner, name) for key, (owner, name) in places.items()}
    _set(places, STOCK)
    try:
        yield
    finally:
        _set(places, patched)


def _places() -> dict[str, tuple[type, str]]:
    """Where each function of STOCK lives: its key -> (class, attribute)."""
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.processor import MessageProcessor
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.trackers import DialogueStateTracker
    from sklearn.feature_extraction.text import TfidfTransformer

    return {"predict_next_with_tracker": (MessageProcessor, "_predict_next_with_tracker"),
            "parse_message": (MessageProcessor, "parse_message"),
            "past_states": (DialogueStateTracker, "past_states"),
            "idf_": (TfidfTransformer, "idf_"),  # a property: the class attribute is the property itself
            "graph_run": (DaskGraphRunner, "run"),
            "rule_possible_keys": (RulePolicy, "_get_possible_keys")}


def _set(places: dict[str, tuple[type, str]], functions: dict[str, Any]) -> None:
    for key, (owner, name) in places.items():
        if key in functions:  # not there: switched off by BOTTEGA_HOT_PATH_OFF, stock all along
            setattr(owner, name, functions[key])


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


@dataclass(frozen=True)
class _Plan:
    """The prediction graph's ensemble node and its inputs, the policies TED's run can wait for."""

    ensemble: GraphNode
    first: list[str]  # nodes whose outputs the ensemble needs, TED's excepted
    ted: list[str]
    ted_names: dict[str, tuple[str, int]]  # node -> (policy name, priority)
    ted_priority: int


def _plan(processor: MessageProcessor) -> _Plan | None:
    """How to run `processor`'s prediction graph TED last; None where it cannot be (stock then)."""
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.engine.constants import PLACEHOLDER_TRACKER
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.nlu.constants import TEXT

    runner = processor.graph_runner
    target = processor.model_metadata.core_target
    if not isinstance(runner, DaskGraphRunner) or not target:
        return None
    nodes = runner._instantiated_nodes
    needs = [node for node in runner._graph_schema.nodes[target].needs.values() if node != PLACEHOLDER_TRACKER]
    teds = {node: component for node in needs if type(component := nodes[node]._component) is TEDPolicy}
    if not teds:
        return None
    if any(TEXT in (ted.fake_features or {}) for ted in teds.values()):
        return None  # trained on stories' text: its end-to-end predictions outrank every other
    return _Plan(nodes[target], [node for node in needs if node not in teds], list(teds),
                 {node: (type(ted).__name__, ted.priority) for node, ted in teds.items()},
                 max(ted.priority for ted in teds.values()))


def _decided(predictions: list[PolicyPrediction], tracker: DialogueStateTracker, ted_priority: int) -> bool:
    """True when no TED prediction could win against these: one of them is certain at a higher
    priority, or one is a prediction without user input (those outrank the rest; TED's never is)."""
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    actions = (e for e in reversed(tracker.events) if isinstance(e, (ActionExecuted, ActionExecutionRejected)))
    last_action = next(actions, None)
    if isinstance(last_action, ActionExecutionRejected):
        return False  # the ensemble zeroes the rejected action's confidence everywhere: decide as it does
    return any(p.is_no_user_prediction or (p.max_confidence >= 1.0 and p.policy_priority > ted_priority)
               for p in predictions if not p.is_end_to_end_prediction)


def _decisive_policies_first() -> None:
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import MessageProcessor
    from rasa.engine.constants import PLACEHOLDER_TRACKER

    stock = MessageProcessor._predict_next_with_tracker
    STOCK["predict_next_with_tracker"] = stock
    plans: dict[int, _Plan | None] = {}

    def _predict_next_with_tracker(self: MessageProcessor, tracker: DialogueStateTracker) -> PolicyPrediction:
        key = id(self.graph_runner)
        if key not in plans:
            plans.clear()  # a new model: one plan at a time
            plans[key] = _plan(self)
        plan = plans[key]
        if plan is None or tracker.followup_action:
            return stock(self, tracker)  # a follow-up action needs no policy at all; stock handles it
        runner = self.graph_runner
        outputs = runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=plan.first)
        policies = [output for output in outputs.values() if isinstance(output, PolicyPrediction)]
        if _decided(policies, tracker, plan.ted_priority):
            domain: Domain = self.domain
            for node, (name, priority) in plan.ted_names.items():
                outputs[node] = PolicyPrediction([0.0] * domain.num_actions, name, priority)
        else:
            outputs.update(runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=plan.ted))
        _, prediction = plan.ensemble(*outputs.items(), (PLACEHOLDER_TRACKER, tracker))
        return prediction  # type: ignore[no-any-return]

    MessageProcessor._predict_next_with_tracker = _predict_next_with_tracker  # type: ignore[method-assign]


def _understanding_off_the_loop() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.trackers import DialogueStateTracker

    stock = MessageProcessor.parse_message
    STOCK["parse_message"] = stock
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu")

    async def parse_message(self: MessageProcessor, message: UserMessage,
                            tracker: DialogueStateTracker | None = None,
                            only_output_properties: bool = True) -> dict[str, Any]:
        if self.http_interpreter:
            return await stock(self, message, tracker, only_output_properties)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        parse_data: dict[str, Any] = await asyncio.get_running_loop().run_in_executor(
            reader, self._parse_message_with_graph, message, tracker, only_output_properties)
        # The rest of stock Rasa's parse_message, but for its structlog debug line (deep copies of
        # the text and entities on every message, for a log that is off).
        self._update_full_retrieval_intent(parse_data)
        self._check_for_unseen_features(parse_data)
        return parse_data

    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]


_IDF = "_bottega_idf"


def _idf_once_per_matrix() -> None:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfTransformer

    stock = TfidfTransformer.idf_
    STOCK["idf_"] = stock

    def idf_(self: TfidfTransformer) -> Any:
        diag = self._idf_diag  # AttributeError when not fitted: hasattr(self, "idf_") is False, as before
        kept = self.__dict__.get(_IDF)
        if kept is None or kept[0] is not diag:
            weights = np.ravel(diag.sum(axis=0))
            weights.flags.writeable = False  # shared by every caller from now on
            kept = (diag, weights)
            self.__dict__[_IDF] = kept
        return kept[1]

    TfidfTransformer.idf_ = property(idf_, stock.fset, stock.fdel, stock.__doc__)


_GRAPHS = "_bottega_graphs"


def _graphs_built_once() -> None:
    import dask
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    stock = DaskGraphRunner.run
    STOCK["graph_run"] = stock
    runner_logger = logging.getLogger("rasa.engine.runner.dask")

    def run(self: DaskGraphRunner, inputs: dict[str, Any] | None = None,
            targets: list[str] | None = None) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        built: dict[tuple[str, ...], dict[str, Any]] = self.__dict__.setdefault(_GRAPHS, {})
        graph = built.get(tuple(run_targets))
        if graph is None:
            graph = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
            built[tuple(run_targets)] = graph
        run_graph = dict(graph)  # the inputs are added to this run's copy only
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        if runner_logger.isEnabledFor(logging.DEBUG):
            runner_logger.debug(f"Running graph with inputs: {inputs}, targets: {targets} "
                                f"and {self._execution_context}.")
        try:
            return dict(dask.get(run_graph, run_targets))  # type: ignore[attr-defined]
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    DaskGraphRunner.run = run  # type: ignore[method-assign]


_RULES = "_bottega_rules"
_Rule = list[tuple[dict[str, Any], Any]]  # a rule's states, last first, each with its previous action


def _rules_parsed_once() -> None:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION

    stock = RulePolicy._get_possible_keys
    STOCK["rule_possible_keys"] = stock

    def reversed_rules(policy: RulePolicy, lookup: dict[str, str]) -> dict[str, _Rule]:
        """Each rule's states, last first, each with its previous action."""
        parsed: dict[int, tuple[dict[str, str], dict[str, _Rule]]] = policy.__dict__.setdefault(_RULES, {})
        kept = parsed.get(id(lookup))
        if kept is None or kept[0] is not lookup or len(kept[1]) != len(lookup):
            kept = (lookup, {key: [(state, state.get(PREVIOUS_ACTION))
                                   for state in reversed(policy._rule_key_to_state(key))] for key in lookup})
            parsed[id(lookup)] = kept
        return kept[1]

    def _get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]) -> set[str]:
        rules = reversed_rules(self, lookup)
        possible_keys = set(lookup.keys())
        for turn, state in enumerate(reversed(states)):
            applies = partial(_rule_applies, rules, turn, state, state.get(PREVIOUS_ACTION),
                              self._does_rule_match_state)
            possible_keys = set(filter(applies, possible_keys))
        return possible_keys

    RulePolicy._get_possible_keys = _get_possible_keys  # type: ignore[method-assign]


def _rule_applies(rules: dict[str, _Rule], turn: int, state: dict[str, Any], current_previous_action: Any,
                  matches: Callable[[dict[str, Any], dict[str, Any]], bool], key: str) -> bool:
    """RulePolicy._is_rule_applicable, with the rule parsed and reversed beforehand."""
    rule = rules[key]
    if turn >= len(rule):
        return True
    rule_state, rule_previous_action = rule[turn]
    if not rule_previous_action and not current_previous_action:
        return True
    if not rule_previous_action or not current_previous_action:
        return False
    return matches(rule_state, state)


_STATES = "_bottega_states"


def _states_once_per_tracker() -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    stock = DialogueStateTracker.past_states
    STOCK["past_states"] = stock

    def past_states(self: DialogueStateTracker, domain: Domain, omit_unset_slots: bool = False,
                    ignore_rule_only_turns: bool = False, rule_only_data: dict[str, Any] | None = None) -> list[Any]:
        key = (id(domain), len(self.events), omit_unset_slots, ignore_rule_only_turns,
               repr(sorted(rule_only_data.items())) if rule_only_data else None)
        kept: dict[Any, list[Any]] = self.__dict__.setdefault(_STATES, {})
        states = kept.get(key)
        if states is None:
            states = stock(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
            if len(kept) > 8:  # keys of older event counts
                kept.clear()
            kept[key] = states
        return [{part: dict(value) if isinstance(value, dict) else value for part, value in state.items()}
                for state in states]

    DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]
