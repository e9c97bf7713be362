"""Clarity report: the rules on the real guidance and on small made-up passages, the labelled-set
figures, consultation feedback, usage from an evaluation run, and the written report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from assistant.clarity.build import analyse, build_report
from assistant.clarity.consistency import duty_level_conflicts, unsourced_must
from assistant.clarity.feedback import check_mapping, feedback_flags, load_feedback
from assistant.clarity.labels import evaluate, load_labels
from assistant.clarity.language import passive_duties, readability, stacked_hedges, syllables, vague_terms
from assistant.clarity.models import ClarityReport
from assistant.clarity.report import highlight, report_csv, write_report
from assistant.clarity.structure import Outline, broken_text, footnote_markers
from assistant.clarity.usage import usage_flags
from assistant.corpus.loader import load_passages
from assistant.errors import ClarityError, CorpusError
from assistant.models import Passage
from assistant.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
LABELS = PROJECT_ROOT / "evals" / "clarity_labels.yaml"


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    return load_passages(CORPUS)


@pytest.fixture(scope="module")
def report() -> ClarityReport:
    return build_report(CORPUS)


def entry(report: ClarityReport, ref: str):
    return next(e for e in report.entries if e.ref == ref)


def rules(report: ClarityReport, ref: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for flag in entry(report, ref).flags:
        found.setdefault(flag.rule, []).append(flag)
    return found


def made_up(text: str, ref: str = "para 1", kind: str = "paragraph", footnotes: tuple[str, ...] = (), order: int = 0) -> Passage:
    return Passage(doc="test", ref=ref, label=ref, kind=kind, heading="Chapter 1: Test", chapter="1", text=text,
                   footnotes=footnotes, order=order)


def test_labelled_set_meets_the_target(report: ClarityReport):
    scores = evaluate(report, load_labels(LABELS, {e.ref for e in report.entries}))
    assert (scores.labelled, scores.unclear) == (91, 29)
    assert scores.overall.recall >= 0.8 and scores.overall.precision >= 0.6
    assert (scores.overall.precision, scores.overall.recall) == (0.771, 0.931)
    assert scores.missed == ["para 4", "para 29"]
    assert {c: (m.precision, m.recall) for c, m in scores.by_category.items()} == {
        "language": (0.643, 0.818), "structure": (0.875, 0.875), "consistency": (0.875, 0.778),
    }


def test_labels_file_rejects_unknown_refs_and_missing_categories(tmp_path: Path, report: ClarityReport):
    bad = tmp_path / "labels.yaml"
    bad.write_text("labels:\n  - ref: para 99\n    label: clear\n    note: not a paragraph\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="para 99"):
        load_labels(bad, {e.ref for e in report.entries})
    bad.write_text("labels:\n  - ref: para 1\n    label: unclear\n    note: no categories given\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="needs categories"):
        load_labels(bad, {e.ref for e in report.entries})


def test_ranked_most_unclear_first_and_deterministic(report: ClarityReport):
    scores = [e.score for e in report.entries]
    assert scores == sorted(scores, reverse=True)
    assert [e.rank for e in report.entries] == list(range(1, 92))
    assert report.entries[0].ref == "para 27"
    assert build_report(CORPUS).model_dump() == report.model_dump()
    analysed = {e.ref for e in report.entries}
    assert "footnote 1" not in analysed and "s16LA(2)" not in analysed and not any(r.startswith("ICO:") for r in analysed)


def test_structure_flags_on_the_guidance(report: ClarityReport):
    garbled = rules(report, "para 27")["garbled-sentence"]
    assert [f.trigger for f in garbled] == ["increase risk or is impracticable. guardians", "parents/ unless"]
    box = "Effective multi-agency information sharing is essential to safeguarding and promoting the welfare of children"
    assert rules(report, box)["cut-sentence"][0].trigger == "improved to better protect"
    page = rules(report, "Main points")["page-reference"][0]
    assert (page.trigger, page.severity, page.see_also) == ("pages 8-10 'Limitation: detriment to the child'", "high",
                                                             ("para 9", "para 12"))
    wrong = rules(report, "Sharing information in emergency or urgent cases")["wrong-footnote"][0]
    assert wrong.see_also == ("footnote 1", "Summary")
    assert rules(report, "Key terms: Organisations and practitioners")["missing-section"][0].trigger == "set out under 'audience'"
    assert rules(report, "para 32")["missing-section"][0].trigger == "Annex A"
    assert "missing-section" not in rules(report, "para 11")  # "Chapter 3: 'Consent'" is the start of a real heading


def test_consistency_flags_on_the_guidance(report: ClarityReport):
    informing = {ref: rules(report, ref)["duty-level-conflict"][0] for ref in
                 ("para 18", "para 27", "para 38", "para 56", "Consent and maintaining trusted relationships with families")}
    assert informing["para 18"].trigger == "should consider whether to make parents aware"
    assert informing["para 38"].trigger == "best practice to inform"
    assert "'best practice' at para 38" in informing["para 27"].explanation
    paraphrase = rules(report, "Main points")["statute-paraphrase"][0]
    assert paraphrase.trigger == "must share" and "if and only so far as" in paraphrase.explanation
    assert "considers" not in paraphrase.question  # 'if it is considered' keeps the judgement
    assert rules(report, "para 2")["statute-paraphrase"][0].severity == "high"  # drops 'may facilitate' too


def test_vague_term_defined_elsewhere_is_lowered_and_points_there(report: ClarityReport):
    relevant = next(f for f in rules(report, "para 60")["vague-term"] if f.trigger == "relevant")
    assert relevant.severity == "info"
    assert "Key terms: Relevant functions" in relevant.see_also
    limited = next(f for f in rules(report, "para 9")["vague-term"] if f.trigger == "extremely limited")
    assert (limited.severity, limited.see_also) == ("medium", ())


def test_language_rules_on_made_up_text():
    hedged = made_up("Information should not usually need to be withheld for that reason.")
    assert [f.trigger for f in stacked_hedges(hedged)] == ["should not usually need to"]
    assert stacked_hedges(made_up("Practitioners should consider sharing.")) == []
    nobody = passive_duties(made_up("The decision must be recorded."))
    assert [(f.trigger, f.severity) for f in nobody] == [("must be recorded", "medium")]
    implied = passive_duties(made_up("Where practitioners hold it, the note should be kept."))
    assert [(f.trigger, f.severity) for f in implied] == [("should be kept", "low")]
    assert passive_duties(made_up("The form must be signed by the manager.")) == []
    vague = vague_terms(made_up("Share where appropriate and usually within a day."), [])
    assert [(f.trigger, f.severity) for f in vague] == [("where appropriate", "medium"), ("usually", "medium")]
    purpose = vague_terms(made_up("Give enough context for the recipient to decide."), [])
    assert [(f.trigger, f.severity) for f in purpose] == [("enough", "low")]


def test_readability_grade_and_syllables():
    assert [syllables(w) for w in ("the", "information", "children", "proportionate")] == [1, 4, 2, 4]
    assert [syllables(w) for w in ("area", "safeguarding")] == [2, 4]  # an estimate: true counts are 3 and 3
    plain = readability(made_up("The cat sat. The dog ran."))
    hard = readability(made_up("Organisations must consider the proportionality of information disclosure obligations."))
    assert (plain.words, plain.sentences, plain.longest_sentence) == (6, 2, 3)
    assert plain.grade < 1 < 15 < hard.grade


def test_structure_rules_on_made_up_text():
    cut = broken_text(made_up("Share it with the"))
    assert [(f.rule, f.severity) for f in cut] == [("cut-sentence", "high")]
    assert broken_text(made_up("Share it, e.g. by phone.")) == []
    notes = [made_up("A note.", ref="footnote 1", kind="footnote"), made_up("Another.", ref="footnote 2", kind="footnote")]
    first = made_up("Text.", ref="para 1", footnotes=("footnote 1", "footnote 2"))
    repeat = made_up("Text.", ref="para 2", footnotes=("footnote 1",))
    missing = made_up("Text.", ref="para 3", footnotes=("footnote 9",))
    outline = Outline.of([*notes, first, repeat, missing])
    cited: dict[str, str] = {}
    assert footnote_markers(first, outline, cited) == []
    assert [f.rule for f in footnote_markers(repeat, outline, cited)] == ["wrong-footnote"]
    assert [f.rule for f in footnote_markers(missing, outline, cited)] == ["missing-footnote"]


def test_consistency_rules_on_made_up_text():
    texts = ["Practitioners must inform parents of the decision.", "Practitioners may tell the family what was shared."]
    conflicts = duty_level_conflicts([made_up(t, ref=f"para {i}") for i, t in enumerate(texts, 1)])
    assert {ref: [f.trigger for f in flags] for ref, flags in conflicts.items()} == {
        "para 1": ["must inform"], "para 2": ["may tell"]}
    assert conflicts["para 1"][0].severity == "high"
    assert [f.trigger for f in unsourced_must(made_up("Staff must wear a badge."))] == ["must"]
    assert unsourced_must(made_up("Staff must comply with data protection law.")) == []
    assert unsourced_must(made_up("No single agency is required to decide alone.")) == []


def test_feedback_records_are_not_answerable_passages(passages: list[Passage]):
    feedback = load_feedback(CORPUS)
    assert len(feedback.records) == 10
    manifest = (CORPUS / "manifest.yaml").read_text(encoding="utf-8")
    assert "consultation_feedback" not in manifest and "feedback_mapping" not in manifest
    all_text = " ".join(p.text for p in passages)
    assert not any(r.concern[:60] in all_text for r in feedback.records)


def test_feedback_flags_carry_their_source(report: ClarityReport):
    flags = rules(report, "para 16")["consultation-concern"]
    assert [f.trigger for f in flags] == ["information about any individual"]
    assert flags[0].source.startswith("Association of Directors of Children's Services (ADCS), response to the draft")
    assert flags[0].source.endswith("reviewed mapping")
    covered = {e.ref for e in report.entries if any(f.category == "feedback" for f in e.flags)}
    assert len(covered) == 22


def test_feedback_mapping_must_quote_the_passage(tmp_path: Path, corpus_copy: Path, passages: list[Passage]):
    mapping = corpus_copy / "feedback_mapping.yaml"
    mapping.write_text(mapping.read_text(encoding="utf-8").replace(
        'trigger: "untested allegations"', 'trigger: "words not in the passage"'), encoding="utf-8")
    with pytest.raises(CorpusError, match="'words not in the passage' is not in para 11"):
        check_mapping(load_feedback(corpus_copy), passages)


def test_feedback_retrieval_adds_unreviewed_candidates(fake_assistant):
    feedback = load_feedback(CORPUS)
    with_retrieval = feedback_flags(feedback, fake_assistant.passages, fake_assistant)
    reviewed_only = feedback_flags(feedback, fake_assistant.passages)
    extra = [f for flags in with_retrieval.values() for f in flags if f.source.endswith("not reviewed")]
    assert extra and all(f.severity == "low" for f in extra)
    assert sum(map(len, with_retrieval.values())) == sum(map(len, reviewed_only.values())) + len(extra)


def _results(tmp_path: Path, items: list[dict]) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"format": "isd-eval-results/1", "items": items}), encoding="utf-8")
    return path


def test_usage_aggregates_weak_and_disagreeing_retrieval(tmp_path: Path, passages: list[Passage]):
    items = [
        {"id": "q1", "kind": "in_scope", "cited_refs": ["para 9", "para 10"], "citation_scores": [0.5, 0.3],
         "expected_refs": ["para 11"], "confidence": 0.3, "abstained": False, "passed": False, "failure_class": "retrieval miss"},
        {"id": "q2", "kind": "in_scope", "cited_refs": ["para 26", "para 27"], "citation_scores": [0.61, 0.6],
         "expected_refs": ["para 26"], "confidence": 0.7, "abstained": False, "passed": True, "failure_class": None},
        {"id": "q3", "kind": "out_of_scope", "cited_refs": ["para 9"], "abstained": True, "passed": True},
    ]
    flags = usage_flags(_results(tmp_path, items), passages)
    assert sorted(flags) == ["para 10", "para 11", "para 26", "para 27", "para 9"]
    assert "cited in 1 weak answer(s) (q1)" in flags["para 9"][0].explanation
    assert "expected but not found in 1 (q1)" in flags["para 11"][0].explanation
    assert (flags["para 26"][0].trigger, flags["para 27"][0].trigger) == ("must", "should")
    report = build_report(CORPUS, usage=_results(tmp_path, items))
    assert report.usage_file == "results.json" and rules(report, "para 26")["weak-or-disagreeing-retrieval"]


@pytest.mark.parametrize(("content", "message"), [
    (b"\x00\x01binary", "not JSON text"),
    (b'{"sets": {}}', "no 'items' list"),
    (b'{"items": [{"id": "x"}]}', "item 1 has no 'id' and 'cited_refs'"),
    (b"", "not JSON text"),
])
def test_usage_rejects_files_that_are_not_results(tmp_path: Path, passages: list[Passage], content: bytes, message: str):
    path = tmp_path / "results.json"
    path.write_bytes(content)
    with pytest.raises(ClarityError, match=message):
        usage_flags(path, passages)


def test_report_files(tmp_path: Path, report: ClarityReport):
    paths = write_report(report, tmp_path / "out")
    assert [p.name for p in paths] == ["report.html", "clarity.csv", "clarity.json"]
    page = paths[0].read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 1
    assert "<script" not in page and "<link" not in page and "src=\"http" not in page
    marked = "increase risk or is impracticable. guardians</mark>"
    assert f'<mark class="c-structure" title="structure: garbled-sentence">{marked}' in page
    rows = list(csv.DictReader(io.StringIO(paths[1].read_text(encoding="utf-8"))))
    assert len(rows) == sum(len(e.flags) for e in report.entries)
    assert rows[0]["ref"] == "para 27" and rows[0]["rank"] == "1"
    data = json.loads(paths[2].read_text(encoding="utf-8"))
    assert [e["ref"] for e in data["entries"]] == [e.ref for e in report.entries]


def test_csv_cells_never_start_a_formula():
    passage = made_up("- =HYPERLINK(x) must be recorded.")
    flagged = analyse([passage])
    text = report_csv(flagged)
    assert "\n=" not in text and ",=" not in text


def test_highlight_escapes_html():
    passage = made_up("Share <b>where appropriate</b> & record it.")
    marked = highlight(analyse([passage]).entries[0])
    assert marked.startswith("Share &lt;b&gt;<mark class=\"c-language\"")
    assert "&amp; record it." in marked


def test_report_folder_that_cannot_be_written(tmp_path: Path, report: ClarityReport):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ClarityError, match="cannot write the report"):
        write_report(report, blocker / "sub")


@pytest.mark.slow
def test_real_retrieval_finds_reviewed_passages_for_most_concerns(real_assistant):
    from assistant.clarity.feedback import propose

    feedback = load_feedback(CORPUS)
    reviewed = {m.id: {p.ref for p in m.passages} for m in feedback.mapping}
    found = [r.id for r in feedback.records if reviewed[r.id] & set(propose(real_assistant, r, k=5))]
    assert len(found) >= 7, found  # 9 of 10 when the mapping was reviewed
    report = build_report(CORPUS, assistant=real_assistant)
    unreviewed = [f for e in report.entries for f in e.flags if f.source.endswith("not reviewed")]
    assert unreviewed and all(f.category == "feedback" and f.severity == "low" for f in unreviewed)


def test_spreadsheet_csv_defuses_formulas_and_joins_lists():
    from assistant.spreadsheet import csv_text

    rows = [["=1+1", ["x", "y"]], [None, "-3"], ["@a", "plain, with comma"]]
    assert csv_text(["a", "b"], rows) == "a,b\n'=1+1,x; y\n,'-3\n'@a,\"plain, with comma\"\n"
