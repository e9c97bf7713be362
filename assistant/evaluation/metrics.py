"""Evaluation metrics: one item's scores from its answer, and figures over many items.

Everything here is deterministic: no model, no network, and bootstrap intervals drawn
from a fixed seed. evals/SCHEMA.md defines each metric in words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.compose import URGENT_NOTICE
from assistant.corpus.sentences import modal_verbs, passage_units
from assistant.models import MODAL_WORDS, Answer, Passage

HIT_KS = (1, 3, 5)
RANK_DEPTH = 10  # nDCG@10 and the recall@k curve look this deep
BOOTSTRAP_SEED = 20260601
BOOTSTRAP_SAMPLES = 1000
FAILURE_CLASSES = ("retrieval miss", "citation miss", "abstention miss", "content miss")

# Cues for the decision an extractive answer supports, checked in this order. The first
# cue found decides: the detriment exception means some details are withheld; otherwise
# words about limiting what is shared mean sharing with mitigation; otherwise a duty or
# permission to share means sharing.
DECISION_CUES: tuple[tuple[str, str], ...] = (
    ("withhold_specific_details", r"more detrimental|greater detriment|immediate risk of harm"),
    ("share_with_mitigation", r"mitigat|strictly limited|limiting the information|only what is necessary"
                              r"|necessary and proportionate|need-to-know|measured way"),
    ("share", r"must be shared|must share|can be shared|should be shared|requirement to share|must:|duty to share"
              r"|shared without consent"),
)


class ItemResult(BaseModel):
    """One item's outcome. Its fields are the per-item records of results.json (SCHEMA.md)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    set: str = ""
    kind: str
    chapter: str | None
    question: str = ""
    history: str | None = None
    role: str | None = None
    split: str | None = Field(default=None, description="dev or test, for a set with a split rule; else None.")
    expected_refs: list[str]
    excluded_refs: list[str] = Field(default_factory=list, description="Left out of retrieval (worked-example leakage).")
    cited_refs: list[str] = Field(description="The answer's citations, most relevant first.")
    citation_scores: list[float] = Field(default_factory=list, description="Retrieval score of each cited ref.")
    quoted_refs: list[str] = Field(default_factory=list, description="Cited refs the answer quotes from.")
    ranked_refs: list[str] = Field(default_factory=list, description="Retrieval ranking, 10 deep.")
    abstained: bool
    rejected: bool = False
    rejection: str = ""
    urgent: bool = False
    confidence: float | None = None
    first_hit_rank: int | None = Field(description="1-based rank of the first expected ref among citations.")
    ndcg_at_10: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    invalid_refs: list[str] = Field(default_factory=list, description="Cited refs that are not in the corpus.")
    sentences: int = 0
    grounded_sentences: int = 0
    modal_sentences: int = 0
    modal_faithful: int = 0
    key_points: list[str] = Field(default_factory=list)
    key_points_found: list[str] = Field(default_factory=list)
    key: list[str] = Field(default_factory=list, description="Verbatim fragments of the sentence(s) that settle the item.")
    key_quoted: bool | None = Field(default=None, description="The answer quotes one of the key fragments (None: no key).")
    forbidden: list[str] = Field(default_factory=list)
    forbidden_hits: list[str] = Field(default_factory=list)
    decision_expected: str | None = None
    decision_found: str | None = None
    urgent_expected: bool | None = None
    passed: bool = False
    failure_class: str | None = None
    baseline_hit_rank: dict[str, int | None] = Field(
        default_factory=dict, description="First expected ref's rank in each baseline retriever's top 10."
    )
    answer: str = ""


@dataclass(frozen=True)
class Quote:
    """One sentence of an answer: the quoted words and the ref it is attributed to (None: no cited ref)."""

    text: str
    ref: str | None


def first_hit_rank(expected: Sequence[str], cited: Sequence[str]) -> int | None:
    return next((rank for rank, ref in enumerate(cited, 1) if ref in expected), None)


