"""Clear anger in a shopper's message: the signal that hands a conversation to a person.

A small, explainable scorer rather than a model: a shopper saying they are angry ("I'm
furious") is enough; otherwise words of failure and insults, profanity (also half-masked:
"f***ing"), angry emoji, words in capitals and runs of "!" each add to a score, and only a
message that both names its anger and is loud enough counts. "I'm disappointed"
or "this is ridiculous" alone is a complaint the bot can still handle; "this is RIDICULOUS!!!"
or "worst shop ever, absolutely unacceptable 😡" is a shopper who wants a human.

Pure functions of the text, used by the dialogue policy (components/handoff_policy.py) and by
the hand-off action (which words the apology), so both read a message the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The shopper says they are angry: enough on its own. Only a statement about how they feel
# counts ("I'm furious", "so angry", "fed up with you"), never a product ("Angry Birds"), a
# denial ("I'm not angry"), anger at themselves ("mad at myself") or at a thing they want to
# replace ("sick of my old phone", "hate this colour"): those shoppers still want the bot.
_FEELING = r"(furious|angry|angrier|livid|outraged|fuming|raging|mad|pissed( off)?)"
_DECLARED = re.compile(
    rf"\b(i'?m|i am|i feel|i was|we are|we're|so|really|very|getting|absolutely|extremely|totally|"
    rf"beyond|makes me|made me|making me)\s+(so\s+|really\s+|very\s+|absolutely\s+)?{_FEELING}\b"
    rf"(?!\s+(at|with)\s+(myself|me|us|ourselves)\b)"
    r"|\b(fed up|sick (and tired )?of|had enough of|hate)\s+((with|of)\s+)?"
    r"(you|u|this (shop|store|company|service|bot|app|website|site|place|chat)|bottega|"
    r"your (shop|store|company|service|bot|app|website|site|customer service|support)|"
    r"waiting|the wait|the delays?|this\s*(!|\.|$)|it\s*(!|\.|$)|being ignored)",
    re.IGNORECASE,
)
_DENIED = re.compile(r"\b(not|n't|never|nt)\s+(\w+\s+)?$", re.IGNORECASE)


def _declared(text: str) -> int:
    """Statements of anger, less those the words just before deny ("I'm not angry")."""
    count = 0
    for match in _DECLARED.finditer(text):
        if not _DENIED.search(text[max(0, match.start() - 12):match.start() + _lead_in(match)]):
            count += 1
    return count


def _lead_in(match: re.Match[str]) -> int:
    """Where the feeling word starts inside the match ("i'm not angry": after "i'm ")."""
    feeling = re.search(_FEELING, match.group(0), re.IGNORECASE)
    return feeling.start() if feeling else 0

# Words that say the shop failed them badly: anger once something else makes it loud.
_ANGER = re.compile(
    r"\b(outrageous|ridiculous|unacceptable|disgust\w*|disgrace\w*|appall\w*|scam\w*|rip[- ]?off|fraud\w*|thie(f|ves)|"
    r"worst|terrible|horrible|awful|pathetic|useless|incompetent|clowns?|idiots?|morons?|stupid|"
    r"(this is|what|you('re| are)( such)?) a joke|"
    r"never again|sue you|lawyer|report you)\b",
    re.IGNORECASE,
)
# Profanity, whole or masked with * or # ("f*ck", "sh#t", "wtf").
_PROFANITY = re.compile(
    r"\b(f+u+c+k+\w*|f[*#@]+\w*|sh[i*#]t+\w*|bullshit|crap+y?|damn(ed|it)?|hell no|bloody|bastards?|wtf|ffs|stfu)\b",
    re.IGNORECASE,
)
_ANGRY_EMOJI = re.compile("[\U0001F620\U0001F621\U0001F624\U0001F92C\U0001F4A2\U0001F595]")  # 😠😡😤🤬💢🖕
_SHOUTED_WORD = re.compile(r"\b[A-Z]{3,}\b")
_EXCLAMATIONS = re.compile(r"[!?]*![!?]*!+[!?]*")  # "!!", "?!!", "!!!"
# Capitals that are names, not shouting.
_NOT_SHOUTING = {"EUR", "USD", "GBP", "XXL", "XXS", "DHL", "UPS", "TNT", "GLS", "SMS", "PDF", "FAQ", "LED", "USB",
                 "HDMI", "SSD", "TV", "BT", "ID", "OK", "ASAP", "LOL", "PSA", "NIKE", "ASUS", "LG", "HP"}

# A message is clearly angry from this score on, and only if it names its anger (word, profanity or emoji).
CLEAR_ANGER_SCORE = 4


@dataclass(frozen=True)
class Anger:
    score: int
    names_it: bool

    @property
    def clear(self) -> bool:
        return self.names_it and self.score >= CLEAR_ANGER_SCORE


def anger(text: str | None) -> Anger:
    """How angry the message sounds (see the module docstring)."""
    if not text or text.startswith("/"):  # button payloads carry no mood
        return Anger(0, False)
    declared = _declared(text)
    words = len(_ANGER.findall(text))
    profanity = len(_PROFANITY.findall(text))
    emoji = len(_ANGRY_EMOJI.findall(text))
    shouted = [w for w in _SHOUTED_WORD.findall(text) if w not in _NOT_SHOUTING]
    # A whole message in capitals is shouting even when its words are short.
    letters = [c for c in text if c.isalpha()]
    all_caps = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8
    score = (
        CLEAR_ANGER_SCORE * min(declared, 1)
        + 2 * min(words, 3)
        + 2 * min(profanity, 2)
        + 2 * min(emoji, 2)
        + min(len(shouted), 2)
        + (2 if all_caps else 0)
        + min(len(_EXCLAMATIONS.findall(text)), 2)
    )
    return Anger(score, bool(declared or words or profanity or emoji))


def is_clearly_angry(text: str | None) -> bool:
    return anger(text).clear
