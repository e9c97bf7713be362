"""The results document of an evaluation run (results.json, results.csv) and its models.

results.json is byte-identical for the same inputs: keys sorted, items sorted by set and
id, figures rounded, and everything that varies between runs kept under "timing".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from assistant.errors import EvalSetError
from assistant.evaluation.metrics import ItemResult, RetrievalFigures, SetMetrics
from assistant.inputs import parse_json
from assistant.spreadsheet import csv_text

RESULTS_FORMAT = "isd-eval-results/1"
CSV_COLUMNS = (
    "set", "id", "split", "role", "kind", "chapter", "question", "history", "expected_refs", "excluded_refs", "cited_refs",
    "quoted_refs", "first_hit_rank", "abstained", "rejected", "confidence", "citation_precision", "citation_recall",
    "sentences", "grounded_sentences", "key_points_found", "key_points", "key_quoted", "forbidden_hits", "decision_expected",
    "decision_found", "passed", "failure_class",
)


class SetSummary(BaseModel):
    source: str = Field(description="The path as given, or the uploaded file's name.")
    title: str = ""
    metrics: SetMetrics


class BaselineSummary(BaseModel):
    """A baseline retriever run on the same in-scope items."""

    description: str
    sets: dict[str, RetrievalFigures]
    overall: RetrievalFigures


class ItemChange(BaseModel):
    set: str
    id: str
    before: str | None = Field(description="Failure class in the earlier run (None: it passed).")
    after: str | None = Field(description="Failure class now (None: it passes).")


class StaleGold(BaseModel):
    set: str
    id: str
    missing_refs: list[str] = Field(description="Expected refs that are no longer in the corpus.")


class MetricChange(BaseModel):
    set: str
    metric: str
    before: float
    after: float
    change: float
    worse: bool = Field(description="True when the change is a drop bigger than the margin.")


class Comparison(BaseModel):
    """This run against an earlier results.json (`--baseline`)."""

    baseline: str = Field(description="The earlier results file's name.")
    margin: float
    compared_items: int
    newly_failing: list[ItemChange]
    newly_passing: list[ItemChange]
    stale_gold: list[StaleGold]
    metric_changes: list[MetricChange]
    only_before: list[str] = Field(description="set/id of items the earlier run had and this one has not.")
    only_now: list[str] = Field(description="set/id of items new in this run.")
    regressed: bool


class RunResults(BaseModel):
    format: str = RESULTS_FORMAT
    corpus_version: str
    settings: dict[str, Any]
    sets: dict[str, SetSummary]
    splits: dict[str, dict[str, SetMetrics]] = Field(
        default_factory=dict, description="Per set with a split rule: its dev and test figures."
    )
    chapters: dict[str, SetMetrics]
    overall: SetMetrics
    baselines: dict[str, BaselineSummary]
    items: list[ItemResult]
    regression: Comparison | None = None
    timing: dict[str, Any] = Field(default_factory=dict, description="The only part that differs between runs.")


def results_json(results: RunResults, with_timing: bool = True) -> str:
    data = results.model_dump(mode="json")
    if not with_timing:
        data.pop("timing")
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def results_csv(results: RunResults) -> str:
    rows = (item.model_dump() for item in results.items)
    return csv_text(CSV_COLUMNS, ([row[column] for column in CSV_COLUMNS] for row in rows))


MAX_RESULTS_BYTES = 200_000_000


def load_results(path: Path) -> RunResults:
    """An earlier results.json, or an EvalSetError saying why it cannot be compared."""
    name = str(path)
    if not path.is_file():
        raise EvalSetError("file not found. Pass the results.json of an earlier `assistant eval --report` run.", name)
    if path.stat().st_size > MAX_RESULTS_BYTES:
        raise EvalSetError(f"the file is larger than {MAX_RESULTS_BYTES:,} bytes; is it a results.json?", name)
    try:
        data = parse_json(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise EvalSetError(f"not a JSON file ({exc}). Pass the results.json of an earlier run.", name) from None
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise EvalSetError(f"not an `assistant eval` results file (format '{RESULTS_FORMAT}' expected).", name)
    try:
        return RunResults.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise EvalSetError(
            f"the results file is damaged at '{where}': {err['msg']}. Re-run the earlier evaluation.", name
        ) from None
