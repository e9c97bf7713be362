"""People's names in a question, in any case and position.

Names have no shape, so several cues are combined:
- a word in the hand-written gazetteer (gazetteer.py) that is not an ordinary word: "hannah",
  "MORRISON" (any case);
- a capitalised word in mid-sentence that the guidance and practitioners' words never use, or
  that is in the gazetteer ("share with Grace", "Zebedee");
- a cue: a title ("Mrs"), "called", "named", "my client", "name is", "RE:";
- a neighbour: a word next to a name joins it when it is a gazetteer word or an unknown word
  ("hannah quartermaine", "Sam Power").
Words that are both names and ordinary words (will, grace, young) need a capital or a neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.privacy.gazetteer import GIVEN_NAMES, SURNAMES
from assistant.privacy.identifiers import Finding
from assistant.privacy.words import PLACES, PRACTICE_WORDS, TIME_WORDS, word_set

# A word, perhaps O'Neill or don't; a possessive 's is part of the token and left out of its core.
TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
POSSESSIVE_RE = re.compile(r"['’]s$|(?<=s)['’]$", re.IGNORECASE)
SENTENCE_ENDS = frozenset(".!?:;\n•*")
OPENERS = frozenset(" \t\r\n\"'“‘([")
# Words between two tokens that keep them one name: a space, a hyphen, an initial's full stop.
JOINER_RE = re.compile(r"[ \t]*(?:-[ \t]*)?")
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "master"})
# After these a name follows whatever the word ("her name is hope").
STRONG_CUE_RE = re.compile(
    r"(?i:\b(?:mrs?|ms|miss|mx|dr)\.?|\bnamed?\s+is|\bname['’]s|\bnames\s+are|\bcalled\s+herself|\bcalled\s+himself)\s*:?\s*$"
)
# After these an unknown word is a name ("called zeb", "my client zeb"), an ordinary one is not ("called social care").
WEAK_CUE_RE = re.compile(
    r"(?i:\b(?:called|named|nicknamed|client(?:['’]s)?|known\s+as|aka)|(?<!['’])\bre\s*:)\s*:?\s*$"
)
FUNCTION_WORDS = word_set(
    "a an the and or but if of in on at to for from by with about into is are was were be been am has have had do does did "
    "not no yes this that these those it its he she they we you i me him her his them their our my your who whom whose "
    "what which when where why how all any some each every there here then than so as up out"
)
_SUFFIXES = ("'s", "s", "es", "ed", "d", "ing", "ly", "er", "ers", "ies")


@dataclass
class Token:
    start: int
    end: int
    core: str  # without a possessive
    low: str
    possessive: bool
    capital: bool  # a capital that says something: Title-case, in text that is not all capitals
    sentence_start: bool


def tokens(text: str) -> list[Token]:
    """The words of `text`, with what their case and place say."""
    raw = [m for m in TOKEN_RE.finditer(text) if not any(ch.isdigit() for ch in m.group())]
    letters = [m.group() for m in raw if len(m.group()) > 1]
    shouting = bool(letters) and sum(w.isupper() for w in letters) > 0.6 * len(letters)
    out = []
    for m in raw:
        word = m.group()
        core = POSSESSIVE_RE.sub("", word) or word
        titled = core[0].isupper() and not core.isupper()
        out.append(Token(
            start=m.start(), end=m.end(), core=core, low=core.lower().replace("’", "'"), possessive=core != word,
            capital=titled and not shouting, sentence_start=_starts_sentence(text, m.start()),
        ))
    return out


def _starts_sentence(text: str, start: int) -> bool:
    """Nothing but quotes and brackets between `start` and the text's start, an end of sentence or a dash bullet."""
    i = start - 1
    while i >= 0 and text[i] in OPENERS and text[i] != "\n":
        i -= 1
    return i < 0 or text[i] in SENTENCE_ENDS or (text[i] == "-" and (i == 0 or text[i - 1].isspace()))


def is_known(low: str, vocabulary: frozenset[str]) -> bool:
    """An ordinary word: the guidance or practitioners use it, perhaps with a plural or tense ending.

    A name is never taken for an ending on a word (Heather is not heath + er).
    """
    if low in vocabulary or low in PRACTICE_WORDS or low in PLACES:
        return True
    if in_gazetteer(low):
        return False
    for suffix in _SUFFIXES:
        stem = low[: -len(suffix)]
        if low.endswith(suffix) and len(stem) > 2:
            for candidate in (stem, stem + "e", stem + "y", stem[:-1] if stem[-1:] == stem[-2:-1] else stem):
                if candidate in vocabulary or candidate in PRACTICE_WORDS:
                    return True
    return False


def in_gazetteer(low: str) -> bool:
    return low in GIVEN_NAMES or low in SURNAMES


def _adjacent(text: str, left: Token, right: Token) -> bool:
    gap = text[left.end : right.start]
    return not left.possessive and len(gap) <= 3 and JOINER_RE.fullmatch(gap) is not None


def _seed(token: Token, known: bool, before: str) -> bool:
    """A word that is a name on its own evidence."""
    gazetteer = in_gazetteer(token.low)
    if token.low in TIME_WORDS and not STRONG_CUE_RE.search(before):
        return False
    if gazetteer and not known:
        return True
    if token.capital and not token.sentence_start and (gazetteer or not known) and token.low not in TITLES:
        return True
    if STRONG_CUE_RE.search(before):
        return token.low not in FUNCTION_WORDS
    return bool(WEAK_CUE_RE.search(before)) and not known and token.low not in FUNCTION_WORDS


def find_names(text: str, vocabulary: Iterable[str] = frozenset()) -> list[Finding]:
    """Spans of `text` that are probably people's names. `vocabulary`: the guidance's words, lower case."""
    words = frozenset(vocabulary)
    toks = tokens(text)
    known = [is_known(t.low, words) for t in toks]
    name = [_seed(t, k, text[max(0, t.start - 30) : t.start]) for t, k in zip(toks, known, strict=True)]
    for n, t in enumerate(toks):  # "Zed's mum": a capitalised unknown word that owns something
        if t.capital and t.possessive and not known[n] and t.low not in TITLES:
            name[n] = True
    # A word beside a name joins it: one pass rightwards, one leftwards, so runs of any length join in linear time.
    for order, step in ((range(len(toks)), -1), (range(len(toks) - 1, -1, -1), 1)):
        for n in order:
            t, m = toks[n], n + step
            if name[n] or not 0 <= m < len(toks) or not name[m] or t.low in FUNCTION_WORDS or t.low in TITLES:
                continue
            if _adjacent(text, toks[min(m, n)], toks[max(m, n)]) and (in_gazetteer(t.low) or not known[n]):
                name[n] = True
    spans: list[Finding] = []
    for n, t in enumerate(toks):
        if not name[n]:
            continue
        end = t.start + len(t.core)
        if spans and n > 0 and name[n - 1] and _adjacent(text, toks[n - 1], t):
            spans[-1] = Finding("NAME", spans[-1].start, end)
        else:
            spans.append(Finding("NAME", t.start, end))
    return spans
