"""Choose the fusion, its weights and the abstention threshold on the dev set.

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
from assistant.evaluate import ask_item, figures, load_eval_set, run_eval


def main(path: str = "evals/dev.yaml") -> None:
    assistant = Assistant.load(progress=False)
    items = load_eval_set(Path(path), {p.ref for p in assistant.passages})
    base = assistant.settings.retrieval
    grid = [("weighted", p, s, lx) for p, s, lx in itertools.product((0.0, 0.2, 0.4), (0.3, 0.6), (0.1, 0.2, 0.3))]
    grid += [("rrf", p, s, lx) for p, s, lx in ((1, 1, 1), (1, 2, 1), (1, 1, 2), (0, 1, 1))]
    for fusion, passage, sentence, lexical in grid:
        assistant.retriever.settings = base.model_copy(
            update={"fusion": fusion, "passage_weight": passage, "sentence_weight": sentence, "lexical_weight": lexical}
        )
        f = figures(run_eval(partial(ask_item, assistant), items))
        print(json.dumps({"fusion": fusion, "passage": passage, "sentence": sentence, "lexical": lexical,
                          **{f"hit@{k}": v for k, v in f.hit_at.items()}, "mrr": f.mrr}))
    assistant.retriever.settings = base
    confidence = [(it.kind, ask_item(assistant, it).confidence) for it in items]
    for step in range(20, 52, 2):
        threshold = step / 100
        oos = [c < threshold for kind, c in confidence if kind == "out_of_scope"]
        inside = [c < threshold for kind, c in confidence if kind == "in_scope"]
        print(json.dumps({"abstain_below": threshold, "oos_abstention": round(sum(oos) / len(oos), 3),
                          "false_abstention": round(sum(inside) / len(inside), 3)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
