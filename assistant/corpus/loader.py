"""The corpus turned into passages: every document in the manifest, by its format's parser.

The `format` field picks the parser: the DfE guidance layout (assistant.corpus.guidance),
its statute extract, the ICO records, or plain markdown for documents a user adds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from assistant.corpus.guidance import parse_guidance, parse_statute_extract
from assistant.corpus.manifest import (
    OUT_OF_SCOPE_QUESTIONS,
    PASSAGE_QUESTIONS,
    SCENARIO_QUESTIONS,
    SENTENCE_QUESTIONS,
    URGENT_EXAMPLES,
    DocumentEntry,
    IcoRecord,
    load_manifest,
    load_yaml,
    read_text,
    validate_list,
)
from assistant.corpus.sentences import Unit, modal_verbs
from assistant.errors import CorpusError
from assistant.models import Passage


def parse_markdown(doc: DocumentEntry, text: str) -> list[Passage]:
    """Passages from a user-added markdown document.

    '#' lines set the heading path; 'N.' starts numbered paragraph `para N`; other
    paragraphs take their heading as ref, with ' (2)', ' (3)' … when a heading has several.
    """
    headings: list[str] = []
    passages: list[Passage] = []
    counts: dict[str, int] = {}
    blocks = re.split(r"\n\s*\n", text)
    for block in blocks:
        block = block.strip()
        if not block:
            continue
        heading_match = re.match(r"^(#+)\s+(.*)$", block)
        if heading_match and "\n" not in block:
            level = len(heading_match.group(1))
            headings = [*headings[:level - 1], heading_match.group(2).strip()]
            continue
        numbered = re.match(r"^(\d+)\.\s+(.*)$", block, re.DOTALL)
        if numbered:
            ref, label, body = f"para {numbered.group(1)}", f"Paragraph {numbered.group(1)}", numbered.group(2)
        else:
            base = headings[-1] if headings else doc.title
            counts[base] = counts.get(base, 0) + 1
            ref = base if counts[base] == 1 else f"{base} ({counts[base]})"
            label, body = ref, block
        if any(p.ref == ref for p in passages):
            raise CorpusError(f"reference '{ref}' appears twice; number paragraphs uniquely.", doc.file)
        passages.append(
            Passage(
                doc=doc.id, ref=ref, label=label, kind="paragraph" if numbered else "section",
                heading=" › ".join(headings) or doc.title, text=body.strip(), modals=modal_verbs(body),
                order=len(passages),
            )
        )
    return passages


def parse_ico_records(doc: DocumentEntry, path: Path) -> list[Passage]:
    data, root = load_yaml(path)
    records = validate_list(path, data, root, "records", IcoRecord)
    passages = []
    for order, record in enumerate(records):
        cited = ", ".join(record.cited_in)
        text = f"{record.title} ({record.publisher}). {record.description} Cited in the guidance at: {cited}."
        passages.append(
            Passage(
                doc=doc.id, ref=f"ICO: {record.title}", label=f"ICO: {record.title}", kind="ico",
                heading="ICO references", text=text,
                links=tuple(record.cited_in) + tuple(f"footnote {n}" for n in record.footnotes), order=order,
            )
        )
    return passages


def load_passages(corpus_dir: Path) -> list[Passage]:
    """Every passage of every document in the manifest, in document order."""
    manifest = load_manifest(corpus_dir)
    parsers: dict[str, Callable[[DocumentEntry, Path], list[Passage]]] = {
        "guidance": lambda d, p: parse_guidance(d, read_text(p)),
        "statute-extract": lambda d, p: parse_statute_extract(d, read_text(p)),
        "ico-records": parse_ico_records,
        "markdown": lambda d, p: parse_markdown(d, read_text(p)),
    }
    passages: list[Passage] = []
    for doc in manifest.documents:
        passages.extend(parsers[doc.format](doc, corpus_dir / doc.file))
    _link_ico_records(passages)
    keys = [p.key for p in passages]
    if len(keys) != len(set(keys)):
        dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
        raise CorpusError(f"duplicate passage references {dupes}; give each passage a unique ref.", str(corpus_dir))
    return passages


def _link_ico_records(passages: list[Passage]) -> None:
    """Add each ICO record's ref to the links of the passages that cite it, in place."""
    ico_by_citer: dict[str, list[str]] = {}
    for p in passages:
        if p.kind == "ico":
            for citer in p.links:
                ico_by_citer.setdefault(citer, []).append(p.ref)
    for i, p in enumerate(passages):
        extra = [r for r in ico_by_citer.get(p.ref, []) if r not in p.links] if p.kind != "ico" else []
        if extra:
            passages[i] = p.model_copy(update={"links": p.links + tuple(extra)})


