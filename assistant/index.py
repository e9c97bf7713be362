"""The index: a Chroma collection (through llama-index) plus BM25 and sentence vectors.

Layout under the index folder:
    builds/<id>/   one complete build: chroma/, bm25/, passages.json, units.json,
                   units.npy, fingerprint.json and COMPLETE (written last)
    current        symlink to the build in service
    .lock          held while building, so two processes never build at once

A build is made aside and swapped in with an atomic rename of the symlink, so a build
killed halfway leaves the previous one serving. A fingerprint (corpus hash, model hash,
parser version) tells when the index is stale.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from .corpus import corpus_hash, load_out_of_scope_questions, load_passage_questions, load_passages
from .embedding import MODEL_SHA256
from .errors import IndexError_
from .ingest import PARSER_VERSION
from .models import Passage
from .sentences import Unit, all_units
from .settings import Settings

if TYPE_CHECKING:
    import bm25s
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

INDEX_FORMAT = "2"
BUILD_FILES = ("passages.json", "units.json", "units.npy", "passages.npy", "questions.npy", "question_passage.npy",
               "out_of_scope.npy")
COLLECTION = "passages"
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
    vector_store: ChromaVectorStore
    question_vectors: np.ndarray  # practitioner-style questions (corpus/passage_questions.yaml), never quoted
    question_passage: np.ndarray  # for each of those questions, the position of its passage
    out_of_scope_vectors: np.ndarray  # questions the guidance does not answer (corpus/out_of_scope_questions.yaml)

    @cached_property
    def unit_passage(self) -> np.ndarray:
        """For each sentence unit, the position of its passage."""
        return np.array([u.passage for u in self.units], dtype=np.int64)


def embedder_id(embedder: BaseEmbedding) -> str:
    """The verified weights' sha256 for the real model; the class and name for anything else (test fakes)."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    if isinstance(embedder, HuggingFaceEmbedding):
        return MODEL_SHA256
    return f"{type(embedder).__name__}:{embedder.model_name}"


def expected_fingerprint(settings: Settings, embedder: BaseEmbedding) -> Fingerprint:
    return Fingerprint(
        corpus_hash=corpus_hash(settings.paths.corpus_dir), model_sha256=embedder_id(embedder),
        parser_version=PARSER_VERSION, index_format=INDEX_FORMAT,
    )


def passage_document(passage: Passage) -> str:
    """The text that is embedded and BM25-indexed for a passage: where it sits, then what it says."""
    return f"{passage.heading} › {passage.label}\n{passage.text}"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    import bm25s

    tokenized = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(t) for t in tokenized]


def chroma_client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_index(
    settings: Settings, embedder: BaseEmbedding, log: Log = stderr_log, progress: bool = True, force: bool = True
) -> Path:
    """Build a complete index aside and swap it in. Returns the build folder now serving.

    With force=False an up-to-date index (perhaps just built by another process that
    held the lock) is kept as it is.
    """
    index_dir = settings.paths.index_dir
    with build_lock(index_dir):
        fingerprint = expected_fingerprint(settings, embedder)
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
        _remove_partial_builds(index_dir)
        build = index_dir / "builds" / f"{time.strftime('%Y%m%dT%H%M%S')}.{time.time_ns() % 10**9:09d}-{os.getpid()}"
        build.mkdir(parents=True)
        log(f"Building the index in {build} ({len(passages)} passages)…")
        _write_build(build, passages, questions, out_of_scope, fingerprint, embedder, progress)
        _swap_current(index_dir, build)
        _remove_old_builds(index_dir, keep=build)
        log("Index ready.")
        return build


