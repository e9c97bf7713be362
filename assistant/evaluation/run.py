"""Run evaluation sets: ask every item, score its answer, gather the figures.

`figures`, `load_eval_set`, `ask_item` and `run_eval` are the small dev-set interface that
evals/tune.py and benchmarks/bench.py use; `run_sets` is the trainers' workbench behind
`assistant eval` and the Evaluate tab.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from assistant.errors import EvalSetError, QuestionError
from assistant.evaluation.baselines import BASELINE_NAMES, baseline_retrievers
from assistant.evaluation.metrics import (
    HIT_KS,
    RANK_DEPTH,
    ItemResult,
    answer_quotes,
    classify_failure,
    first_hit_rank,
    grouped,
    infer_decision,
    is_grounded,
    key_quoted,
    modal_profile,
    ndcg,
    pattern_hits,
    retrieval_figures,
    set_metrics,
    source_unit,
)
from assistant.evaluation.results import BaselineSummary, RunResults, SetSummary
from assistant.evaluation.sets import EvalItem, EvalSet, example_refs, read_eval_set
from assistant.models import Answer, Passage

if TYPE_CHECKING:
    from assistant.api import Assistant

__all__ = [
    "HIT_KS", "EvalItem", "Figures", "ItemResult", "ask_item", "figures", "first_hit_rank", "load_eval_set",
    "run_eval", "run_sets", "score_item",
]
Progress = Callable[[int, int, str], None]


class Figures(BaseModel):
    in_scope: int
    out_of_scope: int
    hit_at: dict[str, float]
    mrr: float
    oos_abstention: float
    false_abstention: float


def load_eval_set(path: Path, known_refs: Collection[str] | None = None) -> list[EvalItem]:
    return read_eval_set(path, known_refs).items


def figures(results: Sequence[ItemResult]) -> Figures:
    inside = [r for r in results if r.kind == "in_scope"]
    outside = [r for r in results if r.kind == "out_of_scope"]

    def share(values: Sequence[bool]) -> float:
        return round(sum(values) / len(values), 4) if values else 0.0

    return Figures(
        in_scope=len(inside),
        out_of_scope=len(outside),
        hit_at={str(k): share([r.first_hit_rank is not None and r.first_hit_rank <= k for r in inside]) for k in HIT_KS},
        mrr=round(sum(1 / r.first_hit_rank for r in inside if r.first_hit_rank) / len(inside), 4) if inside else 0.0,
        oos_abstention=share([r.abstained for r in outside]),
        false_abstention=share([r.abstained for r in inside]),
    )


def excluded_refs(item: EvalItem, known_refs: Collection[str]) -> list[str]:
    """Refs left out of retrieval for this item: its own worked example's passages."""
    return example_refs(item.from_example, known_refs) if item.from_example else []


def ask_item(assistant: Assistant, item: EvalItem) -> Answer:
    """Ask an eval item's question, with its earlier turn when it is a follow-up."""
    exclude = excluded_refs(item, {p.ref for p in assistant.passages})
    return assistant.ask(item.question, [item.history] if item.history else None, exclude=exclude)


