"""The TensorFlow Lite MiniLM encoder against TensorFlow's BERT on the same weights, and what it is for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from components.minilm import MiniLM, ModelFilesMissing, package_folder, tensorflow_encoder


@pytest.fixture(scope="module")
def encoder() -> MiniLM:
    return MiniLM()


def _reference_vectors(texts: list[str]) -> np.ndarray:
    """transformers' TFBertModel on the package's weights: the mean of its last hidden states over the
    text's word pieces, at unit length (pooled here, apart from the converted function's pooling)."""
    bert = tensorflow_encoder().model
    tokenizer = Tokenizer.from_file(str(package_folder() / "tokenizer.json"))
    tokenizer.no_padding()
    out = []
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int32)
        pooled = bert(ids, training=False).last_hidden_state.numpy()[0].mean(0)
        out.append(pooled / np.linalg.norm(pooled))
    return np.stack(out)


def test_the_converted_encoder_matches_tensorflows_bert(encoder: MiniLM) -> None:
    texts = ["Where is my order? I paid for two blue t-shirts last week.", "hi", "gimme trainers please please"]
    ours = encoder.encode(texts)
    assert ours.shape == (3, 384)
    assert np.abs(ours - _reference_vectors(texts)).max() < 1e-4


def test_batches_with_padding_give_the_same_vectors_as_one_at_a_time(encoder: MiniLM) -> None:
    texts = ["hi", "a much longer message about running trainers in size 42 under 100 euros", "where is my parcel"]
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.abs(encoder.encode(texts, batch_size=3) - alone).max() < 1e-5


@pytest.mark.parametrize(("a", "b", "unrelated"), [
    ("where is my order", "has my parcel been shipped yet", "do you sell winter jackets"),
    ("can I pay with paypal", "do you accept paypal payments", "my cat likes to sleep all day"),
    ("I want to return these shoes", "how do I send the shoes back", "what is the weather like today"),
])
def test_paraphrases_are_closer_than_unrelated_messages(encoder: MiniLM, a: str, b: str, unrelated: str) -> None:
    va, vb, vc = encoder.encode([a, b, unrelated])
    assert float(va @ vb) > float(va @ vc) + 0.1


def test_a_missing_converted_file_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ModelFilesMissing, match="make setup"):
        MiniLM(tmp_path / "minilm.tflite")
