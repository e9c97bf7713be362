"""Choose the fusion, its weights and the abstention rule on the dev set.

    python evals/tune.py [evals/dev.yaml]

Prints one JSON line per setting tried, then the abstention trade-off. Tuning happens
here, on the dev set, never on fixed question strings; the held-out set
(evals/heldout.yaml) is only ever measured, with `assistant eval`.
"""

from __future__ import annotations

import itertools
import json
import sys
from functools import partial
from pathlib import Path

from assistant import Assistant
from assistant.evaluation.run import ask_item, figures, load_eval_set, run_eval


def main(path: str = "evals/dev.yaml") -> None:
    assistant = Assistant.load(progress=False)
    items = load_eval_set(Path(path), {p.ref for p in assistant.passages})
    base = assistant.settings.retrieval
    weights = ("passage_weight", "sentence_weight", "question_weight", "lexical_weight")
    grid = [("weighted", *w) for w in itertools.product((0.0, 0.05, 0.1), (0.0, 0.1), (0.2, 0.4), (0.05, 0.1, 0.15))]
    grid += [("rrf", *w) for w in ((1, 1, 1, 1), (0, 0, 2, 1), (1, 0, 2, 1), (0, 1, 2, 1))]
    for fusion, *values in grid:
        assistant.retriever.settings = base.model_copy(update={"fusion": fusion, **dict(zip(weights, values, strict=True))})
        f = figures(run_eval(partial(ask_item, assistant), items))
        print(json.dumps({"fusion": fusion, **dict(zip(weights, values, strict=True)),
                          **{f"hit@{k}": v for k, v in f.hit_at.items()}, "mrr": f.mrr}))
    assistant.retriever.settings = base
    answers = [(it.kind, ask_item(assistant, it)) for it in items]
    for floor, margin in itertools.product((0.25, 0.30, 0.35, 0.40), (-0.04, -0.02, 0.0, 0.02, 0.04)):
        abstains = {
            kind: [a.confidence < floor or a.out_of_scope_similarity >= a.confidence + margin for k, a in answers if k == kind]
            for kind in ("in_scope", "out_of_scope")
        }
        print(json.dumps({"abstain_below": floor, "scope_margin": margin,
                          "oos_abstention": round(sum(abstains["out_of_scope"]) / len(abstains["out_of_scope"]), 3),
                          "false_abstention": round(sum(abstains["in_scope"]) / len(abstains["in_scope"]), 3)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