def score_item(
    item: EvalItem,
    answer: Answer | None,
    *,
    set_name: str = "",
    ranked: Sequence[str] = (),
    corpus: Mapping[str, Passage] | None = None,
    excluded: Sequence[str] = (),
    rejection: str = "",
    split: str | None = None,
) -> ItemResult:
    """Score one answer (None when the question was refused with `rejection`).

    `corpus` maps ref → passage; with it, cited refs are checked to exist and quotes are
    checked against the corpus text rather than the text the answer carries.
    """
    citations = answer.citations if answer else []
    cited = [c.ref for c in citations]
    quotes = answer_quotes(answer) if answer else []
    passages = corpus or {
        c.ref: Passage(doc=c.doc, ref=c.ref, label=c.label, kind="cited", heading=c.heading, text=c.text) for c in citations
    }
    quoted_refs = list(dict.fromkeys(q.ref for q in quotes if q.ref))
    grounded = sum(q.ref in passages and is_grounded(q.text, passages[q.ref].text) for q in quotes)
    modal_pairs = [(modal_profile(q.text), modal_profile(source_unit(q.text, passages[q.ref]))) for q in quotes
                   if q.ref in passages]
    modal_pairs = [(said, source) for said, source in modal_pairs if said or source]
    quoted_text = " ".join(q.text for q in quotes)
    gold = set(item.expected_refs)
    result = ItemResult(
        id=item.id, set=set_name, kind=item.kind, chapter=item.chapter, question=item.question, history=item.history,
        role=item.role, split=split,
        expected_refs=item.expected_refs, excluded_refs=list(excluded), cited_refs=cited,
        citation_scores=[round(c.score, 4) for c in citations], quoted_refs=quoted_refs, ranked_refs=list(ranked),
        abstained=bool(answer and answer.abstained), rejected=answer is None, rejection=rejection,
        urgent=bool(answer and answer.urgent), confidence=round(answer.confidence, 4) if answer else None,
        first_hit_rank=first_hit_rank(item.expected_refs, cited),
        ndcg_at_10=round(ndcg(item.expected_refs, ranked or cited), 4) if gold else None,
        citation_precision=round(len(gold & set(quoted_refs)) / len(quoted_refs), 4) if gold and quoted_refs else None,
        citation_recall=round(len(gold & set(quoted_refs)) / len(gold), 4) if gold else None,
        invalid_refs=[r for r in cited if corpus is not None and r not in corpus],
        sentences=len(quotes), grounded_sentences=grounded,
        modal_sentences=len(modal_pairs), modal_faithful=sum(said == source for said, source in modal_pairs),
        key_points=item.key_points, key_points_found=pattern_hits(item.key_points, quoted_text),
        key=item.key, key_quoted=key_quoted(item.key, quotes) if item.kind == "in_scope" else None,
        forbidden=item.forbidden, forbidden_hits=pattern_hits(item.forbidden, answer.answer) if answer else [],
        decision_expected=item.decision, decision_found=infer_decision(answer_text_for_decision(answer, quoted_text))
        if answer else None,
        urgent_expected=item.urgent, answer=answer.answer if answer else "",
    )
    failure = classify_failure(result)
    return result.model_copy(update={"failure_class": failure, "passed": failure is None})


def answer_text_for_decision(answer: Answer, quoted_text: str) -> str:
    """The sentences the decision is read from: the lead and its support. The tests of para 13 and the
    limits quoted by rule beside a duty (detriment, record) are there whatever the decision is."""
    own = [q.sentence for q in answer.quotes if q.part in ("lead", "support")]
    return " ".join(own) if answer.quotes else quoted_text


def run_eval(ask: Callable[[EvalItem], Answer], items: Sequence[EvalItem]) -> list[ItemResult]:
    return [score_item(item, ask(item)) for item in items]


def chapter_of(item: EvalItem, corpus: Mapping[str, Passage]) -> str | None:
    """The item's chapter, or (when the set leaves it out) the chapter of its first expected ref."""
    if item.chapter or not item.expected_refs or item.expected_refs[0] not in corpus:
        return item.chapter
    passage = corpus[item.expected_refs[0]]
    if passage.ref.startswith("Key terms"):
        return "key terms"
    if passage.kind == "statute":
        return "statute"
    return passage.chapter or "front"


def _search_text(item: EvalItem) -> str:
    return f"{item.history} {item.question}" if item.history else item.question


def evaluate_item(
    assistant: Assistant, item: EvalItem, set_name: str, corpus: Mapping[str, Passage], split: str | None = None
) -> ItemResult:
    excluded = excluded_refs(item, corpus)
    placed = item.model_copy(update={"chapter": chapter_of(item, corpus)})
    history = [item.history] if item.history else None
    try:
        answer = assistant.ask(item.question, history, exclude=excluded)
    except QuestionError as exc:
        return score_item(placed, None, set_name=set_name, corpus=corpus, excluded=excluded, rejection=str(exc), split=split)
    # The retrieval ranking, deeper than the citations, for nDCG@10 and the recall@k curve;
    # `search` on the joined turns ranks exactly as `ask` does.
    try:
        ranked = [h.passage.ref for h in assistant.search(_search_text(item), k=RANK_DEPTH, exclude=excluded)]
    except QuestionError:  # the joined turns can exceed the length limit that each turn alone meets
        ranked = [c.ref for c in answer.citations]
    return score_item(placed, answer, set_name=set_name, ranked=ranked, corpus=corpus, excluded=excluded, split=split)


