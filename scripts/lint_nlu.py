"""Checks the NLU data trainers edit, before a model is trained on it (`make lint-nlu`, in `make test`).

    python scripts/lint_nlu.py [--data data] [--domain domain.yml] [--lexicon data/lexicon/slang.yml]
                               [--catalogue var/nlu/catalogue.json] [--actions actions components]

Each finding is printed as `file: kind: detail`, then a count per kind; any error fails the run.
`rasa data validate` checks that the files fit together; this checks what it cannot see:

errors
- duplicate: one example text (lower case, annotations and trailing punctuation gone) under two intents;
- near-duplicate: two examples of different intents that differ by about a word or a letter;
- too-few-examples: an intent with fewer than MIN_EXAMPLES examples, a retrieval answer (faq/<key>)
  with fewer than MIN_RETRIEVAL_EXAMPLES;
- entity-type-conflict: the same one or two words annotated as two entity types;
- slang-shadows-catalogue: a slang lexicon key that is a word the catalogue sells by, which the
  tokenizer would rewrite before the catalogue extractor could see it (a key listed under
  `catalogue_words_reviewed:` in the lexicon is a warning instead: a trainer checked it);
- unused-response: a response no rule, story, form, action or other response uses;
warnings
- unannotated-entity: words left unannotated that at least ANNOTATED_ELSEWHERE other examples annotate;
- unused-intent: an intent no rule or story uses and no code triggers;
- check-skipped: an input a check needs is missing (the lexicon, the catalogue export).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import yaml

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]

MIN_EXAMPLES = 25  # per intent, retrieval intents excepted
MIN_RETRIEVAL_EXAMPLES = 8  # per retrieval answer (faq/<key>, chitchat/<key>)
NEAR_DUPLICATE_JACCARD = 0.9  # of the two examples' word sets
NEAR_DUPLICATE_EDIT_RATIO = 0.95  # difflib's ratio of the normalised texts
ANNOTATED_ELSEWHERE = 3  # examples annotating some words before leaving them bare is suspicious
MAX_ENTITY_WORDS = 2  # longer spans are product names, which legitimately vary in their boundaries
CODE_DIRS = ("actions", "channels", "server", "components", "shop")  # where code may trigger an intent
SKIPPED_DIRS = frozenset({"tests", ".venv", "node_modules", "__pycache__", "migrations"})
# Responses Rasa's own default actions utter, used unless the domain replaces that action.
DEFAULT_ACTION_RESPONSES = {"utter_default": "action_default_fallback",
                            "utter_ask_rephrase": "action_default_ask_rephrase",
                            "utter_restart": "action_restart", "utter_back": "action_back"}

ERROR, WARNING = "error", "warning"
KINDS = {"duplicate": ERROR, "near-duplicate": ERROR, "too-few-examples": ERROR, "entity-type-conflict": ERROR,
         "slang-shadows-catalogue": ERROR, "unused-response": ERROR,
         "unannotated-entity": WARNING, "unused-intent": WARNING, "check-skipped": WARNING,
         "slang-catalogue-word-reviewed": WARNING}

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_TRAILING = re.compile(r"[\s.,!?;:…]+$")


@dataclass(frozen=True)
class Finding:
    file: str
    kind: str
    detail: str

    @property
    def severity(self) -> str:
        return KINDS[self.kind]

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class Example:
    """One training example: its full intent (faq/<key>) and entity spans (type, start, end)."""

    text: str
    intent: str
    file: str
    entities: tuple[tuple[str, int, int], ...] = ()


# --- reading -----------------------------------------------------------------------------------


def _shown(path: Path) -> str:
    """A path as the finding lines show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_examples(nlu_dir: Path) -> list[Example]:
    """Every intent example of nlu_dir/*.yml, read by Rasa's own loader, with the file it is in."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for file in sorted(nlu_dir.glob("*.yml")):
        for message in load_data(str(file)).training_examples:
            if not message.get("intent"):
                continue
            spans = tuple((str(e["entity"]), int(e["start"]), int(e["end"])) for e in message.get("entities") or [])
            examples.append(Example(str(message.get("text")), message.get_full_intent(), _shown(file), spans))
    return examples


def synonym_words(nlu_dir: Path) -> set[str]:
    """Every value and example of the `synonym:` blocks, lower case."""
    words: set[str] = set()
    for file in sorted(nlu_dir.glob("*.yml")):
        for block in (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if isinstance(block, dict) and "synonym" in block:
                words.add(str(block["synonym"]).lower())
                lines = str(block.get("examples") or "").splitlines()
                words.update(line.strip()[1:].strip().lower() for line in lines if line.strip().startswith("-"))
    return words


def load_domain(path: Path) -> dict[str, Any]:
    """domain.yml, or every *.yml of a domain folder merged (intents, actions, forms, responses)."""
    files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    merged: dict[str, Any] = {"intents": [], "actions": [], "forms": {}, "responses": {}}
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        merged["intents"] += [next(iter(i)) if isinstance(i, dict) else str(i) for i in data.get("intents") or []]
        merged["actions"] += [str(a) for a in data.get("actions") or []]
        merged["forms"].update(data.get("forms") or {})
        merged["responses"].update(data.get("responses") or {})
    return merged


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def dialogue_usage(data_dir: Path) -> tuple[set[str], set[str]]:
    """(intents, actions) the rules and stories name, `or:` alternatives and active loops included."""
    intents: set[str] = set()
    actions: set[str] = set()
    for file in sorted([*(data_dir / "rules").glob("*.yml"), *(data_dir / "stories").glob("*.yml")]):
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for key, value in _walk([data.get("rules") or [], data.get("stories") or []]):
            if key == "intent" and isinstance(value, str):
                intents.add(value)
            elif key in ("action", "active_loop") and isinstance(value, str):
                actions.add(value)
    return intents, actions


def python_sources(folders: Iterable[Path]) -> str:
    """The text of every .py file under the folders, tests and environments left out."""
    texts = [file.read_text(encoding="utf-8", errors="replace")
             for folder in folders if folder.is_dir() for file in sorted(folder.rglob("*.py"))
             if not SKIPPED_DIRS & set(file.relative_to(folder).parts)]
    return "\n".join(texts)


# --- the checks --------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, whitespace collapsed, trailing punctuation gone (the loader already dropped annotations);
    a text that is only punctuation ("?") stays as it is."""
    collapsed = " ".join(text.lower().split())
    return _TRAILING.sub("", collapsed) or collapsed


