"""Structure signals: broken sentences, footnote markers, page references, cross-references to
sections that do not exist, special terms not in Key terms, and one thing named several ways."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.clarity.models import Flag
from assistant.models import Passage

PAGE_RE = re.compile(r"\bpages? \d+(?:\s*[-–]\s*\d+)?(?:\s*'[^']+')?", re.IGNORECASE)
CHAPTER_RE = re.compile(r"\bChapter (\d+)(?::\s*[‘'“]([^’'”]+)[’'”])?(?! of\b)")
ANNEX_RE = re.compile(r"\b[Aa]nnex [A-Z]\b")
QUOTED_SECTION_RE = re.compile(r"\b(?:set out under|see|refer to|under the heading)\s+[‘']([^’']+)[’']")
VAGUE_XREF_RE = re.compile(r"\b(as set out (?:earlier|above|below)|as above|the below|as set out below)\b", re.IGNORECASE)
SENTENCE_CUT_RE = re.compile(r"(?<![A-Za-z]\.)\b[a-z]{3,}\. [a-z]{3,}\b")  # not after abbreviations like e.g.
SLASH_GAP_RE = re.compile(r"\S+/ \S+")
STRAY_HYPHEN_RE = re.compile(r"\b[a-z]+- (?=[a-z])")
ACRONYM_RE = re.compile(r"\b([A-Z][A-Za-z]*[A-Z][A-Za-z]*s?)\b")
SECTION_NUMBER_RE = re.compile(r"\b(?:section|s)\s?(\d+[A-Z]*)", re.IGNORECASE)
TERMINAL = (".", ":", ";", "?", "!", ")", "”", "’")
# Words that cannot end an English sentence (articles, prepositions, conjunctions) and transitive
# verbs that need an object: a passage ending on one of them has lost its end.
DANGLING = {
    "the", "a", "an", "of", "to", "and", "or", "for", "with", "by", "in", "on", "at", "from", "that", "which",
    "protect", "ensure", "support", "provide", "improve", "identify", "enable", "make", "help", "share", "include",
}
# Acronyms that are ordinary English or names everyone knows.
COMMON_ACRONYMS = {"UK", "NHS", "GP", "GPs", "EU", "LA", "LAs", "MUST", "SHOULD", "DRAFT", "FOR", "CONSULTATION"}


@dataclass(frozen=True)
class NamingGroup:
    """Several words the guidance uses for one thing."""

    thing: str
    variants: tuple[str, ...]


NAMING_GROUPS = (
    # Plurals only: 'professional' alone is usually an adjective ('professional judgement').
    NamingGroup("the people who share information", ("practitioners", "professionals", "workers", "staff")),
    NamingGroup("the written agreement between partners", (
        "data sharing agreement", "information sharing agreement", "information sharing protocol", "protocol")),
    NamingGroup("children's social care", ("children's social care", "children's services")),
    NamingGroup("the person asking for information", ("requestor", "requester")),
)


@dataclass(frozen=True)
class Outline:
    """What the guidance contains, for checking references against it."""

    chapters: dict[str, list[str]]  # chapter number → its section headings
    section_titles: set[str]
    footnotes: dict[str, Passage]
    key_terms: set[str]
    page_numbers: bool = False  # the parsed text keeps no page numbering

    @classmethod
    def of(cls, passages: list[Passage]) -> Outline:
        chapters: dict[str, list[str]] = {}
        titles: set[str] = set()
        for p in passages:
            parts = [part.strip() for part in p.heading.split("›")]
            titles.update(part.lower() for part in parts)
            if p.chapter:
                chapters.setdefault(p.chapter, [])
                chapters[p.chapter].extend(part for part in parts[1:] if part not in chapters[p.chapter])
        return cls(
            chapters=chapters, section_titles=titles,
            footnotes={p.ref: p for p in passages if p.kind == "footnote"},
            key_terms={p.ref.removeprefix("Key terms: ").lower() for p in passages if p.kind == "key term"},
        )


def _flag(rule: str, trigger: str, explanation: str, question: str, severity: str, see_also: tuple[str, ...] = ()) -> Flag:
    return Flag(category="structure", rule=rule, trigger=trigger, explanation=explanation, question=question,
                severity=severity, see_also=see_also)  # type: ignore[arg-type]


def broken_text(passage: Passage) -> list[Flag]:
    flags = []
    for line in passage.text.split("\n"):
        for match in SENTENCE_CUT_RE.finditer(line):
            start = max(0, line.rfind(" ", 0, max(0, match.start() - 12)) + 1)
            trigger = line[start:match.end()]
            flags.append(_flag("garbled-sentence", trigger,
                               f"'{trigger}': a full stop followed by a lower-case word; the sentence is cut "
                               "or its words are out of order.",
                               "What should this sentence say, in order?", "high"))
        for match in SLASH_GAP_RE.finditer(line):
            flags.append(_flag("garbled-sentence", match.group(0),
                               "A dangling '/' with a gap after it: part of the list of words is missing or moved.",
                               "Which words belong either side of the '/'?", "medium"))
    last = passage.text.rstrip().split()[-1] if passage.text.strip() else ""
    if last and not last.endswith(TERMINAL):
        word = re.sub(r"\W", "", last).lower()
        tail = " ".join(passage.text.rstrip().split()[-4:])
        if word in DANGLING:
            flags.append(_flag("cut-sentence", tail, f"The text ends mid-sentence ('{tail}').",
                               "How does this sentence end?", "high"))
        else:
            flags.append(_flag("missing-full-stop", tail, "The last sentence has no full stop; check nothing is missing.",
                               "Is this the whole sentence?", "low"))
    hyphens = [m.group(0) for m in STRAY_HYPHEN_RE.finditer(passage.text)]
    if hyphens:
        flags.append(_flag("stray-hyphen", hyphens[0].strip(),
                           f"{len(hyphens)} stray hyphen(s) left from line breaks (e.g. '{hyphens[0].strip()}').",
                           "Should these be joined words (e.g. 'location-specific')?", "info"))
    return flags


def _sections(text: str) -> set[str]:
    return {m.group(1).upper() for m in SECTION_NUMBER_RE.finditer(text)}


def footnote_markers(passage: Passage, outline: Outline, cited_before: dict[str, str]) -> list[Flag]:
    """Markers to missing footnotes, markers that repeat a number used earlier, notes citing another provision.

    `cited_before` maps footnote refs to the first passage citing them, in document order; updated in place.
    """
    flags = []
    highest = max((int(r.split()[1]) for r in cited_before), default=0)
    inline = [f"footnote {n}" for n in re.findall(r"\bfootnote (\d+)", passage.text)]
    for ref in dict.fromkeys([*passage.footnotes, *inline]):
        number = int(ref.split()[1])
        note = outline.footnotes.get(ref)
        if note is None:
            flags.append(_flag("missing-footnote", f"footnote {number}" if ref in inline else "",
                               f"The passage cites footnote {number}, which does not exist.",
                               f"What should footnote {number} say?", "high"))
            continue
        first = cited_before.get(ref)
        if first and first != passage.ref and number < highest:
            flags.append(_flag("wrong-footnote", "",
                               f"Marker {number} repeats a footnote already used at '{first}' (notes had reached "
                               f"{highest}); footnote {number} says: '{note.text[:80]}…'.",
                               "Which source supports this sentence? Give it its own footnote.", "high", (ref, first)))
            continue
        cited_before.setdefault(ref, passage.ref)
        mine, theirs = _sections(passage.text), _sections(note.text)
        if mine and theirs and not mine & theirs:
            flags.append(_flag("footnote-mismatch", "",
                               f"The passage cites section(s) {', '.join(sorted(mine))} but footnote {number} cites "
                               f"section(s) {', '.join(sorted(theirs))}.",
                               "Which provision is the source: should the text or the footnote change?", "medium", (ref,)))
    return flags


def page_references(passage: Passage, outline: Outline, passages: list[Passage]) -> list[Flag]:
    if outline.page_numbers:
        return []
    flags = []
    for match in PAGE_RE.finditer(passage.text):
        title = re.search(r"'([^']+)'", match.group(0))
        paras = [p.ref for p in passages if title and p.kind == "paragraph" and title.group(1) in p.heading]
        hint = f" The section '{title.group(1)}' is {paras[0]}–{paras[-1].removeprefix('para ')}." if paras else ""
        flags.append(_flag("page-reference", match.group(0),
                           f"'{match.group(0)}' points to pages, which the online and text versions do not have.{hint}",
                           "Which paragraph numbers should this point to?", "high", tuple(paras[:1] + paras[-1:])))
    return flags


def cross_references(passage: Passage, outline: Outline) -> list[Flag]:
    flags = []
    for match in CHAPTER_RE.finditer(passage.text):
        number, title = match.group(1), match.group(2)
        if number not in outline.chapters:
            flags.append(_flag("missing-section", match.group(0), f"'{match.group(0)}' does not exist in this guidance.",
                               "Which chapter is meant?", "high"))
        elif title and not any(h.lower().startswith(title.lower()) for h in outline.chapters[number]):
            flags.append(_flag("missing-section", match.group(0),
                               f"Chapter {number} has no section called '{title}'.", "Which section is meant?", "high"))
    for match in ANNEX_RE.finditer(passage.text):
        if match.group(0).lower() not in outline.section_titles:
            flags.append(_flag("missing-section", match.group(0),
                               f"'{match.group(0)}' is referred to, but the guidance has no annexes.",
                               "Where is this annex published, and can the reference say so?", "high"))
    for match in QUOTED_SECTION_RE.finditer(passage.text):
        title = match.group(1).lower()
        if not any(t.startswith(title) for t in outline.section_titles):
            flags.append(_flag("missing-section", match.group(0),
                               f"There is no section called '{match.group(1)}'.",
                               "Which section is meant? Use its heading as printed.", "high"))
    for match in VAGUE_XREF_RE.finditer(passage.text):
        flags.append(_flag("vague-reference", match.group(0),
                           f"'{match.group(0)}' does not say which paragraph it means.",
                           "Which paragraph number is this referring to?", "low"))
    return flags


def defined_acronyms(passages: list[Passage]) -> set[str]:
    """Acronyms spelled out somewhere, as 'Words (ACR)' or 'ACR (Words)'."""
    defined: set[str] = set()
    for p in passages:
        defined.update(re.findall(r"\(([A-Z][A-Za-z]*[A-Z]s?)\)", p.text))
        defined.update(re.findall(r"\b([A-Z][A-Za-z]*[A-Z]s?) \([A-Z][a-z]", p.text))
    return defined


def undefined_terms(passage: Passage, defined: set[str]) -> list[Flag]:
    flags = []
    for acronym in dict.fromkeys(ACRONYM_RE.findall(passage.text)):
        base = acronym.removesuffix("s")
        if acronym in COMMON_ACRONYMS or base in COMMON_ACRONYMS or acronym in defined or base in defined:
            continue
        flags.append(_flag("undefined-term", acronym, f"'{acronym}' is used without being spelled out or put in Key terms.",
                           f"What does '{acronym}' stand for, and should it be in Key terms?", "low"))
    return flags


def naming_counts(passages: list[Passage]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for group in NAMING_GROUPS:
        counter: Counter[str] = Counter()
        for p in passages:
            for variant in group.variants:
                counter[variant] += len(_variant_re(variant).findall(p.text))
        counts[group.thing] = counter
    return counts


def _variant_re(variant: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(variant).replace("'", "['’]") + r"s?\b", re.IGNORECASE)


def naming_variants(passage: Passage, counts: dict[str, Counter[str]]) -> list[Flag]:
    """A minority name for something the guidance mostly calls by another name."""
    flags = []
    for group in NAMING_GROUPS:
        counter = counts[group.thing]
        main, main_count = counter.most_common(1)[0] if counter else ("", 0)
        for variant in group.variants:
            if variant == main or not counter[variant]:
                continue
            match = _variant_re(variant).search(passage.text)
            if match and not _variant_re(main).search(passage.text[max(0, match.start() - 40):match.end() + 40]):
                flags.append(_flag("naming-variant", match.group(0),
                                   f"'{match.group(0)}' names {group.thing}, which the guidance mostly calls "
                                   f"'{main}' ({main_count} times against {counter[variant]}).",
                                   f"Is '{match.group(0)}' the same as '{main}'? If so, use one name throughout.", "low"))
    return flags