def load_passage_questions(corpus_dir: Path, passages: list[Passage]) -> list[tuple[int, str]]:
    """(passage position, question) pairs from corpus/passage_questions.yaml and corpus/scenario_questions.yaml
    (questions worded like the guidance, then cases in practitioners' words); none from an absent file.

    These questions only help retrieval find a passage: they are embedded beside it and
    never quoted. A passage a user adds needs none.
    """
    position = {(p.doc, p.ref): i for i, p in enumerate(passages)}
    pairs: list[tuple[int, str]] = []
    for name in (PASSAGE_QUESTIONS, SCENARIO_QUESTIONS):
        path = corpus_dir / name
        if not path.is_file():
            continue
        data, _ = load_yaml(path)
        documents = data.get("documents") if isinstance(data, dict) else None
        if not isinstance(documents, dict):
            raise CorpusError("expected a top-level 'documents:' mapping of doc id → ref → questions.", str(path), 1)
        for doc, refs in documents.items():
            for ref, questions in (refs or {}).items():
                if (doc, ref) not in position:
                    raise CorpusError(
                        f"'{doc}' › '{ref}' is not a passage of the corpus; check it with `assistant passages`.", str(path)
                    )
                if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
                    raise CorpusError(f"'{doc}' › '{ref}' must hold a list of non-empty questions.", str(path))
                pairs.extend((position[(doc, ref)], q.strip()) for q in questions)
    return pairs


def load_sentence_questions(corpus_dir: Path, passages: list[Passage], units: list[Unit]) -> list[tuple[int, str]]:
    """(unit row, question) pairs from corpus/sentence_questions.yaml: questions one sentence or list item
    settles, used to choose the sentence an answer leads with; none when the file is absent."""
    path = corpus_dir / SENTENCE_QUESTIONS
    if not path.is_file():
        return []
    data, _ = load_yaml(path)
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, dict):
        raise CorpusError("expected a top-level 'documents:' mapping of doc id → ref → sentences.", str(path), 1)
    position = {(p.doc, p.ref): i for i, p in enumerate(passages)}
    rows_of: dict[int, list[int]] = {}
    for row, unit in enumerate(units):
        rows_of.setdefault(unit.passage, []).append(row)
    pairs: list[tuple[int, str]] = []
    for doc, refs in documents.items():
        for ref, sentences in (refs or {}).items():
            if (doc, ref) not in position:
                raise CorpusError(
                    f"'{doc}' › '{ref}' is not a passage of the corpus; check it with `assistant passages`.", str(path)
                )
            for entry in sentences if isinstance(sentences, list) else [None]:
                if not isinstance(entry, dict) or not isinstance(entry.get("starts"), str) or not isinstance(
                    entry.get("questions"), list
                ):
                    raise CorpusError(f"'{doc}' › '{ref}': each sentence needs 'starts' and a 'questions' list.", str(path))
                starts = entry["starts"]
                rows = [r for r in rows_of.get(position[(doc, ref)], []) if units[r].text.startswith(starts)]
                if len(rows) != 1:
                    raise CorpusError(
                        f"'{doc}' › '{ref}': {len(rows)} sentences begin {starts!r}; copy more of the sentence's "
                        "first words from `assistant passages` so that exactly one matches.", str(path),
                    )
                pairs.extend((rows[0], str(q).strip()) for q in entry["questions"] if str(q).strip())
    return pairs


def load_out_of_scope_questions(corpus_dir: Path) -> list[str]:
    """Questions the guidance does not answer (corpus/out_of_scope_questions.yaml), grouped by topic
    in the file; they help decide whether a question is in scope (assistant/answer/scope.py)."""
    path = corpus_dir / OUT_OF_SCOPE_QUESTIONS
    if not path.is_file():
        return []
    data, _ = load_yaml(path)
    topics = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(topics, dict):
        raise CorpusError("expected a top-level 'topics:' mapping of topic → questions.", str(path), 1)
    questions: list[str] = []
    for topic, items in topics.items():
        if not isinstance(items, list) or not all(isinstance(q, str) and q.strip() for q in items):
            raise CorpusError(f"topic '{topic}' must hold a list of non-empty questions.", str(path))
        questions.extend(q.strip() for q in items)
    return questions


def load_urgent_examples(corpus_dir: Path) -> tuple[list[str], list[str]]:
    """Practitioners' questions labelled urgent (a disclosure or sign of harm) or ordinary
    (corpus/urgent_examples.yaml); the urgency check compares a question with both (assistant/answer/urgency.py)."""
    path = corpus_dir / URGENT_EXAMPLES
    if not path.is_file():
        return [], []
    data, _ = load_yaml(path)
    groups: list[list[str]] = []
    for label in ("urgent", "ordinary"):
        entries = data.get(label) if isinstance(data, dict) else None
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("text"), str) and e["text"].strip() for e in entries
        ):
            raise CorpusError(f"expected a top-level '{label}:' list of {{kind, text}} with non-empty text.", str(path))
        groups.append([e["text"].strip() for e in entries])
    return groups[0], groups[1]
