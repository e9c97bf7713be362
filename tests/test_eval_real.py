"""The built-in evaluation sets with the real model: the CI thresholds. Slow; CI runs them.

The thresholds are the project's targets and are never lowered to make a run pass; the README's
"Evaluation workbench" section gives the figures last measured.
"""

from __future__ import annotations

import pytest

from assistant.evaluation.results import results_json
from assistant.evaluation.run import run_sets
from assistant.evaluation.sets import built_in_set_paths, read_eval_set

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_in_results(real_assistant):
    known = {p.ref for p in real_assistant.passages}
    sets = [read_eval_set(path, known) for path in built_in_set_paths()]
    return run_sets(real_assistant, sets, baselines=False)


def test_practitioner_set_meets_the_retrieval_and_grounding_targets(built_in_results):
    metrics = built_in_results.sets["practitioner"].metrics
    assert metrics.in_scope >= 80
    assert metrics.hit_at["5"].value >= 0.90
    assert metrics.grounding.value == 1.0


def test_scenario_test_split_holds_its_measured_level(built_in_results):
    """The scenario set's test split (never tuned on). These floors sit a margin below the figures measured
    when they were set (README, "Scenarios"); they catch a regression, they are not the issue's targets."""
    test = built_in_results.splits["scenarios"]["test"]
    assert test.in_scope >= 130 and test.out_of_scope >= 10
    assert test.hit_at["5"].value >= 0.72 and test.hit_at["1"].value >= 0.35
    assert test.key_quoted.value >= 0.52 and test.followup_key_quoted.value >= 0.45
    assert test.false_abstention.value <= 0.05 and test.oos_abstention.value >= 0.73
    assert test.urgent_recall.value >= 0.72 and test.urgent_false_alarms.value <= 0.35
    assert test.grounding.value == 1.0


def test_out_of_scope_set_meets_the_abstention_target(built_in_results):
    metrics = built_in_results.sets["out_of_scope"].metrics
    assert metrics.out_of_scope >= 15
    assert metrics.oos_abstention.value >= 0.90


def test_every_answer_is_grounded_and_keeps_its_modals(built_in_results):
    overall = built_in_results.overall
    assert overall.grounding.value == 1.0 and overall.modal_fidelity.value == 1.0
    assert overall.citation_validity.value == 1.0
    assert built_in_results.sets["adversarial"].metrics.invalid_input_refusal.value == 1.0


def test_worked_examples_never_cite_their_own_example(built_in_results):
    items = [r for r in built_in_results.items if r.set == "worked_examples"]
    assert len(items) == 9
    for item in items:
        assert len(item.excluded_refs) in (4, 5)
        assert not set(item.excluded_refs) & set(item.cited_refs + item.ranked_refs)


def test_a_second_run_gives_identical_json(real_assistant, built_in_results):
    known = {p.ref for p in real_assistant.passages}
    again = run_sets(real_assistant, [read_eval_set(path, known) for path in built_in_set_paths()], baselines=False)
    assert results_json(again, with_timing=False) == results_json(built_in_results, with_timing=False)