def _run_baselines(
    assistant: Assistant, sets: Sequence[EvalSet], results: list[ItemResult], tick: Callable[[str], None]
) -> dict[str, BaselineSummary]:
    by_key = {(r.set, r.id): r for r in results}
    summaries: dict[str, BaselineSummary] = {}
    pairs_by_set: dict[str, dict[str, list[tuple[list[str], list[str]]]]] = {}
    embedder = assistant.model.document_embedder()
    with baseline_retrievers(assistant.settings.paths.corpus_dir, assistant.passages, embedder) as retrievers:
        for retriever in retrievers:
            for eval_set in sets:
                for item in eval_set.items:
                    result = by_key[(eval_set.name, item.id)]
                    if item.kind != "in_scope" or result.rejected:
                        continue
                    tick(f"baseline {retriever.name}")
                    ranked = retriever.ranked_refs(_search_text(item), frozenset(result.excluded_refs), RANK_DEPTH)
                    result.baseline_hit_rank[retriever.name] = first_hit_rank(item.expected_refs, ranked)
                    pairs_by_set.setdefault(retriever.name, {}).setdefault(eval_set.name, []).append(
                        (item.expected_refs, ranked)
                    )
            per_set = pairs_by_set.get(retriever.name, {})
            summaries[retriever.name] = BaselineSummary(
                description=retriever.description,
                sets={name: retrieval_figures(pairs) for name, pairs in sorted(per_set.items())},
                overall=retrieval_figures([pair for name in sorted(per_set) for pair in per_set[name]]),
            )
    return summaries


def run_sets(
    assistant: Assistant, sets: Sequence[EvalSet], progress: Progress | None = None, baselines: bool = True
) -> RunResults:
    """Evaluate every item of every set (and, with `baselines`, the baseline retrievers on the same items)."""
    names = [s.name for s in sets]
    if len(names) != len(set(names)):
        raise EvalSetError(f"two sets share a name ({sorted({n for n in names if names.count(n) > 1})}); rename one file.")
    corpus = {p.ref: p for p in assistant.passages}
    in_scope = sum(1 for s in sets for i in s.items if i.kind == "in_scope")
    # Each baseline retriever runs on the in-scope items that were not refused: fixed once they are asked.
    total = sum(len(s.items) for s in sets) + (len(BASELINE_NAMES) * in_scope if baselines else 0)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, label)

    started, clock = datetime.now(UTC), time.perf_counter()
    seconds: dict[str, float] = {}
    results: list[ItemResult] = []
    for eval_set in sets:
        set_clock = time.perf_counter()
        for item in eval_set.items:
            results.append(evaluate_item(assistant, item, eval_set.name, corpus, eval_set.split_of(item)))
            tick(eval_set.name)
        seconds[eval_set.name] = round(time.perf_counter() - set_clock, 3)
    baseline_clock = time.perf_counter()
    if baselines:
        total = done + len(BASELINE_NAMES) * sum(1 for r in results if r.kind == "in_scope" and not r.rejected)
    summaries = _run_baselines(assistant, sets, results, tick) if baselines else {}
    results.sort(key=lambda r: (r.set, r.id))
    return RunResults(
        corpus_version=assistant.corpus_version,
        settings={"retrieval": assistant.settings.retrieval.model_dump(), "answer": assistant.settings.answer.model_dump()},
        sets={
            s.name: SetSummary(source=s.source, title=s.title, metrics=set_metrics([r for r in results if r.set == s.name]))
            for s in sorted(sets, key=lambda s: s.name)
        },
        splits={
            s.name: grouped([r for r in results if r.set == s.name], lambda r: r.split or "")
            for s in sorted(sets, key=lambda s: s.name) if s.split
        },
        chapters=grouped(results, lambda r: r.chapter or f"({r.kind.replace('_', ' ')})"),
        overall=set_metrics(results),
        baselines=summaries,
        items=results,
        timing={
            "started": started.isoformat(timespec="seconds"),
            "seconds_total": round(time.perf_counter() - clock, 3),
            "seconds_per_set": seconds,
            "seconds_baselines": round(time.perf_counter() - baseline_clock, 3) if baselines else 0.0,
        },
    )
