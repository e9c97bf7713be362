"""Language signals: vague terms and escape clauses, open lists, stacked hedges, passive duties,
long sentences and a readability grade.

Syllables for the Flesch-Kincaid grade come from pyphen's hyphenation dictionaries, which ship
inside the package (textstat 0.7.13 needs an nltk cmudict download at run time, which is not
allowed here). Hyphenation skips some breaks (e.g. 'area'), so the count is the larger of the
hyphenation count and a vowel-group count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from assistant.clarity.models import WEAKER, Flag, Readability, Severity
from assistant.corpus.sentences import passage_units
from assistant.models import Passage

WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class VagueTerm:
    phrase: str
    kind: str  # escape clause | vague quantity | vague standard
    severity: Severity


# Longest phrases first, so 'where appropriate' wins over 'appropriate'.
VAGUE_TERMS = sorted(
    [
        *(VagueTerm(p, "escape clause", "medium") for p in (
            "where appropriate", "as appropriate", "if appropriate", "where possible", "as far as possible",
            "where necessary", "if necessary", "where applicable", "exceptional circumstances", "or similar",
            "where relevant", "where safe and practicable", "where it is safe and appropriate",
        )),
        *(VagueTerm(p, "vague quantity", "medium") for p in (
            "usually", "ordinarily", "in most cases", "extremely limited", "rare", "sufficient", "enough",
            "certain", "specific categories", "generally", "as set out earlier",
        )),
        *(VagueTerm(p, "vague standard", "low") for p in (
            "appropriate", "proportionate", "relevant", "timely", "promptly", "necessary", "significant",
            "particularly sensitive", "reasonably", "due regard", "carefully considered", "unnecessary",
            "best practice", "the right time", "the right place", "less obvious", "strictly",
        )),
    ],
    key=lambda t: -len(t.phrase),
)
# Terms of art from the statute or Key terms: 'relevant' here is defined, not vague.
# A purpose clause right after a vague quantity ('enough context for the recipient to decide') gives a test.
PURPOSE_RE = re.compile(
    r"^[\w\s,-]{0,40}?\b(for (?:the|them|a|an)\b|to (?:determine|decide|assess|identify)|so that|in order to)"
)
TERMS_OF_ART_RE = re.compile(r"\brelevant (functions?|persons?|agenc(y|ies))\b", re.IGNORECASE)
# Words that end a list without closing it, against words that introduce examples (which help).
OPEN_LIST_STRONG = ("anything else", "or similar", "at least one of the following", "could include any",
                    "a range of other", "and other", "etc")
OPEN_LIST_WEAK = ("including", "such as", "e.g.", "for example", "any other")
HEDGES = ("may", "might", "could", "would", "should", "usually", "normally", "ordinarily", "generally", "often",
          "likely", "unlikely", "possibly", "perhaps", "potentially", "need to", "wish to", "encouraged to",
          "consider", "seek to")
HEDGE_RE = re.compile(r"\b(" + "|".join(re.escape(h) for h in HEDGES) + r")\b", re.IGNORECASE)
PASSIVE_DUTY_RE = re.compile(
    r"\b(must|should|shall|needs? to|(?:is|are) required to)((?: not| still| also| always| only| then)*) be "
    r"([a-z]+ed|made|taken|kept|given|shown|sought|told|held|met|done|set|seen|known|shared)\b",
    re.IGNORECASE,
)
ACTOR_RE = re.compile(
    r"\b(organisations?|practitioners?|partners?|partnerships?|agenc(y|ies)|officers?|police|GPs?|schools?|they|we|"
    r"you|professionals?|authorit(y|ies)|services?|relevant person|recipient|requestor)\b",
    re.IGNORECASE,
)
LONG_SENTENCE_WORDS = 40
VERY_LONG_SENTENCE_WORDS = 60
HARD_GRADE = 25.0  # Flesch-Kincaid; most of the guidance scores 14-22


@cache
def _hyphenator():  # type: ignore[no-untyped-def]
    import pyphen

    return pyphen.Pyphen(lang="en_GB", left=1, right=1)


def syllables(word: str) -> int:
    word = word.lower().strip("'’-")
    if not word:
        return 0
    by_hyphenation = len(_hyphenator().positions(word)) + 1
    groups = len(VOWEL_GROUP_RE.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
        groups -= 1  # a silent final e
    return max(by_hyphenation, groups, 1)


def units_of(passage: Passage) -> list[str]:
    """Sentences and list items, verbatim (a list item without its stem)."""
    return [u.text for u in passage_units(0, passage)]


def readability(passage: Passage) -> Readability:
    units = units_of(passage) or [passage.text]
    lengths = [len(WORD_RE.findall(u)) for u in units]
    words = [w for u in units for w in WORD_RE.findall(u)]
    if not words:
        return Readability(words=0, sentences=len(units), longest_sentence=0, grade=0.0)
    total_syllables = sum(syllables(w) for w in words)
    grade = 0.39 * len(words) / len(units) + 11.8 * total_syllables / len(words) - 15.59
    return Readability(words=len(words), sentences=len(units), longest_sentence=max(lengths), grade=round(grade, 1))


def _spans(pattern: str, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"(?<![\w-])" + re.escape(pattern) + r"(?![\w-])", text, re.IGNORECASE)]


def _explained_elsewhere(phrase: str, passage: Passage, reference: list[Passage]) -> tuple[str, ...]:
    """Key terms and worked examples (other than this passage) that use the phrase, i.e. explain or illustrate it."""
    stem = phrase if " " in phrase or len(phrase) < 8 else phrase[:-2]
    pattern = re.compile(r"(?<![\w-])" + re.escape(stem), re.IGNORECASE)
    return tuple(p.ref for p in reference if p.ref != passage.ref and pattern.search(p.text))


def vague_terms(passage: Passage, reference: list[Passage]) -> list[Flag]:
    """One flag per vague term; lowered one level (and pointed at) when Key terms or an example explain it."""
    text = passage.text
    taken: list[tuple[int, int]] = [m.span() for m in TERMS_OF_ART_RE.finditer(text)]
    flags = []
    for term in VAGUE_TERMS:
        spans = [s for s in _spans(term.phrase, text) if not any(a <= s[0] < b for a, b in taken)]
        if not spans:
            continue
        taken.extend(spans)
        start, end = spans[0]
        trigger = text[start:end]
        severity: Severity = term.severity
        see_also = _explained_elsewhere(term.phrase, passage, reference)
        article = "an" if term.kind[0] in "aeiou" else "a"
        explanation = f"'{trigger}' is {article} {term.kind} with no test a reader can apply"
        if term.kind == "vague quantity" and PURPOSE_RE.search(text[end:]):
            severity = WEAKER[severity]
            explanation = f"'{trigger}' is a vague quantity; the purpose that follows gives only a partial test"
        if len(spans) > 1:
            explanation += f" (used {len(spans)} times here)"
        if see_also:
            severity = WEAKER[severity]
            explanation += f"; the guidance uses it again at {', '.join(see_also[:3])}, which may help"
        flags.append(Flag(
            category="language", rule="vague-term", trigger=trigger, explanation=explanation + ".",
            question=f"What, concretely, counts as '{trigger}' here: can you give a test or an example?",
            severity=severity, see_also=see_also[:5],
        ))
    return flags


def open_lists(passage: Passage) -> list[Flag]:
    flags = []
    for phrase in (*OPEN_LIST_STRONG, *OPEN_LIST_WEAK):
        spans = _spans(phrase, passage.text)
        if spans:
            trigger = passage.text[spans[0][0]:spans[0][1]]
            strong = phrase in OPEN_LIST_STRONG
            flags.append(Flag(
                category="language", rule="open-list", trigger=trigger,
                explanation=f"'{trigger}' leaves the list open, so a reader cannot tell where it stops.",
                question="Is this list complete? If not, what test decides whether something else belongs in it?",
                severity="medium" if strong else "info",
            ))
    return flags


def stacked_hedges(passage: Passage) -> list[Flag]:
    """Three or more hedges within eight words, e.g. 'should not usually need to'."""
    flags = []
    for unit in units_of(passage):
        hits = list(HEDGE_RE.finditer(unit))
        for i in range(len(hits) - 2):
            window = hits[i:i + 3]
            between = unit[window[0].start():window[-1].end()]
            if len(WORD_RE.findall(between)) <= 8:
                flags.append(Flag(
                    category="language", rule="stacked-hedge", trigger=between,
                    explanation=f"'{between}' stacks hedges, so the reader cannot tell how strong the advice is.",
                    question="Is this a requirement, a default with exceptions, or an option? Say which, once.",
                    severity="medium",
                ))
                break
    return flags


def passive_duties(passage: Passage) -> list[Flag]:
    flags = []
    for unit in units_of(passage):
        for match in PASSIVE_DUTY_RE.finditer(unit):
            if " by " in unit[match.end():]:
                continue
            modal = match.group(1).lower()
            strong = modal in ("must", "shall") or "required" in modal
            implied = bool(ACTOR_RE.search(unit[:match.start()]))
            severity: Severity = "low" if implied else ("medium" if strong else "low")
            who = "the actor is only implied" if implied else "no one is named as responsible"
            flags.append(Flag(
                category="language", rule="passive-duty", trigger=match.group(0),
                explanation=f"'{match.group(0)}' is a duty in the passive voice; {who}.",
                question="Who must (or should) do this: the organisation, the practitioner, or someone else?",
                severity=severity,
            ))
    return flags


def long_sentences(passage: Passage, grade: Readability) -> list[Flag]:
    flags = []
    for unit in units_of(passage):
        words = WORD_RE.findall(unit)
        if len(words) > LONG_SENTENCE_WORDS:
            trigger = " ".join(unit.split()[:8])
            flags.append(Flag(
                category="language", rule="long-sentence", trigger=trigger,
                explanation=f"A sentence of {len(words)} words (more than {LONG_SENTENCE_WORDS}) is hard to hold in mind.",
                question="Can this be split into one point per sentence, or a short list?",
                severity="medium" if len(words) > VERY_LONG_SENTENCE_WORDS else "low",
            ))
    if grade.grade >= HARD_GRADE:
        flags.append(Flag(
            category="language", rule="readability", trigger="",
            explanation=f"Flesch-Kincaid grade {grade.grade:.1f}: harder than most of the guidance.",
            question="Can shorter words and sentences say the same thing?", severity="low",
        ))
    return flags


def language_flags(passage: Passage, reference: list[Passage], grade: Readability) -> list[Flag]:
    """All language flags of one passage; `reference` holds the Key terms and worked examples."""
    return [
        *vague_terms(passage, reference), *open_lists(passage), *stacked_hedges(passage),
        *passive_duties(passage), *long_sentences(passage, grade),
    ]