def duplicates(examples: Sequence[Example]) -> list[Finding]:
    """The same normalised text under two intents: the model is taught both answers."""
    where: dict[str, dict[str, str]] = defaultdict(dict)
    for example in examples:
        where[normalise(example.text)].setdefault(example.intent, example.file)
    findings = []
    for text, intents in where.items():
        if len(intents) > 1:
            (first, file), *others = intents.items()
            also = ", ".join(f"{intent} ({other})" for intent, other in others)
            findings.append(Finding(file, "duplicate", f'"{text}" is under {first} and {also}'))
    return findings


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Word-set overlap; texts without words (emoji, "?") share none."""
    return len(a & b) / len(a | b) if a and b else 0.0


def _char_counts(texts: Sequence[str]) -> np.ndarray:
    """Characters counted into 64 buckets: the shared counts bound how alike two texts can be."""
    counts = np.zeros((len(texts), 64), dtype=np.int32)
    for row, text in enumerate(texts):
        for char in text:
            counts[row, ord(char) % 64] += 1
    return counts


def _edit_pairs(items: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Pairs of (text, intent), sorted by text length, at NEAR_DUPLICATE_EDIT_RATIO or above.

    Each text is compared only with the longer texts its length allows, and only where their shared
    character counts allow the ratio: ~2000 examples take a fraction of a second, not minutes.
    """
    lengths = np.array([len(text) for text, _ in items])
    counts = _char_counts([text for text, _ in items])
    longest = (2 - NEAR_DUPLICATE_EDIT_RATIO) / NEAR_DUPLICATE_EDIT_RATIO  # the length ratio it allows
    matcher = SequenceMatcher(autojunk=False)
    pairs: dict[tuple[str, str], str] = {}
    for i, (text, intent) in enumerate(items):
        end = int(np.searchsorted(lengths, len(text) * longest, side="right"))
        shared = np.minimum(counts[i], counts[i + 1:end]).sum(axis=1)
        bound = 2 * shared / np.maximum(len(text) + lengths[i + 1:end], 1)
        matcher.set_seq2(text)
        for j in np.nonzero(bound >= NEAR_DUPLICATE_EDIT_RATIO)[0] + i + 1:
            other, other_intent = items[j]
            if intent != other_intent and text != other:
                matcher.set_seq1(other)
                if (ratio := matcher.ratio()) >= NEAR_DUPLICATE_EDIT_RATIO:
                    pairs[(text, other)] = f"edit ratio {ratio:.2f}"
    return pairs


