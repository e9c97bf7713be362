"""Manifest validation and adding a document."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus.loader import load_passages
from assistant.corpus.manifest import load_manifest
from assistant.errors import CorpusError

EXTRA_DOC = """# Local protocol: sharing with the front door

## Routes

1. Urgent concerns go to the front door by telephone, followed by a written referral within 24 hours.

2. Routine information that may help another agency is sent through the secure portal.

## Contacts

The duty desk should be told when a request is made under the information sharing duty.
"""


def _append_entry(corpus: Path, entry: str) -> None:
    with (corpus / "manifest.yaml").open("a") as handle:
        handle.write(entry)


def test_user_can_add_a_document(corpus_copy: Path):
    (corpus_copy / "documents" / "local-protocol.md").write_text(EXTRA_DOC)
    _append_entry(corpus_copy, """  - id: local-protocol
    title: "Local protocol: sharing with the front door"
    kind: other
    status: local draft
    version: "1"
    source_url: "file:local-protocol.md"
    licence: "written for this project's tests"
    file: documents/local-protocol.md
    format: markdown
""")
    added = [p for p in load_passages(corpus_copy) if p.doc == "local-protocol"]
    assert [(p.ref, p.heading) for p in added] == [
        ("para 1", "Local protocol: sharing with the front door › Routes"),
        ("para 2", "Local protocol: sharing with the front door › Routes"),
        ("Contacts", "Local protocol: sharing with the front door › Contacts"),
    ]
    assert added[2].modals == ("should",)


def test_missing_file_names_manifest_line(corpus_copy: Path):
    _append_entry(corpus_copy, """  - id: ghost
    title: t
    kind: other
    status: s
    version: "1"
    source_url: u
    licence: l
    file: documents/ghost.md
    format: markdown
""")
    with pytest.raises(CorpusError) as err:
        load_manifest(corpus_copy)
    assert "manifest.yaml:43:" in str(err.value)
    assert "documents/ghost.md" in str(err.value)


def test_malformed_yaml_names_line(corpus_copy: Path):
    _append_entry(corpus_copy, "  - id: [unclosed\n")
    with pytest.raises(CorpusError) as err:
        load_manifest(corpus_copy)
    assert "manifest.yaml:" in str(err.value) and "malformed YAML" in str(err.value)


def test_bad_field_names_entry_and_field(corpus_copy: Path):
    text = (corpus_copy / "manifest.yaml").read_text().replace("format: ico-records", "format: pdf")
    (corpus_copy / "manifest.yaml").write_text(text)
    with pytest.raises(CorpusError) as err:
        load_manifest(corpus_copy)
    assert "manifest.yaml:42: entry 3, field 'format'" in str(err.value)


def test_binary_document_is_refused(corpus_copy: Path):
    (corpus_copy / "ico_references.yaml").write_bytes(b"records:\n  - \xff\xfe\x00\n")
    with pytest.raises(CorpusError) as err:
        load_passages(corpus_copy)
    assert "ico_references.yaml:2: not UTF-8 text" in str(err.value)


def test_missing_manifest(tmp_path: Path):
    with pytest.raises(CorpusError) as err:
        load_manifest(tmp_path)
    assert "manifest.yaml: file not found" in str(err.value)


def test_every_passage_has_practitioner_questions():
    from assistant.corpus.loader import load_passage_questions
    from assistant.settings import PROJECT_ROOT

    corpus = PROJECT_ROOT / "corpus"
    passages = load_passages(corpus)
    asked = {position for position, _ in load_passage_questions(corpus, passages)}
    assert asked == set(range(len(passages)))


def test_passage_question_for_an_unknown_ref_names_the_file(corpus_copy: Path):
    from assistant.corpus.loader import load_passage_questions

    path = corpus_copy / "passage_questions.yaml"
    path.write_text('version: 1\ndocuments:\n  isd-guidance:\n    "para 61":\n      - "is there a para 61?"\n')
    with pytest.raises(CorpusError) as err:
        load_passage_questions(corpus_copy, load_passages(corpus_copy))
    assert str(err.value) == (
        f"{path}: 'isd-guidance' › 'para 61' is not a passage of the corpus; check it with `assistant passages`."
    )


def test_out_of_scope_questions_must_be_lists(corpus_copy: Path):
    from assistant.corpus.loader import load_out_of_scope_questions

    path = corpus_copy / "out_of_scope_questions.yaml"
    path.write_text("version: 1\ntopics:\n  weather: what is the weather\n")
    with pytest.raises(CorpusError) as err:
        load_out_of_scope_questions(corpus_copy)
    assert str(err.value) == f"{path}: topic 'weather' must hold a list of non-empty questions."
    path.unlink()
    assert load_out_of_scope_questions(corpus_copy) == []
