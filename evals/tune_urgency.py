"""Print the urgency check's trade-off on the dev split of evals/scenarios.yaml.

    python evals/tune_urgency.py

For each single-turn dev item that says whether the notice should show, it takes the listed signs of
harm (assistant/answer/urgency.py) and the example margin (how much nearer the question is to the
labelled disclosures than to the ordinary questions in corpus/urgent_examples.yaml), then prints recall
on disclosures and false alarms on the rest for each pair of thresholds, the word lists alone, and the
margin's AUC. The test split is measured with `assistant eval evals/scenarios.yaml`, never here.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.answer.urgency import example_margin, is_urgent
from assistant.evaluation.sets import read_eval_set

ALONE = [0.0, 0.02, 0.04, 0.06, 0.08]  # urgent without a sign at this margin or more
WITH_SIGNS = [-1.0, -0.15, -0.1, -0.06, -0.02, 0.0]  # urgent with a sign at this margin or more


def main() -> None:
    assistant = Assistant.load(progress=False)
    corpus = {p.ref for p in assistant.passages}
    scenarios = read_eval_set(Path("evals/scenarios.yaml"), corpus)
    items = [i for i in scenarios.items if scenarios.split_of(i) == "dev" and i.urgent is not None and not i.history]
    k = assistant.settings.answer.urgent_k
    margins = np.array([
        example_margin(assistant.index, assistant.embed(assistant.retriever.expand(i.question)), k) for i in items
    ])
    signs = np.array([is_urgent(i.question) for i in items])
    urgent = np.array([bool(i.urgent) for i in items])
    print(f"dev items: {urgent.sum()} disclosures, {(~urgent).sum()} not")
    print(f"word lists alone: recall {signs[urgent].mean():.3f}, false alarms {signs[~urgent].mean():.3f}")
    above = (margins[urgent][:, None] > margins[~urgent][None, :]).mean()
    ties = (margins[urgent][:, None] == margins[~urgent][None, :]).mean()
    print(f"example margin AUC {above + ties / 2:.3f}")
    for alone, with_signs in itertools.product(ALONE, WITH_SIGNS):
        shown = (margins >= alone) | (signs & (margins >= with_signs))
        print(f"margin >= {alone:+.2f} alone, or a sign and margin >= {with_signs:+.2f}: "
              f"recall {shown[urgent].mean():.3f}, false alarms {shown[~urgent].mean():.3f}")


if __name__ == "__main__":
    main()
