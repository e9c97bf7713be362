"""Clarity report for policy teams: which passages practitioners will struggle with, and why.

`analyse(passages)` runs the language, structure and consistency rules over the guidance,
adds consultation feedback and evaluation-run usage when given, scores each passage and
ranks the most unclear first. Deterministic and offline: no model, no network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.clarity import consistency, structure
from assistant.clarity.feedback import check_mapping, feedback_flags, load_feedback
from assistant.clarity.language import language_flags, readability
from assistant.clarity.models import (
    SEVERITY_WEIGHT,
    TEXT_CATEGORIES,
    ClarityReport,
    Entry,
    Flag,
)
from assistant.clarity.usage import usage_flags
from assistant.corpus.loader import load_passages
from assistant.corpus.manifest import corpus_hash, corpus_version
from assistant.models import Passage

if TYPE_CHECKING:
    from assistant.api import Assistant

ANALYSED_KINDS = ("section", "key term", "paragraph", "box", "example")
RULE_CAP = 3  # one rule adds at most this much to a category, so many 'relevant's do not drown the rest
UNCLEAR_THRESHOLD = 3.0  # one high flag, or a medium and a low, in one category


def analysed(passages: Sequence[Passage]) -> list[Passage]:
    """The guidance passages a reader acts on (not footnotes, ICO records or the statute)."""
    return [p for p in passages if p.kind in ANALYSED_KINDS]


def text_flags(passages: Sequence[Passage]) -> dict[str, list[Flag]]:
    """Language, structure and consistency flags of every analysed passage, by ref."""
    passages = list(passages)
    targets = analysed(passages)
    reference = [p for p in targets if p.kind in ("key term", "example")]
    outline = structure.Outline.of(passages)
    acronyms = structure.defined_acronyms(targets)
    naming = structure.naming_counts(targets)
    statute = next((p for p in passages if p.ref == "s16LA(2)"), None)
    conflicts = consistency.duty_level_conflicts(targets)
    cited_before: dict[str, str] = {}
    flags: dict[str, list[Flag]] = {}
    for p in sorted(targets, key=lambda p: p.order):
        flags[p.ref] = [
            *language_flags(p, reference, readability(p)),
            *structure.broken_text(p),
            *structure.footnote_markers(p, outline, cited_before),
            *structure.page_references(p, outline, targets),
            *structure.cross_references(p, outline),
            *structure.undefined_terms(p, acronyms),
            *structure.naming_variants(p, naming),
            *conflicts.get(p.ref, []),
            *consistency.statute_paraphrase(p, statute),
            *consistency.unsourced_must(p),
        ]
    return flags


def category_scores(flags: Sequence[Flag]) -> dict[str, float]:
    per_rule: dict[tuple[str, str], int] = {}
    for flag in flags:
        key = (flag.category, flag.rule)
        per_rule[key] = min(RULE_CAP, per_rule.get(key, 0) + flag.weight)
    scores: dict[str, float] = {}
    for (category, _), value in per_rule.items():
        scores[category] = scores.get(category, 0) + value
    return scores


def make_entry(passage: Passage, flags: list[Flag], threshold: float) -> Entry:
    scores = category_scores(flags)
    severity = max(flags, key=lambda f: f.weight).severity if flags else "info"
    return Entry(
        doc=passage.doc, ref=passage.ref, label=passage.label, kind=passage.kind, chapter=passage.chapter or "front",
        heading=passage.heading, text=passage.text, readability=readability(passage),
        flags=sorted(flags, key=lambda f: (-f.weight, f.category, f.rule)), score=float(sum(scores.values())),
        severity=severity, category_scores=scores,
        unclear=any(scores.get(c, 0) >= threshold for c in TEXT_CATEGORIES),
    )


def rank(entries: list[Entry]) -> list[Entry]:
    """Most unclear first: score, then the worst flag, then document order."""
    order = {e.ref: i for i, e in enumerate(entries)}
    ranked = sorted(entries, key=lambda e: (-e.score, -SEVERITY_WEIGHT[e.severity], order[e.ref]))
    return [e.model_copy(update={"rank": i}) for i, e in enumerate(ranked, 1)]


def analyse(
    passages: Sequence[Passage],
    version: str = "",
    extra: Mapping[str, list[Flag]] | None = None,
    threshold: float = UNCLEAR_THRESHOLD,
    feedback_sources: Sequence[str] = (),
    usage_file: str = "",
) -> ClarityReport:
    """Flag, score and rank the guidance passages. `extra` adds evidence flags (feedback, usage) by ref."""
    flags = text_flags(passages)
    for ref, more in (extra or {}).items():
        if ref in flags:
            flags[ref] = [*flags[ref], *more]
    by_ref = {p.ref: p for p in analysed(passages)}
    # The same words flagged twice for the same reason count once.
    entries = [make_entry(by_ref[ref], list(dict.fromkeys(fl)), threshold) for ref, fl in flags.items()]
    return ClarityReport(
        corpus_version=version, threshold=threshold, entries=rank(entries),
        feedback_sources=list(feedback_sources), usage_file=usage_file,
    )


def merge(*flag_maps: Mapping[str, list[Flag]]) -> dict[str, list[Flag]]:
    merged: dict[str, list[Flag]] = {}
    for flag_map in flag_maps:
        for ref, flags in flag_map.items():
            merged.setdefault(ref, []).extend(flags)
    return merged


def build_report(
    corpus_dir: Path,
    assistant: Assistant | None = None,
    usage: Path | None = None,
    threshold: float = UNCLEAR_THRESHOLD,
) -> ClarityReport:
    """The report for a corpus folder: text rules, consultation feedback and (with `usage`) an eval run.

    Without an assistant it reads the files only and uses the reviewed feedback mapping: fast,
    deterministic, offline. With one, retrieval adds unreviewed feedback candidates.
    """
    passages = assistant.passages if assistant is not None else load_passages(corpus_dir)
    feedback = load_feedback(corpus_dir)
    check_mapping(feedback, passages, str(corpus_dir / "feedback_mapping.yaml"))
    extra = merge(feedback_flags(feedback, passages, assistant), usage_flags(usage, passages) if usage else {})
    version = assistant.corpus_version if assistant is not None else corpus_version(corpus_dir, corpus_hash(corpus_dir))
    return analyse(passages, version, extra, threshold, feedback.sources, usage.name if usage else "")


def version_analyser(corpus_dir: Path, threshold: float = UNCLEAR_THRESHOLD) -> Callable[[list[Passage]], ClarityReport]:
    """How another version of the guidance is analysed for the diff: the same rules and the reviewed
    feedback mapping (a mapping whose words are gone from a redrafted passage no longer applies)."""
    feedback = load_feedback(corpus_dir)

    def run(passages: list[Passage]) -> ClarityReport:
        return analyse(passages, "", feedback_flags(feedback, passages), threshold, feedback.sources)

    return run
