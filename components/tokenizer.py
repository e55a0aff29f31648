"""Rasa's whitespace tokenizer, with chat slang, typos and emoji read as plain words.

Each token keeps the position of what the shopper wrote, so an entity found on a normalised token
("kicks" read as "trainers") still points at the shopper's own words; only the token's text and
lemma — what the featurizers see — change. Emoji that Rasa's tokenizer drops become tokens of
their meaning (👍 → "ok"). The lexicon is data/lexicon/slang.yml (components/slang.py); its
content is part of the model's fingerprint, so editing it retrains.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from components import slang as slang_module
from components.catalogue_lexicon import common_english_words
from components.fingerprint import files_digest
from components.slang import SlangLexicon

# Message property holding the lexicon keys a message used (read by the register detector).
LEXICON_HITS = "lexicon_hits"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ShopTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer + the slang lexicon (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **WhitespaceTokenizer.get_default_config(),
            # The trainer-edited lexicon, relative to the project's root.
            "lexicon": "data/lexicon/slang.yml",
            # False: tokenise exactly like WhitespaceTokenizer (for the ablation in docs/training.md).
            "normalise": True,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.normalise = bool(config.get("normalise", True))
        self.lexicon = SlangLexicon.load(config["lexicon"]) if self.normalise else SlangLexicon({}, {})
        self.known = frozenset(common_english_words()) if self.normalise else frozenset()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ShopTokenizer:
        return cls(config)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        lexicon = config.get("lexicon") or cls.get_default_config()["lexicon"]
        return files_digest(lexicon, __file__, slang_module.__file__)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if attribute != TEXT or not self.normalise:
            return tokens
        text = message.get(TEXT) or ""
        out: list[Token] = []
        hits: list[str] = []
        emoji = self.lexicon.emoji_in(text)
        if emoji and len(tokens) == 1 and tokens[0].text == text and not any(ch.isalnum() for ch in text):
            tokens = []  # Rasa made the whole emoji-only text one token: the emoji replace it.
        for start, end, spelled in emoji:
            hits.append(text[start:end])
            out.extend(Token(word, start, end, lemma=word) for word in spelled)
        for i, token in enumerate(tokens):
            following = tokens[i + 1].text if i + 1 < len(tokens) else None
            words = (self.lexicon.replace_before(token.text, following)
                     or self.lexicon.replace_word(token.text, self.known))
            if words is None:
                out.append(token)
                continue
            hits.append(token.text)
            out.extend(Token(word, token.start, token.end, lemma=word) for word in words)
        out.sort(key=lambda t: t.start)
        message.set(LEXICON_HITS, hits)
        return out or tokens
