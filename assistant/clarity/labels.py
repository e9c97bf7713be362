"""Precision and recall of the clarity flags against a labelled set (evals/clarity_labels.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.clarity.models import TEXT_CATEGORIES, ClarityReport, Metrics
from assistant.corpus.manifest import load_yaml, validate_list
from assistant.errors import CorpusError

TextCategory = Literal["language", "structure", "consistency"]


class ClarityLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: str
    label: Literal["clear", "unclear"]
    categories: list[TextCategory] = Field(default_factory=list)
    note: str = Field(min_length=3, description="Why the passage is clear or unclear, in a sentence.")


class ClarityEvaluation(BaseModel):
    labelled: int
    unclear: int
    threshold: float
    overall: Metrics
    by_category: dict[str, Metrics]
    missed: list[str] = Field(description="Refs labelled unclear that the report does not mark unclear.")
    false_alarms: list[str] = Field(description="Refs labelled clear that the report marks unclear.")


def load_labels(path: Path, known_refs: set[str]) -> list[ClarityLabel]:
    data, root = load_yaml(path)
    labels: list[ClarityLabel] = validate_list(path, data, root, "labels", ClarityLabel)
    refs = [label.ref for label in labels]
    if len(refs) != len(set(refs)):
        raise CorpusError(f"refs labelled twice: {sorted({r for r in refs if refs.count(r) > 1})}.", str(path))
    unknown = [r for r in refs if r not in known_refs]
    if unknown:
        raise CorpusError(f"labels for refs the report does not analyse: {unknown}; check `assistant passages`.", str(path))
    for label in labels:
        if (label.label == "unclear") != bool(label.categories):
            raise CorpusError(f"{label.ref}: an 'unclear' label needs categories and a 'clear' one none.", str(path))
    return labels


def _metrics(predicted: set[str], gold: set[str]) -> Metrics:
    hits = len(predicted & gold)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Metrics(precision=round(precision, 3), recall=round(recall, 3), f1=round(f1, 3),
                   support=len(gold), predicted=len(predicted))


def evaluate(report: ClarityReport, labels: Sequence[ClarityLabel]) -> ClarityEvaluation:
    """Overall: the entry's `unclear` against the label. Per category: the category's score at the threshold."""
    entries = {e.ref: e for e in report.entries}
    labelled = {label.ref for label in labels}
    gold_unclear = {label.ref for label in labels if label.label == "unclear"}
    predicted_unclear = {ref for ref in labelled if entries[ref].unclear}
    by_category = {}
    for category in TEXT_CATEGORIES:
        gold = {label.ref for label in labels if category in label.categories}
        predicted = {ref for ref in labelled if entries[ref].category_scores.get(category, 0) >= report.threshold}
        by_category[category] = _metrics(predicted, gold)
    return ClarityEvaluation(
        labelled=len(labels), unclear=len(gold_unclear), threshold=report.threshold,
        overall=_metrics(predicted_unclear, gold_unclear), by_category=by_category,
        missed=sorted(gold_unclear - predicted_unclear, key=lambda r: entries[r].rank),
        false_alarms=sorted(predicted_unclear - gold_unclear, key=lambda r: entries[r].rank),
    )
