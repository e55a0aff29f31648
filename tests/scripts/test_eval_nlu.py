"""The NLU evaluation's scoring and report, on hand-made records: no model needed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "eval_nlu.py"


@pytest.fixture(scope="module")
def ev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_nlu", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_nlu"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _pair(ev: ModuleType, expected: str, predicted: str, **fields: Any) -> tuple[Any, Any]:
    want = {k: v for k, v in fields.items() if k in ("entities", "topic", "sense", "sentiment", "register")}
    got = {k[len("got_"):]: v for k, v in fields.items() if k.startswith("got_")}
    return ev.Expected(text=f"say {expected}", intent=expected, **want), ev.Predicted(intent=predicted, **got)


def _entity(ev: ModuleType, kind: str, start: int, end: int, value: str = "", **extra: Any) -> Any:
    return ev.Entity(entity=kind, start=start, end=end, value=value, **extra)


# --- intents -----------------------------------------------------------------------------------


def test_macro_f1_averages_only_the_intents_the_set_expects(ev: ModuleType) -> None:
    pairs = [_pair(ev, "greet", "greet"), _pair(ev, "greet", "greet"), _pair(ev, "thank", "thank"),
             _pair(ev, "thank", "goodbye")]
    figures = ev.intent_figures(pairs)
    # greet F1 1.0, thank F1 2/3; goodbye is only predicted, so it does not drag the average down.
    assert figures["macro_f1"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert figures["accuracy"] == pytest.approx(0.75)


def test_a_retrieval_intent_is_read_as_its_answer_key(ev: ModuleType) -> None:
    parse = {"intent": {"name": "faq", "confidence": 0.8}, "entities": [],
             "response_selector": {"faq": {"response": {"intent_response_key": "faq/warranty"}}}}
    assert ev.predicted_intent(parse) == "faq/warranty"
    assert ev.predicted_intent({"intent": {"name": "nlu_fallback", "confidence": 0.3}}) == "nlu_fallback"


def test_one_selector_for_every_retrieval_intent_answers_under_default(ev: ModuleType) -> None:
    selector = {"default": {"response": {"intent_response_key": "chitchat/ask_name"}}}
    assert ev.predicted_intent({"intent": {"name": "chitchat"}, "response_selector": selector}) == "chitchat/ask_name"
    # What the bot answers is what counts, even an answer of the other retrieval intent.
    assert ev.predicted_intent({"intent": {"name": "faq"}, "response_selector": selector}) == "chitchat/ask_name"
    assert ev.predicted_intent({"intent": {"name": "greet"}, "response_selector": selector}) == "greet"


def test_parse_results_become_records(ev: ModuleType) -> None:
    parse = {"intent": {"name": "search_product", "confidence": 0.91},
             "entities": [{"entity": "product", "start": 4, "end": 9, "value": "mouse", "department": "pets",
                           "extractor": "CatalogueEntityExtractor"}, {"entity": "sku", "value": "PE-0001"}],
             "topic": {"name": "pets", "confidence": 0.7}, "sentiment": {"label": "neutral", "score": 0.1},
             "register": {"label": "casual", "confidence": 0.6}}
    record = ev.predicted_record(parse, 12.5)
    assert (record.intent, record.topic, record.sentiment, record.register) == (
        "search_product", "pets", "neutral", "casual")
    assert [e.department for e in record.entities] == ["pets"]
    assert record.latency_ms == 12.5


def test_confused_pairs_are_counted_most_frequent_first(ev: ModuleType) -> None:
    pairs = [_pair(ev, "a", "b"), _pair(ev, "a", "b"), _pair(ev, "c", "a"), _pair(ev, "a", "a")]
    assert ev.confused_pairs(pairs) == [("a", "b", 2), ("c", "a", 1)]


# --- entities ----------------------------------------------------------------------------------


def test_an_overlapping_span_of_the_same_type_is_right(ev: ModuleType) -> None:
    expected = [_entity(ev, "product", 4, 17, "running shoes"), _entity(ev, "color", 0, 3, "red")]
    predicted = [_entity(ev, "product", 12, 17, "shoes"), _entity(ev, "brand", 0, 3, "red")]
    counts = ev.match_entities(expected, predicted, {"product", "color", "brand"})
    assert (counts["product"].tp, counts["product"].fp, counts["product"].fn) == (1, 0, 0)
    assert (counts["brand"].fp, counts["color"].fn) == (1, 1)


def test_the_exact_variant_also_needs_the_value_and_role(ev: ModuleType) -> None:
    expected = [_entity(ev, "product", 4, 17, "running shoes"), _entity(ev, "price", 24, 27, "100", role="max")]
    predicted = [_entity(ev, "product", 12, 17, "shoes"), _entity(ev, "price", 24, 27, "100", role="min")]
    exact = ev.match_entities(expected, predicted, {"product", "price"}, exact=True)
    assert exact["product"].tp == 0 and exact["price"].tp == 0
    overlap = ev.match_entities(expected, predicted, {"product", "price"})
    assert overlap["product"].tp == 1 and overlap["price"].tp == 1


def test_unscored_types_and_agreeing_extractors_cost_nothing(ev: ModuleType) -> None:
    expected = [_entity(ev, "product", 0, 5, "mouse")]
    predicted = [_entity(ev, "product", 0, 5, "mouse"), _entity(ev, "product", 0, 5, "mouse", department="pets"),
                 _entity(ev, "sku", 0, 5, "PE-0001")]
    counts = ev.match_entities(expected, predicted, {"product"})
    assert set(counts) == {"product"}
    assert (counts["product"].tp, counts["product"].fp, counts["product"].fn) == (1, 0, 0)


def test_each_annotation_is_matched_once(ev: ModuleType) -> None:
    expected = [_entity(ev, "product", 0, 13, "running shoes")]
    predicted = [_entity(ev, "product", 0, 7, "running"), _entity(ev, "product", 8, 13, "shoes")]
    counts = ev.match_entities(expected, predicted, {"product"})
    assert (counts["product"].tp, counts["product"].fp) == (1, 1)


def test_entity_f1_is_micro_over_sets_that_annotate_entities(ev: ModuleType) -> None:
    shoe = _entity(ev, "product", 0, 5, "shoes")
    results = {
        "heldout": [_pair(ev, "search_product", "search_product", entities=(shoe,), got_entities=(shoe,)),
                    _pair(ev, "search_product", "search_product", entities=(shoe,))],
        "out_of_scope": [_pair(ev, "out_of_scope", "out_of_scope", got_entities=(shoe,))],
    }
    summary = ev.summarise(results)
    assert summary["entity_f1"] == pytest.approx(2 / 3)  # P 1, R 1/2; out_of_scope annotates nothing
    assert set(summary["entity_f1_by_set"]) == {"heldout"}
    assert summary["entity_by_type"]["product"]["support"] == 2


# --- topic, word sense, out of scope, sentiment ------------------------------------------------


def test_topic_defaults_come_from_the_answer_key_then_the_intent(ev: ModuleType, tmp_path: Path) -> None:
    topics = tmp_path / "topics.yml"
    topics.write_text("intents:\n  faq: general\n  faq/warranty: returns\n  search_product: department\n"
                      "  order_status: orders\n")
    defaults = ev.load_topic_defaults(topics)
    assert ev.expected_topic("faq/warranty", {}, defaults) == "returns"
    assert ev.expected_topic("faq/contact", {}, defaults) == "general"
    assert ev.expected_topic("order_status", {}, defaults) == "orders"
    assert ev.expected_topic("order_status", {"topic": "delivery"}, defaults) == "delivery"
    assert ev.expected_topic("search_product", {"topic": "pets"}, defaults) == "pets"
    assert ev.expected_topic("search_product", {}, defaults) is None  # must say its department


def test_unlabelled_product_messages_are_left_out_of_topic_accuracy(ev: ModuleType) -> None:
    pairs = [_pair(ev, "order_status", "order_status", topic="orders", got_topic="orders"),
             _pair(ev, "search_product", "search_product", topic="pets", got_topic="electronics"),
             _pair(ev, "search_product", "search_product", got_topic="pets")]
    assert ev.topic_figures(pairs) == {"accuracy": 0.5, "scored": 2, "unlabelled": 1}


def test_rasa_example_metadata_is_unwrapped(ev: ModuleType) -> None:
    assert ev.example_metadata({"example": {"topic": "pets"}}) == {"topic": "pets"}
    assert ev.example_metadata({"intent": {"register": "formal"}, "example": {"topic": "pets"}}) == {
        "register": "formal", "topic": "pets"}
    assert ev.example_metadata({"topic": "pets"}) == {"topic": "pets"}
    assert ev.example_metadata(None) == {}


def test_word_sense_reads_the_entity_covering_the_annotated_product(ev: ModuleType) -> None:
    want = (_entity(ev, "product", 2, 12, "blackberry"),)
    right = _pair(ev, "search_product", "search_product", entities=want, sense="grocery", got_topic="grocery",
                  got_entities=(_entity(ev, "color", 2, 7, "black", department="fashion"),
                                _entity(ev, "product", 2, 12, "blackberry", department="grocery")))
    nearest = _pair(ev, "search_product", "search_product", entities=want, sense="electronics",
                    got_topic="grocery",
                    got_entities=(_entity(ev, "product", 30, 35, "phone", department="electronics"),))
    wrong = _pair(ev, "search_product", "search_product", entities=want, sense="electronics",
                  got_entities=(_entity(ev, "product", 2, 12, "blackberry", department="grocery"),))
    unread = _pair(ev, "search_product", "search_product", entities=want, sense="grocery")
    figures = ev.wsd_figures([right, nearest, wrong, unread, _pair(ev, "greet", "greet")])
    assert figures == {"accuracy": 0.5, "topic_agreement": 0.25, "examples": 4}


def test_out_of_scope_recall_and_false_positives(ev: ModuleType) -> None:
    results = {
        "out_of_scope": [_pair(ev, "out_of_scope", "out_of_scope"), _pair(ev, "out_of_scope", "out_of_scope"),
                         _pair(ev, "out_of_scope", "out_of_scope"), _pair(ev, "out_of_scope", "search_product")],
        "heldout": [_pair(ev, "greet", "out_of_scope"), _pair(ev, "greet", "greet"),
                    _pair(ev, "out_of_scope", "out_of_scope"), _pair(ev, "thank", "thank")],
    }
    figures = ev.oos_figures(results)
    assert figures["recall"] == pytest.approx(0.75)
    assert figures["false_positive_rate"] == pytest.approx(1 / 3)
    assert figures["precision"] == pytest.approx(4 / 5)
    assert figures["recall_overall"] == pytest.approx(4 / 5)


def test_sentiment_without_metadata_is_neutral_and_a_missing_label_is_wrong(ev: ModuleType) -> None:
    pairs = [_pair(ev, "complaint", "complaint", sentiment="negative", got_sentiment="negative"),
             _pair(ev, "greet", "greet", got_sentiment="neutral"),
             _pair(ev, "greet", "greet")]
    figures = ev.label_figures(pairs, "sentiment")
    assert figures["accuracy"] == pytest.approx(2 / 3)
    assert figures["by_label"]["neutral"]["recall"] == pytest.approx(0.5)


# --- gates and the report ----------------------------------------------------------------------


def _results(ev: ModuleType, heldout_right: int) -> dict[str, list[Any]]:
    shoe = _entity(ev, "product", 0, 5, "shoes", department="fashion")
    heldout = [_pair(ev, "greet", "greet", topic="general", got_topic="general") for _ in range(heldout_right)]
    heldout += [_pair(ev, "thank", "thank", topic="general", got_topic="general") for _ in range(10)]
    heldout += [_pair(ev, "greet", "thank", topic="general", got_topic="general")
                for _ in range(10 - heldout_right)]
    heldout += [_pair(ev, "search_product", "search_product", entities=(shoe,), got_entities=(shoe,),
                      topic="fashion", got_topic="fashion", sense="fashion")]
    return {"heldout": heldout, "out_of_scope": [_pair(ev, "out_of_scope", "out_of_scope")] * 5}


def test_gates_pass_when_every_figure_is_above_its_floor(ev: ModuleType) -> None:
    summary = ev.summarise(_results(ev, 10), train_s=300.0, config_name="base")
    measured = {name: gate for name, gate in summary["gates"].items() if gate["value"] is not None}
    assert measured and all(gate["passed"] for gate in measured.values())


def test_a_gate_with_no_data_fails(ev: ModuleType) -> None:
    summary = ev.summarise(_results(ev, 10), train_s=300.0, config_name="base")
    # These records hold no slang set: its gate is unmeasured, and an unmeasured gate never passes.
    assert summary["gates"]["slang intent macro-F1"] == {
        "value": None, "threshold": ev.FLOORS.get("slang intent macro-F1", ev.MIN_INTENT_MACRO_F1["slang"]),
        "target": ev.MIN_INTENT_MACRO_F1["slang"], "passed": False, "target_met": False}


def test_a_figure_below_its_floor_fails_its_gate(ev: ModuleType) -> None:
    summary = ev.summarise(_results(ev, 6))
    assert summary["gates"]["heldout intent macro-F1"]["passed"] is False
    gate = summary["gates"]["heldout intent macro-F1"]
    assert gate["target"] == ev.MIN_INTENT_MACRO_F1["heldout"]
    assert gate["threshold"] == min(ev.FLOORS.get("heldout intent macro-F1", gate["target"]), gate["target"])
    assert gate["target_met"] is False


def test_a_floor_never_exceeds_its_target(ev: ModuleType) -> None:
    assert ev.Gate("x", 0.5, target=0.8).threshold == 0.8  # no floor set: the target itself
    for gate in ev.gates(ev.summarise(_results(ev, 10))):
        assert gate.threshold <= gate.target


def test_the_report_is_written(ev: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _results(ev, 9)
    summary = ev.summarise(results, train_s=None, config_name="no-slang", model="m.tar.gz")
    ev.write_reports(tmp_path, summary, results)
    ev.print_figures(summary)
    written = json.loads((tmp_path / "summary.json").read_text())
    for key in ("intent_macro_f1", "intent_accuracy", "entity_f1", "entity_f1_by_set", "topic_accuracy",
                "topic_accuracy_by_set", "wsd_accuracy", "oos_recall", "oos_false_positive_rate",
                "sentiment_accuracy", "register_accuracy", "parse_p50_ms", "parse_p95_ms", "train_s", "messages",
                "gates", "config_name"):
        assert key in written
    assert written["train_s"] is None and written["messages"] == 26
    assert (tmp_path / "confusion_heldout.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    report = json.loads((tmp_path / "heldout_report.json").read_text())
    assert report["intents"]["greet"]["support"] == 10
    assert report["errors"] == [{"text": "say greet", "expected": "greet", "predicted": "thank", "confidence": 0.0}]
    markdown = (tmp_path / "summary.md").read_text()
    assert "| greet | thank | 1 |" in markdown and "(confusion_heldout.png)" in markdown
    out = capsys.readouterr().out
    assert "parse p50 is within the 25 ms budget" in out
    assert "training time unknown" in out


def test_the_reports_list_entity_and_word_sense_errors(ev: ModuleType) -> None:
    right = _pair(ev, "search_product", "search_product", entities=(_entity(ev, "product", 4, 9, "mouse"),),
                  got_entities=(_entity(ev, "product", 4, 9, "mouse", department="pets"),), sense="pets")
    wrong = _pair(ev, "search_product", "search_product", entities=(_entity(ev, "product", 4, 9, "mouse"),),
                  got_entities=(_entity(ev, "product", 4, 9, "mouse", department="electronics"),
                                _entity(ev, "product", 14, 17, "cat", department="pets")), sense="pets")
    assert ev.entity_errors([right, wrong], {"product"}) == [
        {"text": "say search_product", "expected": ["product:mouse@4-9"],
         "predicted": ["product:mouse@4-9", "product:cat@14-17"]}]
    assert ev.sense_errors([right, wrong]) == [
        {"text": "say search_product", "sense": "pets", "read": "electronics", "entity": "mouse"}]


def test_sets_are_found_in_a_folder_known_ones_first(ev: ModuleType, tmp_path: Path) -> None:
    for name in ("test_nlu", "zz_extra", "slang", "heldout"):
        (tmp_path / f"{name}.yml").write_text('version: "3.1"\nnlu: []\n')
    assert list(ev.discover_sets([tmp_path])) == ["heldout", "slang", "test_nlu", "zz_extra"]
    (tmp_path / "heldout.yml").unlink()
    with pytest.raises(SystemExit, match=r"heldout\.yml"):
        ev.discover_sets([tmp_path])
    assert list(ev.discover_sets([tmp_path / "slang.yml"])) == ["slang"]


def test_a_set_file_loads_into_expected_records(ev: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "word_sense.yml"
    path.write_text("""version: "3.1"
nlu:
  - intent: search_product
    examples:
      - text: |
          any [blackberries](product) for my smoothie?
        metadata:
          topic: grocery
          sense: grocery
          sentiment: positive
  - intent: faq/warranty
    examples: |
      - what warranty do i get
""")
    records = ev.load_set(path, {"faq/warranty": "returns", "search_product": "department"})
    assert records[0].sense == "grocery" and records[0].topic == "grocery" and records[0].sentiment == "positive"
    assert records[0].entities == (ev.Entity("product", 4, 16, "blackberries"),)
    assert (records[1].intent, records[1].topic, records[1].register) == ("faq/warranty", "returns", "neutral")


def test_training_seconds_are_read_when_measured(ev: ModuleType, tmp_path: Path) -> None:
    assert ev.read_train_seconds(tmp_path / "missing") is None
    (tmp_path / "train_seconds").write_text("412.5\n")
    assert ev.read_train_seconds(tmp_path / "train_seconds") == 412.5
