"""The numpy MiniLM encoder against TensorFlow's BERT on the same weights, and what it is for."""

from __future__ import annotations

import numpy as np
import pytest

from components.minilm import MiniLM, package_folder


@pytest.fixture(scope="module")
def encoder() -> MiniLM:
    return MiniLM()


def _reference_vectors(texts: list[str]) -> np.ndarray:
    """Mean-pooled, normalised last hidden states of transformers' TFBertModel on the package's weights."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer
    from transformers import BertConfig, TFBertModel
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    folder = package_folder()
    model = TFBertModel(BertConfig.from_pretrained(folder))
    load_pytorch_state_dict_in_tf2_model(model, load_file(str(folder / "model.safetensors")))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()  # the file pads to 128: pooling must see only the real tokens
    out = []
    for text in texts:
        ids = np.array([tokenizer.encode(text).ids])
        states = model(ids, training=False).last_hidden_state.numpy()[0]
        pooled = states.mean(0)
        out.append(pooled / np.linalg.norm(pooled))
    return np.stack(out)


def test_the_numpy_encoder_matches_tensorflows_bert(encoder: MiniLM) -> None:
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
