"""The corpus: manifest, documents and ICO records, turned into passages.

A document is a file under corpus/ plus a manifest entry. The `format` field picks the
parser: the DfE guidance layout (assistant.ingest), its statute extract, the ICO records,
or plain markdown for documents a user adds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import CorpusError
from .models import Passage

DocKind = Literal["statute", "statutory guidance", "ICO reference", "other"]
DocFormat = Literal["guidance", "statute-extract", "ico-records", "markdown"]
MODAL_RE = re.compile(r"\b(must not|must|should not|should|may not|may|can|need to)\b", re.IGNORECASE)
MAX_DOCUMENT_BYTES = 5_000_000
PASSAGE_QUESTIONS = "passage_questions.yaml"
OUT_OF_SCOPE_QUESTIONS = "out_of_scope_questions.yaml"


class Layout(BaseModel):
    model_config = ConfigDict(extra="forbid")

    callout_after_paras: list[int] = Field(
        default_factory=list, description="Numbered paragraphs followed by an unheaded call-out box."
    )


class DocumentEntry(BaseModel):
    """One manifest entry."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Short id, lower case with hyphens.")
    title: str
    kind: DocKind
    status: str
    version: str
    source_url: str
    licence: str
    attribution: str = ""
    file: str = Field(description="Path relative to the corpus folder.")
    format: DocFormat
    layout: Layout = Field(default_factory=Layout)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentEntry]


class IcoRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    publisher: str
    url_as_printed: str | None
    footnotes: list[int]
    cited_in: list[str]
    description: str


def modal_verbs(text: str) -> tuple[str, ...]:
    """Modal verbs in the text, lower case, in first-seen order."""
    seen: dict[str, None] = {}
    for match in MODAL_RE.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return tuple(seen)


def read_text(path: Path) -> str:
    """Read a corpus file as UTF-8, with errors that name the file and line."""
    if not path.is_file():
        raise CorpusError("file not found. Restore it from git or fix the manifest entry that names it.", str(path))
    data = path.read_bytes()
    if len(data) > MAX_DOCUMENT_BYTES:
        raise CorpusError(f"file is larger than {MAX_DOCUMENT_BYTES} bytes; split it into smaller documents.", str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CorpusError("not UTF-8 text. Save the file as UTF-8.", str(path), line) from None


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse YAML and keep the node tree, so later errors can name a line."""
    text = read_text(path)
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise CorpusError(f"malformed YAML ({getattr(exc, 'problem', exc)}). Fix the syntax.", str(path), line) from None


def _item_line(root: yaml.Node | None, key: str, index: int, loc: tuple[Any, ...] = ()) -> int | None:
    """1-based line of `root[key][index]`, or of the field `loc` inside it when that exists."""
    node: yaml.Node | None = None
    if isinstance(root, yaml.MappingNode):
        node = next((v for k, v in root.value if k.value == key), None)
    if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
        return None
    node = node.value[index]
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        else:
            child = None
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def validate_list(path: Path, data: Any, root: yaml.Node | None, key: str, model: type[BaseModel]) -> list[Any]:
    """Validate `data[key]` item by item, naming the file, line and field of the first error."""
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise CorpusError(f"expected a top-level '{key}:' list.", str(path), 1)
    items = []
    for index, raw in enumerate(data[key]):
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "entry"
            raise CorpusError(
                f"entry {index + 1}, field '{field}': {err['msg']}.", str(path),
                _item_line(root, key, index, tuple(err["loc"])),
            ) from None
    return items


def load_manifest(corpus_dir: Path) -> Manifest:
    path = corpus_dir / "manifest.yaml"
    data, root = load_yaml(path)
    documents = validate_list(path, data, root, "documents", DocumentEntry)
    seen: set[str] = set()
    for index, doc in enumerate(documents):
        if doc.id in seen:
            raise CorpusError(f"duplicate document id '{doc.id}'.", str(path), _item_line(root, "documents", index))
        seen.add(doc.id)
        if not (corpus_dir / doc.file).is_file():
            raise CorpusError(
                f"document '{doc.id}' names file '{doc.file}', which does not exist under {corpus_dir}. "
                "Add the file or correct the 'file' field.",
                str(path),
                _item_line(root, "documents", index),
            )
    return Manifest(documents=documents)


def corpus_hash(corpus_dir: Path) -> str:
    """sha256 over the manifest and every file it names: changes when any of them changes."""
    manifest = load_manifest(corpus_dir)
    digest = hashlib.sha256((corpus_dir / "manifest.yaml").read_bytes())
    for doc in manifest.documents:
        digest.update(doc.file.encode())
        digest.update((corpus_dir / doc.file).read_bytes())
    for aid in (PASSAGE_QUESTIONS, OUT_OF_SCOPE_QUESTIONS):
        if (corpus_dir / aid).is_file():
            digest.update(aid.encode())
            digest.update((corpus_dir / aid).read_bytes())
    return digest.hexdigest()


def corpus_version(corpus_dir: Path, digest: str) -> str:
    """Human version string carried by every answer; `digest` is the corpus hash."""
    manifest = load_manifest(corpus_dir)
    primary = next((d for d in manifest.documents if d.kind == "statutory guidance"), manifest.documents[0])
    return f"{primary.title} ({primary.version}); corpus {digest[:12]}"


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
    from .ingest import parse_guidance, parse_statute_extract

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
        dupes = sorted({k for k in keys if keys.count(k) > 1})
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
    """(passage position, question) pairs from corpus/passage_questions.yaml; none when the file is absent.

    These practitioner-style questions only help retrieval find a passage: they are
    embedded beside it and never quoted. A passage a user adds needs none.
    """
    path = corpus_dir / PASSAGE_QUESTIONS
    if not path.is_file():
        return []
    data, _ = load_yaml(path)
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, dict):
        raise CorpusError("expected a top-level 'documents:' mapping of doc id → ref → questions.", str(path), 1)
    position = {(p.doc, p.ref): i for i, p in enumerate(passages)}
    pairs: list[tuple[int, str]] = []
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


def load_out_of_scope_questions(corpus_dir: Path) -> list[str]:
    """Questions the guidance does not answer (corpus/out_of_scope_questions.yaml), grouped by topic
    in the file; a question nearer to these than to any passage's questions is out of scope."""
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
