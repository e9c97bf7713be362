"""Personal identifiers in free text: find them, name them, replace them with typed placeholders.

Practitioners often ask with a case in mind and may paste a child's details. The page warns
them, and anything it keeps (feedback) is scrubbed first. Detection leans towards
over-matching: a false alarm costs a placeholder, a miss leaves a child's details on disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.models import Passage

# Placeholder kinds, and how the warning names each one.
KIND_NAMES = {
    "EMAIL": "an email address",
    "NHS_NUMBER": "an NHS number",
    "NI_NUMBER": "a National Insurance number",
    "PHONE": "a phone number",
    "DATE_OF_BIRTH": "a date of birth",
    "DATE": "a date",
    "POSTCODE": "a postcode",
    "NAME": "a name",
    "NUMBER": "a reference number",
}

# "May" only with a capital: lower-case "may" is the modal verb ("para 11 may apply").
_MONTH = (
    r"(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
DATE_RES = [
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}\b"),
    re.compile(rf"\b{_DAY}\s+(?:[Oo]f\s+)?{_MONTH}(?:,?\s+\d{{2,4}})?\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?\b"),
]
# A date is a date of birth when one of these comes just before it.
BIRTH_CUE_RE = re.compile(r"(?:\bd\.?o\.?b\.?|date of birth|\bborn(?: on| in)?|birthday)\W{0,3}$", re.IGNORECASE)

EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
NHS_CANDIDATE_RE = re.compile(r"(?<![\d+])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")
# Prefixes never issued: D, F, I, Q, U, V anywhere; O as second letter; BG, GB, NK, KN, TN, NT, ZZ.
NI_RE = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE
)
PHONE_RES = [
    re.compile(r"(?<![\w+])\+44\s?(?:\(0\)\s?)?\d{2,5}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),
    re.compile(r"(?:\(0\d{2,5}\)|(?<![\w+])0\d{2,5})[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),
    re.compile(r"(?<![\w+])\+\d{1,3}[\s-]?\d[\d\s-]{6,14}\d(?!\d)"),
]
# "s16LA" (the section this guidance is about) has a postcode's shape; it is never one here.
POSTCODE_RE = re.compile(r"\b(?!s16la\b)(?:[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}|GIR\s*0AA)\b", re.IGNORECASE)
# Case and reference numbers: six digits or more, perhaps in groups of three or more.
LONG_NUMBER_RE = re.compile(r"(?<![\w])\d{3,}(?:[ -]\d{3,})*(?!\d)")

# A capitalised word, perhaps O'Neill or Smith-Jones; a possessive 's stays outside the name.
_NAME_WORD = r"[A-Z][a-zA-Z-]*(?:['’][A-Z][a-zA-Z-]*)?"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr")
NAME_CUE_RES = [
    re.compile(rf"\b(?:{'|'.join(TITLES)})\.?\s+({_NAME})"),
    re.compile(rf"\b(?:[Cc]alled|[Nn]amed|[Mm]y client(?:'s|’s)?,?)\s+({_NAME})"),
]
# Capitalised words after "called"/"named" that name a service, not a person.
NOT_NAMES = frozenset(
    {
        "Children", "Children's", "Children’s", "Social", "Police", "Care", "Services", "Service", "Health", "NHS",
        "School", "Council", "The", "A", "An", "Early", "Help", "MASH", "LADO", "Adult", "Adults", "Local",
        "Safeguarding", "I", "He", "She", "They", "We", "It", "This", "That",
    }
)


@dataclass(frozen=True)
class Finding:
    """One identifier: its kind and where it sits in the text."""

    kind: str
    start: int
    end: int

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number modulus-11 check: weights 10..2 on the first nine digits give the tenth."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _phone_like(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if match.lstrip().startswith("+"):
        return 8 <= len(digits) <= 15
    return 10 <= len(digits) <= 11


def _candidates(text: str) -> list[Finding]:
    found: list[Finding] = [Finding("EMAIL", m.start(), m.end()) for m in EMAIL_RE.finditer(text)]
    for m in NHS_CANDIDATE_RE.finditer(text):
        if nhs_number_is_valid("".join(m.groups())):
            found.append(Finding("NHS_NUMBER", m.start(), m.end()))
    found += [Finding("NI_NUMBER", m.start(), m.end()) for m in NI_RE.finditer(text)]
    for pattern in DATE_RES:
        for m in pattern.finditer(text):
            kind = "DATE_OF_BIRTH" if BIRTH_CUE_RE.search(text[max(0, m.start() - 20) : m.start()]) else "DATE"
            found.append(Finding(kind, m.start(), m.end()))
    for pattern in PHONE_RES:
        found += [Finding("PHONE", m.start(), m.end()) for m in pattern.finditer(text) if _phone_like(m.group())]
    found += [Finding("POSTCODE", m.start(), m.end()) for m in POSTCODE_RE.finditer(text)]
    for pattern in NAME_CUE_RES:
        for m in pattern.finditer(text):
            if m.group(1).split()[0] not in NOT_NAMES:
                found.append(Finding("NAME", m.start(1), m.end(1)))
    found += [
        Finding("NUMBER", m.start(), m.end()) for m in LONG_NUMBER_RE.finditer(text) if len(re.sub(r"\D", "", m.group())) >= 6
    ]
    return found


# When two findings overlap, the earlier kind in this order wins (then the longer one).
PRIORITY = {kind: rank for rank, kind in enumerate(KIND_NAMES)}


def find_identifiers(text: str) -> list[Finding]:
    """Non-overlapping identifiers in reading order."""
    ranked = sorted(_candidates(text), key=lambda f: (PRIORITY[f.kind], -(f.end - f.start), f.start))
    kept: list[Finding] = []
    for finding in ranked:
        if all(finding.end <= k.start or finding.start >= k.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: f.start)


# A capitalised word (O'Neill, Smith-Jones, McKay), not an all-capitals acronym such as CAMHS.
PROPER_NOUN_RE = re.compile(r"\b(?:[A-Z]['’])?[A-Z](?=[A-Za-z]*[a-z])[A-Za-z]+(?:-[A-Z][A-Za-z]+)*")
SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;\n]\s*)[\"'“‘(]?\s*$")


def unknown_proper_nouns(text: str, vocabulary: frozenset[str]) -> list[Finding]:
    """Capitalised words that `vocabulary` (lower case) never uses: likely names, for text that is stored.

    At the start of a sentence a capital proves nothing, so there a word counts only when a
    possessive or another unknown capitalised word follows ("Zed's mum", "Zed Quill said").
    """
    matches = list(PROPER_NOUN_RE.finditer(text))
    unknown = [m.group().lower() not in vocabulary and m.group() not in TITLES for m in matches]
    found: list[Finding] = []
    for n, match in enumerate(matches):
        if not unknown[n]:
            continue
        if SENTENCE_START_RE.search(text[: match.start()]):
            possessive = text[match.end() : match.end() + 2] in ("'s", "’s")
            followed = n + 1 < len(matches) and unknown[n + 1] and text[match.end() : matches[n + 1].start()].isspace()
            if not (possessive or followed):
                continue
        found.append(Finding("NAME", match.start(), match.end()))
    return found


def _merge_names(findings: list[Finding], text: str) -> list[Finding]:
    """'[NAME] [NAME]' for a first and last name reads better, and says less, as one [NAME]."""
    merged: list[Finding] = []
    for finding in findings:
        last = merged[-1] if merged else None
        if last and last.kind == finding.kind == "NAME" and text[last.end : finding.start].isspace():
            merged[-1] = Finding("NAME", last.start, finding.end)
        else:
            merged.append(finding)
    return merged


def scrub(text: str, vocabulary: frozenset[str] | None = None) -> str:
    """The text with every identifier replaced by its typed placeholder, e.g. [NHS_NUMBER].

    With a `vocabulary` (the lower-case words of the guidance), capitalised words it never uses
    are replaced by [NAME] too: stricter, for text that is written to disk.
    """
    findings = find_identifiers(text)
    if vocabulary is not None:
        extra = [f for f in unknown_proper_nouns(text, vocabulary)
                 if all(f.end <= k.start or f.start >= k.end for k in findings)]
        findings = sorted(findings + extra, key=lambda f: f.start)
    out, last = [], 0
    for finding in _merge_names(findings, text):
        out += [text[last : finding.start], f"[{finding.kind}]"]
        last = finding.end
    out.append(text[last:])
    return "".join(out)


def guidance_vocabulary(passages: Iterable[Passage]) -> frozenset[str]:
    """Every word the passages use, lower case: in stored text, a capitalised word outside it is taken for a name."""
    return frozenset(w.lower() for p in passages for w in re.findall(r"[A-Za-z]+", f"{p.heading} {p.label} {p.text}"))


def identifier_kinds(text: str) -> list[str]:
    """The kinds of identifier found, each once, in reading order."""
    return list(dict.fromkeys(f.kind for f in find_identifiers(text)))


def describe(kinds: list[str]) -> str:
    """'an NHS number, a date of birth and a postcode'."""
    names = [KIND_NAMES[k] for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
