"""The index: a Chroma collection plus BM25, sentence vectors and the query encoder.

Layout under the index folder:
    builds/<id>/   one build: fingerprint.json (written first), partial/ (embedded chunks
                   while building), chroma/, bm25/, encoder/, passages.json, units.json,
                   the *.npy vectors and COMPLETE (written last: the sha256, size and time of
                   every other file but encoder/, which has its own encoder.json)
    current        symlink to the build in service
    .lock          held while building, so two processes never build at once

A build is made aside and swapped in with an atomic rename of the symlink, so a build
killed halfway leaves the previous one serving. Embedding is saved chunk by chunk, so a
build that was stopped resumes where it stopped when the fingerprint (corpus hash, model,
parser version, index format) is unchanged; any other unfinished build is deleted. A build
that fails (a full disk, say) is deleted and the previous one keeps serving. Serving never
writes to a finished build (assistant.search.chroma opens a private copy of its store).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from assistant.corpus.guidance import PARSER_VERSION
from assistant.corpus.loader import (
    load_out_of_scope_questions,
    load_passage_questions,
    load_passages,
    load_sentence_questions,
    load_urgent_examples,
)
from assistant.corpus.manifest import corpus_hash
from assistant.corpus.sentences import Unit, all_units
from assistant.errors import AssistantError, IndexError_
from assistant.models import Passage
from assistant.search.checksums import files_under, manifest, problems
from assistant.search.chroma import open_private_collection, with_chroma_server, write_collection
from assistant.search.documents import bm25_tokens, passage_document
from assistant.settings import Settings

if TYPE_CHECKING:
    import bm25s

    from assistant.search.model import EmbeddingModel

INDEX_FORMAT = "8"
OWN_CHECKSUMS = ("COMPLETE", "encoder")  # left out of COMPLETE's manifest: the marker itself, and the encoder's own
EMBED_CHUNK = 2048  # texts embedded and saved at a time; a stopped build resumes at the first missing chunk
Log = Callable[[str], None]


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Fingerprint(BaseModel):
    corpus_hash: str
    model_sha256: str
    parser_version: str
    index_format: str


@dataclass
class LoadedIndex:
    path: Path
    fingerprint: Fingerprint
    passages: list[Passage]
    units: list[Unit]
    unit_vectors: np.ndarray
    passage_vectors: np.ndarray
    bm25: bm25s.BM25
    collection: Any  # the chromadb collection of passage vectors (embedded, or on a Chroma server)
    question_vectors: np.ndarray  # practitioner-style questions (corpus/passage_questions.yaml), never quoted
    question_passage: np.ndarray  # for each of those questions, the position of its passage
    out_of_scope_vectors: np.ndarray  # questions the guidance does not answer (corpus/out_of_scope_questions.yaml)
    unit_question_vectors: np.ndarray  # questions one sentence settles (corpus/sentence_questions.yaml), never quoted
    unit_question_row: np.ndarray  # for each of those questions, the row of its sentence unit
    urgent_vectors: np.ndarray  # questions that disclose harm (corpus/urgent_examples.yaml `urgent`)
    ordinary_vectors: np.ndarray  # ordinary questions, many worded to sound alarming (`ordinary`)

    @cached_property
    def unit_passage(self) -> np.ndarray:
        """For each sentence unit, the position of its passage."""
        return np.array([u.passage for u in self.units], dtype=np.int64)

    @cached_property
    def unit_bounds(self) -> np.ndarray:
        """Passage i's units are rows unit_bounds[i]:unit_bounds[i + 1]: units are stored passage by
        passage (checked when a build is read), so a passage's units are a slice, not a scan of them all."""
        return np.searchsorted(self.unit_passage, np.arange(len(self.passages) + 1))


