"""Fit the scope classifier (assistant/answer/scope.py) on the dev splits and print its trade-off curve.

    python evals/tune_scope.py

Dev data: the dev split of evals/scenarios.yaml (split: id_hash) and evals/dev.yaml; the scenario
test split is never read here. Disclosures are left out (they are always answered). For each
regularisation strength the curve gives, at each threshold, the out-of-scope abstention and the
false abstention under 10-fold cross-validation on dev. The rule: the strongest out-of-scope
abstention whose cross-validated false abstention stays at or under 3 %. The last line is the
fit on all of dev with that setting: copy it into AnswerSettings (assistant/settings.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from assistant import Assistant
from assistant.answer.decision import asking_part, read_decisions
from assistant.answer.scope import FEATURES, scope_features
from assistant.answer.urgency import is_urgent
from assistant.evaluation.sets import read_eval_set

MAX_FALSE_ABSTENTION = 0.03
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
STRENGTHS = (1.0, 3.0, 10.0, 30.0, 100.0)


def dev_items(known: set[str]) -> list[tuple[str, bool]]:
    """(question, is out of scope) for every dev item that is in or out of scope and not a disclosure."""
    scenarios = read_eval_set(Path("evals/scenarios.yaml"), known)
    chosen = [i for i in scenarios.items if scenarios.split_of(i) == "dev"]
    chosen += read_eval_set(Path("evals/dev.yaml"), known).items
    return [(i.question, i.kind == "out_of_scope") for i in chosen
            if i.kind in ("in_scope", "out_of_scope") and not i.urgent and not is_urgent(i.question)]


def main() -> None:
    assistant = Assistant.load(progress=False)
    rows, labels = [], []
    for question, outside in dev_items({p.ref for p in assistant.passages}):
        query = assistant.embed(assistant.retriever.expand(question))
        asking = asking_part(question)
        vector = assistant.embed(assistant.retriever.expand(asking)) if asking != question else query
        decided = bool(read_decisions(question, assistant.guide.kinds))
        rows.append(scope_features(assistant.index, query, vector, decided))
        labels.append(outside)
    x, y = np.array(rows), np.array(labels)
    folds = StratifiedKFold(n_splits=10, shuffle=True, random_state=20261202)
    best: tuple[float, float, float] | None = None  # (oos abstention, -false abstention, strength, threshold)
    for strength in STRENGTHS:
        p = cross_val_predict(LogisticRegression(C=strength, max_iter=2000), x, y, cv=folds, method="predict_proba")[:, 1]
        for threshold in THRESHOLDS:
            out = p >= threshold
            oos, false = float(out[y].mean()), float(out[~y].mean())
            print(json.dumps({"C": strength, "threshold": threshold, "oos_abstention": round(oos, 3),
                              "false_abstention": round(false, 3)}))
            if false <= MAX_FALSE_ABSTENTION and (best is None or (oos, -false) > best[:2]):
                best = (oos, -false, strength, threshold)
    if best is None:
        raise SystemExit(f"No setting keeps false abstention at or under {MAX_FALSE_ABSTENTION} on dev.")
    _, _, strength, threshold = best
    model = LogisticRegression(C=strength, max_iter=2000).fit(x, y)
    print(json.dumps({"chosen": {"C": strength, "scope_threshold": threshold,
                                 "scope_weights": [round(float(w), 4) for w in model.coef_[0]],
                                 "scope_bias": round(float(model.intercept_[0]), 4),
                                 "features": list(FEATURES), "dev_items": len(y), "dev_out_of_scope": int(y.sum())}}))


if __name__ == "__main__":
    main()
