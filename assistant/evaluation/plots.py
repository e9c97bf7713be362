"""Plots for the evaluation report, as base64 PNG so report.html needs no other file.

matplotlib's object API (Figure, not pyplot) keeps no global state, so plotting is safe
inside the web server too.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from assistant.evaluation.metrics import FAILURE_CLASSES, RANK_DEPTH
from assistant.evaluation.results import RunResults

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(**options: Any) -> Figure:
    # matplotlib loads only when a report is drawn: the page and the CLI start without it.
    from matplotlib.figure import Figure

    return Figure(**options)

OURS = "this assistant"
BASELINE_LABELS = {"stock_llamaindex": "stock LlamaIndex", "bm25": "BM25 alone"}
CLASS_COLOURS = {"passed": "#2e7d32", "retrieval miss": "#c62828", "citation miss": "#ef6c00",
                 "abstention miss": "#6a1b9a", "content miss": "#1565c0"}


def reading_order(chapters: Iterable[str]) -> list[str]:
    """Chapters as the guidance orders them: front matter, key terms, statute, 1…5, then anything else."""
    first = {"front": 0, "key terms": 1, "statute": 2}
    return sorted(chapters, key=lambda c: (first.get(c, 3 if c.isdigit() else 4), int(c) if c.isdigit() else 0, c))


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def recall_curve(results: RunResults) -> str:
    """Mean recall of the gold refs within the first k ranked passages, k = 1…10, for each retriever."""
    figure = _figure(figsize=(6.4, 3.8))
    axes = figure.subplots()
    ks = list(range(1, RANK_DEPTH + 1))
    lines = [(OURS, results.overall.recall_curve)]
    lines += [(BASELINE_LABELS.get(name, name), b.overall.recall_curve) for name, b in sorted(results.baselines.items())]
    plotted = 0
    for label, curve in lines:
        points = [(k, v) for k, v in zip(ks, curve, strict=True) if v is not None]
        if points:
            axes.plot([k for k, _ in points], [v for _, v in points], marker="o", label=label)
            plotted += 1
    axes.set_xlabel("k (passages read, best first)")
    axes.set_ylabel("recall of expected refs")
    axes.set_xticks(ks)
    axes.set_ylim(0, 1)
    axes.grid(alpha=0.3)
    if plotted:
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    axes.set_title(f"Recall@k over {results.overall.in_scope} in-scope items")
    return _png(figure)


def per_chapter(results: RunResults) -> str:
    """hit@5 and pass rate per chapter, with 95 % bootstrap intervals."""
    chapters = [name for name in reading_order(results.chapters) if results.chapters[name].in_scope]
    figure = _figure(figsize=(6.4, 0.45 * max(len(chapters), 1) + 1.4))
    axes = figure.subplots()
    height = 0.38
    for offset, (label, pick, colour) in enumerate((
        ("hit@5", lambda m: m.hit_at["5"], "#1565c0"),
        ("pass rate", lambda m: m.pass_rate, "#2e7d32"),
    )):
        values, lows, highs = [], [], []
        for name in chapters:
            est = pick(results.chapters[name])
            values.append(est.value or 0.0)
            lows.append((est.value or 0.0) - (est.low if est.low is not None else est.value or 0.0))
            highs.append((est.high if est.high is not None else est.value or 0.0) - (est.value or 0.0))
        positions = [i + offset * height for i in range(len(chapters))]
        axes.barh(positions, values, height=height, xerr=[lows, highs], label=label, color=colour, capsize=3)
    axes.set_yticks([i + height / 2 for i in range(len(chapters))], [f"{c} (n={results.chapters[c].items})" for c in chapters])
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of items")
    axes.grid(axis="x", alpha=0.3)
    if chapters:
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / max(len(chapters), 1)), ncol=2)
    axes.set_title("Results per chapter (in-scope items)")
    return _png(figure)


def outcomes_per_set(results: RunResults) -> str:
    """Passed items and each failure class, stacked, per set."""
    names = list(results.sets)
    figure = _figure(figsize=(6.4, 0.5 * max(len(names), 1) + 1.4))
    axes = figure.subplots()
    left = [0.0] * len(names)
    for outcome in ("passed", *FAILURE_CLASSES):
        counts = []
        for name in names:
            m = results.sets[name].metrics
            passed = round((m.pass_rate.value or 0.0) * m.items)
            counts.append(float(passed if outcome == "passed" else m.failure_classes.get(outcome, 0)))
        axes.barh(names, counts, left=left, label=outcome, color=CLASS_COLOURS[outcome])
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel("items")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, fontsize="small")
    axes.set_title("Outcome per set")
    return _png(figure)
