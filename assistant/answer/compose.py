"""The grounded, extractive answerer.

An answer is made only of sentences copied verbatim from the cited passages, each
followed by its reference. Nothing is paraphrased, so must / should / may stay exactly
as the guidance wrote them. It leads with the one sentence that settles the question,
from the passage that answers the decision asked, then the supporting quotes; a
share-or-not decision gets the three tests of para 13, and a duty to share comes with its
limit and the duty to record (corpus/decisions.yaml). Below a calibrated confidence it
abstains and shows the nearest passages instead, except for a disclosure of harm, which
is always answered with the urgent notice and the passages on acting without delay.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from assistant.answer.decision import DecisionKind, Guide, Quote
from assistant.answer.scope import out_of_scope_probability, scope_features
from assistant.corpus.sentences import operative_modals
from assistant.errors import CorpusError
from assistant.models import MODAL_WORDS, Answer, Citation, Lead, QuotedSentence, WorkedExample
from assistant.search.documents import bm25_tokens
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
URGENT_HEADING = "**Acting on a disclosure or an urgent case:**"
TESTS_HEADING = "**The tests to apply (para 13):**"
LIMITS_HEADING = "**Its limit, and the record:**"
# How far behind the lead another sentence may score and still be quoted in support.
SENTENCE_MARGIN = 0.3
# Passages whose sentences may be quoted, counted from the top of the ranking.
QUOTE_FROM_TOP = 3
# A quoted sentence that lays a duty to share: it brings its limit and the duty to record.
DUTY_TO_SHARE_RE = re.compile(
    r"\bmust (still )?(be )?shar|\bmust share\b|must ensure that the information is disclosed|\bMUST:.*\bShare information",
    re.IGNORECASE | re.DOTALL,
)
# Passages never quoted as the answer: notes and records that only name other documents, and a
# worked example's story (its principle passages are quotable).
UNQUOTABLE_KINDS = ("footnote", "ico")
EXAMPLE_STORY_SUFFIX = "– Scenario"


def sentence_question_match(index: LoadedIndex, vector: np.ndarray) -> np.ndarray:
    """For every sentence unit, its best cosine with the questions it settles; -1 for a unit without any."""
    best = np.full(len(index.units), -1.0, dtype=np.float32)
    if len(index.unit_question_row):
        np.maximum.at(best, index.unit_question_row, index.unit_question_vectors @ vector)
    return best


def word_overlap(sentences: list[str], words: str) -> np.ndarray:
    """Share of the (stemmed, stop-word-free) words that each sentence contains."""
    if not words.strip() or not sentences:
        return np.zeros(len(sentences))
    wanted, *units = bm25_tokens([words, *sentences])
    if not wanted:
        return np.zeros(len(sentences))
    target = set(wanted)
    return np.array([len(target & set(tokens)) / len(target) for tokens in units])


@dataclass(frozen=True)
class Reading:
    """How a question was read: its words, the vector of the part that asks, the decisions asked, urgency."""

    question: str
    asking: np.ndarray
    decisions: tuple[DecisionKind, ...] = ()
    urgent: bool = False
    followup_of: str | None = None
    avoid_lead: str | None = None  # the previous answer's lead: a follow-up must not simply repeat it
    words: str = ""  # the asking part and the guidance's words for the decisions asked


@dataclass(frozen=True)
class RuleQuotes:
    """The units the answering rules quote, found once in the index: the three tests, the limits, what a
    disclosure always gets, and the sentences that settle each decision."""

    tests: tuple[int, ...] = ()
    limits: tuple[int, ...] = ()
    tests_for: frozenset[str] = field(default_factory=frozenset)
    urgent: tuple[int, ...] = ()
    settles: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def locate(cls, guide: Guide, index: LoadedIndex) -> RuleQuotes:
        position = {p.ref: i for i, p in enumerate(index.passages)}

        def row(quote: Quote) -> int:
            p = position[quote.ref]
            for r in range(int(index.unit_bounds[p]), int(index.unit_bounds[p + 1])):
                if index.units[r].text.startswith(quote.starts):
                    return r
            raise CorpusError(
                f"corpus/decisions.yaml: no sentence of {quote.ref} begins {quote.starts!r}; "
                "copy the beginning of the sentence from `assistant passages`."
            )

        def rows(quotes: tuple[Quote, ...]) -> tuple[int, ...]:
            return tuple(row(q) for q in quotes)

        return cls(
            rows(guide.tests), rows(guide.limits), guide.tests_for, rows(guide.urgent),
            {kind.name: rows(kind.settles) for kind in guide.kinds if kind.settles},
        )


def confidence(hits: list[Hit]) -> float:
    """How near the question is to what the guidance answers: its best cosine with a passage's
    practitioner-style questions (or, for a passage without any, with one of its sentences)."""
    return max((h.question for h in hits), default=0.0)


def quotable(index: LoadedIndex, row: int) -> bool:
    """A unit an answer may quote: not a bare lead-in ending in ':', not from a note, record or example story."""
    unit = index.units[row]
    passage = index.passages[unit.passage]
    if passage.kind in UNQUOTABLE_KINDS or passage.ref.endswith(EXAMPLE_STORY_SUFFIX):
        return False
    return not unit.text.rstrip().endswith((":", "–"))


def _settling(reading: Reading, rules: RuleQuotes, weight: float) -> dict[int, float]:
    """Unit row → bonus for the sentences that settle the decisions asked (the first decision most)."""
    bonus: dict[int, float] = {}
    for d, kind in enumerate(reading.decisions[:2]):
        for row in rules.settles.get(kind.name, ()):
            bonus[row] = max(bonus.get(row, 0.0), weight * 0.5**d)
    return bonus


def _choose_rows(
    index: LoadedIndex, hits: list[Hit], query: np.ndarray, reading: Reading, settings: AnswerSettings,
    rules: RuleQuotes,
) -> list[int]:
    """Unit rows to quote: the lead first, then the supporting quotes."""
    ranks: dict[int, int] = {}
    for rank, h in enumerate(hits):
        if len(ranks) == QUOTE_FROM_TOP:
            break
        if any(quotable(index, r) for r in range(int(index.unit_bounds[h.position]), int(index.unit_bounds[h.position + 1]))):
            ranks[h.position] = rank
    if not ranks:
        return []
    bounds = index.unit_bounds
    settling = _settling(reading, rules, settings.settle_weight)
    from_top = [r for p in ranks for r in range(int(bounds[p]), int(bounds[p + 1])) if quotable(index, r)]
    taken = set(from_top)
    rows = np.array(from_top + [r for r in settling if r not in taken])
    vectors = index.unit_vectors[rows]
    # What the sentence says about the decision asked weighs most; the whole case a little; and a
    # sentence using the words of the question's asking part, or the guidance's words for the
    # decision asked, gains.
    match = settings.asking_weight * (vectors @ reading.asking) + (1 - settings.asking_weight) * (vectors @ query)
    # A sentence with questions of its own (corpus/sentence_questions.yaml) is matched through them too.
    asked = sentence_question_match(index, reading.asking)[rows]
    match = settings.sentence_question_weight * np.where(asked > -1, asked, match) + (
        1 - settings.sentence_question_weight
    ) * match
    match = match + settings.word_weight * word_overlap([index.units[int(r)].quoted for r in rows], reading.words)
    # Sentences of the better-ranked passages gain a little, and those that settle the decision asked more.
    order = sorted(ranks.values())
    passage_of = [int(index.unit_passage[r]) for r in rows]
    scores = match + np.array([
        (0.05 * (QUOTE_FROM_TOP - order.index(ranks[p])) if p in ranks else 0.0) + settling.get(int(r), 0.0)
        for r, p in zip(rows, passage_of, strict=True)
    ])
    # The lead comes from the top passage or from the sentences that settle the decision asked.
    first = min(ranks, key=ranks.__getitem__)
    pool = [i for i, r in enumerate(rows) if passage_of[i] == first or int(r) in settling]
    fresh = [i for i in pool if index.units[int(rows[i])].quoted != reading.avoid_lead] or pool
    lead = max(fresh, key=lambda i: (scores[i], -rows[i]))
    chosen = [int(rows[lead])]
    seen = {index.units[int(rows[lead])].quoted}
    # Support: the best remaining sentences, while they score near the lead; a sentence printed twice
    # (the Main points repeat paras 5, 7 and 9) is quoted once.
    for i in sorted(range(len(rows)), key=lambda i: (-scores[i], rows[i])):
        if len(chosen) >= settings.max_sentences or scores[i] < scores[lead] - SENTENCE_MARGIN:
            break
        if index.units[int(rows[i])].quoted not in seen:
            seen.add(index.units[int(rows[i])].quoted)
            chosen.append(int(rows[i]))
    return chosen


def similar_example(index: LoadedIndex, hits: list[Hit]) -> WorkedExample | None:
    """The first worked example among the hits, offered as a similar case, linked at its first part."""
    example = next((h.passage for h in hits if h.passage.kind == "example"), None)
    if example is None:
        return None
    prefix = example.ref.rsplit(" – ", 1)[0]
    first = next((p.ref for p in index.passages if p.ref.startswith(f"{prefix} – ")), example.ref)
    return WorkedExample(ref=first, title=prefix.removeprefix("Example: "))


def _modals(sentences: list[str]) -> list[str]:
    """The operative modals of the quoted sentences, each once, in order."""
    found = dict.fromkeys(m for sentence in sentences for m in operative_modals(sentence) if m.split()[0] in MODAL_WORDS)
    return list(found)


def _rule_rows(
    chosen: list[int], reading: Reading, rules: RuleQuotes, index: LoadedIndex
) -> tuple[list[int], list[int], list[int]]:
    """Not already quoted: what a disclosure always gets, the three tests for a share-or-not decision,
    and the limits beside a quoted duty to share."""
    urgent = list(rules.urgent) if reading.urgent else []
    tests = list(rules.tests) if reading.decisions and reading.decisions[0].name in rules.tests_for else []
    duty = any(DUTY_TO_SHARE_RE.search(index.units[r].quoted) for r in chosen + urgent)
    limits = list(rules.limits) if duty else []
    taken = set(chosen)
    urgent = [r for r in urgent if r not in taken]
    taken |= set(urgent)
    tests = [r for r in tests if r not in taken]
    taken |= set(tests)
    return urgent, tests, [r for r in limits if r not in taken]


def compose(
    reading: Reading,
    hits: list[Hit],
    query: np.ndarray,
    index: LoadedIndex,
    settings: AnswerSettings,
    top_k: int,
    corpus_version: str,
    rules: RuleQuotes | None = None,
) -> Answer:
    """Build the Answer for a question from its ranked hits."""
    rules = rules or RuleQuotes()
    sure = confidence(hits)
    # Out of scope: far from everything the guidance answers, or so judged by the scope classifier.
    # A disclosure of harm is always answered: the least it gets is the notice and the passages on
    # acting without delay.
    features = scope_features(index, query, reading.asking, bool(reading.decisions))
    outside = features[0] + features[2]  # (outside − inside) + inside: the best out-of-scope cosine
    out_of_scope = not hits or sure < settings.abstain_below or (
        out_of_scope_probability(features, settings) >= settings.scope_threshold
    )
    abstained = out_of_scope and not (reading.urgent and hits)
    chosen = [] if abstained else _choose_rows(index, hits, query, reading, settings, rules)
    urgent, tests, limits = _rule_rows(chosen, reading, rules, index) if chosen else ([], [], [])
    shown = list(hits[:top_k])
    shown_positions = [h.position for h in shown]
    hit_of = {h.position: h for h in hits}
    # A quoted passage not among the top hits (a rule's, or one below a run of unquotable ones) is
    # cited after them, still most relevant first.
    extra = {int(index.unit_passage[row]) for row in chosen + urgent + tests + limits} - set(shown_positions)
    shown_positions += sorted(extra, key=lambda p: (-(hit_of[p].score if p in hit_of else 0.0), p))
    rank_of = {p: rank for rank, p in enumerate(shown_positions)}
    quotes: dict[int, list[str]] = {}
    for row in chosen + urgent + tests + limits:
        quotes.setdefault(rank_of[int(index.unit_passage[row])], []).append(index.units[row].quoted)
    citations = []
    for rank, position in enumerate(shown_positions):
        p = index.passages[position]
        score = hit_of[position].score if position in hit_of else 0.0
        citations.append(Citation(
            doc=p.doc, ref=p.ref, label=p.label, text=p.text, score=round(score, 4), heading=p.heading,
            sentences=quotes.get(rank, []), modals=_modals(quotes.get(rank, [])),
        ))

    def line(row: int) -> str:
        return f"> {index.units[row].quoted} ({index.passages[int(index.unit_passage[row])].ref})\n"

    lines: list[str] = []
    if reading.urgent:
        lines += [f"> {URGENT_NOTICE}", ""]
    if abstained:
        lines += [ABSTAIN_TEXT, ""]
    else:
        lines += [line(row) for row in chosen]
        if urgent:
            lines += [URGENT_HEADING, ""] + [line(row) for row in urgent]
        if tests:
            lines += [TESTS_HEADING, ""] + [line(row) for row in tests]
        if limits:
            lines += [LIMITS_HEADING, ""] + [line(row) for row in limits]
    example = None if abstained else similar_example(index, shown)
    if example:
        lines += [f"_A similar worked example: {example.title} ({example.ref})_", ""]
    heading = "**Nearest passages:**" if abstained else "**Sources:**"
    lines += [heading] + [f"- {c.ref}: {c.label} — {c.heading}" for c in citations if abstained or c.sentences]
    lines += ["", f"_{NOTICE}_", f"_Corpus: {corpus_version}_"]
    def quoted(row: int, part: str) -> QuotedSentence:
        return QuotedSentence(ref=index.passages[int(index.unit_passage[row])].ref, sentence=index.units[row].quoted, part=part)

    parts = [quoted(row, "lead" if n == 0 else "support") for n, row in enumerate(chosen)]
    parts += [quoted(row, "urgent") for row in urgent] + [quoted(row, "test") for row in tests]
    parts += [quoted(row, "limit") for row in limits]
    lead = Lead(ref=parts[0].ref, sentence=parts[0].sentence) if parts else None
    return Answer(
        question=reading.question, answer="\n".join(lines), abstained=abstained, urgent=reading.urgent,
        citations=citations, corpus_version=corpus_version, notice=NOTICE, confidence=round(sure, 4),
        out_of_scope_similarity=round(outside, 4), quotes=parts, lead=lead, followup_of=reading.followup_of,
        similar_example=example,
    )
