"""The guidance parses into the full inventory of clean passages (design.md reference table)."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.corpus.loader import load_passages
from tests.conftest import CORPUS

EXAMPLES = {
    "Assessing detriment and suitable mitigation when sharing information": [
        "Scenario", "Professional judgement", "Decision", "Mitigating actions"],
    "Sharing Information about others connected to a child": [
        "Scenario", "Professional judgement", "Decision", "Mitigating actions", "Outcome"],
    "Sharing confidential information under the information sharing duty": [
        "Scenario", "Professional judgement", "Decision", "Mitigating actions", "Outcome"],
}
FRONT = ["Summary", "Legislation this publication refers to", "Who this publication is for", "Main points",
         "Relationship with other frameworks"]
KEY_TERMS = ["Child", "Organisations and practitioners", "Recipient", "Requestor", "Relevant functions",
             "Safeguarding and promoting welfare"]
BOXES = [
    "Effective multi-agency information sharing is essential to safeguarding and promoting the welfare of children",
    "box after para 15",
    "Sharing information where a child poses a risk to others",
    "Sharing information in emergency or urgent cases",
    "Consent and maintaining trusted relationships with families",
    "Practice box: Explaining information sharing to children and families",
]


@pytest.fixture(scope="module")
def by_ref():
    return {p.ref: p for p in load_passages(CORPUS)}


def test_full_inventory(by_ref):
    expected = set(FRONT) | {f"Key terms: {t}" for t in KEY_TERMS} | {f"para {n}" for n in range(1, 61)}
    expected |= {f"s16LA({n})" for n in (1, 2, 3, 5, 7)} | set(BOXES) | {f"footnote {n}" for n in range(1, 19)}
    expected |= {f"Example: {title} – {part}" for title, parts in EXAMPLES.items() for part in parts}
    expected |= {
        "ICO: 10 step guide to sharing information to safeguard children", "ICO: Data sharing: a code of practice",
        "ICO: A guide to lawful basis", "ICO: Lawful basis interactive guidance tool", "ICO: Criminal offence data",
        "ICO: Special category data", "ICO: A guide to the data protection principles", "ICO: Data sharing agreements",
        "ICO: Principle (b): Purpose limitation", "ICO: What is documentation?",
    }
    assert set(by_ref) == expected
    assert len(by_ref) == 124


def test_each_paragraph_exactly_once():
    refs = Counter(p.ref for p in load_passages(CORPUS))
    assert all(refs[f"para {n}"] == 1 for n in range(1, 61))
    assert max(refs.values()) == 1


def test_documents_and_kinds(by_ref):
    kinds = Counter((p.doc, p.kind) for p in by_ref.values())
    assert kinds == {
        ("isd-guidance", "paragraph"): 60, ("isd-guidance", "section"): 6, ("isd-guidance", "key term"): 6,
        ("isd-guidance", "box"): 5, ("isd-guidance", "example"): 14, ("isd-guidance", "footnote"): 18,
        ("ca2004-s16la", "statute"): 5, ("ico-references", "ico"): 10,
    }


def test_page_break_splits_are_rejoined(by_ref):
    assert "including assess need, make a decision, provide support or take action to safeguard" in by_ref["para 7"].text
    assert "documented by each organisation for accountability purposes, for example" in by_ref["para 26"].text
    assert "as both police information and police intelligence can and should be shared" in by_ref["para 10"].text
    assert "being considered a risk to others on grounds of mental health concern" in by_ref["para 16"].text
    assert "information about school attendance or patterns of absence" in by_ref["para 50"].text
    assert "It is the organisation that is bound by the statutory information sharing duty" in (
        by_ref["Key terms: Organisations and practitioners"].text
    )


def test_artefacts_are_gone(by_ref):
    for p in by_ref.values():
        assert "DRAFT FOR CONSULTATION" not in p.text, p.ref
        assert not any(ch in p.text for ch in "¹²³⁴⁵⁶⁷⁸⁹⁰"), p.ref
        assert "](#)" not in p.text and "**" not in p.text, p.ref
    # footnote bodies printed mid-paragraph are lifted out
    assert "Regulation (EU) 2016/679" not in by_ref["para 27"].text
    assert "acute or chronic health condition" not in by_ref["para 16"].text
    assert by_ref["para 27"].text.endswith("or inform the appropriate organisation/practitioner to do so.")


def test_footnotes_are_linked(by_ref):
    assert by_ref["para 26"].footnotes == ("footnote 9",)
    assert by_ref["para 31"].footnotes == ("footnote 12", "footnote 13")
    assert by_ref["footnote 8"].links == ("para 16",)
    assert by_ref["footnote 8"].text == (
        "It is important to note that the presence of an acute or chronic health condition should not be "
        "presumed to be indicative of an inability to give proper care."
    )
    assert "ICO: Principle (b): Purpose limitation" in by_ref["para 26"].links
    assert by_ref["ICO: A guide to lawful basis"].links[:2] == ("para 30", "para 33")


def test_statute_and_headings(by_ref):
    s3 = by_ref["s16LA(3)"]
    assert s3.doc == "ca2004-s16la"
    assert s3.text == (
        "(3) But the duty imposed by subsection (2) does not apply if the relevant person considers that the "
        "disclosure would be more detrimental to the child than not disclosing the information."
    )
    assert by_ref["para 11"].heading == "Chapter 1: The Information Sharing Duty › Limitation: detriment to the child"
    assert by_ref["para 11"].chapter == "1"
    assert by_ref["Key terms: Child"].heading == "Key terms"


def test_modals_and_callouts(by_ref):
    assert by_ref["para 26"].modals[0] == "must"
    assert by_ref["box after para 15"].text.endswith("relevant information MUST be shared.")
    assert "Where practitioners make parents/guardians aware, they must follow data protection law" in (
        by_ref["para 56"].text
    )
    assert by_ref["para 11"].text.count("\n- ") == 5
