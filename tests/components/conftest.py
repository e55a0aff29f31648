"""Messages read the way the pipeline reads them: the shop tokenizer first, then the component."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.catalogue_lexicon import Lexicon, compile_lexicon
from components.tokenizer import ShopTokenizer

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "var" / "nlu" / "catalogue.json"


@pytest.fixture(scope="session")
def tokenizer() -> ShopTokenizer:
    return ShopTokenizer({**ShopTokenizer.get_default_config(), "lexicon": str(ROOT / "data/lexicon/slang.yml")})


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    if not CATALOGUE.exists():
        pytest.fail(f"{CATALOGUE} is missing: `make nlu-catalogue` exports it (make test does)")
    import yaml

    senses = yaml.safe_load((ROOT / "data/understanding/senses.yml").read_text())["context"]
    return compile_lexicon(json.loads(CATALOGUE.read_text()), senses, {})


def tokenized(tokenizer: ShopTokenizer, text: str, intent: str | None = None, **data: Any) -> Message:
    message = Message(data={TEXT: text, **data})
    tokenizer.process([message])
    if intent:
        message.set(INTENT, {"name": intent, "confidence": 0.9})
    return message