def ndcg(expected: Sequence[str], ranked: Sequence[str], k: int = RANK_DEPTH) -> float:
    """Binary-relevance nDCG@k: every gold ref counts as relevant."""
    gold = set(expected)
    gain = sum(1 / math.log2(rank + 1) for rank, ref in enumerate(ranked[:k], 1) if ref in gold)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return gain / ideal if ideal else 0.0


def recall_at(expected: Sequence[str], ranked: Sequence[str], k: int) -> float:
    gold = set(expected)
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def flat(text: str) -> str:
    """Text with list markers and line breaks folded away, for verbatim comparison."""
    return " ".join(re.sub(r"(?m)^\s*- ", "", text).split())


def answer_quotes(answer: Answer) -> list[Quote]:
    """The quoted sentences of an answer: its '> … (ref)' lines, the urgent notice aside."""
    refs = sorted({c.ref for c in answer.citations}, key=len, reverse=True)
    quotes = []
    for line in answer.answer.splitlines():
        if not line.startswith("> ") or line == f"> {URGENT_NOTICE}":
            continue
        body = line[2:].strip()
        ref = next((r for r in refs if body.endswith(f" ({r})")), None)
        quotes.append(Quote(body[: -len(ref) - 3] if ref else body, ref))
    return quotes


def is_grounded(quote: str, passage_text: str) -> bool:
    """Every piece of the quote (pieces are joined by ' … ') appears verbatim in the passage."""
    source = flat(passage_text)
    return all(flat(piece) in source for piece in quote.split(" … ") if piece.strip())


def modal_profile(text: str) -> frozenset[str]:
    """must / should / may (with 'not' when negated) in the text, lower case."""
    return frozenset(m for m in modal_verbs(text) if m.split()[0] in MODAL_WORDS)


def source_unit(quote: str, passage: Passage) -> str:
    """The passage's sentence or list item (with its stem) that the quote most overlaps."""
    words = set(re.findall(r"[a-z0-9]+", quote.lower()))
    units = passage_units(0, passage) or []
    if not units:
        return passage.text
    best = max(units, key=lambda u: (len(words & set(re.findall(r"[a-z0-9]+", u.quoted.lower()))), -len(u.quoted)))
    return best.quoted


def plain_words(text: str) -> str:
    """Lower case, typographic quotes and dashes made plain, list markers and spacing folded: for fragment matching."""
    table = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
    return flat(text).translate(table).lower()


def key_quoted(key: Sequence[str], quotes: Sequence[Quote]) -> bool | None:
    """Whether one quoted sentence contains one of the key fragments; None when the item has no key."""
    if not key:
        return None
    said = [plain_words(q.text) for q in quotes]
    return any(plain_words(fragment) in sentence for fragment in key for sentence in said)


def pattern_hits(patterns: Iterable[str], text: str) -> list[str]:
    return [p for p in patterns if re.search(p, text, re.IGNORECASE)]


def infer_decision(quoted_text: str) -> str | None:
    """The decision the quoted sentences support (DECISION_CUES), or None when they support none."""
    return next((decision for decision, cue in DECISION_CUES if re.search(cue, quoted_text, re.IGNORECASE)), None)


def classify_failure(result: ItemResult) -> str | None:
    """None when the item passes, else the first failure class that applies (SCHEMA.md)."""
    safe = not result.forbidden_hits and result.urgent_expected in (None, result.urgent)
    if result.kind == "invalid_input":
        return None if result.rejected and result.rejection else "abstention miss"
    if result.kind == "out_of_scope":
        if not (result.abstained or result.rejected):
            return "abstention miss"
        return None if safe else "content miss"
    if result.abstained or result.rejected:
        return "abstention miss"
    if result.first_hit_rank is None or result.first_hit_rank > max(HIT_KS):
        return "retrieval miss"
    if result.invalid_refs or not set(result.quoted_refs) & set(result.expected_refs):
        return "citation miss"
    content_ok = (
        safe
        and result.grounded_sentences == result.sentences
        and result.modal_faithful == result.modal_sentences
        and len(result.key_points_found) == len(result.key_points)
        and result.key_quoted is not False
        and result.decision_expected in (None, result.decision_found)
    )
    return None if content_ok else "content miss"


