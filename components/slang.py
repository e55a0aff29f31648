"""Chat slang, abbreviations, typos and emoji, normalised for the NLU (data/lexicon/slang.yml).

"gimme kicks pls 🙏" is read by the featurizers as "give me trainers please please": the lexicon
maps a whole token (case-insensitively) or an emoji to plain words, and letters a shopper
stretched ("pleaseee", "heyyyy") are shrunk back to a word. Only the tokens change: the message
text stays as the shopper wrote it, so entities, logs and the care desk see the original words.

Pure functions and a small class; the Rasa tokenizer (components/tokenizer.py) applies it and the
NLU lint (scripts/lint_nlu.py) reads the same file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
# Splits a replacement the way the whitespace tokenizer splits text ("don't" → don, t).
_VALUE_WORDS = re.compile(r"[^\W_]+", re.UNICODE)


class LexiconError(ValueError):
    """The lexicon file is missing or malformed (the message says where)."""


@dataclass(frozen=True)
class SlangLexicon:
    """Token → replacement words; emoji keys are matched anywhere in the text."""

    words: dict[str, tuple[str, ...]]
    emoji: dict[str, tuple[str, ...]]
    # Token → (replacement, the next words that call for it): "2" is "to" in "need 2 return" only.
    before: dict[str, tuple[tuple[str, ...], frozenset[str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> SlangLexicon:
        file = Path(path)
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise LexiconError(f"{file}: cannot read the lexicon: {exc}") from exc
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, dict) or not entries:
            raise LexiconError(f"{file}: expected a non-empty 'entries:' mapping of word: replacement")
        lexicon = cls.from_entries({str(k): v for k, v in entries.items()}, str(file))
        return replace(lexicon, before=_before_entries(data.get("before_words") or {}, str(file)))

    @classmethod
    def from_entries(cls, entries: dict[str, object], where: str = "lexicon") -> SlangLexicon:
        words: dict[str, tuple[str, ...]] = {}
        emoji: dict[str, tuple[str, ...]] = {}
        for key, value in entries.items():
            if not isinstance(value, str) or not value.strip():
                raise LexiconError(f"{where}: entry {key!r} needs a replacement text, got {value!r}")
            replacement = tuple(_VALUE_WORDS.findall(value.lower()))
            normalised_key = key.strip().lower()
            if _VALUE_WORDS.fullmatch(normalised_key.replace("'", "")):
                words[normalised_key.replace("'", "")] = replacement
            else:
                emoji[key.strip().replace("\ufe0f", "")] = replacement
        return cls(words, emoji)

    def replace_word(self, word: str, known: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...] | None:
        """The replacement words for one token, or None when it stays as it is."""
        lower = word.lower()
        if lower in self.words:
            return self.words[lower]
        if _STRETCHED.search(lower):
            for shrunk in (_STRETCHED.sub(r"\1\1", lower), _STRETCHED.sub(r"\1", lower)):
                if shrunk in self.words:
                    return self.words[shrunk]
                if shrunk in known:
                    return (shrunk,)
            return (_STRETCHED.sub(r"\1", lower),)
        return None

    def replace_before(self, word: str, next_word: str | None) -> tuple[str, ...] | None:
        """The replacement of a token that means something else only before certain words."""
        entry = self.before.get(word.lower())
        if entry is None or next_word is None or next_word.lower().strip("'") not in entry[1]:
            return None
        return entry[0]

    def emoji_in(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, replacement) of every lexicon emoji in `text`, left to right."""
        found: list[tuple[int, int, tuple[str, ...]]] = []
        if not self.emoji:
            return found
        for key in sorted(self.emoji, key=len, reverse=True):
            start = text.find(key)
            while start != -1:
                end = start + len(key)
                if not any(s < end and start < e for s, e, _ in found):
                    found.append((start, end, self.emoji[key]))
                start = text.find(key, end)
        return sorted(found)


def _before_entries(raw: object, where: str) -> dict[str, tuple[tuple[str, ...], frozenset[str]]]:
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: 'before_words:' must map a token to {{means: ..., before: [...]}}")
    out: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
    for key, entry in raw.items():
        means = entry.get("means") if isinstance(entry, dict) else None
        following = entry.get("before") if isinstance(entry, dict) else None
        if not isinstance(means, str) or not means.strip() or not isinstance(following, list) or not following:
            raise LexiconError(f"{where}: before_words entry {key!r} needs 'means:' text and a 'before:' list")
        out[str(key).strip().lower()] = (tuple(_VALUE_WORDS.findall(means.lower())),
                                         frozenset(str(w).lower() for w in following))
    return out
