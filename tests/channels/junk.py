"""What a hostile or broken client sends, as hypothesis strategies, for the channels' fuzz tests
(tests/channels/test_fuzz_webchat.py, test_fuzz_desk.py).

The runs are bounded and repeatable: BOTTEGA_FUZZ_EXAMPLES examples per test (default in each
module), derandomized unless BOTTEGA_FUZZ_SEED asks for other inputs; no example database is kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st

T = TypeVar("T", bound=Callable[..., Any])
FUZZ_SEED = os.environ.get("BOTTEGA_FUZZ_SEED")


def fuzz(examples: int) -> Callable[[T], T]:
    """`@fuzz(n)` over `@given(...)`: n examples (BOTTEGA_FUZZ_EXAMPLES overrides), repeatable."""
    def decorate(test: T) -> T:
        configured = settings(
            max_examples=int(os.environ.get("BOTTEGA_FUZZ_EXAMPLES", examples)), deadline=None, database=None,
            derandomize=FUZZ_SEED is None, print_blob=False,
            # The servers are module fixtures, and an example is a few HTTP round trips.
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                   HealthCheck.data_too_large, HealthCheck.large_base_example],
        )(test)
        return seed(int(FUZZ_SEED))(configured) if FUZZ_SEED else configured
    return decorate


# Text that broke, or could break, something after a channel: NUL and control characters, lone
# surrogates (JSON "\ud800"), a byte-order mark, bidi overrides, the last code point, Rasa's own
# markers and intent payloads, path and markup tricks, JSON inside a string.
NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "\x1b[31m", "\r\n", "\ud800", "\udfff", "hi \ud83d", "\ufeff", "\u202e", "\U0010ffff",
    "EXTERNAL: payment_received", "/restart", '/payment_received{"order_id": "BT-7K3MZQ2P"}', "null", "{}",
    "../../etc/passwd", "%00", "%2F", "<script>alert(1)</script>", "Bearer ", "socketio:victim",
    "😀" * 3, "ß", "İ",
]
# Around the limits (the web chat's 2,000-character message, the desk's 2,000-character reply,
# engine.io's 1 MB), and far past them.
HUGE_LENGTHS = [1_000, 2_000, 2_001, 20_000, 200_000]


def texts(max_size: int = 30, huge: bool = True) -> st.SearchStrategy[str]:
    """Any text: ordinary, with surrogates and control characters, nasty, or (if `huge`) huge."""
    kinds = [
        st.text(max_size=max_size),
        st.text(st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Zs", "Lu", "So"]), max_size=max_size),
        st.sampled_from(NASTY_TEXT),
    ]
    if huge:
        kinds.append(st.builds(lambda unit, n: (unit * n)[:n], st.sampled_from(["x", "é ", "\x00", "😀", "\ud800"]),
                               st.sampled_from(HUGE_LENGTHS)))
    return st.one_of(kinds)


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                     st.floats(allow_nan=True, allow_infinity=True), texts())


def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Nested junk of every JSON type (NaN and Infinity too: Python's JSON reads them)."""
    return st.recursive(
        scalars(),
        lambda children: st.one_of(st.lists(children, max_size=4),
                                   st.dictionaries(texts(12), children, max_size=4)),
        max_leaves=max_leaves,
    )


def nested(depth: int) -> Any:
    """A list `depth` deep: past the metadata limit at 9, past Python's recursion limit at 5,000
    (send that one as text: json.dumps cannot write it)."""
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def deep_json_text(depth: int) -> str:
    return "[" * depth + "]" * depth


def dumps(value: Any) -> str:
    """JSON as a client may write it: NaN, Infinity and lone surrogates (escaped) included."""
    return json.dumps(value, allow_nan=True)
