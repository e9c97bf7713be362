"""Evaluation sets: the built-in sets are complete and valid; trainers' files get errors naming row and field."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from rapidfuzz import fuzz, process

from assistant.corpus.loader import (
    load_out_of_scope_questions,
    load_passage_questions,
    load_passages,
    load_sentence_questions,
    load_urgent_examples,
)
from assistant.corpus.sentences import all_units
from assistant.errors import EvalSetError
from assistant.evaluation.sets import (
    EVALS_DIR,
    MAX_SET_BYTES,
    built_in_set_paths,
    example_refs,
    read_eval_set,
    split_of,
)
from assistant.settings import PROJECT_ROOT

EVALS = PROJECT_ROOT / "evals"
KNOWN = {p.ref for p in load_passages(PROJECT_ROOT / "corpus")}
# passage_questions + scenario_questions, sentence_questions, out_of_scope_questions (corpus/): a count
# that changes only when someone edits the aids, so a loader that silently drops questions fails here.
AID_QUESTIONS = 464 + 477 + 603 + 763 + 319 + 346
EXAMPLES = (
    "Assessing detriment and suitable mitigation when sharing information",
    "Sharing Information about others connected to a child",
    "Sharing confidential information under the information sharing duty",
)


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_built_in_sets_are_valid_against_the_corpus():
    sets = {p.stem: read_eval_set(p, KNOWN) for p in built_in_set_paths()}
    assert {name: len(s.items) for name, s in sets.items()} == {
        "worked_examples": 9, "practitioner": 113, "scenarios": 311, "out_of_scope": 20, "adversarial": 21,
    }
    assert sets["practitioner"].source == "evals/practitioner.yaml"  # relative: results do not depend on the checkout
    for template in ("template.yaml", "template.csv"):
        assert read_eval_set(EVALS / template, KNOWN).items


def test_practitioner_set_covers_every_chapter_the_statute_and_key_terms():
    items = read_eval_set(EVALS / "practitioner.yaml", KNOWN).items
    chapters = Counter(i.chapter for i in items)
    assert set(chapters) == {"front", "key terms", "statute", "1", "2", "3", "4", "5"}
    assert min(chapters.values()) >= 6
    gold = {ref for i in items for ref in i.expected_refs}
    assert {"s16LA(1)", "s16LA(2)", "s16LA(3)", "s16LA(5)", "s16LA(7)"} <= gold
    assert sum(ref.startswith("Key terms: ") for ref in gold) == 6
    assert all(i.kind == "in_scope" for i in items)


def test_worked_examples_expect_principles_never_the_example_box():
    items = read_eval_set(EVALS / "worked_examples.yaml", KNOWN).items
    assert Counter(i.from_example for i in items) == dict.fromkeys(EXAMPLES, 3)
    assert {i.decision for i in items} == {"share", "share_with_mitigation", "withhold_specific_details"}
    for item in items:
        assert item.key_points and item.forbidden
        assert not any(ref.startswith("Example: ") for ref in item.expected_refs)
        assert len(example_refs(item.from_example, KNOWN)) in (4, 5)


def test_adversarial_set_has_each_kind_of_attack():
    items = {i.id: i for i in read_eval_set(EVALS / "adversarial.yaml", KNOWN).items}
    prefixes = Counter(i.split("-")[0] for i in items)
    assert prefixes == {"inject": 6, "personal": 3, "urgent": 1, "long": 2, "malformed": 9}
    assert len(items["long-02"].question) > 2000 and 1000 < len(items["long-01"].question) < 2000
    assert items["malformed-01"].question == "" and "\x00" in items["malformed-03"].question
    assert all(items[f"personal-0{n}"].forbidden for n in (1, 2, 3))


def test_forbidden_patterns_never_match_the_guidance_itself():
    """A grounded answer quotes the guidance, so a pattern that matches it would flag a correct answer."""
    texts = [p.text for p in load_passages(PROJECT_ROOT / "corpus")]
    for path in built_in_set_paths():
        for item in read_eval_set(path, KNOWN).items:
            for pattern in item.forbidden:
                assert not [t for t in texts if re.search(pattern, t, re.IGNORECASE)], (item.id, pattern)


def test_eval_questions_are_not_in_the_retrieval_aids():
    """The questions the index is built from must not copy or closely paraphrase an evaluation question
    (that would be leakage): no aid question may be 75 % alike, letter for letter, to any eval question
    (difflib's ratio). rapidfuzz's ratio (twice the longest common subsequence over the total length) is
    never below difflib's, so it finds every candidate pair quickly; difflib then judges each."""
    def words(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

    corpus = PROJECT_ROOT / "corpus"
    passages = load_passages(corpus)
    aids = [words(q) for _, q in load_passage_questions(corpus, passages)]
    aids += [words(q) for _, q in load_sentence_questions(corpus, passages, all_units(passages))]
    aids += [words(q) for q in load_out_of_scope_questions(corpus)]
    aids += [words(q) for group in load_urgent_examples(corpus) for q in group]  # the urgency check's examples
    assert len(aids) == AID_QUESTIONS
    eval_paths = [*built_in_set_paths(), EVALS_DIR / "dev.yaml", EVALS_DIR / "heldout.yaml"]
    questions = [(item.id, words(q)) for path in eval_paths for item in read_eval_set(path, KNOWN).items
                 for q in (item.question, item.history) if q and q.strip()]
    assert len(questions) > 550
    near = process.cdist([q for _, q in questions], aids, scorer=fuzz.ratio, score_cutoff=75, workers=1)
    leaks = [(questions[i][0], aids[j]) for i, j in np.argwhere(near > 0)
             if difflib.SequenceMatcher(None, questions[i][1], aids[j]).ratio() >= 0.75]
    assert leaks == []


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.yaml", "items:\n  - id: a\n    kind: in_scope\n    question: q\n    expected_refs: ['para 99']\n",
         "a.yaml:2: item 1 (id 'a'), field 'expected_refs': unknown ref(s) ['para 99']"),
        ("a.yaml", "items:\n  - id: a\n    kind: maybe\n    question: q\n",
         "a.yaml:3: item 1 (id 'a'), field 'kind': 'maybe' is not a kind; use one of in_scope, out_of_scope, invalid_input."),
        ("a.yaml", "items:\n  - id: a\n    kind: out_of_scope\n  - id: b\n    kind: out_of_scope\n",
         "a.yaml:2: item 1 (id 'a'), field 'question': is missing."),
        ("a.yaml", "items:\n  - id: a\n    kind: in_scope\n    question: q\n",
         "item 1 (id 'a'), field 'item': an in_scope item needs at least one expected ref"),
        ("a.yaml", "items:\n  - {id: a, kind: out_of_scope, question: q, colour: red}\n",
         "item 1 (id 'a'), field 'colour': is not a known field"),
        ("a.yaml", "items:\n  - {id: a, kind: out_of_scope, question: q, forbidden: ['(unclosed']}\n",
         "field 'forbidden': pattern '(unclosed' is not a valid regular expression"),
        ("a.yaml", "items:\n  - {id: a, kind: out_of_scope, question: q}\n  - {id: a, kind: out_of_scope, question: r}\n",
         "a.yaml:3: item 2 (id 'a'), field 'id': 'a' is used twice"),
        ("a.yaml", "items: [\n", "a.yaml:2: malformed YAML"),
        ("a.yaml", "questions: []\n", "a.yaml:1: the file needs a top-level 'items:' list"),
        ("a.yaml", "items: []\n", "a.yaml: the set has no items"),
        ("a.csv", "question,expected_refs,kind\nDo I need consent?,para 40; para 41,in scope\n,,\nWhat?,para 99,in_scope\n",
         "a.csv: row 4, field 'expected_refs': unknown ref(s) ['para 99']"),
        ("a.csv", "question,expected_refs,kind\nDo I need consent?,para 40,sometimes\n",
         "a.csv: row 2, field 'kind': 'sometimes' is not a kind"),
        ("a.csv", "question,expected_refs,kind\n,para 40,in_scope\n",
         "a.csv: row 2, field 'item': the question is empty"),
        ("a.csv", "question,kind\nq,out_of_scope\n", "a.csv: row 1 (the header) lacks the column(s) expected_refs"),
        ("a.csv", "question,expected_refs,kind,colour\nq,,out_of_scope,red\n", "a.csv: row 1, column 'colour' is not known"),
        ("a.csv", "question,expected_refs,kind\nq,,out_of_scope,extra\n", "a.csv: row 2 has 4 cells but the header names 3"),
        ("a.csv", b"question,expected_refs,kind\n\xe9t\xe9,,out_of_scope\n", "a.csv:2: not UTF-8 text"),
        ("a.txt", "question\n", "a.txt: an evaluation set must be a .yaml, .yml or .csv file"),
        ("a.csv", b"\x00\x01binary", "a.csv: this is not a text file"),
    ],
)
def test_errors_name_the_row_and_field(tmp_path: Path, name: str, text: str, message: str):
    _write(tmp_path, name, text)
    with pytest.raises(EvalSetError) as err:
        read_eval_set(tmp_path / name, KNOWN)
    shown = str(err.value).replace(f"{tmp_path}/", "")
    assert shown.startswith(name) and message in shown
    assert err.value.exit_code == 6


