"""The NLU lint on tiny projects built in tmp_path: clean data passes, each kind of mistake is found."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lint_nlu.py"
WORDS = ["apricot", "basil", "cedar", "dahlia", "elm", "fennel", "ginger", "hazel", "iris", "juniper", "kale", "lilac",
         "maple", "nutmeg", "olive", "peony", "quince", "rosemary", "sage", "thyme", "umber", "violet", "walnut",
         "yarrow", "zinnia"]


@pytest.fixture(scope="module")
def lint() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lint_nlu", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["lint_nlu"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _block(intent: str, examples: list[str]) -> str:
    lines = "".join(f"      - {text}\n" for text in examples)
    return f"  - intent: {intent}\n    examples: |\n{lines}"


def _project(root: Path, extra_nlu: str = "", extra_domain: str = "", extra_code: str = "") -> Path:
    """A clean project: two intents of 25 examples, a retrieval intent, a rule each, a used response."""
    nlu = root / "data" / "nlu"
    nlu.mkdir(parents=True)
    greet = [f"hello friend {word}" for word in WORDS]
    search = [f"do you sell [shoes](product) in {word} tones" for word in WORDS[:3]]
    search += [f"looking for a {word} [blouse](product) today" for word in WORDS[3:]]
    faq = [f"what is your warranty on {word} items" for word in WORDS[:8]]
    (nlu / "main.yml").write_text('version: "3.1"\nnlu:\n' + _block("greet", greet) + _block("search_product", search)
                                  + _block("faq/warranty", faq) + extra_nlu)
    (nlu / "lookups.yml").write_text('version: "3.1"\nnlu:\n  - synonym: grocery\n    examples: |\n      - food\n')
    rules = root / "data" / "rules"
    rules.mkdir()
    (rules / "rules.yml").write_text("""version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
  - rule: search or greet
    steps:
      - or:
          - intent: search_product
      - action: search_form
      - active_loop: search_form
  - rule: faq
    steps:
      - intent: faq
      - action: utter_faq
""")
    (root / "data" / "stories").mkdir()
    (root / "domain.yml").write_text(f"""version: "3.1"
intents:
  - greet
  - search_product:
      use_entities: true
  - faq
{extra_domain}
forms:
  search_form:
    required_slots:
      - colour
actions:
  - action_search
responses:
  utter_greet:
    - text: "hi"
  utter_ask_colour:
    - text: "which colour?"
  utter_from_code:
    - text: "said by an action"
  utter_faq/warranty:
    - text: "two years"
  utter_default:
    - text: "sorry?"
