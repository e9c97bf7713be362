"""The evaluation workbench end to end on the deterministic fake assistant: runner, leakage control,
report, CLI, determinism and the regression mode (retrieval deliberately broken)."""

from __future__ import annotations

import json
import random
import re
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

import assistant.cli as cli_module
from assistant.cli import cli
from assistant.evaluation.report import write_report
from assistant.evaluation.results import RESULTS_FORMAT, load_results, results_json
from assistant.evaluation.run import ask_item, figures, load_eval_set, run_eval, run_sets
from assistant.evaluation.sets import read_eval_set

CONFIDENTIAL = "Sharing confidential information under the information sharing duty"
ITEM_FIELDS = {
    "id", "set", "kind", "chapter", "question", "expected_refs", "cited_refs", "citation_scores", "confidence",
    "abstained", "passed", "failure_class", "quoted_refs", "ranked_refs", "excluded_refs", "answer",
}
MINI_SET = f"""\
title: Mini set for tests
items:
  - id: consent
    kind: in_scope
    question: "Under data protection law practitioners do not need to obtain consent from children and families."
    expected_refs: ["para 40"]
  - id: confidence
    kind: in_scope
    question: "A disclosure of information under this section does not breach any obligation of confidence."
    expected_refs: ["s16LA(7)"]
  - id: unborn
    kind: in_scope
    question: "Whilst the Information Sharing Duty only applies from birth up to the age of 18, harm and need matter."
    expected_refs: ["para 57"]
  - id: scenario
    kind: in_scope
    from_example: "{CONFIDENTIAL}"
    question: "A 14-year-old child lives alone with one parent and has not previously been known to Children's Social Care."
    expected_refs: ["para 35", "para 8"]
  - id: weather
    kind: out_of_scope
    question: "zebra xylophone quokka marmalade"
  - id: empty
    kind: invalid_input
    question: ""
"""


@pytest.fixture
def mini_set(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI_SET, encoding="utf-8")
    return path


@pytest.fixture
def patched_load(monkeypatch, fake_assistant):
    monkeypatch.setattr(cli_module, "_load", lambda ctx, progress=True: fake_assistant)
    return fake_assistant


def _run(fake_assistant, path: Path, baselines: bool = True):
    known = {p.ref for p in fake_assistant.passages}
    return run_sets(fake_assistant, [read_eval_set(path, known)], baselines=baselines)


def test_runner_scores_every_item_with_the_documented_fields(fake_assistant, mini_set: Path):
    ticks: list[tuple[int, int, str]] = []
    known = {p.ref for p in fake_assistant.passages}
    results = run_sets(fake_assistant, [read_eval_set(mini_set, known)], lambda *a: ticks.append(a))
    items = {r.id: r for r in results.items}
    assert [r.id for r in results.items] == sorted(items)
    assert set(results.items[0].model_dump()) >= ITEM_FIELDS
    # six items, then the two baselines over the four in-scope items
    assert [t[:2] for t in ticks] == [(n, 14) for n in range(1, 15)]
    assert [t[2] for t in ticks][:6] == ["mini"] * 6 and ticks[-1][2] == "baseline bm25"
    assert items["consent"].first_hit_rank == 1 and items["confidence"].first_hit_rank == 1
    assert items["weather"].abstained and items["weather"].passed
    assert items["empty"].rejected and items["empty"].passed
    assert items["empty"].rejection == "The question is empty. Type a question about the Information Sharing Duty."
    # Five retrieved passages, then any passage a rule quotes (the tests, the limits) after them.
    assert len(items["consent"].citation_scores) == len(items["consent"].cited_refs) >= 5
    assert len(items["consent"].ranked_refs) == 10 and items["consent"].ranked_refs[:5] == items["consent"].cited_refs[:5]
    metrics = results.sets["mini"].metrics
    assert (metrics.items, metrics.in_scope, metrics.out_of_scope, metrics.invalid_input) == (6, 4, 1, 1)
    assert metrics.grounding.value == 1.0 and metrics.citation_validity.value == 1.0
    assert set(results.baselines) == {"stock_llamaindex", "bm25"}
    assert results.baselines["bm25"].sets["mini"].in_scope == 4
    assert set(items["consent"].baseline_hit_rank) == {"stock_llamaindex", "bm25"}


def test_worked_example_passages_are_left_out_of_retrieval(fake_assistant, mini_set: Path):
    own = [p.ref for p in fake_assistant.passages if p.ref.startswith(f"Example: {CONFIDENTIAL}")]
    item = next(i for i in load_eval_set(mini_set) if i.id == "scenario")
    unguarded = fake_assistant.ask(item.question)
    assert unguarded.citations[0].ref in own  # without the control the scenario finds its own box
    scored = next(r for r in _run(fake_assistant, mini_set, baselines=False).items if r.id == "scenario")
    assert scored.excluded_refs == sorted(own) and len(own) == 5
    assert not set(own) & set(scored.cited_refs + scored.ranked_refs)
    assert not set(own) & {c.ref for c in ask_item(fake_assistant, item).citations}


def test_results_json_is_byte_identical_across_runs(fake_assistant, mini_set: Path):
    first, second = _run(fake_assistant, mini_set), _run(fake_assistant, mini_set)
    assert results_json(first, with_timing=False) == results_json(second, with_timing=False)
    assert set(first.timing) == {"started", "seconds_total", "seconds_per_set", "seconds_baselines"}