def _write_build(
    build: Path,
    passages: list[Passage],
    questions: list[tuple[int, str]],
    out_of_scope: list[str],
    fingerprint: Fingerprint,
    embedder: BaseEmbedding,
    progress: bool,
) -> None:
    import bm25s
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    units = all_units(passages)
    documents = [passage_document(p) for p in passages]
    groups = [documents, [u.quoted for u in units], [q for _, q in questions], out_of_scope]
    vectors = np.asarray(
        embedder.get_text_embedding_batch([t for group in groups for t in group], show_progress=progress),
        dtype=np.float32,
    )
    ends = np.cumsum([len(group) for group in groups])
    passage_vectors, unit_vectors, question_vectors, out_of_scope_vectors = (
        vectors[start:end].reshape(end - start, vectors.shape[1]) for start, end in zip([0, *ends[:-1]], ends, strict=True)
    )

    client = chroma_client(build / "chroma")
    collection = client.create_collection(COLLECTION, configuration={"hnsw": {"space": "cosine"}})
    store = ChromaVectorStore(chroma_collection=collection)
    nodes = [
        TextNode(id_=p.key, text=doc, embedding=vec.tolist(), metadata={"position": i, "doc": p.doc, "ref": p.ref})
        for i, (p, doc, vec) in enumerate(zip(passages, documents, passage_vectors, strict=True))
    ]
    store.add(nodes)

    retriever = bm25s.BM25()
    retriever.index(bm25_tokens(documents), show_progress=False)
    retriever.save(str(build / "bm25"))

    (build / "passages.json").write_text(json.dumps([p.model_dump(mode="json") for p in passages], ensure_ascii=False))
    (build / "units.json").write_text(json.dumps([[u.passage, u.text, u.stem] for u in units], ensure_ascii=False))
    np.save(build / "units.npy", unit_vectors)
    np.save(build / "passages.npy", passage_vectors)
    np.save(build / "questions.npy", question_vectors)
    np.save(build / "question_passage.npy", np.array([i for i, _ in questions], dtype=np.int64))
    np.save(build / "out_of_scope.npy", out_of_scope_vectors)
    (build / "fingerprint.json").write_text(fingerprint.model_dump_json(indent=2))
    manifest = {name: _digest(build / name) for name in BUILD_FILES}
    complete = build / "COMPLETE"
    complete.write_text(json.dumps({"files": manifest, "passages": len(passages)}))
    with complete.open("rb") as handle:
        os.fsync(handle.fileno())


def _swap_current(index_dir: Path, build: Path) -> None:
    link = index_dir / "current"
    temp = index_dir / f".current-{os.getpid()}"
    if temp.is_symlink() or temp.exists():
        temp.unlink()
    temp.symlink_to(build.relative_to(index_dir))
    os.replace(temp, link)


def _remove_partial_builds(index_dir: Path) -> None:
    for build in (index_dir / "builds").glob("*") if (index_dir / "builds").exists() else []:
        if not (build / "COMPLETE").exists():
            shutil.rmtree(build, ignore_errors=True)


def _remove_old_builds(index_dir: Path, keep: Path) -> None:
    """Keep the new build and the one before it (a process may still be reading it)."""
    builds = sorted((index_dir / "builds").glob("*"), key=lambda p: p.name)
    for build in builds[:-2]:
        if build != keep:
            shutil.rmtree(build, ignore_errors=True)


class CorruptIndex(Exception):
    """An index folder that is incomplete or does not match its own checksums."""


def _read_build(build: Path) -> LoadedIndex:
    import bm25s
    from llama_index.vector_stores.chroma import ChromaVectorStore

    complete = build / "COMPLETE"
    if not complete.is_file():
        raise CorruptIndex("the build never finished (no COMPLETE marker)")
    try:
        meta = json.loads(complete.read_text())
        for name, digest in meta["files"].items():
            if _digest(build / name) != digest:
                raise CorruptIndex(f"{name} does not match its checksum")
        passages = [Passage.model_validate(p) for p in json.loads((build / "passages.json").read_text())]
        units = [Unit(i, text, stem) for i, text, stem in json.loads((build / "units.json").read_text())]
        unit_vectors = np.load(build / "units.npy")
        passage_vectors = np.load(build / "passages.npy")
        question_vectors = np.load(build / "questions.npy")
        question_passage = np.load(build / "question_passage.npy")
        out_of_scope_vectors = np.load(build / "out_of_scope.npy")
        fingerprint = Fingerprint.model_validate_json((build / "fingerprint.json").read_text())
        bm25 = bm25s.BM25.load(str(build / "bm25"))
        collection = chroma_client(build / "chroma").get_collection(COLLECTION)
        count = collection.count()
    except CorruptIndex:
        raise
    except Exception as exc:  # any unreadable part means the build cannot serve
        raise CorruptIndex(f"{type(exc).__name__}: {exc}") from None
    if count != len(passages) or len(unit_vectors) != len(units) or meta.get("passages") != len(passages):
        raise CorruptIndex(f"Chroma holds {count} vectors for {len(passages)} passages")
    return LoadedIndex(
        build, fingerprint, passages, units, unit_vectors, passage_vectors, bm25,
        ChromaVectorStore(chroma_collection=collection), question_vectors, question_passage,
        out_of_scope_vectors,
    )


