"""The corpus manifest: which documents make the corpus, read and validated, and the corpus hash.

YAML errors name the file and line; the hash covers the manifest, every file it names
and the retrieval aids, so any change to them makes the index stale.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import CorpusError
from assistant.inputs import InputLimitError, node_line, parse_yaml

DocKind = Literal["statute", "statutory guidance", "ICO reference", "other"]
DocFormat = Literal["guidance", "statute-extract", "ico-records", "markdown"]
MAX_DOCUMENT_BYTES = 5_000_000
PASSAGE_QUESTIONS = "passage_questions.yaml"
SCENARIO_QUESTIONS = "scenario_questions.yaml"
SENTENCE_QUESTIONS = "sentence_questions.yaml"
OUT_OF_SCOPE_QUESTIONS = "out_of_scope_questions.yaml"
URGENT_EXAMPLES = "urgent_examples.yaml"
# Retrieval, scope and urgency aids beside the documents: embedded at build, never quoted (README, "Retrieval").
AID_FILES = (PASSAGE_QUESTIONS, SCENARIO_QUESTIONS, SENTENCE_QUESTIONS, OUT_OF_SCOPE_QUESTIONS, URGENT_EXAMPLES)


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
        return parse_yaml(text)
    except InputLimitError as exc:
        raise CorpusError(f"the YAML cannot be used: {exc}", str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise CorpusError(f"malformed YAML ({getattr(exc, 'problem', exc)}). Fix the syntax.", str(path), line) from None


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
                node_line(root, (key, index, *err["loc"])),
            ) from None
    return items


def load_manifest(corpus_dir: Path) -> Manifest:
    path = corpus_dir / "manifest.yaml"
    data, root = load_yaml(path)
    documents = validate_list(path, data, root, "documents", DocumentEntry)
    seen: set[str] = set()
    for index, doc in enumerate(documents):
        if doc.id in seen:
            raise CorpusError(f"duplicate document id '{doc.id}'.", str(path), node_line(root, ("documents", index)))
        seen.add(doc.id)
        if not (corpus_dir / doc.file).is_file():
            raise CorpusError(
                f"document '{doc.id}' names file '{doc.file}', which does not exist under {corpus_dir}. "
                "Add the file or correct the 'file' field.",
                str(path),
                node_line(root, ("documents", index)),
            )
    return Manifest(documents=documents)


def corpus_hash(corpus_dir: Path) -> str:
    """sha256 over the manifest and every file it names: changes when any of them changes."""
    manifest = load_manifest(corpus_dir)
    digest = hashlib.sha256((corpus_dir / "manifest.yaml").read_bytes())
    for doc in manifest.documents:
        digest.update(doc.file.encode())
        digest.update((corpus_dir / doc.file).read_bytes())
    for aid in AID_FILES:
        if (corpus_dir / aid).is_file():
            digest.update(aid.encode())
            digest.update((corpus_dir / aid).read_bytes())
    return digest.hexdigest()


def corpus_version(corpus_dir: Path, digest: str) -> str:
    """Human version string carried by every answer; `digest` is the corpus hash."""
    manifest = load_manifest(corpus_dir)
    primary = next((d for d in manifest.documents if d.kind == "statutory guidance"), manifest.documents[0])
    return f"{primary.title} ({primary.version}); corpus {digest[:12]}"


