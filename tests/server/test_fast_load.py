"""Fast model loading must change nothing but the start-up time.

Loads the trained model three times in this process — the stock way, then with server.fast_load
and server.crf_cache (whose cache is empty the first time and holds the CRFs the second) — and
compares what each understands (intent, confidence, entities) and which action each predicts next.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from server import crf_cache, fast_load

MODEL = Path(__file__).resolve().parents[2] / "models" / "bottega.tar.gz"
MESSAGES = [
    "hi there", "do you have red running shoes size 42 under 100?", "any blakberries?",
    "show me the second one", "add 2 of those to my cart", "what's in my cart", "bye 👋",
]


async def _behaviour(model_path: Path) -> list[dict[str, Any]]:
    from rasa.core.agent import load_agent
    from rasa.shared.core.events import UserUttered

    agent = await load_agent(model_path=str(model_path))
    assert agent.processor is not None
    results = []
    for number, text in enumerate(MESSAGES):
        parsed = await agent.parse_message(text)
        tracker = await agent.processor.fetch_tracker_with_initial_session(f"fast-load-{number}")
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"]))
        prediction = agent.processor.predict_next_with_tracker(tracker)
        assert prediction is not None
        results.append({
            "intent": parsed["intent"]["name"],
            "confidence": round(parsed["intent"]["confidence"], 4),
            "entities": sorted((e["entity"], str(e["value"])) for e in parsed["entities"]),
            "next_action": max(prediction["scores"], key=lambda s: s["score"])["action"],
            "policy": prediction["policy"],
            "action_confidence": round(prediction["confidence"], 4),
        })
    return results


def test_fast_load_behaves_exactly_like_stock_rasa(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert MODEL.exists(), "needs the trained model: make test trains it before the tests run"
    monkeypatch.setenv(crf_cache.CACHE_DIR_ENV, str(tmp_path))
    stock = asyncio.run(_behaviour(MODEL))
    fast_load.apply()
    crf_cache.apply()
    fast = asyncio.run(_behaviour(MODEL))
    assert len(list(crf_cache.cache_dir().glob("*.pkl"))) == 1
    from_cache = asyncio.run(_behaviour(MODEL))
    assert fast == stock
    assert from_cache == stock
    assert any(r["entities"] for r in stock)
    assert {r["intent"] for r in stock} >= {"greet", "search_product", "goodbye"}


class _Model:
    """The part of RasaModel that compile_inference uses: a prediction function traced on the first
    run_inference, with a fixed input signature."""

    def __init__(self) -> None:
        self._tf_predict_step: Any = None

    def run_inference(self, data: Any) -> Any:
        import tensorflow as tf

        if self._tf_predict_step is None:
            self._tf_predict_step = tf.function(self.predict_step,
                                                input_signature=[tf.TensorSpec([None], tf.float32)])
        return self._tf_predict_step(data).numpy().tolist()

    def predict_step(self, x: Any) -> Any:
        return x * 2.0


class _NeedsAutoGraph(_Model):
    def predict_step(self, x: Any) -> Any:
        import tensorflow as tf

        if tf.reduce_sum(x) > 0:  # a Python `if` on a tensor: only AutoGraph can trace it
            return x * 2.0
        return x


def test_inference_is_traced_without_autograph_when_it_can_be() -> None:
    model = _Model()
    fast_load.compile_inference(model, [1.0])  # type: ignore[arg-type]
    assert "predict_step" in vars(model)  # the unconverted function was traced and kept
    assert model.run_inference([1.5, -1.0]) == [3.0, -2.0]


def test_inference_that_needs_autograph_is_traced_the_stock_way() -> None:
    model = _NeedsAutoGraph()
    fast_load.compile_inference(model, [1.0])  # type: ignore[arg-type]
    assert "predict_step" not in vars(model)
    assert model.run_inference([1.5, 1.0]) == [3.0, 2.0]
    assert model.run_inference([-1.5, 1.0]) == [-1.5, 1.0]