def open_index(settings: Settings, embedder: BaseEmbedding, log: Log = stderr_log, progress: bool = True) -> LoadedIndex:
    """The serving index, rebuilt first when missing, stale, partial or corrupt."""
    index_dir = settings.paths.index_dir
    expected = expected_fingerprint(settings, embedder)
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
        build = build_index(settings, embedder, log, progress, force=False)
        return with_chroma_server(_read_build(build), settings, log)
    except CorruptIndex as exc:
        raise IndexError_(
            f"The index was rebuilt but still cannot be read ({exc}). Check free disk space and "
            f"permissions on {index_dir}, then run `assistant index --rebuild`."
        ) from None
    except OSError as exc:
        raise IndexError_(f"Cannot write the index in {index_dir}: {exc}. Check free disk space and permissions.") from None


def passage_nodes(passages: list[Passage], vectors: np.ndarray) -> list[Any]:
    """The passages as llama-index TextNodes with their vectors: what a Chroma collection holds."""
    from llama_index.core.schema import TextNode

    return [
        TextNode(
            id_=p.key, text=passage_document(p), embedding=vec.tolist(), metadata={"position": i, "doc": p.doc, "ref": p.ref}
        )
        for i, (p, vec) in enumerate(zip(passages, vectors, strict=True))
    ]


def server_collection_name(fingerprint: Fingerprint) -> str:
    """One collection per index fingerprint, so app instances on different corpus versions never mix vectors."""
    return f"{COLLECTION}-{hashlib.sha256(fingerprint.model_dump_json().encode()).hexdigest()[:24]}"


def chroma_server_client(host: str, port: int) -> Any:
    """A client for a Chroma server (`chroma run`), checked with a heartbeat so a wrong address fails at once."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        client = chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
        client.heartbeat()
    except Exception as exc:  # connection refused, DNS, timeouts, a non-Chroma server: all mean "not usable"
        raise IndexError_(
            f"Cannot reach a Chroma server at {host}:{port} ({type(exc).__name__}). Start one with "
            f"`chroma run --path chroma-server --host {host} --port {port}`, or leave out --chroma-host "
            "to use the embedded store."
        ) from None
    return client


def with_chroma_server(loaded: LoadedIndex, settings: Settings, log: Log = stderr_log) -> LoadedIndex:
    """The index with dense search moved to the Chroma server in settings.serve, when one is set.

    The build's passage vectors are pushed to the server collection named by the build's
    fingerprint when it is missing or partial. `add` skips ids already present, so app
    instances starting together cannot duplicate vectors. Everything else (BM25, sentence
    vectors) still comes from the local build, which every instance reads and none writes.
    """
    serve = getattr(settings, "serve", None)
    if serve is None or not serve.chroma_host:
        return loaded
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chroma_server_client(serve.chroma_host, serve.chroma_port)
    name = server_collection_name(loaded.fingerprint)
    try:
        collection = client.get_or_create_collection(
            name, configuration={"hnsw": {"space": "cosine"}}, metadata={"build": loaded.path.name}
        )
        store = ChromaVectorStore(chroma_collection=collection)
        if collection.count() != len(loaded.passages):
            log(f"Loading {len(loaded.passages)} passage vectors into {name} on {serve.chroma_host}:{serve.chroma_port}…")
            store.add(passage_nodes(loaded.passages, loaded.passage_vectors))
        count = collection.count()
    except IndexError_:
        raise
    except Exception as exc:  # the server answered the heartbeat but refused the collection
        raise IndexError_(
            f"The Chroma server at {serve.chroma_host}:{serve.chroma_port} refused collection {name} "
            f"({type(exc).__name__}: {exc}). Check its logs and free disk space."
        ) from None
    if count != len(loaded.passages):
        raise IndexError_(
            f"Collection {name} on the Chroma server holds {count} vectors for {len(loaded.passages)} passages. "
            "Delete it (chromadb.HttpClient(...).delete_collection(name)) and start the app again to reload it."
        )
    return replace(loaded, vector_store=store)
