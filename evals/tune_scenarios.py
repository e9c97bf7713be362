"""Try answering settings on the dev split of evals/scenarios.yaml and print the figures for each.

    python evals/tune_scenarios.py                        # the grid used to choose the defaults
    python evals/tune_scenarios.py '{"decision_weight": [0, 0.1]}'

A setting is any field of RetrievalSettings or AnswerSettings (assistant/settings.py). Only the dev
split is read: the test split is measured with `assistant eval evals/scenarios.yaml`, never here.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from assistant import Assistant
from assistant.evaluation.metrics import set_metrics
from assistant.evaluation.run import evaluate_item
from assistant.evaluation.sets import read_eval_set

GRID = {
    "settle_weight": [0.0, 0.05, 0.1, 0.2],
    "decision_weight": [0.0, 0.05, 0.1, 0.15],
    "asking_weight": [0.5, 0.9],
    "sentence_question_weight": [0.0, 0.7],
    "word_weight": [0.0, 0.1],
}


def main(grid_json: str | None = None) -> None:
    grid = json.loads(grid_json) if grid_json else GRID
    assistant = Assistant.load(progress=False)
    corpus = {p.ref: p for p in assistant.passages}
    scenarios = read_eval_set(Path("evals/scenarios.yaml"), set(corpus))
    items = [i for i in scenarios.items if scenarios.split_of(i) == "dev"]
    for values in itertools.product(*grid.values()):
        chosen = dict(zip(grid, values, strict=True))
        for name, value in chosen.items():
            section = assistant.settings.retrieval if name in type(assistant.settings.retrieval).model_fields \
                else assistant.settings.answer
            setattr(section, name, value)
        m = set_metrics([evaluate_item(assistant, item, "scenarios", corpus, "dev") for item in items])
        print(json.dumps({**chosen, "hit@1": m.hit_at["1"].value, "hit@5": m.hit_at["5"].value,
                          "key_quoted": m.key_quoted.value, "followup_key_quoted": m.followup_key_quoted.value,
                          "false_abstention": m.false_abstention.value, "oos_abstention": m.oos_abstention.value}),
              flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