def test_report_is_self_contained_and_escapes_questions(fake_assistant, tmp_path: Path):
    path = tmp_path / "odd.yaml"
    path.write_text("items:\n  - id: x\n    kind: out_of_scope\n    question: \"<script>alert(1)</script> =SUM(A1)\"\n")
    results = _run(fake_assistant, path)
    paths = write_report(results, tmp_path / "report")
    html = paths["html"].read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{500,}"', html)) == 3
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing to fetch: works offline
    assert ",<script>alert(1)</script> =SUM(A1)," in paths["csv"].read_text()  # not a formula: kept as written
    assert load_results(paths["json"]).items[0].question == "<script>alert(1)</script> =SUM(A1)"


def test_dev_interface_keeps_its_behaviour(fake_assistant, mini_set: Path):
    items = [i for i in load_eval_set(mini_set) if i.kind != "invalid_input"]
    result = figures(run_eval(partial(ask_item, fake_assistant), items))
    assert (result.in_scope, result.out_of_scope) == (4, 1)
    assert result.hit_at["1"] >= 0.5 and result.oos_abstention == 1.0


def test_cli_prints_the_dev_figures_then_the_rest(patched_load, mini_set: Path, tmp_path: Path):
    result = CliRunner().invoke(cli, ["eval", str(mini_set), "--report", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(
        rf"{re.escape(str(mini_set))}: n=4\+1 hit@1=\d\.\d{{3}} hit@3=\d\.\d{{3}} hit@5=\d\.\d{{3}} mrr=\d\.\d{{3}} "
        r"oos_abstention=1\.000 false_abstention=\d\.\d{3}", lines[0])
    assert "grounding=1.000" in lines[1] and "invalid_input_refusal=1.000" in lines[1]
    assert lines[3].startswith("  baseline ")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"report.html", "results.json", "results.csv"}
    as_json = CliRunner().invoke(cli, ["eval", str(mini_set), "--json", "--no-baseline-retrievers"])
    data = json.loads(as_json.stdout)
    assert data["format"] == RESULTS_FORMAT and data["baselines"] == {} and len(data["items"]) == 6


def test_cli_bad_set_fails_before_the_model_loads(monkeypatch, tmp_path: Path):
    def no_model(ctx, progress=True):
        raise AssertionError("the model must not load for a malformed set")

    monkeypatch.setattr(cli_module, "_load", no_model)
    bad = tmp_path / "bad.csv"
    bad.write_text("question,expected_refs,kind\nq,,perhaps\n")
    result = CliRunner().invoke(cli, ["eval", str(bad)])
    assert result.exit_code == 6
    assert result.output.startswith(f"Error: {bad}: row 2, field 'kind': 'perhaps' is not a kind")
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["eval", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 6 and "file not found" in missing.output
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    baseline = CliRunner().invoke(cli, ["eval", str(bad.with_name("ok.yaml")), "--baseline", str(junk)])
    assert baseline.exit_code == 6


def test_regression_mode_catches_broken_retrieval(patched_load, monkeypatch, mini_set: Path, tmp_path: Path):
    runner = CliRunner()
    before = runner.invoke(cli, ["eval", str(mini_set), "--report", str(tmp_path / "before")])
    assert before.exit_code == 0, before.output
    baseline = tmp_path / "before" / "results.json"
    same = runner.invoke(cli, ["eval", str(mini_set), "--baseline", str(baseline), "--no-baseline-retrievers"])
    assert same.exit_code == 0 and "no regression" in same.stdout and "newly failing: none" in same.stdout

    # Break retrieval: the same candidates in a shuffled order.
    retriever = patched_load.retriever
    original = retriever.hits

    def shuffled(*args, **kwargs):
        hits = original(*args, **kwargs)
        random.Random(7).shuffle(hits)
        return hits

    monkeypatch.setattr(retriever, "hits", shuffled)
    broken = runner.invoke(cli, ["eval", str(mini_set), "--baseline", str(baseline), "--no-baseline-retrievers"])
    assert broken.exit_code == 7, broken.output
    out = broken.stdout
    assert "REGRESSION (a headline figure dropped by more than 0.02)" in out
    assert ("  newly failing: mini/confidence (retrieval miss), mini/consent (retrieval miss), "
            "mini/unborn (retrieval miss)\n  newly passing: none\n") in out
    assert "  mini hit@5: 0.750 -> 0.000 (-0.750)  <-- worse\n" in out
    assert "  mini pass_rate: 0.833 -> 0.333 (-0.500)  <-- worse\n" in out
    tolerant = runner.invoke(cli, ["eval", str(mini_set), "--baseline", str(baseline), "--margin", "1",
                                   "--no-baseline-retrievers"])
    assert tolerant.exit_code == 0


def test_stale_gold_is_reported_not_counted_as_a_regression(patched_load, mini_set: Path, tmp_path: Path):
    runner = CliRunner()
    assert runner.invoke(cli, ["eval", str(mini_set), "--report", str(tmp_path / "before")]).exit_code == 0
    # The set now expects a ref the corpus does not have (as after a renumbering of the guidance).
    mini_set.write_text(MINI_SET.replace('expected_refs: ["para 57"]', 'expected_refs: ["para 61"]'), encoding="utf-8")
    strict = runner.invoke(cli, ["eval", str(mini_set)])
    assert strict.exit_code == 6 and "item 3 (id 'unborn'), field 'expected_refs': unknown ref(s) ['para 61']" in strict.output
    compared = runner.invoke(cli, ["eval", str(mini_set), "--baseline", str(tmp_path / "before" / "results.json"),
                                   "--no-baseline-retrievers"])
    assert compared.exit_code == 0, compared.output
    assert "stale gold: mini/unborn expects para 61, no longer in the corpus" in compared.stdout
    assert "newly failing: none" in compared.stdout and "no regression" in compared.stdout
