"""Does a question lean on the previous turn ("what if mum says no?") or stand on its own?

A follow-up is short and starts the way people continue a conversation ("and…", "what if…",
"ok so…") or points back at something it does not name ("does that change…", "tell her?").
A question that names its own case and decision is read alone, even later in a conversation.
"""

from __future__ import annotations

import re

# How people carry on from an answer.
OPENERS_RE = re.compile(
    r"^\s*(and|but|so|ok(ay)?|right|also|then|what if|what about|how about|even if|even though|if (so|not)|"
    r"does (that|this|it)|is (that|this|it)|would (that|this|it)|will (that|this|it)|do (i|we) (still|also)|"
    r"can (i|we) (still|also)|should (i|we) (still|also)|same|fair enough|thanks|cheers|got it|done|understood)\b",
    re.IGNORECASE,
)
# Words that point back to something the question itself does not name.
POINTING_RE = re.compile(r"\b(that|this|it|they|them|she|he|her|him|those|these|there|then)\b", re.IGNORECASE)
SHORT_WORDS = 14


def reads_as_followup(question: str) -> bool:
    """Whether the question depends on the previous turn to make sense."""
    words = question.split()
    if OPENERS_RE.search(question):
        return True
    return len(words) <= SHORT_WORDS and bool(POINTING_RE.search(question))
