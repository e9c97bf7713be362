"""Compare a run with an earlier results.json: newly failing and newly passing items, metric drops, stale gold.

Only items present in both runs are compared, and items whose gold refs are no longer in
the corpus ("stale gold") are left out of both sides: a ref that disappeared from the
corpus is a fault of the set, not a regression of the assistant.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from assistant.evaluation.metrics import ItemResult, figure, set_metrics
from assistant.evaluation.results import Comparison, ItemChange, MetricChange, RunResults, StaleGold

DEFAULT_MARGIN = 0.02
REGRESSION_EXIT_CODE = 7
# (metric, higher is better). A drop bigger than the margin in any of these is a regression.
HEADLINE_METRICS: tuple[tuple[str, bool], ...] = (
    ("hit@1", True), ("hit@5", True), ("mrr", True), ("ndcg_at_10", True), ("citation_recall", True),
    ("grounding", True), ("modal_fidelity", True), ("key_point_recall", True), ("decision_accuracy", True),
    ("oos_abstention", True), ("false_abstention", False), ("forbidden_claims", False), ("pass_rate", True),
)


def _stale(results: Sequence[ItemResult], known_refs: Collection[str]) -> dict[tuple[str, str], list[str]]:
    stale = {}
    for r in results:
        missing = [ref for ref in r.expected_refs if ref not in known_refs]
        if missing:
            stale[(r.set, r.id)] = missing
    return stale


def compare(current: RunResults, earlier: RunResults, known_refs: Collection[str], baseline_name: str,
            margin: float = DEFAULT_MARGIN) -> Comparison:
    now = {(r.set, r.id): r for r in current.items}
    before = {(r.set, r.id): r for r in earlier.items}
    stale = _stale(current.items, known_refs) | _stale(earlier.items, known_refs)
    common = sorted(k for k in now.keys() & before.keys() if k not in stale)
    newly_failing = [
        ItemChange(set=s, id=i, before=before[(s, i)].failure_class, after=now[(s, i)].failure_class)
        for s, i in common if before[(s, i)].passed and not now[(s, i)].passed
    ]
    newly_passing = [
        ItemChange(set=s, id=i, before=before[(s, i)].failure_class, after=now[(s, i)].failure_class)
        for s, i in common if not before[(s, i)].passed and now[(s, i)].passed
    ]
    changes = []
    for set_name in sorted({s for s, _ in common}):
        keys = [k for k in common if k[0] == set_name]
        was, is_now = set_metrics([before[k] for k in keys]), set_metrics([now[k] for k in keys])
        for metric, higher_is_better in HEADLINE_METRICS:
            a, b = figure(was, metric).value, figure(is_now, metric).value
            if a is None or b is None or a == b:
                continue
            drop = (a - b) if higher_is_better else (b - a)
            changes.append(MetricChange(set=set_name, metric=metric, before=a, after=b, change=round(b - a, 4),
                                        worse=drop > margin + 1e-9))
    return Comparison(
        baseline=baseline_name,
        margin=margin,
        compared_items=len(common),
        newly_failing=newly_failing,
        newly_passing=newly_passing,
        stale_gold=[StaleGold(set=s, id=i, missing_refs=refs) for (s, i), refs in sorted(stale.items())],
        metric_changes=changes,
        only_before=[f"{s}/{i}" for s, i in sorted(before.keys() - now.keys())],
        only_now=[f"{s}/{i}" for s, i in sorted(now.keys() - before.keys())],
        regressed=any(c.worse for c in changes),
    )
