"""What a channel hands on as text: no lone surrogates, no control characters.

JSON may carry a lone surrogate (`"\\ud800"`, what a browser's JSON.stringify makes of half an emoji)
and NUL or other control characters. Python decodes them into a `str` that cannot be encoded as
UTF-8, and everything after the channel writes text out somewhere: Rasa's debug log (a
UnicodeEncodeError that loses the shopper's turn), the tracker store, the shop's API, the desk's
transcript. So the channels clean text once, where it comes in.
"""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls and DEL, except tab, line feed and carriage return (a message may have lines).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD and control characters other than
    tab and line breaks removed."""
    return _CONTROL.sub("", _LONE_SURROGATE.sub(REPLACEMENT, text))
