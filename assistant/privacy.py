"""Personal identifiers in free text: find them, name them, replace them with typed placeholders.

Practitioners often ask with a case in mind and may paste a child's details. The page warns
them, and anything it keeps (feedback) is scrubbed first. Detection leans towards
over-matching: a false alarm costs a placeholder, a miss leaves a child's details on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    re.compile(r"(?<![\w+(])\(?0\d{2,5}\)?[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),
    re.compile(r"(?<![\w+])\+\d{1,3}[\s-]?\d[\d\s-]{6,14}\d(?!\d)"),
]
# "s16LA" (the section this guidance is about) has a postcode's shape; it is never one here.
POSTCODE_RE = re.compile(r"\b(?!s16la\b)(?:[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}|GIR\s*0AA)\b", re.IGNORECASE)
# Case and reference numbers: six digits or more, perhaps in groups of three or more.
LONG_NUMBER_RE = re.compile(r"(?<![\w])\d{3,}(?:[ -]\d{3,})*(?!\d)")

# A capitalised word, perhaps O'Neill or Smith-Jones; a possessive 's stays outside the name.
_NAME_WORD = r"[A-Z][a-zA-Z-]*(?:['’][A-Z][a-zA-Z-]*)?"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
NAME_CUE_RES = [
    re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+({_NAME})"),
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


def scrub(text: str) -> str:
    """The text with every identifier replaced by its typed placeholder, e.g. [NHS_NUMBER]."""
    out, last = [], 0
    for finding in find_identifiers(text):
        out += [text[last : finding.start], f"[{finding.kind}]"]
        last = finding.end
    out.append(text[last:])
    return "".join(out)


def identifier_kinds(text: str) -> list[str]:
    """The kinds of identifier found, each once, in reading order."""
    return list(dict.fromkeys(f.kind for f in find_identifiers(text)))


def describe(kinds: list[str]) -> str:
    """'an NHS number, a date of birth and a postcode'."""
    names = [KIND_NAMES[k] for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
