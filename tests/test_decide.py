"""The Decide helper: steps held as data, outcomes from answers, the decision record, the CLI and the tab's logic.

Fixtures under tests/fixtures/decide/ are answers files: the guidance's three worked examples (their facts as
answers) and scenarios written for this project. No model, no index: deciding needs the passages only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner

import assistant.cli as cli_module
from assistant.cli import cli
from assistant.corpus.loader import load_passages
from assistant.decide import Decider
from assistant.decide.record import CITED_HEADING
from assistant.errors import CorpusError, DecideError
from assistant.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "decide"
CORPUS = PROJECT_ROOT / "corpus"
STEP_IDS = ["situation", "recipient_covered", "relevance", "may_facilitate", "detriment", "lawful_basis",
            "what_and_how_much", "telling_family", "record"]
FIRST_STEP_CITES = {"s16LA(1)", "para 6", "para 5", "Key terms: Child"}  # every record reaches the situation step


@pytest.fixture(scope="module")
def passages():
    return load_passages(CORPUS)


@pytest.fixture(scope="module")
def decider() -> Decider:
    return Decider.from_corpus(CORPUS)


def _decide(decider: Decider, name: str):
    return decider.decide_file(FIXTURES / name)


def _data(name: str) -> dict:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def test_steps_are_data_and_every_quote_is_found_verbatim(decider, passages):
    book = decider.book
    assert [s.id for s in book.steps] == STEP_IDS
    by_ref = {p.ref: p for p in passages}
    assert len(book.all_rules()) == 106 and len(book.found) == 94
    for where, rule in book.all_rules():
        quote = book.quote(rule)
        assert quote.sentence.startswith(rule.starts), where
        assert quote.sentence in by_ref[rule.ref].text, (where, rule.ref)
        assert not quote.stem or quote.stem in by_ref[rule.ref].text
    # para 11's list of what is not a reason to withhold is always shown with the detriment step
    detriment = [r.starts for r in book.step("detriment").quotes if r.ref == "para 11"]
    assert detriment[1:5] == ["Not having consent from the child/family", "A parent being unhappy, on principle",
                              "A practitioner feeling unsure or uncomfortable", "Data protection –"]
    assert all(book.advisers[a] for s in book.steps for a in s.ask)


def test_a_quote_the_passages_no_longer_hold_stops_the_load_naming_step_and_ref(tmp_path, passages):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    path = corpus / "decide_steps.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('starts: "Detriment:"}', 'starts: "Harm:"}', 1), encoding="utf-8")
    message = r"decide_steps.yaml: step 'detriment': no sentence of 'para 13' begin\(s\) with 'Harm:'"
    with pytest.raises(CorpusError, match=message):
        Decider.load(corpus, passages, "v")
    path.write_text(path.read_text(encoding="utf-8").replace('ref: "para 17"', 'ref: "para 71"'), encoding="utf-8")
    with pytest.raises(CorpusError, match="'para 71' is not a passage"):
        Decider.load(corpus, passages, "v")


# The worked examples: which example, its fixture, and the paragraphs its reasoning rests on.
WORKED_EXAMPLES = [
    ("Assessing detriment and suitable mitigation when sharing information", "example_detriment.yaml",
     {"para 9", "para 10", "s16LA(3)", "para 11", "para 13", "para 27"}),
    ("Sharing Information about others connected to a child", "example_connected.yaml",
     {"para 16", "para 18", "para 11", "para 13", "para 32", "para 27", "s16LA(2)", "para 31"}),
    ("Sharing confidential information under the information sharing duty", "example_confidential.yaml",
     {"para 8", "para 34", "para 35", "para 30", "para 31", "para 37", "para 26", "para 32", "para 27"}),
]


@pytest.mark.parametrize(("title", "fixture", "relies_on"), WORKED_EXAMPLES, ids=["detriment", "connected", "confidential"])
def test_worked_examples_replay_to_the_guidance_decision(decider, passages, title, fixture, relies_on):
    items = yaml.safe_load((PROJECT_ROOT / "evals" / "worked_examples.yaml").read_text(encoding="utf-8"))["items"]
    decisions = {item["decision"] for item in items if item.get("from_example") == title}
    assert len(decisions) == 1
    assert any(p.ref.startswith(f"Example: {title} – Decision") for p in passages)
    record = _decide(decider, fixture)
    assert record.outcome.kind == decisions.pop()
    assert relies_on <= set(record.cited_refs), relies_on - set(record.cited_refs)
    assert not any(ref.startswith("Example:") for ref in record.cited_refs)


def test_worked_example_records_cite_only_what_their_facts_call_for(decider):
    detriment, connected, confidential = (_decide(decider, f) for _, f, _ in WORKED_EXAMPLES)
    assert [c.step for c in detriment.outcome.because] == ["detriment"]
    assert detriment.sharing.withheld == "The child's current location and contact arrangements"
    para_10 = [q.sentence for q in detriment.steps[4].quotes if q.ref == "para 10"]
    assert para_10 == ["Instances where sharing information may be more detrimental than not sharing would usually relate to "
                       "at least one of the following:", "The child being placed at immediate risk of harm by the "
                       "information being shared;"]
    assert {"para 31", "para 8", "para 35", "para 16"}.isdisjoint(detriment.cited_refs)
    assert "para 29" in connected.cited_refs and "para 8" not in connected.cited_refs  # police, not confidential
    assert [c.step for c in connected.outcome.because] == ["detriment"]
    assert connected.family.startswith("Yes: the child and family are told")
    assert [c.step for c in confidential.outcome.because] == STEP_IDS[:7]
    assert confidential.family == ("Not decided yet. The example does not say; decide with the safeguarding lead when and how "
                                   "to tell the parent. Ask: your safeguarding lead, your manager.")


# Scenarios written for this project: fixture, outcome, the steps that led to it, refs it must and must not cite.
SCENARIOS = [
    ("s01_school_hunger_share.yaml", "share", STEP_IDS[:7], {"para 27", "para 38"}, {"para 31", "para 54"}),
    ("s02_health_visitor_partner_mitigation.yaml", "share_with_mitigation", ["detriment"], {"para 16", "para 18", "para 31"},
     {"para 29"}),
    ("s03_charity_not_covered.yaml", "not_under_duty", ["recipient_covered"], {"para 53", "para 54", "para 27"},
     {"para 55", "para 13", "para 9"}),
    ("s04_wales_not_covered.yaml", "not_under_duty", ["recipient_covered"], {"para 55"}, {"para 54", "para 56"}),
    ("s05_adult_no_connection.yaml", "not_under_duty", ["situation"], {"para 17", "para 58"}, {"para 53", "para 13"}),
    ("s06_not_relevant.yaml", "not_under_duty", ["relevance"], {"para 13", "para 37"}, {"para 9", "para 17"}),
    ("s07_facilitate_unsure.yaml", "refer", ["may_facilitate"], {"para 11", "para 33"}, {"para 12"}),
    ("s08_detriment_unsure.yaml", "refer", ["detriment"], {"para 12", "para 8", "para 35"}, set()),
    ("s09_lawful_basis_unsure.yaml", "refer", ["lawful_basis"], {"para 33", "para 31"}, {"para 29"}),
    ("s10_police_operation_withhold.yaml", "withhold_specific_details", ["detriment"], {"para 10", "para 29", "para 31"},
     set()),
    ("s11_family_court_withhold.yaml", "withhold_specific_details", ["detriment"], {"para 10", "para 16"}, {"para 29"}),
    ("s12_urgent_share.yaml", "share", STEP_IDS[:7], {"Sharing information in emergency or urgent cases"}, set()),
    ("s13_parent_not_covered.yaml", "not_under_duty", ["recipient_covered"], {"para 56"}, {"para 54", "para 55"}),
    ("s14_personal_details_scrubbed.yaml", "share", STEP_IDS[:7], {"para 31"}, set()),
]


@pytest.mark.parametrize(("fixture", "kind", "because", "cites", "not_cites"), SCENARIOS, ids=[s[0][:3] for s in SCENARIOS])
def test_own_scenarios_reach_their_outcome(decider, fixture, kind, because, cites, not_cites):
    record = _decide(decider, fixture)
    assert record.outcome.kind == kind
    assert [c.step for c in record.outcome.because] == because
    refs = set(record.cited_refs)
    assert cites <= refs, cites - refs
    assert not (not_cites & refs), not_cites & refs
    assert refs >= FIRST_STEP_CITES


def test_every_outcome_is_covered_by_the_scenarios():
    assert {s[1] for s in SCENARIOS} == {"share", "share_with_mitigation", "withhold_specific_details", "not_under_duty",
                                         "refer"}
    assert len(SCENARIOS) >= 10


def test_unsure_names_whom_to_ask_and_steps_after_not_covered_are_not_reached(decider):
    refer = _decide(decider, "s07_facilitate_unsure.yaml")
    assert refer.outcome.ask == ["your manager", "your safeguarding lead"]
    assert refer.outcome.label == "Unsure: ask before deciding"
    lawful = _decide(decider, "s09_lawful_basis_unsure.yaml")
    assert lawful.outcome.ask == ["your data protection officer (DPO)", "your Caldicott Guardian (health and social care)",
                                  "your manager"]
    assert lawful.steps[5].ask == lawful.outcome.ask
    charity = _decide(decider, "s03_charity_not_covered.yaml")
    assert [s.answer for s in charity.steps] == ["yes", "no", *["not reached"] * 7]
    assert all(not s.quotes for s in charity.steps[2:])
    assert [q.ref for q in charity.outcome.route] == ["para 53", "para 54", "para 54"]


def test_changing_one_answer_changes_the_outcome(decider):
    answers = _data("example_connected.yaml")
    del answers["decision"]
    assert decider.decide(answers).outcome.kind == "share_with_mitigation"
    del answers["steps"]["detriment"]["mitigation"]
    assert decider.decide(answers).outcome.kind == "share"
    answers["steps"]["detriment"] = {"answer": "unsure", "rationale": "Not sure the older peers would not retaliate."}
    record = decider.decide(answers)
    assert record.outcome.kind == "refer" and record.outcome.ask == [
        "your manager", "your Caldicott Guardian (health and social care)", "your safeguarding lead"]
    answers["steps"]["recipient_covered"] = {"answer": "no", "rationale": "Not covered."}
    answers["situation"]["recipient_kind"] = "other"
    assert decider.decide(answers).outcome.kind == "not_under_duty"  # out of the duty outranks an open question


def test_record_round_trips_every_cited_ref_to_a_passage(decider, passages):
    by_ref = {p.ref: p for p in passages}
    for fixture in sorted(FIXTURES.glob("*.yaml")):
        record = decider.decide_file(fixture)
        markdown = record.markdown()
        listed = re.findall(r"^- (.+?) — ", markdown.split(CITED_HEADING + "\n", 1)[1], re.MULTILINE)
        assert listed == record.cited_refs, fixture.name
        assert all(ref in by_ref for ref in listed)
        for text, ref in re.findall(r"^> (.+) \(([^()]+(?:\([^()]*\))?[^()]*)\)$", markdown, re.MULTILINE):
            for part in text.split(" … "):
                assert part.strip("… ") in by_ref[ref].text, (fixture.name, ref, part[:60])
        html = record.html()
        assert all(f'<span class="ref">{ref}</span>' in html for ref in record.cited_refs)


def test_record_holds_date_version_situation_outcome_sharing_family_and_review(decider):
    record = _decide(decider, "example_detriment.yaml")
    markdown = record.markdown()
    assert markdown.startswith("# Information sharing decision record\n\n- Date: 2026-10-01\n- Guidance: Information "
                               "Sharing Duty")
    assert "corpus " in record.corpus_version
    for line in ("- Outcome: **Withhold specific details**", "- Withheld: The child's current location and contact arrangements",
                 "- With whom: The agencies using the shared safeguarding system",
                 "- Family told: No, because: Telling the non-resident parent about this decision could lead the alleged "
                 "perpetrators to the child.", "- Review the decision regularly; share the full information as soon as the "
                 "risk can be safely managed.", "### 5. Detriment", "Answer: **yes**. Rationale: The location details",
                 "What would make sharing more harmful than not sharing: Sharing would place the child at immediate risk "
                 "of harm"):
        assert line in markdown, line
    assert markdown.count("### ") == 9
    assert "Guidance relied on (verbatim):" in markdown


def test_personal_details_are_replaced_everywhere_in_the_record(decider):
    record = _decide(decider, "s14_personal_details_scrubbed.yaml")
    # The recipient "Named GP at the practice, tel …" loses only its phone number: "GP" is not a name.
    assert record.removed == ["PHONE", "NAME", "DATE_OF_BIRTH", "NHS_NUMBER", "POSTCODE"]
    assert record.situation.description == ("Mrs [NAME] asked about her son [NAME], born [DATE_OF_BIRTH], NHS number "
                                            "[NHS_NUMBER], postcode [POSTCODE].")
    outputs = [record.markdown(), record.html(), record.model_dump_json()]
    for secret in ("Okonkwo", "Tobiah", "04/05/2015", "943 476 5919", "M1 1AE", "0161 496 0000"):
        assert all(secret not in text for text in outputs), secret


def test_html_record_escapes_what_was_typed(decider):
    answers = _data("s01_school_hunger_share.yaml")
    answers["situation"]["description"] = '<script>alert(1)</script> <img src=x onerror="x()">'
    html = decider.decide(answers).html()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html


BAD = [
    ("contradiction_not_relevant_share.yaml", 7, "decision: is 'share' (Share), but the answers lead to 'not_under_duty' "
     "(Not under this duty) because step 'relevance' is 'no' (Relevance)"),
    ("unknown_step.yaml", 4, "steps.consent: unknown step; the steps are ['situation', 'recipient_covered'"),
    ("missing_answers.yaml", 3, "steps: not answered: ['may_facilitate', 'detriment', 'lawful_basis', 'what_and_how_much', "
     "'telling_family', 'record']; answer yes, no or unsure for each"),
    ("not_yaml.yaml", 2, "not valid YAML (did not find expected ',' or '}')"),
    ("detriment_only_no_consent.yaml", 7, "steps.detriment.reasons: ['no_consent'] are not reasons to withhold: para 11"),
    ("health_without_article_9.yaml", 8, "steps.lawful_basis.conditions: health information is special category data and "
     "needs an Article 9 condition (para 31): add one of ['article_9_2_g', 'article_9_2_h']"),
    ("recipient_kind_contradiction.yaml", 4, "steps.recipient_covered.answer: is 'yes', but situation.recipient_kind is "
     "'devolved'"),
    ("bad_answer_value.yaml", 3, "steps.situation.answer: must be yes, no or unsure"),
]


@pytest.mark.parametrize(("fixture", "line", "message"), BAD, ids=[b[0].split(".")[0] for b in BAD])
def test_bad_answers_get_a_message_naming_the_step_or_field(decider, fixture, line, message):
    path = FIXTURES / "bad" / fixture
    with pytest.raises(DecideError) as caught:
        decider.decide_file(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)
    assert caught.value.exit_code == 11


def test_unreadable_files_and_contradictions_in_what_is_shared(decider, tmp_path):
    binary, huge, empty, listed = (tmp_path / n for n in ("a.yaml", "b.yaml", "c.yaml", "d.yaml"))
    binary.write_bytes(b"situation:\x00\xff\xfe")
    huge.write_text("situation: {}\n" + "# padding\n" * 30_000, encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    listed.write_text("- situation\n- steps\n", encoding="utf-8")
    expected = {binary: "this is a binary file, not a YAML answers file.", huge: "the file is 300,014 bytes; an answers file "
                "is at most 262,144. Is it the right file?", empty: "expected a mapping with 'situation' and 'steps' (see "
                "tests/fixtures/decide/*.yaml), not an empty file.", listed: "expected a mapping with 'situation' and 'steps' "
                "(see tests/fixtures/decide/*.yaml), not list."}
    for path, message in expected.items():
        with pytest.raises(DecideError) as caught:
            decider.decide_file(path)
        assert str(caught.value) == f"{path}: {message}"
    answers = _data("s01_school_hunger_share.yaml")
    answers["sharing"]["withheld"] = "The address"
    with pytest.raises(DecideError, match=r"sharing.withheld: names details to withhold, but the answers lead to 'Share'"):
        decider.decide(answers)
    answers = _data("example_detriment.yaml")
    answers["sharing"]["withheld"] = ""
    answers["steps"]["detriment"]["reasons"] = []
    with pytest.raises(DecideError) as caught:
        decider.decide(answers)
    assert str(caught.value) == ("steps.detriment.reasons: choose at least one for the answer 'yes': ['immediate_risk', "
                                 "'police_operation', 'family_court', 'other', 'no_consent', 'parent_unhappy', "
                                 "'practitioner_unsure', 'data_protection']")
    answers = _data("s01_school_hunger_share.yaml")
    answers["steps"]["detriment"]["reasons"] = ["immediate_risk"]
    answers["steps"]["relevance"]["rationale"] = ""
    answers["situation"]["about"] = ["pets"]
    with pytest.raises(DecideError) as caught:
        decider.decide(answers)
    assert str(caught.value) == (
        "situation.about: unknown choice(s) ['pets']; choose from ['child', 'parent', 'connected_person', 'health', "
        "'criminal_offence', 'confidential']; steps.relevance.rationale: give a short rationale for the answer 'yes' "
        "(para 27: record the rationale); steps.detriment.reasons: goes with the answer 'yes', but step 'detriment' is "
        "answered 'no'; remove 'reasons' or change the answer")


def test_assistant_decide_is_a_thin_call_that_needs_no_model(passages):
    from assistant.api import Assistant
    from assistant.settings import Settings

    settings = Settings()
    stand_in = SimpleNamespace(settings=settings, passages=passages, corpus_version="guidance (test)")
    record = Assistant.decide(stand_in, _data("s02_health_visitor_partner_mitigation.yaml"))  # type: ignore[arg-type]
    assert record.outcome.kind == "share_with_mitigation" and record.corpus_version == "guidance (test)"
    code = ("import sys; from assistant.decide import Decider; from assistant.settings import Settings; "
            "d = Decider.from_corpus(Settings().paths.corpus_dir); "
            f"r = d.decide_file(__import__('pathlib').Path({str(FIXTURES / 'example_detriment.yaml')!r})); r.markdown(); "
            "heavy = ('torch', 'onnxruntime', 'chromadb', 'gradio', 'sentence_transformers'); "
            "print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == "[]"


def test_cli_decide_prints_writes_and_batches_without_loading_the_model(tmp_path, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("decide must not load the assistant")

    monkeypatch.setattr(cli_module, "_load", no_model)
    runner = CliRunner()
    one = str(FIXTURES / "example_confidential.yaml")
    result = runner.invoke(cli, ["decide", "--answers", one])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Information sharing decision record\n\n- Date: 2026-10-03")
    charity = str(FIXTURES / "s03_charity_not_covered.yaml")
    result = runner.invoke(cli, ["decide", "--answers", one, "--answers", charity, "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["outcome_kind"] for r in rows] == ["share", "not_under_duty"]
    assert rows[1]["cited_refs"][-2:] == ["para 54", "para 27"] and rows[0]["date"] == "2026-10-03"
    page = tmp_path / "record.html"
    assert runner.invoke(cli, ["decide", "--answers", one, "--out", str(page)]).exit_code == 0
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    folder = tmp_path / "records"
    result = runner.invoke(cli, ["decide", "--answers", one, "--answers", str(FIXTURES / "s07_facilitate_unsure.yaml"),
                                 "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["example_confidential.md", "s07_facilitate_unsure.md"]


@pytest.mark.parametrize("fixture", ["bad/contradiction_not_relevant_share.yaml", "bad/not_yaml.yaml", "missing.yaml"])
def test_cli_decide_errors_are_one_line_with_exit_code_11(fixture, tmp_path):
    result = CliRunner().invoke(cli, ["decide", "--answers", str(FIXTURES / fixture), "--out", str(tmp_path / "r.md")])
    assert result.exit_code == 11
    assert result.output.startswith(f"Error: {FIXTURES / fixture}") and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and not (tmp_path / "r.md").exists()


def test_decide_tab_logic_shows_quotes_for_the_case_and_whom_to_ask(decider):
    from assistant.web.decide_tab import DecideView

    view = DecideView(decider)
    values: list = [None] * len(view.paths)
    where = {path: n for n, path in enumerate(view.paths)}
    data = _data("example_confidential.yaml")
    for name, value in data["situation"].items():
        values[where[("situation", name)]] = value
    for step_id, given in data["steps"].items():
        for name, value in given.items():
            values[where[("steps", step_id, name)]] = value
    for name, value in data["sharing"].items():
        values[where[("sharing", name)]] = value
    values[where[("review",)]] = "\n".join(data["review"]) + "\n\n"
    htmls = view.steps_html(*values)
    assert len(htmls) == 9
    assert 'data-ref="para 31"' in htmls[5] and 'data-ref="para 8"' in htmls[5]
    assert "Unsure?</strong> Ask your safeguarding lead, your manager" in htmls[7]
    outcome, markdown, html = view.make_record(*values)
    assert 'data-outcome="share"' in outcome and "Outcome: Share" in outcome
    assert markdown.startswith("# Information sharing decision record\n\n- Date: " + dt.date.today().isoformat())
    assert "Review the level of risk and need" in markdown and html.startswith("<!DOCTYPE html>")
    values[where[("steps", "relevance", "answer")]] = "no"
    values[where[("steps", "relevance", "rationale")]] = ""
    outcome, markdown, html = view.make_record(*values)
    assert "Not yet: fix these answers" in outcome and (markdown, html) == ("", "")
    assert "<li>steps.relevance.rationale: give a short rationale for the answer &#x27;no&#x27;" in outcome