""")
    actions = root / "actions"
    actions.mkdir()
    (actions / "search.py").write_text('dispatcher.utter_message(response="utter_from_code")\n')
    code = root / "channels"
    code.mkdir()
    (code / "hook.py").write_text(extra_code)
    (root / "slang.yml").write_text("entries:\n  pls: please\n")
    (root / "catalogue.json").write_text(json.dumps({"colors": ["Navy"], "products": [
        {"name": "Basic Tee", "category": "T-Shirts", "brand": "Bottega Basics", "keywords": ["tee shirt"],
         "colors": ["Navy"]}]}))
    return root


def _args(root: Path, **override: Path) -> list[str]:
    paths = {"data": root / "data", "domain": root / "domain.yml", "lexicon": root / "slang.yml",
             "catalogue": root / "catalogue.json", "actions": root / "actions", **override}
    return [*(f"--{name}={path}" for name, path in paths.items()), "--code", str(root / "channels")]


def _findings(lint: ModuleType, root: Path, **override: Path) -> list[Any]:
    args = lint.parse_args(_args(root, **override))
    found: list[Any] = lint.lint(args.data, args.domain, args.lexicon, args.catalogue, args.actions, args.code)
    return found


def _kinds(findings: list[Any]) -> list[str]:
    return [finding.kind for finding in findings]


def test_clean_data_passes(lint: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    assert lint.main(_args(root)) == 0
    assert capsys.readouterr().out.strip() == "lint-nlu: 0 errors, 0 warnings"


def test_the_same_text_under_two_intents(lint: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, extra_nlu=_block("thank", ["Hello   friend [apricot](product)!"]))
    assert lint.main(_args(root)) == 1
    out = capsys.readouterr().out
    assert 'main.yml: duplicate: "hello friend apricot" is under greet and thank' in out
    assert "lint-nlu: 2 errors (duplicate 1, too-few-examples 1)" in out


def test_near_duplicates_across_intents(lint: ModuleType, tmp_path: Path) -> None:
    near = _block("wave", ["hello friends apricot"]) + _block("bye", ["friend hello basil"])
    root = _project(tmp_path, extra_nlu=near)
    found = [f for f in _findings(lint, root) if f.kind == "near-duplicate"]
    details = " ".join(f.detail for f in found)
    assert '"hello friend apricot" (greet) and "hello friends apricot" (wave' in details
    assert "word overlap 1.00" in details  # the same words in another order
    assert len(found) == 2


def test_too_few_examples(lint: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path, extra_nlu=_block("thank", [f"thanks {w}" for w in WORDS[:24]])
                    + _block("faq/returns", ["how do returns work", "can i return it"]),
                    extra_domain="  - deny")
    details = {f.detail for f in _findings(lint, root) if f.kind == "too-few-examples"}
    assert details == {"deny has 0 examples (at least 25)", "faq/returns has 2 examples (at least 8)",
                       "thank has 24 examples (at least 25)"}


def test_one_word_annotated_as_two_types(lint: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path, extra_nlu=_block("search_product", ["any [shoes](brand) by them"]))
    found = [f for f in _findings(lint, root) if f.kind == "entity-type-conflict"]
    assert len(found) == 1
    assert '"shoes" is annotated as brand in 1 and product in 3 examples' in found[0].detail


def test_numbers_take_their_type_from_context(lint: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path, extra_nlu=_block("search_product", ["size [40](size) please", "under [40](price)"]))
    assert "entity-type-conflict" not in _kinds(_findings(lint, root))


def test_words_left_bare_where_others_annotate_them(lint: ModuleType, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    bare = ["do the shoes come in pairs", "is food fresh", "[food](department) for me", "[food](department) now",
            "[food](department) today"]
    root = _project(tmp_path, extra_nlu=_block("search_product", bare))
    found = [f for f in _findings(lint, root) if f.kind == "unannotated-entity"]
    assert len(found) == 1  # "food" is a synonym: a common word, not checked
    assert '"shoes" is bare in 1 example(s)' in found[0].detail
    assert lint.main(_args(root)) == 0  # a warning only
    assert "1 warnings (unannotated-entity 1)" in capsys.readouterr().out


def test_slang_keys_that_are_catalogue_words(lint: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "slang.yml").write_text("entries:\n  pls: please\n  tee: t-shirt\n  navy: blue\n  🙏: please\n")
    found = [f for f in _findings(lint, root) if f.kind == "slang-shadows-catalogue"]
    assert [f.detail.split(" ")[0] for f in found] == ['"navy"', '"tee"']


def test_a_missing_catalogue_skips_the_slang_check_visibly(lint: ModuleType, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    assert lint.main(_args(root, catalogue=root / "missing.json")) == 0
    assert "missing.json: check-skipped: the catalogue export is missing" in capsys.readouterr().out


def test_unused_responses_and_intents(lint: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path, extra_domain="  - ping\n  - lonely", extra_code='tracker.trigger_intent("ping")\n')
    with (root / "domain.yml").open("a") as domain:
        domain.write("  utter_nobody:\n    - text: x\n")
    found = {(f.kind, f.detail.split(":")[0]) for f in _findings(lint, root)}
    assert ("unused-intent", "lonely") in found
    assert ("unused-intent", "ping") not in found  # triggered from code
    unused = {detail for kind, detail in found if kind == "unused-response"}
    assert unused == {"utter_nobody"}  # rules, forms, actions, retrieval and Rasa's defaults use the others


def test_a_replaced_default_action_leaves_its_response_unused(lint: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path)
    domain = (root / "domain.yml").read_text().replace("  - action_search\n",
                                                       "  - action_search\n  - action_default_fallback\n")
    (root / "domain.yml").write_text(domain)
    unused = [f.detail for f in _findings(lint, root) if f.kind == "unused-response"]
    assert unused == ["utter_default: no rule, story, form, action or response uses it"]
