"""Replacing personal details: `scrub` for what the page shows, `scrub_stored` for what is written down.

`scrub` replaces what it finds (identifiers with a shape, and names) and leaves the rest, so a
question can still be searched. `scrub_stored` works the other way round, as an allowlist: it
keeps only words the guidance or practitioners use (words.py) and short numbers that a
reference cue explains ("para 11", "aged 14"); every other word becomes a placeholder. A name
it has never seen, an address or a school cannot survive it, at the price of some ordinary
words the allowlist lacks.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from assistant.privacy.identifiers import Finding, pattern_findings, without_overlaps
from assistant.privacy.names import TOKEN_RE, find_names, in_gazetteer, is_known
from assistant.privacy.words import word_set

if TYPE_CHECKING:
    from assistant.models import Passage

# A short number stays in stored text only after one of these ("para 11", "section 47", "aged 14")...
NUMBER_CUES = word_set(
    "para paras paragraph paragraphs section sections s chapter chapters footnote footnotes step steps part parts example "
    "examples box annex schedule article articles question questions act acts regulation regulations rule page pages "
    "version age aged ages under over stage ks table figure item option point points tier level year years"
)
# ... or before one of these ("3 weeks", "14 year old").
NUMBER_UNITS = word_set("year years yr yrs month months week weeks day days hour hours minute minutes times per")
LIST_WORDS = frozenset({"and", "or", "to"})
# Codes that are references, not identifiers: s47, s16LA, 1st, Y7, KS2, 14yo.
REFERENCE_CODE_RE = re.compile(r"(?i)s\d{1,3}[a-z]{0,3}|\d{1,2}(?:st|nd|rd|th)|y\d{1,2}|ks\d|\d{1,2}(?:yo|yrs?|am|pm)")
REPEATED_PLACEHOLDER_RE = re.compile(r"\[(NAME|WORD|NUMBER)\](?:[ \t]*-?[ \t]*\[\1\])+")


def find_identifiers(text: str, vocabulary: Iterable[str] = frozenset()) -> list[Finding]:
    """Non-overlapping identifiers in reading order. `vocabulary` (the guidance's words) sharpens name finding."""
    return without_overlaps(pattern_findings(text) + find_names(text, vocabulary))


def identifier_kinds(text: str, vocabulary: Iterable[str] = frozenset()) -> list[str]:
    """The kinds of identifier found, each once, in reading order: what the page warns about."""
    return list(dict.fromkeys(f.kind for f in find_identifiers(text, vocabulary)))


def _replace(text: str, findings: list[Finding]) -> str:
    out, last = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        out += [text[last : finding.start], f"[{finding.kind}]"]
        last = finding.end
    out.append(text[last:])
    return REPEATED_PLACEHOLDER_RE.sub(r"[\1]", "".join(out))


def scrub(text: str, vocabulary: Iterable[str] = frozenset()) -> str:
    """The text with every identifier found replaced by its typed placeholder, e.g. [NHS_NUMBER] or [NAME]."""
    return _replace(text, find_identifiers(text, vocabulary))


def _number_explained(words: list[str], n: int, kept: list[bool]) -> bool:
    if n + 1 < len(words) and words[n + 1] in NUMBER_UNITS:
        return True
    back = n - 1
    while back >= 0 and (words[back] in LIST_WORDS or (words[back].isdigit() and kept[back])):
        back -= 1
    return back >= 0 and words[back] in NUMBER_CUES


def stored_findings(text: str, vocabulary: Iterable[str] = frozenset()) -> list[Finding]:
    """What `scrub_stored` replaces: the identifiers, then each word outside the allowlist.

    Unknown capitalised words and gazetteer names count as NAME, other unknown words as WORD,
    numbers no reference cue explains as NUMBER.
    """
    words = frozenset(vocabulary)
    findings = find_identifiers(text, words)  # in reading order, not overlapping
    starts = [f.start for f in findings]

    def outside(match: re.Match[str]) -> bool:
        before = bisect.bisect_right(starts, match.start()) - 1  # the last finding starting at or before the word
        after = before + 1
        return (before < 0 or findings[before].end <= match.start()) and (after >= len(findings) or match.end() <= starts[after])

    matches = [m for m in TOKEN_RE.finditer(text) if outside(m)]
    lows = [re.sub(r"['’]s$", "", m.group().lower()) for m in matches]
    kept = [False] * len(matches)
    extra: list[Finding] = []
    for n, match in enumerate(matches):
        token, low = match.group(), lows[n]
        if low.isdigit():
            kept[n] = _number_explained(lows, n, kept)
            kind = "NUMBER"
        elif any(ch.isdigit() for ch in low):
            kept[n] = REFERENCE_CODE_RE.fullmatch(low) is not None
            kind = "NUMBER"
        else:
            kept[n] = is_known(low.replace("’", "'"), words)
            kind = "NAME" if token[0].isupper() or in_gazetteer(low) else "WORD"
        if not kept[n]:
            end = match.start() + len(re.sub(r"['’]s$", "", token))
            extra.append(Finding(kind, match.start(), end))
    return sorted(findings + extra, key=lambda f: f.start)


def scrub_stored(text: str, vocabulary: Iterable[str] = frozenset()) -> str:
    """The text as it may be stored. `vocabulary`: the guidance's words, lower case (`guidance_vocabulary`)."""
    return _replace(text, stored_findings(text, vocabulary))


def guidance_vocabulary(passages: Iterable[Passage]) -> frozenset[str]:
    """Every word the passages use, lower case: the guidance's share of what stored text may keep."""
    return frozenset(w.lower() for p in passages for w in re.findall(r"[A-Za-z]+", f"{p.heading} {p.label} {p.text}"))
