"""Consistency signals across passages: one action given different duty levels, paraphrases of
s16LA(2) that drop part of the statute, and 'must' with no statutory source.

Worked examples are narratives of one case, not instructions, so these rules skip them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.clarity.models import Flag, Severity
from assistant.corpus.sentences import passage_units
from assistant.models import Passage

INSTRUCTION_KINDS = ("paragraph", "box", "section", "key term")


@dataclass(frozen=True)
class Action:
    """Something the guidance tells people to do, found by a verb near an object."""

    name: str
    verb: str
    obj: str


ACTIONS = (
    Action("informing parents or families", r"inform(?:ed|ing)?|tell|notify|aware",
           r"parents?|famil(?:y|ies)|guardians?|carers?"),
    Action("recording the decision", r"record(?:ed)?|document(?:ed)?", r"decisions?|rationales?|decision-making"),
    Action("giving feedback to whoever shared", r"feedback|acknowledg\w*", r"feedback|acknowledg\w*|loops?|outcomes?"),
)
# Duty levels, strongest first; the first pattern found nearest before the verb sets the level.
LEVELS: tuple[tuple[str, str], ...] = (
    ("should consider", r"should (?:also )?consider(?: whether)?|encouraged to consider|may wish to consider"),
    ("must", r"must|MUST|required to|is required|are required"),
    ("best practice", r"best practice"),
    ("should", r"should|SHOULD"),
    ("may", r"\bmay\b|\bcan\b"),
)
LEVEL_RANK = {"must": 4, "should": 3, "should consider": 2, "best practice": 1, "may": 1}
NEGATED_RE = re.compile(r"\b(no|not|never)\b[^,;.]*$", re.IGNORECASE)  # 'no single agency is required to' is not a requirement
STEM_MODAL_RE = re.compile(r"\b(must|MUST)\s*:\s*$")
MUST_RE = re.compile(r"\b(must|MUST|required to|is required|are required)\b")
SOURCE_RE = re.compile(
    r"s16LA|\bsection \d|\bAct\b|\blaws?\b|legislation|legal|statut|\bduty\b|GDPR|Article|Regulation|lawful basis|"
    r"data protection|CLDoC|common law|Schedule|relevant persons?|relevant functions",  # the statute's defined terms
    re.IGNORECASE,
)
SHARE_DUTY_RE = re.compile(r"\b(must|MUST)\b(?:(?! because| if| where)[^.;:]){0,40}?\b(share|shared|disclosed?)\b")
INCORPORATES_RE = re.compile(r"criteria|terms of the duty", re.IGNORECASE)
CONCESSIVE_RE = re.compile(r"\b(still|even where|even if)\b", re.IGNORECASE)


@dataclass(frozen=True)
class StatuteElement:
    """A condition of s16LA(2) and the words a faithful paraphrase would use for it."""

    statute_words: str
    paraphrase: str
    severity: Severity
    meaning: str


S16LA2_ELEMENTS = (
    StatuteElement("may facilitate", r"facilitat|\bhelp|assist|enable", "high",
                   "the condition that sharing may facilitate the recipient's functions"),
    StatuteElement("considers", r"consider|determine|judge|judgement|think", "medium",
                   "that the relevant person makes the judgement ('considers')"),
    StatuteElement("if and only so far as", r"only so far|to the extent|only (?:what|where|if)|limited to|no more than",
                   "medium", "the limit 'if and only so far as' (share no more than the judgement supports)"),
)


def _clauses(passage: Passage) -> list[tuple[str, str]]:
    """(unit, the unit with its list stem) for each sentence or list item."""
    return [(u.text, f"{u.stem} {u.text}".strip()) for u in passage_units(0, passage)]


def _level_before(text: str, position: int) -> tuple[str, str] | None:
    """The duty level nearest before `position`, and its words."""
    best: tuple[int, str, str] | None = None
    for level, pattern in LEVELS:
        for match in re.finditer(pattern, text[:position]):
            if best is None or match.start() > best[0] or (match.start() == best[0] and len(match.group(0)) > len(best[2])):
                best = (match.start(), level, match.group(0))
    return (best[1], best[2]) if best else None


@dataclass(frozen=True)
class Occurrence:
    ref: str
    action: str
    level: str
    trigger: str


def action_occurrences(passages: list[Passage]) -> list[Occurrence]:
    found = []
    for p in passages:
        if p.kind not in INSTRUCTION_KINDS:
            continue
        seen: set[tuple[str, str]] = set()
        for unit, with_stem in _clauses(p):
            offset = len(with_stem) - len(unit)
            for action in ACTIONS:
                for verb in re.finditer(rf"\b(?:{action.verb})\b", with_stem, re.IGNORECASE):
                    window = with_stem[max(0, verb.start() - 60):verb.end() + 60]
                    if not re.search(rf"\b(?:{action.obj})\b", window, re.IGNORECASE):
                        continue
                    level = _level_before(with_stem, verb.start())
                    if level is None or (action.name, level[0]) in seen:
                        continue
                    seen.add((action.name, level[0]))
                    start = with_stem.rfind(level[1], 0, verb.start())
                    # The stem and its item are not contiguous in the text: then quote the verb alone.
                    trigger = with_stem[start if start >= offset else verb.start():verb.end()]
                    found.append(Occurrence(p.ref, action.name, level[0], " ".join(trigger.split()[:12])))
                    break
    return found


def duty_level_conflicts(passages: list[Passage]) -> dict[str, list[Flag]]:
    """Flags per ref, for actions whose duty level differs between passages."""
    by_action: dict[str, list[Occurrence]] = {}
    for occ in action_occurrences(passages):
        by_action.setdefault(occ.action, []).append(occ)
    flags: dict[str, list[Flag]] = {}
    for action, occurrences in by_action.items():
        levels = {o.level for o in occurrences}
        if len(levels) < 2:
            continue
        spread = max(LEVEL_RANK[v] for v in levels) - min(LEVEL_RANK[v] for v in levels)
        for occ in occurrences:
            others = [o for o in occurrences if o.level != occ.level]
            if not others:
                continue
            elsewhere = "; ".join(f"'{o.level}' at {o.ref}" for o in others[:4])
            flags.setdefault(occ.ref, []).append(Flag(
                category="consistency", rule="duty-level-conflict", trigger=occ.trigger,
                explanation=f"{action.capitalize()} is '{occ.level}' here but {elsewhere}.",
                question=f"Is {action} a requirement, an expectation or an option? Say it the same way everywhere.",
                severity="high" if spread >= 2 else "medium",
                see_also=tuple(dict.fromkeys(o.ref for o in others)),
            ))
    return flags


def statute_paraphrase(passage: Passage, statute: Passage | None) -> list[Flag]:
    """A sentence restating the s16LA(2) duty to share that leaves out one of its conditions."""
    if statute is None or passage.kind not in INSTRUCTION_KINDS:
        return []
    elements = [e for e in S16LA2_ELEMENTS if e.statute_words in statute.text]
    flags = []
    for unit, with_stem in _clauses(passage):
        match = SHARE_DUTY_RE.search(unit)
        if not match or "information" not in unit.lower() or INCORPORATES_RE.search(with_stem) or CONCESSIVE_RE.search(unit):
            continue
        missing = [e for e in elements if not re.search(e.paraphrase, unit, re.IGNORECASE)]
        if not missing:
            continue
        severity: Severity = "high" if any(e.severity == "high" for e in missing) else "medium"
        flags.append(Flag(
            category="consistency", rule="statute-paraphrase", trigger=match.group(0),
            explanation=f"Restates the duty in {statute.ref} but leaves out {'; '.join(e.meaning for e in missing)}.",
            question=f"Should this follow the words of {statute.ref}: "
                     + ", ".join(f"'{e.statute_words}'" for e in missing) + "?",
            severity=severity, see_also=(statute.ref,),
        ))
    return flags


def unsourced_must(passage: Passage) -> list[Flag]:
    """'must' in a sentence (or list item under a MUST stem) that names no law, duty or statute."""
    if passage.kind not in INSTRUCTION_KINDS:
        return []
    flags = []
    for unit, with_stem in _clauses(passage):
        # A list item is a requirement only under a stem that ends on the modal ('… MUST:').
        stem = with_stem[: len(with_stem) - len(unit)]
        match = MUST_RE.search(unit) or (MUST_RE.search(stem) if STEM_MODAL_RE.search(stem) else None)
        if not match or SOURCE_RE.search(unit) or NEGATED_RE.search(unit[max(0, match.start() - 30):match.start()]):
            continue
        trigger = match.group(0) if match.group(0) in unit else " ".join(unit.split()[:6])
        flags.append(Flag(
            category="consistency", rule="must-without-source", trigger=trigger,
            explanation=f"A requirement ('{match.group(0)}') with no statutory source named: '{' '.join(unit.split()[:12])}…'.",
            question="Which law creates this requirement? If none, should it be 'should'?",
            severity="medium",
        ))
    return flags