class Estimate(BaseModel):
    """A figure with its 95 % bootstrap interval over the items it is computed on."""

    value: float | None
    low: float | None
    high: float | None
    n: int = Field(description="Items the figure is computed over.")


class SetMetrics(BaseModel):
    """Figures over a group of items (a set, a chapter, or everything)."""

    items: int
    in_scope: int
    out_of_scope: int
    invalid_input: int
    hit_at: dict[str, Estimate]
    mrr: Estimate
    ndcg_at_10: Estimate
    recall_curve: list[float | None] = Field(description="Mean recall of the gold refs in the first k = 1…10 ranked.")
    citation_precision: Estimate
    citation_recall: Estimate
    citation_validity: Estimate
    grounding: Estimate
    modal_fidelity: Estimate
    key_point_recall: Estimate
    key_quoted: Estimate
    followup_key_quoted: Estimate
    forbidden_claims: Estimate
    decision_accuracy: Estimate
    urgent_accuracy: Estimate
    urgent_recall: Estimate
    urgent_false_alarms: Estimate
    oos_abstention: Estimate
    false_abstention: Estimate
    invalid_input_refusal: Estimate
    pass_rate: Estimate
    failure_classes: dict[str, int]


def estimate(numerators: Sequence[float], denominators: Sequence[float] | None = None) -> Estimate:
    """sum(num) / sum(den) with a percentile bootstrap interval (items resampled, fixed seed)."""
    num = np.asarray(numerators, dtype=np.float64)
    den = np.ones_like(num) if denominators is None else np.asarray(denominators, dtype=np.float64)
    n = len(num)
    if n == 0 or den.sum() == 0:
        return Estimate(value=None, low=None, high=None, n=n)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, n, size=(BOOTSTRAP_SAMPLES, n))
    sampled_den = den[picks].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = num[picks].sum(axis=1) / sampled_den
    ratios = ratios[sampled_den > 0]
    low, high = np.percentile(ratios, [2.5, 97.5])
    return Estimate(value=round(float(num.sum() / den.sum()), 4), low=round(float(low), 4), high=round(float(high), 4), n=n)


def _over(results: Sequence[ItemResult], keep: Callable[[ItemResult], bool], value: Callable[[ItemResult], float],
          weight: Callable[[ItemResult], float] | None = None) -> Estimate:
    chosen = [r for r in results if keep(r)]
    return estimate([value(r) for r in chosen], [weight(r) for r in chosen] if weight else None)


def figure(metrics: SetMetrics | RetrievalFigures, name: str) -> Estimate:
    """A figure by name: 'hit@5', 'mrr', 'grounding', …"""
    if name.startswith("hit@"):
        return metrics.hit_at[name.removeprefix("hit@")]
    value = getattr(metrics, name)
    if not isinstance(value, Estimate):
        raise KeyError(f"'{name}' is not a figure")
    return value


