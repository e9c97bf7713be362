"""Metrics of the evaluation workbench: exact values on small hand-made cases."""

from __future__ import annotations

import math

import pytest

from assistant.answer.compose import URGENT_NOTICE
from assistant.evaluation.metrics import (
    ItemResult,
    answer_quotes,
    classify_failure,
    estimate,
    first_hit_rank,
    infer_decision,
    is_grounded,
    key_quoted,
    modal_profile,
    ndcg,
    recall_at,
    retrieval_figures,
    set_metrics,
    source_unit,
)
from assistant.evaluation.results import RunResults, results_csv, results_json
from assistant.models import Answer, Citation, Passage

PARA_26 = Passage(
    doc="g", ref="para 26", label="Paragraph 26", kind="paragraph", heading="h",
    text="To fulfil the organisation's statutory obligations, organisations and practitioners MUST:\n"
         "- Share information where the criteria of the information sharing duty, as above, are considered to have been met.\n"
         "- Ensure sharing complies with data protection law.",
)


def _answer(lines: list[str], refs: list[str], urgent: bool = False) -> Answer:
    body = ([f"> {URGENT_NOTICE}", ""] if urgent else []) + lines + ["", "**Sources:**", "- x", "", "_notice_"]
    citations = [Citation(doc="g", ref=r, label=r, text="", score=0.5) for r in refs]
    return Answer(question="q", answer="\n".join(body), abstained=False, urgent=urgent, citations=citations,
                  corpus_version="v")


def _result(**fields) -> ItemResult:
    base = {"id": "x", "kind": "in_scope", "chapter": "1", "expected_refs": ["para 9"], "cited_refs": ["para 9"],
            "abstained": False, "first_hit_rank": 1, "quoted_refs": ["para 9"], "sentences": 1, "grounded_sentences": 1}
    return ItemResult(**{**base, **fields})


def test_ranking_metrics_exact():
    assert first_hit_rank(["b", "z"], ["a", "b", "c"]) == 2
    assert first_hit_rank(["z"], ["a", "b"]) is None
    # gold {a, c}: gains at ranks 1 and 3; ideal at ranks 1 and 2
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg(["a", "c"], ["a", "b", "c"]) == pytest.approx(expected)
    assert ndcg(["a"], ["b"] * 10 + ["a"]) == 0.0  # beyond depth 10
    assert recall_at(["a", "c", "d"], ["a", "b", "c"], 2) == pytest.approx(1 / 3)
    assert recall_at(["a", "c", "d"], ["a", "b", "c"], 3) == pytest.approx(2 / 3)


def test_answer_quotes_skip_urgent_notice_and_find_refs_with_brackets():
    answer = _answer(["> Consent is not required. (para 40)", "", "> A disclosure does not breach confidence. (s16LA(7))",
                      "", "> Made up sentence (para 99)"], ["para 40", "s16LA(7)"], urgent=True)
    quotes = answer_quotes(answer)
    assert [(q.text, q.ref) for q in quotes] == [
        ("Consent is not required.", "para 40"),
        ("A disclosure does not breach confidence.", "s16LA(7)"),
        ("Made up sentence (para 99)", None),
    ]


def test_grounding_accepts_list_items_with_their_stem_and_rejects_edits():
    stem = "To fulfil the organisation's statutory obligations, organisations and practitioners MUST:"
    item = "Share information where the criteria of the information sharing duty, as above, are considered to have been met."
    assert is_grounded(f"{stem} … {item}", PARA_26.text)
    assert not is_grounded(item.replace("Share", "Consider sharing"), PARA_26.text)


def test_modal_fidelity_notices_a_list_item_quoted_without_its_must():
    item = "Share information where the criteria of the information sharing duty, as above, are considered to have been met."
    source = source_unit(item, PARA_26)
    assert source.startswith("To fulfil") and source.endswith(item)
    assert modal_profile(source) == {"must"}
    assert modal_profile(item) == frozenset()  # the quote lost the duty word: not faithful
    assert modal_profile("Practitioners should not delay, and may ask.") == {"should not", "may"}


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("Sharing would be more detrimental to the child than not sharing.", "withhold_specific_details"),
        ("Information shared must be fair, strictly limited to what is necessary.", "share_with_mitigation"),
        ("Confidential information, can be shared without consent for the purposes of safeguarding.", "share"),
        ("Trusting relationships are at the heart of working with children and families.", None),
    ],
)
def test_decision_cues(text: str, decision: str | None):
    assert infer_decision(text) == decision