def expected_fingerprint(settings: Settings, model_id: str) -> Fingerprint:
    return Fingerprint(
        corpus_hash=corpus_hash(settings.paths.corpus_dir), model_sha256=model_id,
        parser_version=PARSER_VERSION, index_format=INDEX_FORMAT,
    )


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(
    settings: Settings, model: EmbeddingModel, log: Log = stderr_log, progress: bool = True, force: bool = True
) -> Path:
    """Build a complete index aside and swap it in. Returns the build folder now serving.

    With force=False an up-to-date index (perhaps just built by another process that
    held the lock) is kept as it is.
    """
    index_dir = settings.paths.index_dir
    with build_lock(index_dir):
        fingerprint = expected_fingerprint(settings, model.model_id)
        current = index_dir / "current"
        if not force and current.exists():
            try:
                if _read_build(current.resolve()).fingerprint == fingerprint:
                    return current.resolve()
            except CorruptIndex:
                pass
        passages = load_passages(settings.paths.corpus_dir)
        questions = load_passage_questions(settings.paths.corpus_dir, passages)
        out_of_scope = load_out_of_scope_questions(settings.paths.corpus_dir)
        units = all_units(passages)
        unit_questions = load_sentence_questions(settings.paths.corpus_dir, passages, units)
        examples = load_urgent_examples(settings.paths.corpus_dir)
        build = _resumable_build(index_dir, fingerprint, log)
        fresh = build is None
        build = build or index_dir / "builds" / f"{time.strftime('%Y%m%dT%H%M%S')}.{time.time_ns() % 10**9:09d}-{os.getpid()}"
        try:
            if fresh:
                build.mkdir(parents=True)
                (build / "fingerprint.json").write_text(fingerprint.model_dump_json(indent=2))
                log(f"Building the index in {build} ({len(passages)} passages)…")
            _write_build(build, passages, questions, out_of_scope, unit_questions, examples, model, log, progress)
            _swap_current(index_dir, build)
        except AssistantError:
            raise  # a model or corpus problem: the embedded chunks are kept for the next attempt
        except Exception as exc:  # a full disk fails in numpy, Chroma's sqlite or the ONNX export alike
            shutil.rmtree(build, ignore_errors=True)  # the space it holds is what the next attempt needs
            raise IndexError_(_failed_build_message(index_dir, exc)) from None
        _remove_old_builds(index_dir, keep=build)
        log("Index ready.")
        return build


def _failed_build_message(index_dir: Path, exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        reason = f"{exc.strerror} (errno {exc.errno})"
    else:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    current = index_dir / "current"
    kept = (
        f"The previous index ({current.resolve().name}) still serves, unchanged."
        if (current.resolve() / "COMPLETE").is_file() else "There is no earlier index to serve meanwhile."
    )
    return (
        f"The index could not be written in {index_dir}: {reason}; the unfinished build was removed. {kept} "
        "Free disk space there and run `assistant index --rebuild`."
    )


def _resumable_build(index_dir: Path, fingerprint: Fingerprint, log: Log) -> Path | None:
    """An unfinished build with this fingerprint, to carry on; every other unfinished build is deleted."""
    builds = sorted((index_dir / "builds").glob("*")) if (index_dir / "builds").exists() else []
    resume = None
    for build in builds:
        if (build / "COMPLETE").exists():
            continue
        try:
            same = Fingerprint.model_validate_json((build / "fingerprint.json").read_text()) == fingerprint
        except (OSError, ValueError):
            same = False
        if same and resume is None and (build / "partial").is_dir():
            resume = build
        else:
            shutil.rmtree(build, ignore_errors=True)
    if resume is not None:
        done = len(list((resume / "partial").glob("vectors-*.npy")))
        log(f"Resuming the unfinished build in {resume} ({done} chunks of {EMBED_CHUNK} texts already embedded)…")
        for stale in ("chroma", "bm25", "encoder"):  # written after embedding: redo them whole
            shutil.rmtree(resume / stale, ignore_errors=True)
    return resume


def _embed_resumably(build: Path, texts: list[str], model: EmbeddingModel, progress: bool) -> np.ndarray:
    """Embed in chunks of EMBED_CHUNK, saving each; chunks already saved (and whole) are read back."""
    partial = build / "partial"
    partial.mkdir(exist_ok=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="Embedding", unit="text", file=sys.stderr)
    chunks = []
    for number, start in enumerate(range(0, len(texts), EMBED_CHUNK)):
        batch = texts[start:start + EMBED_CHUNK]
        saved = partial / f"vectors-{number:05d}.npy"
        vectors = None
        if saved.is_file():
            try:
                vectors = np.load(saved)
            except (OSError, ValueError):
                vectors = None
            if vectors is not None and len(vectors) != len(batch):
                vectors = None
        if vectors is None:
            embedded = model.document_embedder().get_text_embedding_batch(batch, show_progress=False)
            vectors = np.asarray(embedded, dtype=np.float32).reshape(len(batch), -1)
            scratch = partial / f".vectors-{number:05d}.npy"
            np.save(scratch, vectors)
            os.replace(scratch, saved)
        chunks.append(vectors)
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)