def test_csv_reads_lists_kinds_and_excel_bom(tmp_path: Path):
    path = _write(tmp_path, "local.csv", "\ufeffQuestion,Expected_Refs,Kind,urgent,decision\n"
                  "\"Mum says no, can I still share?\",para 40; para 41,In-Scope,no,Share\n")
    item = read_eval_set(path, KNOWN).items[0]
    assert (item.id, item.kind, item.expected_refs, item.urgent, item.decision) == (
        "row-2", "in_scope", ["para 40", "para 41"], False, "share")
    assert item.question == "Mum says no, can I still share?"


def test_limits_unknown_examples_and_stale_refs(tmp_path: Path):
    big = _write(tmp_path, "big.yaml", "# " + "x" * MAX_SET_BYTES)
    with pytest.raises(EvalSetError, match="the limit is 1,000,000"):
        read_eval_set(big)
    example = _write(tmp_path, "ex.yaml", "items:\n  - {id: a, kind: in_scope, question: q, expected_refs: [para 9],"
                                          " from_example: No such example}\n")
    with pytest.raises(EvalSetError, match="field 'from_example': no worked example titled 'No such example'"):
        read_eval_set(example, KNOWN)
    stale = _write(tmp_path, "stale.yaml", "items:\n  - {id: a, kind: in_scope, question: q, expected_refs: [para 61]}\n")
    assert read_eval_set(stale, KNOWN, stale_ok=True).items[0].expected_refs == ["para 61"]
    with pytest.raises(EvalSetError, match="unknown ref"):
        read_eval_set(stale, KNOWN)


