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


ELLIPSIS = "…"
_TRAILING = " \t\n,;:-–—(/"
# Where a long text is best split, best first: paragraphs, lines, sentences, words.
_BREAKS = ("\n\n", "\n", ". ", "! ", "? ", " ")


def shorten(title: str, limit: int) -> str:
    """`title` in at most `limit` characters: whole, or cut after a whole word and ended with "…".

    Only a first word longer than the limit is cut inside (there is nothing else to keep).
    """
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    room = title[: limit - len(ELLIPSIS) + 1]  # one more: a cut just before a space keeps the word
    cut = room.rfind(" ")
    kept = room[:cut] if cut > 0 else room[: limit - len(ELLIPSIS)]
    return kept.rstrip(_TRAILING) + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, split between paragraphs, lines, sentences or
    words (in that order of preference); only a word longer than `limit` is split inside."""
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        window = text[: limit + 1]
        cut = -1
        for mark in _BREAKS:
            found = window.rfind(mark)
            # A break in the first quarter would leave a tiny piece: look for a lesser one instead.
            if found >= limit // 4:
                cut = found + (1 if mark in (". ", "! ", "? ") else 0)
                break
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces
