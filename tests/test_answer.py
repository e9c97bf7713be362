"""Grounded answers through the real pipeline (Chroma, BM25), with the fake embedder."""

from __future__ import annotations

import re

import pytest

from assistant.answer.compose import NOTICE
from assistant.answer.urgency import is_urgent
from assistant.errors import QuestionError

CONTRACT_KEYS = {"question", "answer", "abstained", "urgent", "citations", "corpus_version"}
CITATION_KEYS = {"doc", "ref", "label", "text", "score"}


def _quoted_lines(answer_md: str) -> list[tuple[str, str]]:
    """(sentence, ref) pairs from the answer's quote lines, skipping the urgent notice."""
    pairs = []
    for line in answer_md.splitlines():
        match = re.match(r"^> (.*) \(([^()]+(?:\([^()]*\))?[^()]*)\)$", line)
        if match and not line.startswith("> **If a child"):
            pairs.append((match.group(1), match.group(2)))
    return pairs


def test_answer_follows_contract(fake_assistant):
    answer = fake_assistant.ask("Do I need consent from the parent to share information?")
    data = answer.model_dump(mode="json")
    assert set(data) >= CONTRACT_KEYS
    assert data["citations"] and all(set(c) >= CITATION_KEYS for c in data["citations"])
    scores = [c["score"] for c in data["citations"]]
    assert scores == sorted(scores, reverse=True)
    assert data["corpus_version"].startswith("Information Sharing Duty: draft statutory guidance")
    assert NOTICE in data["answer"] and answer.notice == NOTICE


def test_every_answer_sentence_is_verbatim_from_its_cited_passage(fake_assistant):
    questions = [
        "Do I need consent from the parent to share information?",
        "What must organisations do if they hold relevant information?",
        "When would sharing be more detrimental to the child than not sharing?",
        "Can I share information with services in Scotland or Wales?",
    ]
    for question in questions:
        answer = fake_assistant.ask(question)
        cited = {c.ref: c for c in answer.citations}
        pairs = _quoted_lines(answer.answer)
        assert pairs, question
        for sentence, ref in pairs:
            text = cited[ref].text.replace("\n- ", " ").replace("\n  ", " ").replace("\n", " ")
            for piece in sentence.split(" … "):  # a list item is quoted after its stem and an ellipsis
                assert piece in text, (question, ref, piece)
            assert sentence in cited[ref].sentences


def test_modal_verbs_are_kept(fake_assistant):
    answer = fake_assistant.ask("what must organisations and practitioners do to fulfil statutory obligations")
    quoted = " ".join(s for c in answer.citations for s in c.sentences)
    assert "MUST" in quoted or "must" in quoted
    for citation in answer.citations:
        for modal in citation.modals:
            assert re.search(rf"\b{modal}\b", " ".join(citation.sentences), re.IGNORECASE)


def test_abstains_when_the_guidance_does_not_cover_it(fake_assistant):
    answer = fake_assistant.ask("xylophone quartz zebra")
    assert answer.abstained is True
    assert _quoted_lines(answer.answer) == []
    assert answer.answer.startswith("The guidance does not appear to answer this question")
    assert "**Nearest passages:**" in answer.answer
    assert all(c.sentences == [] for c in answer.citations)


def test_urgent_question_gets_notice_first(fake_assistant):
    answer = fake_assistant.ask("The child says her stepdad is going to hurt her tonight, can I share?")
    assert answer.urgent is True
    assert answer.answer.startswith("> **If a child is in immediate danger, call the police on 999 now.**")
    assert fake_assistant.ask("Do I need consent to share?").urgent is False


@pytest.mark.parametrize(
    ("question", "urgent"),
    [("he has a knife", True), ("she is at risk right now", True), ("can I share the case file?", False),
     ("what about data protection?", False)],
)
def test_urgent_detection(question: str, urgent: bool):
    assert is_urgent(question) is urgent


def test_follow_up_uses_previous_turn(fake_assistant):
    alone = fake_assistant.ask("what if they refuse?")
    follow = fake_assistant.ask("what if they refuse?", history=["Do I need the parent's consent to share?"])
    assert follow.question == "what if they refuse?"
    assert [c.ref for c in follow.citations] != [c.ref for c in alone.citations]
    assert any("consent" in c.text.lower() for c in follow.citations[:3])


def test_excluded_passages_are_not_retrieved(fake_assistant):
    question = "child hidden from non-resident parent location withheld"
    top = fake_assistant.ask(question).citations[0].ref
    again = fake_assistant.ask(question, exclude=[top])
    assert top not in [c.ref for c in again.citations]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "The question is empty."),
        ("   \n\t ", "The question is empty."),
        ("x" * 2001, "The question is 2001 characters long; the limit is 2000."),
        (b"\xff\xfe\x00", "The question is not readable text (it is not UTF-8)."),
        ("consent\x00\x01", "The question contains control characters or binary data."),
    ],
)
def test_bad_questions_are_refused_clearly(fake_assistant, question, message):
    with pytest.raises(QuestionError) as err:
        fake_assistant.ask(question)
    assert str(err.value).startswith(message)


def test_llama_index_retriever_interface_matches_hits(fake_assistant):
    from llama_index.core.schema import QueryBundle

    from assistant.search.llama import LlamaIndexRetriever

    question = "Can I share information with services in Scotland or Wales?"
    expanded = fake_assistant.retriever.expand(question)
    vector = fake_assistant.embed(expanded).tolist()
    retriever = LlamaIndexRetriever(fake_assistant)
    hits = fake_assistant.retriever.hits(expanded, vector)[: fake_assistant.settings.retrieval.top_k]
    for nodes in (retriever.retrieve(question), retriever.retrieve(QueryBundle(question, embedding=vector))):
        assert [n.node.metadata["ref"] for n in nodes] == [h.passage.ref for h in hits]
        assert [n.score for n in nodes] == [h.score for h in hits]
        assert [n.node.get_content() for n in nodes] == [h.passage.text for h in hits]


def test_a_question_nearer_to_an_out_of_scope_one_abstains(fake_assistant):
    from assistant.corpus.loader import load_out_of_scope_questions

    outside = load_out_of_scope_questions(fake_assistant.settings.paths.corpus_dir)[0]
    # Only "outside minus inside" counts here: the nearest-neighbour rule as a special case.
    fake_assistant.settings.answer.scope_weights = [50.0, 0.0, 0.0, 0.0, 0.0]
    fake_assistant.settings.answer.scope_threshold = 0.5
    answer = fake_assistant.ask(outside)
    assert answer.abstained is True
    assert answer.out_of_scope_similarity > 0.9  # the glossary may widen the question a little
    assert answer.out_of_scope_similarity >= answer.confidence


def test_without_out_of_scope_questions_only_the_floor_applies(fake_assistant):
    from dataclasses import replace

    outside = fake_assistant.index.out_of_scope_vectors[0]
    fake_assistant.index = replace(fake_assistant.index, out_of_scope_vectors=outside[:0].reshape(0, outside.shape[0]))
    fake_assistant.settings.answer.scope_weights = [50.0, 0.0, 0.0, 0.0, 0.0]
    fake_assistant.settings.answer.scope_threshold = 0.5
    answer = fake_assistant.ask("Do I need consent from the parent to share information?")
    assert answer.abstained is False
    assert answer.out_of_scope_similarity == -1.0