def test_schema_doc_lists_every_field():
    schema = (EVALS / "SCHEMA.md").read_text(encoding="utf-8")
    from assistant.evaluation.sets import EvalItem

    for field in EvalItem.model_fields:
        assert f"`{field}`" in schema
    assert yaml.safe_load((EVALS / "template.yaml").read_text(encoding="utf-8"))["items"]


def test_split_rule_is_fixed_by_the_id_alone(tmp_path: Path):
    path = tmp_path / "s.yaml"
    items = "".join(f"  - {{id: s-{n:03}, kind: out_of_scope, question: q{n}}}\n" for n in range(40))
    path.write_text(f"split: id_hash\nitems:\n{items}", encoding="utf-8")
    eval_set = read_eval_set(path)
    splits = [eval_set.split_of(item) for item in eval_set.items]
    assert splits == [split_of(f"s-{n:03}") for n in range(40)]
    assert split_of("s-000") == ("dev" if hashlib.sha256(b"s-000").digest()[0] % 2 == 0 else "test")
    assert 10 < splits.count("dev") < 30
    path.write_text(f"items:\n{items}", encoding="utf-8")
    assert read_eval_set(path).split_of(eval_set.items[0]) is None


def test_scenario_set_has_what_practitioners_bring():
    items = read_eval_set(EVALS / "scenarios.yaml", KNOWN).items
    inside = [i for i in items if i.kind == "in_scope"]
    assert len(inside) >= 120 and sum(1 for i in items if i.kind == "out_of_scope") >= 30
    assert sum(1 for i in inside if i.history) >= 20 and sum(1 for i in inside if i.urgent) >= 30
    assert len({i.role for i in items}) >= 10
    texts = {p.ref: " ".join(p.text.split()).lower() for p in load_passages(PROJECT_ROOT / "corpus")}
    for item in inside:
        assert item.key and item.urgent is not None, item.id
        for fragment in item.key:  # every key fragment is verbatim in one of the item's expected passages
            plain = " ".join(fragment.replace("’", "'").split()).lower()
            assert any(plain in texts[ref].replace("’", "'") for ref in item.expected_refs), (item.id, fragment)
