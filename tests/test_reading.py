"""Reading a practitioner's question: the decision asked, follow-ups, disclosures; and the answer's shape.

The wordings here were written for these tests; none comes from an evaluation set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.compose import DUTY_TO_SHARE_RE, TESTS_HEADING, URGENT_NOTICE
from assistant.answer.decision import asking_part, load_guide, read_decisions
from assistant.answer.followup import reads_as_followup
from assistant.answer.urgency import urgent_signs
from assistant.errors import CorpusError
from assistant.settings import PROJECT_ROOT

GUIDE = load_guide(PROJECT_ROOT / "corpus")


def test_the_asking_part_is_the_last_question_and_a_short_one_keeps_its_lead_in():
    case = "I run a youth club. A lad of 15 turned up with a black eye. His mum works nights. Can I ring social care?"
    assert asking_part(case) == "Can I ring social care?" or asking_part(case).endswith("Can I ring social care?")
    assert asking_part("He's 15 and lives with his nan. Do I need her consent before I pass this to the school nurse?") == (
        "Do I need her consent before I pass this to the school nurse?"
    )
    assert asking_part("no question mark here. just facts") == "no question mark here. just facts"


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("Mum has a new partner with a record. Can I tell the health visitor without mum knowing?", "without_consent"),
        ("The GP wants our whole case file on the family. Do I send everything?", "how_much"),
        ("We shared with early help last week. What should I write down about it?", "record"),
        ("Dad will lose it if he finds out. Can I hold back the new address?", "not_share"),
        ("We're a commissioned charity running a youth project. Does the duty apply to us?", "covered"),
        ("Police asked me about a pupil. Do I have to tell them what I know?", "must_share"),
        ("It's Friday night and the hub is shut. Can it wait until Monday?", "how_quickly"),
    ],
)
def test_the_decision_asked_comes_first(question: str, first: str):
    assert read_decisions(question, GUIDE.kinds)[0].name == first


def test_the_guide_names_real_passages_and_rejects_unknown_refs(tmp_path: Path):
    assert {k.name for k in GUIDE.kinds} == {
        "must_share", "without_consent", "how_much", "with_whom", "tell_parents", "not_share", "how_quickly", "covered",
        "record",
    }
    assert GUIDE.tests_for == {"must_share", "without_consent", "not_share"}
    assert [q.ref for q in GUIDE.limits] == ["para 9", "para 27"]
    assert [q.ref for q in GUIDE.urgent] == ["Sharing information in emergency or urgent cases"] * 2 + ["para 27"]
    assert all(kind.settles for kind in GUIDE.kinds)
    (tmp_path / "decisions.yaml").write_text(
        "decisions:\n  record:\n    cues: ['record']\n    refs: ['para 27']\n    settles: [{ref: 'para 998', starts: 'x'}]\n",
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"para 998"):
        load_guide(tmp_path, known_refs={"para 27"})
    (tmp_path / "decisions.yaml").write_text(
        "decisions:\n  record:\n    cues: ['record']\n    refs: ['para 999']\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match=r"para 999"):
        load_guide(tmp_path, known_refs={"para 27"})
    (tmp_path / "decisions.yaml").write_text("decisions:\n  record:\n    cues: ['(']\n    refs: []\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="not a valid regular expression"):
        load_guide(tmp_path)


@pytest.mark.parametrize(
    ("question", "followup"),
    [
        ("what if mum says no?", True),
        ("and do I tell the school?", True),
        ("does that change if he's 17?", True),
        ("ok so who do I ring?", True),
        ("I'm a health visitor and a dad on my caseload has just been released from prison. Must I tell the school?", False),
        ("Can a school share information with a nursery under the duty?", False),
    ],
)
def test_follow_ups_are_told_from_questions_that_stand_alone(question: str, followup: bool):
    assert reads_as_followup(question) is followup


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("a boy in my class said his stepdad hits him with a slipper", ["physical harm"]),
        ("she showed me a burn on her arm and wouldn't say how", ["physical harm"]),
        ("the 3 year old was on his own in the flat all evening", ["neglect"]),
        ("a 13 year old keeps being picked up after school by older men in a car", ["sexual abuse"]),
        ("he says he is holding drugs for some lads from the city", ["exploitation"]),
        ("she texted me that she doesn't want to be alive any more", ["danger"]),
        ("Can I share a child's school report with the council?", []),
        ("Mum has asked for a copy of the non-molestation order on file. Can I give it?", []),
    ],
)
def test_signs_of_harm_in_everyday_words(question: str, kinds: list[str]):
    assert urgent_signs(question) == kinds


def test_a_duty_to_share_comes_with_its_limit_and_record_and_a_share_or_not_decision_with_the_tests(fake_assistant):
    answer = fake_assistant.ask("A teenager told me about her mum's drinking. Do I have to share this with social care?")
    parts = [q.part for q in answer.quotes]
    assert parts[0] == "lead" and answer.lead is not None
    assert (answer.lead.ref, answer.lead.sentence) == (answer.quotes[0].ref, answer.quotes[0].sentence)
    assert parts.count("test") == 3 and TESTS_HEADING in answer.answer
    assert [q.ref for q in answer.quotes if q.part == "test"] == ["para 13"] * 3
    duty = any(DUTY_TO_SHARE_RE.search(q.sentence) for q in answer.quotes if q.part in ("lead", "support"))
    limits = [q.sentence for q in answer.quotes if q.ref in ("para 9", "para 27") and (
        "does not apply in extremely limited circumstances" in q.sentence or "Record the decision" in q.sentence)]
    assert len(limits) == (2 if duty else len(limits))
    assert not [q for q in answer.quotes if q.part == "limit"] or duty
    cited = [c.ref for c in answer.citations]
    assert all(q.ref in cited for q in answer.quotes)


def test_no_bare_lead_in_heading_or_example_story_is_quoted(fake_assistant):
    for question in ("What should practitioners do?", "What happened in the worked example about the refuge?",
                     "organisations and practitioners SHOULD"):
        for said in fake_assistant.ask(question).quotes:
            assert not said.sentence.rstrip().endswith(":"), said
            assert not said.ref.endswith("– Scenario") and not said.ref.startswith(("footnote", "ICO:")), said


def test_a_disclosure_is_never_met_with_a_bare_refusal(fake_assistant):
    answer = fake_assistant.ask("zzz qqq her uncle touches her at night xyzzy")
    assert answer.urgent and not answer.abstained
    assert answer.answer.startswith(f"> {URGENT_NOTICE}") and answer.quotes


def test_a_follow_up_is_read_with_the_turn_before_and_says_so(fake_assistant):
    first = fake_assistant.ask("Do I need the parent's consent to share with children's social care?")
    follow = fake_assistant.ask("what if they refuse?", history=[first])
    assert follow.followup_of == first.question
    assert follow.lead is not None and follow.lead.sentence != (first.lead.sentence if first.lead else None)
    alone = fake_assistant.ask("Can I share information with services in Wales?", history=[first])
    assert alone.followup_of is None
    assert fake_assistant.ask("what if they refuse?").followup_of is None


def test_a_follow_up_after_a_disclosure_keeps_the_urgent_notice(fake_assistant):
    follow = fake_assistant.ask("and what do I write down?", history=["a pupil said her dad burns her with cigarettes"])
    assert follow.urgent and follow.followup_of == "a pupil said her dad burns her with cigarettes"


def test_a_quoted_duty_to_share_brings_the_detriment_limit_and_the_record(fake_assistant):
    from assistant.answer.compose import Reading, _rule_rows

    index, rules = fake_assistant.index, fake_assistant.rules
    duty = next(r for r, u in enumerate(index.units)
                if u.text.startswith("Where the information sharing duty applies, organisations must share"))
    reading = Reading(question="q", asking=index.unit_vectors[duty], decisions=(fake_assistant.guide.kind("record"),))
    urgent, tests, limits = _rule_rows([duty], reading, rules, index)
    assert urgent == [] and tests == []  # not a disclosure; recording is not a share-or-not decision
    assert [index.units[r].text[:40] for r in limits] == [
        "The information sharing duty does not ap", "Record the decision for sharing, or not "]
    asked = Reading(question="q", asking=index.unit_vectors[duty], decisions=(fake_assistant.guide.kind("must_share"),))
    _, tests, _ = _rule_rows([duty], asked, rules, index)
    assert [index.units[r].text.split(":")[0] for r in tests] == ["Relevance", "May facilitate", "Detriment"]
    plain = next(r for r, u in enumerate(index.units) if u.text.startswith("Trusting relationships are at the heart"))
    assert _rule_rows([plain], reading, rules, index) == ([], [], [])


def test_a_disclosure_gets_the_urgent_passages_once_each(fake_assistant):
    from assistant.answer.compose import URGENT_HEADING, Reading, _rule_rows

    index, rules = fake_assistant.index, fake_assistant.rules
    act = next(r for r, u in enumerate(index.units) if u.text.startswith("Act promptly and be proactive"))
    reading = Reading(question="q", asking=index.unit_vectors[act], urgent=True)
    urgent, tests, limits = _rule_rows([act], reading, rules, index)
    assert [(index.passages[index.units[r].passage].ref, index.units[r].text[:30]) for r in urgent] == [
        ("Sharing information in emergency or urgent cases", "Data protection law enables pr"),
        ("Sharing information in emergency or urgent cases", "In an emergency or urgent case"),
    ]  # "Act promptly" is already quoted, so it is not quoted twice
    assert tests == [] and limits == []
    answer = fake_assistant.ask("a pupil said her dad burns her with cigarettes, who do I tell?")
    assert answer.urgent and URGENT_HEADING in answer.answer
    assert [q.part for q in answer.quotes].count("urgent") + sum(
        q.sentence.startswith(("Data protection law enables", "In an emergency or urgent case", "In line with established"))
        for q in answer.quotes if q.part in ("lead", "support")) >= 3


def test_the_lead_may_come_from_the_sentences_that_settle_the_decision(fake_assistant):
    from assistant.answer.compose import Reading, _choose_rows, _settling

    index, rules = fake_assistant.index, fake_assistant.rules
    kind = fake_assistant.guide.kind("how_much")
    assert kind is not None and len(rules.settles["how_much"]) == len(kind.settles) == 5
    settle = rules.settles["how_much"][0]
    assert index.units[settle].text.startswith("The information sharing duty requires the sharing of relevant")
    reading = Reading(question="q", asking=index.unit_vectors[settle], decisions=(kind,))
    assert _settling(reading, rules, 0.1)[settle] == 0.1
    # Hits that hold none of the settling sentences: the lead still comes from them.
    far = [h for h in fake_assistant.search("What is the Children's Wellbeing and Schools Act?", k=20)
           if h.passage.ref not in {"para 26", "para 32", "para 11", "para 18"}]
    rows = _choose_rows(index, far, index.unit_vectors[settle], reading, fake_assistant.settings.answer, rules)
    assert rows[0] == settle


def test_a_worked_example_among_the_hits_is_offered_at_its_first_part(fake_assistant):
    from assistant.answer.compose import similar_example
    from assistant.search.retrieve import Hit

    index = fake_assistant.index

    def hit(ref: str) -> Hit:
        position = next(i for i, p in enumerate(index.passages) if p.ref == ref)
        return Hit(position, index.passages[position], 0.5, 0.5, 0.5, 0.5, 0.5)

    title = "Sharing Information about others connected to a child"
    offered = similar_example(index, [hit("para 16"), hit(f"Example: {title} – Decision"), hit("para 18")])
    assert offered is not None and (offered.ref, offered.title) == (f"Example: {title} – Scenario", title)
    assert similar_example(index, [hit("para 16"), hit("para 18")]) is None
