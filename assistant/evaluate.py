"""Dev-set figures: hit@k, MRR, abstention. The trainers' workbench builds on this."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from .corpus import load_yaml, validate_list
from .errors import CorpusError
from .models import Answer

if TYPE_CHECKING:
    from .api import Assistant

HIT_KS = (1, 3, 5)


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Literal["in_scope", "out_of_scope"]
    chapter: str | None = None
    question: str
    expected_refs: list[str] = Field(default_factory=list)
    history: str | None = None


class ItemResult(BaseModel):
    id: str
    kind: str
    chapter: str | None
    expected_refs: list[str]
    cited_refs: list[str]
    abstained: bool
    first_hit_rank: int | None = Field(description="1-based rank of the first expected ref among citations.")


class Figures(BaseModel):
    in_scope: int
    out_of_scope: int
    hit_at: dict[str, float]
    mrr: float
    oos_abstention: float
    false_abstention: float


def load_eval_set(path: Path, known_refs: set[str] | None = None) -> list[EvalItem]:
    data, root = load_yaml(path)
    items: list[EvalItem] = validate_list(path, data, root, "items", EvalItem)
    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        raise CorpusError(f"duplicate item ids: {sorted({i for i in ids if ids.count(i) > 1})}.", str(path))
    if known_refs is not None:
        for item in items:
            unknown = [r for r in item.expected_refs if r not in known_refs]
            if unknown:
                raise CorpusError(f"item {item.id}: unknown refs {unknown}; check them with `assistant passages`.", str(path))
    return items


def first_hit_rank(expected: Sequence[str], cited: Sequence[str]) -> int | None:
    return next((rank for rank, ref in enumerate(cited, 1) if ref in expected), None)


def score_item(item: EvalItem, answer: Answer) -> ItemResult:
    cited = [c.ref for c in answer.citations]
    return ItemResult(
        id=item.id, kind=item.kind, chapter=item.chapter, expected_refs=item.expected_refs, cited_refs=cited,
        abstained=answer.abstained, first_hit_rank=first_hit_rank(item.expected_refs, cited),
    )


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


def ask_item(assistant: Assistant, item: EvalItem) -> Answer:
    """Ask an eval item's question, with its earlier turn when it is a follow-up."""
    return assistant.ask(item.question, [item.history] if item.history else None)


def run_eval(ask: Callable[[EvalItem], Answer], items: Sequence[EvalItem]) -> list[ItemResult]:
    return [score_item(item, ask(item)) for item in items]