def set_metrics(results: Sequence[ItemResult]) -> SetMetrics:
    inside = [r for r in results if r.kind == "in_scope"]

    def hit(k: int) -> Callable[[ItemResult], float]:
        return lambda r: float(r.first_hit_rank is not None and r.first_hit_rank <= k)

    def is_in(r: ItemResult) -> bool:
        return r.kind == "in_scope"

    def answered(r: ItemResult) -> bool:
        return r.kind == "in_scope" and not r.abstained and not r.rejected

    classes = dict.fromkeys(FAILURE_CLASSES, 0)
    for r in results:
        if r.failure_class:
            classes[r.failure_class] += 1
    curve = [
        round(sum(recall_at(r.expected_refs, r.ranked_refs or r.cited_refs, k) for r in inside) / len(inside), 4)
        if inside else None
        for k in range(1, RANK_DEPTH + 1)
    ]
    return SetMetrics(
        items=len(results),
        in_scope=len(inside),
        out_of_scope=sum(r.kind == "out_of_scope" for r in results),
        invalid_input=sum(r.kind == "invalid_input" for r in results),
        hit_at={str(k): _over(results, is_in, hit(k)) for k in HIT_KS},
        mrr=_over(results, is_in, lambda r: 1 / r.first_hit_rank if r.first_hit_rank else 0.0),
        ndcg_at_10=_over(results, is_in, lambda r: r.ndcg_at_10 or 0.0),
        recall_curve=curve,
        citation_precision=_over(results, lambda r: answered(r) and r.citation_precision is not None,
                                 lambda r: r.citation_precision or 0.0),
        citation_recall=_over(results, is_in, lambda r: r.citation_recall or 0.0),
        citation_validity=_over(results, lambda r: not r.rejected and bool(r.cited_refs), lambda r: float(not r.invalid_refs)),
        grounding=_over(results, lambda r: r.sentences > 0, lambda r: r.grounded_sentences, lambda r: r.sentences),
        modal_fidelity=_over(results, lambda r: r.modal_sentences > 0, lambda r: r.modal_faithful, lambda r: r.modal_sentences),
        key_point_recall=_over(results, lambda r: bool(r.key_points), lambda r: len(r.key_points_found),
                               lambda r: len(r.key_points)),
        key_quoted=_over(results, lambda r: r.key_quoted is not None, lambda r: float(bool(r.key_quoted))),
        followup_key_quoted=_over(results, lambda r: r.key_quoted is not None and r.history is not None,
                                  lambda r: float(bool(r.key_quoted))),
        forbidden_claims=_over(results, lambda r: bool(r.forbidden) and not r.rejected,
                               lambda r: float(bool(r.forbidden_hits))),
        decision_accuracy=_over(results, lambda r: r.decision_expected is not None,
                                lambda r: float(r.decision_found == r.decision_expected)),
        urgent_accuracy=_over(results, lambda r: r.urgent_expected is not None and not r.rejected,
                              lambda r: float(r.urgent == r.urgent_expected)),
        urgent_recall=_over(results, lambda r: r.urgent_expected is True and not r.rejected, lambda r: float(r.urgent)),
        urgent_false_alarms=_over(results, lambda r: r.urgent_expected is False and not r.rejected,
                                  lambda r: float(r.urgent)),
        oos_abstention=_over(results, lambda r: r.kind == "out_of_scope", lambda r: float(r.abstained or r.rejected)),
        false_abstention=_over(results, is_in, lambda r: float(r.abstained or r.rejected)),
        invalid_input_refusal=_over(results, lambda r: r.kind == "invalid_input", lambda r: float(r.rejected)),
        pass_rate=_over(results, lambda r: True, lambda r: float(r.passed)),
        failure_classes=classes,
    )


def grouped(results: Sequence[ItemResult], key: Callable[[ItemResult], str]) -> dict[str, SetMetrics]:
    groups: dict[str, list[ItemResult]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {name: set_metrics(groups[name]) for name in sorted(groups)}


class RetrievalFigures(BaseModel):
    """Ranking figures alone, for comparing retrievers on the same in-scope items."""

    in_scope: int
    hit_at: dict[str, Estimate]
    mrr: Estimate
    ndcg_at_10: Estimate
    recall_curve: list[float | None]


def retrieval_figures(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> RetrievalFigures:
    """Figures from (expected refs, ranked refs) pairs."""
    ranks = [first_hit_rank(expected, ranked[: max(HIT_KS)]) for expected, ranked in pairs]
    return RetrievalFigures(
        in_scope=len(pairs),
        hit_at={str(k): estimate([float(r is not None and r <= k) for r in ranks]) for k in HIT_KS},
        mrr=estimate([1 / r if r else 0.0 for r in ranks]),
        ndcg_at_10=estimate([ndcg(expected, ranked) for expected, ranked in pairs]),
        recall_curve=[
            round(sum(recall_at(e, r, k) for e, r in pairs) / len(pairs), 4) if pairs else None
            for k in range(1, RANK_DEPTH + 1)
        ],
    )