def _word_pairs(items: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Pairs of (text, intent) whose word sets overlap NEAR_DUPLICATE_JACCARD or more; compared only
    where the set sizes allow it."""
    words = sorted(((frozenset(_WORD.findall(text)), text, intent) for text, intent in items),
                   key=lambda item: len(item[0]))
    pairs: dict[tuple[str, str], str] = {}
    for i, (these, text, intent) in enumerate(words):
        for those, other, other_intent in words[i + 1:]:
            if len(those) * NEAR_DUPLICATE_JACCARD > len(these):
                break
            if intent != other_intent and text != other and (j := _jaccard(these, those)) >= NEAR_DUPLICATE_JACCARD:
                pairs[(text, other)] = f"word overlap {j:.2f}"
    return pairs


def near_duplicates(examples: Sequence[Example]) -> list[Finding]:
    """Examples of different intents within NEAR_DUPLICATE_JACCARD (word sets) or NEAR_DUPLICATE_EDIT_RATIO."""
    files = {(normalise(e.text), e.intent): e.file for e in examples}
    items = sorted(files, key=lambda item: len(item[0]))
    pairs = _word_pairs(items)
    pairs.update(_edit_pairs(items))  # both found: the edit ratio says more
    intents: dict[str, list[str]] = defaultdict(list)
    for text, intent in items:
        intents[text].append(intent)
    findings = []
    for (a, b), how in sorted(pairs.items()):
        for intent_a in intents[a]:
            for intent_b in intents[b]:
                if intent_a != intent_b:
                    findings.append(Finding(files[(a, intent_a)], "near-duplicate", f'"{a}" ({intent_a}) and '
                                            f'"{b}" ({intent_b}, {files[(b, intent_b)]}): {how}'))
    return findings


def too_few_examples(examples: Sequence[Example], domain_intents: Iterable[str], domain_file: str) -> list[Finding]:
    """Intents below MIN_EXAMPLES; retrieval intents are judged per answer (MIN_RETRIEVAL_EXAMPLES)."""
    counts = Counter(e.intent for e in examples)
    files = {e.intent: e.file for e in examples}
    retrieval = {intent.split("/")[0] for intent in counts if "/" in intent}
    for intent in domain_intents:
        if intent not in retrieval:
            counts.setdefault(intent, 0)
    findings = []
    for intent, n in sorted(counts.items()):
        floor = MIN_RETRIEVAL_EXAMPLES if "/" in intent else MIN_EXAMPLES
        if n < floor:
            findings.append(Finding(files.get(intent, domain_file), "too-few-examples",
                                    f"{intent} has {n} examples (at least {floor})"))
    return findings


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _annotated_phrases(example: Example) -> Iterator[tuple[str, str]]:
    """(words, entity type) of each annotation of one or two words."""
    tokens = _tokens(example.text)
    for kind, start, end in example.entities:
        words = [t for t, s, e in tokens if s >= start and e <= end]
        if 1 <= len(words) <= MAX_ENTITY_WORDS:
            yield " ".join(words), kind


def _bare_phrases(example: Example) -> set[str]:
    """The one- and two-word sequences of an example that no annotation touches."""
    free = [(t, s, e) for t, s, e in _tokens(example.text)
            if not any(s < end and start < e for _, start, end in example.entities)]
    phrases = {t for t, _, _ in free}
    for (a, _, a_end), (b, b_start, _) in pairwise(free):
        if example.text[a_end:b_start].strip() == "":
            phrases.add(f"{a} {b}")
    return phrases


def entity_consistency(examples: Sequence[Example], synonyms: set[str]) -> list[Finding]:
    """The same words annotated as two types (error), or left bare where others annotate them (warning).

    Words listed in `synonym:` blocks are left out: they are common words ("food", "small") that
    mean an entity only in some sentences; so are numbers for the type conflict.
    """
    annotated: dict[str, dict[str, list[Example]]] = defaultdict(lambda: defaultdict(list))
    for example in examples:
        for phrase, kind in _annotated_phrases(example):
            if phrase not in synonyms:
                annotated[phrase][kind].append(example)
    findings = []
    for phrase, kinds in sorted(annotated.items()):
        # A number's type is its context's ("size 40", "under 40"): that is what the model learns.
        if len(kinds) > 1 and not phrase.replace(" ", "").isdigit():
            rarest, found = min(kinds.items(), key=lambda item: len(item[1]))
            counted = " and ".join(f"{kind} in {len(hits)}" for kind, hits in sorted(kinds.items()))
            findings.append(Finding(found[0].file, "entity-type-conflict",
                                    f'"{phrase}" is annotated as {counted} examples '
                                    f'(e.g. {rarest}: "{found[0].text}" in {found[0].intent})'))
    bare: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        for phrase in _bare_phrases(example):
            if phrase in annotated:
                bare[phrase].append(example)
    for phrase, found in sorted(bare.items()):
        kinds = annotated[phrase]
        if sum(len(v) for v in kinds.values()) >= ANNOTATED_ELSEWHERE:
            types = "/".join(sorted(kinds))
            findings.append(Finding(found[0].file, "unannotated-entity",
                                    f'"{phrase}" is bare in {len(found)} example(s) (e.g. "{found[0].text}" in '
                                    f"{found[0].intent}) but annotated as {types} in "
                                    f"{sum(len(v) for v in kinds.values())}"))
    return findings


def fold_words(text: str) -> list[str]:
    """Lower-case words without accents or apostrophes, the way the slang lexicon keys are written."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("'", "").replace("’", "")
    return re.findall(r"[^\W_]+", plain)


def catalogue_words(catalogue: dict[str, Any]) -> dict[str, str]:
    """Word → where the catalogue has it (a product's name, category, keyword, brand, or a colour)."""
    words: dict[str, str] = {}
    for colour in catalogue.get("colors") or []:
        for word in fold_words(str(colour)):
            words.setdefault(word, f"colour {colour}")
    for product in catalogue.get("products") or []:
        fields = [("name", product.get("name")), ("category", product.get("category")),
                  ("brand", product.get("brand")), *(("keyword", k) for k in product.get("keywords") or []),
                  *(("colour", c) for c in product.get("colors") or [])]
        for field, value in fields:
            for word in fold_words(str(value or "")):
                words.setdefault(word, f'{field} "{value}"')
    return words


def slang_shadows_catalogue(lexicon_path: Path, catalogue_path: Path) -> list[Finding]:
    """Slang keys that are catalogue words: the tokenizer would rewrite a word the shop sells by."""
    missing = [(path, what) for path, what in ((lexicon_path, "slang lexicon"), (catalogue_path, "catalogue export"))
               if not path.exists()]
    if missing:
        return [Finding(_shown(path), "check-skipped", f"the {what} is missing: slang keys not checked against the "
                        "catalogue" + (" (make nlu-catalogue writes it)" if path == catalogue_path else ""))
                for path, what in missing]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from components.slang import SlangLexicon

    lexicon = SlangLexicon.load(lexicon_path)
    # Keys a trainer checked and kept (the value is what the catalogue means by the word too):
    # still reported, as warnings, so the list stays visible.
    raw = yaml.safe_load(lexicon_path.read_text(encoding="utf-8")) or {}
    reviewed = {str(k).lower() for k in raw.get("catalogue_words_reviewed") or []}
    words = catalogue_words(json.loads(catalogue_path.read_text(encoding="utf-8")))
    return [Finding(_shown(lexicon_path),
                    "slang-catalogue-word-reviewed" if key in reviewed else "slang-shadows-catalogue",
                    f'"{key}" (→ "{" ".join(lexicon.words[key])}") is a catalogue word: {words[key]}')
            for key in sorted(lexicon.words) if key in words]


def _quoted(name: str) -> re.Pattern[str]:
    """The name as a string literal or a "/intent" payload in source code."""
    return re.compile(rf"[\"'/]{re.escape(name)}[\"'{{]")


def unused_responses(domain: dict[str, Any], domain_file: str, used_intents: set[str], used_actions: set[str],
                     action_source: str) -> list[Finding]:
    """Responses nothing utters: rules, stories, forms' questions, actions' code, other responses."""
    responses: dict[str, Any] = domain["responses"]
    slots = [(name, slot) for name, form in domain["forms"].items()
             for slot in (form or {}).get("required_slots") or []]
    asked = {f"utter_ask_{slot}" for _, slot in slots} | {f"utter_ask_{name}_{slot}" for name, slot in slots}
    findings = []
    for name in sorted(responses):
        base = name.split("/")[0]
        others = yaml.safe_dump({k: v for k, v in responses.items() if k != name})
        used = (name in used_actions or name in asked
                or ("/" in name and (base in used_actions or base.removeprefix("utter_") in used_intents))
                or (name in DEFAULT_ACTION_RESPONSES and DEFAULT_ACTION_RESPONSES[name] not in domain["actions"])
                or _quoted(name).search(action_source) is not None
                or re.search(rf"\b{re.escape(name)}\b", others) is not None)
        if not used:
            findings.append(Finding(domain_file, "unused-response",
                                    f"{name}: no rule, story, form, action or response uses it"))
    return findings


def unused_intents(domain: dict[str, Any], domain_file: str, used_intents: set[str], code: str) -> list[Finding]:
    """Domain intents no rule or story handles and no code triggers (trigger_intent, button payloads)."""
    return [Finding(domain_file, "unused-intent", f"{intent}: no rule or story uses it and no code triggers it")
            for intent in domain["intents"] if intent not in used_intents and not _quoted(intent).search(code)]


# --- running -----------------------------------------------------------------------------------


def lint(data: Path, domain_path: Path, lexicon: Path, catalogue: Path, actions: Sequence[Path],
         code_dirs: Sequence[Path]) -> list[Finding]:
    """Every finding on the data, errors first."""
    examples = load_examples(data / "nlu")
    domain = load_domain(domain_path)
    domain_file = _shown(domain_path)
    used_intents, used_actions = dialogue_usage(data)
    findings = [*duplicates(examples), *near_duplicates(examples),
                *too_few_examples(examples, domain["intents"], domain_file),
                *entity_consistency(examples, synonym_words(data / "nlu")),
                *slang_shadows_catalogue(lexicon, catalogue),
                *unused_responses(domain, domain_file, used_intents, used_actions, python_sources(actions)),
                *unused_intents(domain, domain_file, used_intents, python_sources(code_dirs))]
    order = list(KINDS)
    return sorted(findings, key=lambda f: (f.severity != ERROR, order.index(f.kind), f.file, f.detail))


def summary(findings: Sequence[Finding]) -> str:
    def counted(severity: str) -> str:
        kinds = Counter(f.kind for f in findings if f.severity == severity)
        listed = ", ".join(f"{kind} {n}" for kind, n in kinds.items())
        return f"{sum(kinds.values())} {severity}s" + (f" ({listed})" if listed else "")

    return f"lint-nlu: {counted(ERROR)}, {counted(WARNING)}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data"), help="holds nlu/, rules/ and stories/")
    parser.add_argument("--domain", type=Path, default=Path("domain.yml"))
    parser.add_argument("--lexicon", type=Path, default=Path("data/lexicon/slang.yml"))
    parser.add_argument("--catalogue", type=Path, default=Path("var/nlu/catalogue.json"))
    # Responses are uttered by custom actions and by our dialogue policies (components/).
    parser.add_argument("--actions", type=Path, nargs="*", default=[Path("actions"), Path("components")],
                        help="where responses are uttered from")
    parser.add_argument("--code", type=Path, nargs="*", default=[Path(d) for d in CODE_DIRS],
                        help="where intents may be triggered from")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    findings = lint(args.data, args.domain, args.lexicon, args.catalogue, args.actions, args.code)
    for finding in findings:
        print(finding)
    print(summary(findings))
    return 1 if any(f.severity == ERROR for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