@pytest.mark.parametrize(
    ("fields", "failure"),
    [
        ({}, None),
        ({"abstained": True}, "abstention miss"),
        ({"first_hit_rank": None, "cited_refs": ["para 1"]}, "retrieval miss"),
        ({"first_hit_rank": 4, "cited_refs": ["a", "b", "c", "para 9"], "quoted_refs": ["a"]}, "citation miss"),
        ({"invalid_refs": ["para 99"]}, "citation miss"),
        ({"grounded_sentences": 0}, "content miss"),
        ({"key_points": ["consent"], "key_points_found": []}, "content miss"),
        ({"forbidden": ["x"], "forbidden_hits": ["x"]}, "content miss"),
        ({"decision_expected": "share", "decision_found": "share_with_mitigation"}, "content miss"),
        ({"urgent_expected": True, "urgent": False}, "content miss"),
        ({"kind": "out_of_scope", "expected_refs": [], "abstained": False}, "abstention miss"),
        ({"kind": "out_of_scope", "expected_refs": [], "abstained": True}, None),
        ({"kind": "invalid_input", "expected_refs": [], "rejected": True, "rejection": "The question is empty."}, None),
        ({"kind": "invalid_input", "expected_refs": [], "rejected": False}, "abstention miss"),
    ],
)
def test_failure_classes(fields: dict, failure: str | None):
    assert classify_failure(_result(**fields)) == failure


def test_bootstrap_interval_is_fixed_and_brackets_the_value():
    values = [1.0] * 45 + [0.0] * 5
    first, second = estimate(values), estimate(values)
    assert first == second
    assert first.value == 0.9 and first.n == 50
    assert first.low < 0.9 < first.high <= 1.0
    assert estimate([]).value is None
    assert estimate([2.0, 1.0], [4.0, 4.0]).value == 0.375  # a ratio of sums, as grounding uses


def test_set_metrics_counts_and_failure_classes():
    results = [
        _result(id="a"),
        _result(id="b", first_hit_rank=None, cited_refs=["para 1"], quoted_refs=["para 1"]),
        _result(id="c", kind="out_of_scope", expected_refs=[], abstained=True, first_hit_rank=None, sentences=0,
                grounded_sentences=0),
    ]
    results = [r.model_copy(update={"failure_class": classify_failure(r), "passed": classify_failure(r) is None})
               for r in results]
    m = set_metrics(results)
    assert (m.items, m.in_scope, m.out_of_scope) == (3, 2, 1)
    assert m.hit_at["1"].value == 0.5 and m.oos_abstention.value == 1.0 and m.false_abstention.value == 0.0
    assert m.failure_classes == {"retrieval miss": 1, "citation miss": 0, "abstention miss": 0, "content miss": 0}
    assert round(m.pass_rate.value, 4) == 0.6667
    assert m.decision_accuracy.value is None  # no item expects a decision


def test_retrieval_figures_for_baselines():
    figures = retrieval_figures([(["a"], ["a", "b"]), (["c"], ["x", "y", "z", "c"]), (["q"], [])])
    assert figures.in_scope == 3
    assert figures.hit_at["1"].value == round(1 / 3, 4) and figures.hit_at["5"].value == round(2 / 3, 4)
    assert figures.mrr.value == round((1 + 1 / 4) / 3, 4)


def test_csv_neutralises_spreadsheet_formulas_and_json_is_sorted():
    item = _result(question='=HYPERLINK("http://example.invalid")', set="s")
    results = RunResults(corpus_version="v", settings={}, sets={}, chapters={}, overall=set_metrics([item]),
                         baselines={}, items=[item], timing={"seconds_total": 1.0})
    row = results_csv(results).splitlines()[1]
    assert "'=HYPERLINK" in row
    assert results_json(results, with_timing=False) == results_json(results.model_copy(update={"timing": {"x": 2}}),
                                                                     with_timing=False)
    assert '"timing"' in results_json(results)


def test_key_quoted_needs_one_fragment_inside_one_quoted_sentence():
    quotes = answer_quotes(_answer(
        ["> In considering detriment, information must still be shared if concerns solely relate to: … "
         "Not having consent from the child/family to share information (para 11)"], ["para 11"], urgent=True))
    assert key_quoted(["must  still be SHARED if concerns"], quotes) is True  # spacing and case ignored
    assert key_quoted(["Not having consent from the child’s family"], quotes) is False
    assert key_quoted(["call the police on 999"], quotes) is False  # the urgent notice is not a quote
    assert key_quoted([], quotes) is None


def test_key_quoted_and_urgent_figures_count_their_own_items():
    results = [
        _result(id="a", key=["k"], key_quoted=True, urgent_expected=True, urgent=True),
        _result(id="b", key=["k"], key_quoted=False, history="before", urgent_expected=False, urgent=True),
        _result(id="c", key=["k"], key_quoted=True, history="before", urgent_expected=False, urgent=False),
        _result(id="d", urgent_expected=True, urgent=False),
    ]
    m = set_metrics(results)
    assert (m.key_quoted.value, m.key_quoted.n) == (round(2 / 3, 4), 3)
    assert (m.followup_key_quoted.value, m.followup_key_quoted.n) == (0.5, 2)
    assert (m.urgent_recall.value, m.urgent_recall.n) == (0.5, 2)
    assert (m.urgent_false_alarms.value, m.urgent_false_alarms.n) == (0.5, 2)
    assert classify_failure(results[1]) == "content miss"
