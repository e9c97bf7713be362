"""The grounded, extractive answerer.

An answer is made only of sentences copied verbatim from the cited passages, each
followed by its reference. Nothing is paraphrased, so must / should / may stay exactly
as the guidance wrote them. Below a calibrated confidence it abstains and shows the
nearest passages instead.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.corpus.sentences import Unit, modal_verbs
from assistant.models import MODAL_WORDS, Answer, Citation
from assistant.search.index import LoadedIndex
from assistant.search.retrieve import Hit
from assistant.settings import AnswerSettings

NOTICE = (
    "This is draft statutory guidance, published for consultation in June 2026, and this "
    "assistant does not give legal advice. When unsure, ask your manager, your safeguarding "
    "lead, your data protection officer (DPO) or, in health and social care, your Caldicott Guardian."
)
URGENT_NOTICE = (
    "**If a child is in immediate danger, call the police on 999 now.** If you are worried that a "
    "child is at risk of harm, contact your local authority children's social care straight away; "
    "do not wait for an answer here."
)
ABSTAIN_TEXT = (
    "The guidance does not appear to answer this question, so no answer is given. "
    "The nearest passages are listed below in case one of them helps."
)
# Phrases that describe a present danger to someone. Deliberately broad: a false alarm
# costs one extra line, a miss could cost far more.
URGENT_RE = re.compile(
    r"\b(immediate(ly)? (danger|risk)|in danger|at risk (right )?now|right now|tonight|this (evening|afternoon)"
    r"|being (hurt|hit|abused|beaten|attacked)|(going|threaten\w*|plan\w*) to (kill|hurt|harm|attack)"
    r"|suicid\w*|kill (him|her|them)sel\w*|self[- ]harm\w*|overdos\w*|bleeding|unconscious|weapon|knife"
    r"|gun|missing (now|since|tonight|today)|ran away (today|tonight)|won'?t go home|scared to go home"
    r"|afraid to go home|locked (in|out)|abducted|kidnap\w*)\b",
    re.IGNORECASE,
)
# How far behind the best quoted sentence another may score and still be quoted.
SENTENCE_MARGIN = 0.12
# Passages whose sentences may be quoted, counted from the top of the ranking.
QUOTE_FROM_TOP = 3


def is_urgent(question: str) -> bool:
    return bool(URGENT_RE.search(question))


def confidence(hits: list[Hit]) -> float:
    """How near the question is to what the guidance answers: its best cosine with a passage's
    practitioner-style questions (or, for a passage without any, with one of its sentences)."""
    return max((h.question for h in hits), default=0.0)


def out_of_scope_similarity(index: LoadedIndex, query: np.ndarray) -> float:
    """The question's best cosine with the questions the guidance does not answer; -1 when there are none."""
    return float((index.out_of_scope_vectors @ query).max()) if len(index.out_of_scope_vectors) else -1.0


def _choose_units(
    index: LoadedIndex, hits: list[Hit], query: np.ndarray, settings: AnswerSettings
) -> list[tuple[Unit, int, float]]:
    """Best sentences from the top passages: (unit, position in citations, score)."""
    quotable = {h.position: rank for rank, h in enumerate(hits[:QUOTE_FROM_TOP])}
    bounds = index.unit_bounds
    rows = np.concatenate([np.arange(bounds[p], bounds[p + 1]) for p in sorted(quotable)])
    # Sentence match plus a small bonus for passages retrieval ranked higher.
    bonus = np.array([0.05 * (QUOTE_FROM_TOP - quotable[int(index.unit_passage[r])]) for r in rows])
    scores = index.unit_vectors[rows] @ query + bonus
    scored = sorted(
        ((float(score), int(row), index.units[row]) for score, row in zip(scores, rows, strict=True)),
        key=lambda item: (-item[0], item[1]),
    )
    chosen: list[tuple[Unit, int, float]] = []
    seen: set[str] = set()
    for score, _, unit in scored:
        if len(chosen) >= settings.max_sentences or (chosen and score < chosen[0][2] - SENTENCE_MARGIN):
            break
        if unit.quoted in seen:
            continue
        seen.add(unit.quoted)
        chosen.append((unit, quotable[unit.passage], score))
    return chosen


def _modals(text: str) -> list[str]:
    return [m for m in modal_verbs(text) if m.split()[0] in MODAL_WORDS]


def compose(
    question: str,
    hits: list[Hit],
    query: np.ndarray,
    index: LoadedIndex,
    settings: AnswerSettings,
    top_k: int,
    corpus_version: str,
) -> Answer:
    """Build the Answer for a question from its ranked hits."""
    urgent = is_urgent(question)
    sure = confidence(hits)
    outside = out_of_scope_similarity(index, query)
    # Nearest neighbour decides: a question closer to one the guidance does not answer than to
    # any it does is out of scope, and so is one far from everything.
    abstained = not hits or sure < settings.abstain_below or outside >= sure + settings.scope_margin
    shown = hits[:top_k]
    chosen = [] if abstained else _choose_units(index, hits, query, settings)
    quotes: dict[int, list[str]] = {}
    for unit, rank, _ in chosen:
        quotes.setdefault(rank, []).append(unit.quoted)
    citations = [
        Citation(
            doc=h.passage.doc, ref=h.passage.ref, label=h.passage.label, text=h.passage.text,
            score=round(h.score, 4), heading=h.passage.heading, sentences=quotes.get(rank, []),
            modals=_modals(" ".join(quotes.get(rank, []))),
        )
        for rank, h in enumerate(shown)
    ]
    lines: list[str] = []
    if urgent:
        lines += [f"> {URGENT_NOTICE}", ""]
    if abstained:
        lines += [ABSTAIN_TEXT, ""]
    else:
        lines += [f"> {unit.quoted} ({shown[rank].passage.ref})\n" for unit, rank, _ in chosen]
    heading = "**Nearest passages:**" if abstained else "**Sources:**"
    lines += [heading] + [f"- {c.ref}: {c.label} — {c.heading}" for c in citations if abstained or c.sentences]
    lines += ["", f"_{NOTICE}_", f"_Corpus: {corpus_version}_"]
    return Answer(
        question=question, answer="\n".join(lines), abstained=abstained, urgent=urgent, citations=citations,
        corpus_version=corpus_version, notice=NOTICE, confidence=round(sure, 4),
        out_of_scope_similarity=round(outside, 4),
    )
