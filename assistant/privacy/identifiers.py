"""Identifiers with a shape: numbers, codes, dates, addresses and school names, found by pattern.

Detection leans towards over-matching: a false alarm costs a placeholder, a miss leaves a
child's details on disk. Names have no shape and are found in names.py.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from assistant.privacy.words import word_set

# Placeholder kinds, and how the warning names each one. Earlier kinds win when two overlap.
KIND_NAMES = {
    "EMAIL": "an email address",
    "NHS_NUMBER": "an NHS number",
    "NI_NUMBER": "a National Insurance number",
    "PHONE": "a phone number",
    "DATE_OF_BIRTH": "a date of birth",
    "DATE": "a date",
    "POSTCODE": "a postcode",
    "ADDRESS": "a street address",
    "SCHOOL": "a school's name",
    "NAME": "a name",
    "NUMBER": "a reference number",
}
PRIORITY = {kind: rank for rank, kind in enumerate(KIND_NAMES)}

# "May" only with a capital: lower-case "may" is the modal verb ("para 11 may apply").
_MONTH = (
    r"(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_DD, _MM, _YYYY = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)\d{2}"
_SEP = r"\s?[/.\-\\]\s?"
DATE_RES = [
    re.compile(rf"\b{_YYYY}{_SEP}{_MM}{_SEP}{_DD}\b"),  # 2007-04-27, 2007/04/27
    re.compile(rf"\b\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}\d{{2,4}}\b"),  # 27/04/2007, 27.04.07, 4-27-2007
    re.compile(rf"\b{_DD} {_MM} {_YYYY}\b"),  # 27 04 2007 (a two-digit year here would be a list of paras)
    re.compile(rf"\b(?:{_DD}(?:0[1-9]|1[0-2]){_YYYY}|{_YYYY}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))\b"),  # 27042007
    re.compile(rf"\b{_DAY}(?:\s+of)?[\s/.\-]*{_MONTH}(?:,?[\s/.\-]*(?:{_YYYY}|\d{{2}}))?\b"),  # 04-Jun-2022
    re.compile(rf"\b{_MONTH}[\s/.\-]*{_DAY}(?:,?[\s/.\-]+(?:{_YYYY}|\d{{2}}))?\b"),  # April 27th, 2007
    # Lower-case "may" after a day is a date when it ends the phrase or the day is an ordinal: "on 26 may,", "26th may".
    re.compile(
        rf"\b{_DD}(?:[/.\-](?i:may)[/.\-](?:{_YYYY}|\d{{2}})|(?:st|nd|rd|th)?\s+(?:of\s+)?(?i:may),?\s+{_YYYY})\b"
        rf"|\b(?i:may)\s+{_DAY},?\s+{_YYYY}\b"
    ),
    re.compile(rf"(?i:\b{_DD}(?:\s+of)?\s+may\b(?=\s*(?:[,.;:!?)]|$))|\b{_DD}(?:st|nd|rd|th)\s+(?:of\s+)?may\b)"),
]
# A date is a date of birth when one of these comes just before it.
BIRTH_CUE_RE = re.compile(r"(?:\bd\.?o\.?b\.?|date of birth|\bborn(?: on| in)?|birthday)\W{0,3}$", re.IGNORECASE)

# Starting only where a run of address characters starts keeps a long run from being rescanned at every offset.
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
NHS_CANDIDATE_RE = re.compile(r"(?<![\d+])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")
# Prefixes never issued: D, F, I, Q, U, V anywhere; O as second letter; BG, GB, NK, KN, TN, NT. ZZ is a
# placeholder that forms and test data use: it is caught too.
NI_RE = re.compile(
    r"\b(?!BG|GB|NK|KN|TN|NT)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE
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

_STREET_TYPES = (
    "road|rd|street|st|lane|ln|avenue|ave|close|drive|way|court|crescent|gardens|grove|place|terrace|hill|park|rise"
    "|view|walk|mews|row|square|green|parade|gate|vale|meadows?|fields|wharf|yard|estate|flats|heights|bridge|brook"
    "|chase|croft|boulevard|quay|path|common|approach|broadway|house|cottages?|farm"
)
_FLAT = r"(?:(?:flat|apartment|studio|unit)\s+\d+[a-z]?,?\s+)?"
_TOWN = r"(?:,\s+(?:[A-Z][a-z]+\s+){0,2}[A-Z][a-z]+)?"
# "Flat 3, 12 Acacia Road, Leeds" or "12a acacia road": a house number, one to three words, a street type...
ADDRESS_RE = re.compile(
    rf"\b(?P<address>(?i:{_FLAT}\d{{1,4}}[a-z]?,?\s+(?:[a-z][\w'’-]*\s+){{1,3}}(?:{_STREET_TYPES})\b\.?){_TOWN})"
)
# ... or, after "lives at" or "moved to", a house number and capitalised words, whatever the street type.
CUED_ADDRESS_RE = re.compile(
    r"(?i:\b(?:liv(?:es|ing|e)|stay(?:s|ing)?|moved|moving|address(?: is)?|at|to)\s*:?)\s+"
    r"(?P<address>(?i:(?:flat|apartment|studio|unit)\s+\d+[a-z]?|\d{1,4}[a-z]?)(?:,?\s+\d{1,4}[a-z]?)?,?"
    rf"(?:\s+[A-Z][A-Za-z'’-]+){{1,3}}{_TOWN})"
)
_SCHOOL_TYPES = r"(?:School|Academy|College|Nursery|Primary|Infants?|Juniors?|High|Grammar|Secondary|Preparatory|Prep)"
SCHOOL_RE = re.compile(
    rf"\b(?:St\.?\s+)?(?:[A-Z](?:[a-z]|['’][A-Z])[\w'’-]*\s+(?:(?:of|the|and|&|de|le)\s+)?){{1,4}}"
    rf"(?:(?:C\s?of\s?E|CE|RC|Catholic|Church of England|Community|Free|Federation)\s+)*{_SCHOOL_TYPES}"
    rf"(?:\s+{_SCHOOL_TYPES})*\b",
)
# A school's name is not one of these generic words alone ("the Local Primary School", "Virtual School Head").
GENERIC_SCHOOL_WORDS = word_set(
    "the a an my our your his her their this that which what local virtual special free independent new state private "
    "pupil referral boarding faith main same other st primary secondary high grammar junior infant nursery academy "
    "school college community catholic church of england ce rc and"
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


def _school_like(match: str) -> bool:
    return any(word.lower() not in GENERIC_SCHOOL_WORDS for word in re.findall(r"[\w'’-]+", match))


def pattern_findings(text: str) -> list[Finding]:
    """Every identifier with a shape, overlapping ones included."""
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
    for pattern in (ADDRESS_RE, CUED_ADDRESS_RE):
        found += [Finding("ADDRESS", m.start("address"), m.end("address")) for m in pattern.finditer(text)]
    found += [Finding("SCHOOL", m.start(), m.end()) for m in SCHOOL_RE.finditer(text) if _school_like(m.group())]
    found += [
        Finding("NUMBER", m.start(), m.end()) for m in LONG_NUMBER_RE.finditer(text) if len(re.sub(r"\D", "", m.group())) >= 6
    ]
    return found


def without_overlaps(findings: list[Finding]) -> list[Finding]:
    """Non-overlapping findings in reading order: the earlier kind wins, then the longer one."""
    ranked = sorted(findings, key=lambda f: (PRIORITY[f.kind], -(f.end - f.start), f.start))
    starts: list[int] = []  # the kept findings, in reading order (they never overlap, so a bisect finds neighbours)
    kept: list[Finding] = []
    for finding in ranked:
        at = bisect.bisect_right(starts, finding.start)
        if (at > 0 and kept[at - 1].end > finding.start) or (at < len(kept) and kept[at].start < finding.end):
            continue
        starts.insert(at, finding.start)
        kept.insert(at, finding)
    return kept


def describe(kinds: list[str]) -> str:
    """'an NHS number, a date of birth and a postcode'."""
    names = [KIND_NAMES[k] for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