def _write_build(
    build: Path,
    passages: list[Passage],
    questions: list[tuple[int, str]],
    out_of_scope: list[str],
    unit_questions: list[tuple[int, str]],
    examples: tuple[list[str], list[str]],
    model: EmbeddingModel,
    log: Log,
    progress: bool,
) -> None:
    import bm25s

    units = all_units(passages)
    documents = [passage_document(p) for p in passages]
    # A list item is embedded without its stem: items of one list share it, and it would drown what each says.
    groups = [
        documents, [u.text for u in units], [q for _, q in questions], out_of_scope, [q for _, q in unit_questions],
        *examples,
    ]
    vectors = _embed_resumably(build, [t for group in groups for t in group], model, progress)
    ends = np.cumsum([len(group) for group in groups])
    passage_vectors, unit_vectors, question_vectors, out_of_scope_vectors, unit_question_vectors, urgent, ordinary = (
        vectors[start:end].reshape(end - start, vectors.shape[1]) for start, end in zip([0, *ends[:-1]], ends, strict=True)
    )

    write_collection(build / "chroma", passages, passage_vectors, documents)

    retriever = bm25s.BM25()
    retriever.index(bm25_tokens(documents), show_progress=False)
    retriever.save(str(build / "bm25"))
    model.write_query_encoder(build, log)

    (build / "passages.json").write_text(json.dumps([p.model_dump(mode="json") for p in passages], ensure_ascii=False))
    (build / "units.json").write_text(json.dumps([[u.passage, u.text, u.stem] for u in units], ensure_ascii=False))
    np.save(build / "units.npy", unit_vectors)
    np.save(build / "passages.npy", passage_vectors)
    # A question one sentence settles is also a question its passage answers (embedded once, stored twice).
    np.save(build / "questions.npy", np.concatenate([question_vectors, unit_question_vectors]))
    passages_asked = [i for i, _ in questions] + [units[row].passage for row, _ in unit_questions]
    np.save(build / "question_passage.npy", np.array(passages_asked, dtype=np.int64))
    np.save(build / "out_of_scope.npy", out_of_scope_vectors)
    np.save(build / "unit_questions.npy", unit_question_vectors)
    np.save(build / "unit_question_row.npy", np.array([row for row, _ in unit_questions], dtype=np.int64))
    np.save(build / "urgent_examples.npy", urgent)
    np.save(build / "ordinary_examples.npy", ordinary)
    shutil.rmtree(build / "partial", ignore_errors=True)
    checksums = manifest(build, files_under(build, skip=OWN_CHECKSUMS))
    complete = build / "COMPLETE"
    complete.write_text(json.dumps({**checksums, "passages": len(passages)}))
    with complete.open("rb") as handle:
        os.fsync(handle.fileno())


def _swap_current(index_dir: Path, build: Path) -> None:
    link = index_dir / "current"
    temp = index_dir / f".current-{os.getpid()}"
    if temp.is_symlink() or temp.exists():
        temp.unlink()
    temp.symlink_to(build.relative_to(index_dir))
    os.replace(temp, link)


def _remove_old_builds(index_dir: Path, keep: Path) -> None:
    """Keep the new build and the one before it (a process may still be reading it)."""
    builds = sorted((index_dir / "builds").glob("*"), key=lambda p: p.name)
    for build in builds[:-2]:
        if build != keep:
            shutil.rmtree(build, ignore_errors=True)


class CorruptIndex(Exception):
    """An index folder that is incomplete or does not match its own checksums."""


def build_problems(build: Path, full: bool = False) -> list[str]:
    """What is wrong with a build's files against COMPLETE: the cheap check, or every file hashed when full."""
    complete = build / "COMPLETE"
    if not complete.is_file():
        return ["the build never finished (no COMPLETE marker)"]
    try:
        recorded = json.loads(complete.read_text())
        if "sizes" not in recorded:
            return ["the build predates checksums for every file (an earlier index format)"]
        return problems(build, recorded, full)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"COMPLETE is unreadable or malformed ({type(exc).__name__})"]


def _read_build(build: Path) -> LoadedIndex:
    import bm25s

    found = build_problems(build)
    if found:
        raise CorruptIndex(found[0] if len(found) == 1 else f"{found[0]}, and {len(found) - 1} more")
    try:
        meta = json.loads((build / "COMPLETE").read_text())
        passages = [Passage.model_validate(p) for p in json.loads((build / "passages.json").read_text())]
        units = [Unit(i, text, stem) for i, text, stem in json.loads((build / "units.json").read_text())]
        if np.any(np.diff([u.passage for u in units]) < 0):
            raise CorruptIndex("units.json is not in passage order")
        unit_vectors = np.load(build / "units.npy")
        passage_vectors = np.load(build / "passages.npy")
        question_vectors = np.load(build / "questions.npy")
        question_passage = np.load(build / "question_passage.npy")
        out_of_scope_vectors = np.load(build / "out_of_scope.npy")
        unit_question_vectors = np.load(build / "unit_questions.npy")
        unit_question_row = np.load(build / "unit_question_row.npy")
        urgent_vectors = np.load(build / "urgent_examples.npy")
        ordinary_vectors = np.load(build / "ordinary_examples.npy")
        fingerprint = Fingerprint.model_validate_json((build / "fingerprint.json").read_text())
        bm25 = bm25s.BM25.load(str(build / "bm25"))
        collection = open_private_collection(build / "chroma")
        count = collection.count()
    except (CorruptIndex, IndexError_):
        raise
    except Exception as exc:  # any unreadable part means the build cannot serve
        raise CorruptIndex(f"{type(exc).__name__}: {exc}") from None
    if count != len(passages) or len(unit_vectors) != len(units) or meta.get("passages") != len(passages):
        raise CorruptIndex(f"Chroma holds {count} vectors for {len(passages)} passages")
    return LoadedIndex(
        build, fingerprint, passages, units, unit_vectors, passage_vectors, bm25, collection, question_vectors,
        question_passage, out_of_scope_vectors, unit_question_vectors, unit_question_row, urgent_vectors,
        ordinary_vectors,
    )


def open_index(settings: Settings, model: EmbeddingModel, log: Log = stderr_log, progress: bool = True) -> LoadedIndex:
    """The serving index, rebuilt first when missing, stale, partial or corrupt."""
    index_dir = settings.paths.index_dir
    expected = expected_fingerprint(settings, model.model_id)
    current = index_dir / "current"
    if current.exists():
        try:
            loaded = _read_build(current.resolve())
            if loaded.fingerprint == expected:
                return with_chroma_server(loaded, settings, log)
            log("The index is out of date (the corpus, model or parser changed); rebuilding.")
        except CorruptIndex as exc:
            log(f"The index at {current.resolve()} is incomplete or corrupt ({exc}); rebuilding.")
    else:
        log(f"No index found in {index_dir}; building it (first run only).")
    try:
        build = build_index(settings, model, log, progress, force=False)
        return with_chroma_server(_read_build(build), settings, log)
    except CorruptIndex as exc:
        raise IndexError_(
            f"The index was rebuilt but still cannot be read ({exc}). Check free disk space and "
            f"permissions on {index_dir}, then run `assistant index --rebuild`."
        ) from None
    except OSError as exc:
        raise IndexError_(f"Cannot write the index in {index_dir}: {exc}. Check free disk space and permissions.") from None
