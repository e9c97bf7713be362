"""Chroma: the embedded store in each build, or one shared `chroma run` server.

Answering talks to a chromadb collection directly (llama-index is not loaded to answer).
A build writes its store and closes it, and its files are checksummed then. Chroma writes to
its sqlite and HNSW files whenever a store is opened (even only to read it), so serving opens
a private copy in the temp folder instead: the build is never modified, and a read-only
build serves.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import IndexError_, ServeError
from assistant.models import Passage
from assistant.processes import remove_orphaned
from assistant.search.documents import passage_document

if TYPE_CHECKING:
    from assistant.search.index import Fingerprint, LoadedIndex, Log

COLLECTION = "passages"
PRIVATE_PREFIX = "isd-assistant-chroma-"
ADD_BATCH = 4000  # under chromadb's largest batch, so big corpora load in several calls


def chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def chroma_client(path: Path) -> Any:
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def write_collection(folder: Path, passages: list[Passage], vectors: np.ndarray, documents: list[str]) -> None:
    """A new store in `folder` holding the passage vectors; closed before returning, so its files are final."""
    client = chroma_client(folder)
    try:
        collection = client.create_collection(COLLECTION, configuration={"hnsw": {"space": "cosine"}})
        add_passages(collection, passages, vectors, documents)
    finally:
        client.close()


def open_private_collection(folder: Path) -> Any:
    """The build's collection, opened from a copy only this process uses (removed when it exits)."""
    parent = Path(tempfile.gettempdir())
    remove_orphaned(parent, PRIVATE_PREFIX)
    try:
        private = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", dir=parent))
        atexit.register(shutil.rmtree, private, ignore_errors=True)
        # File by file, without copying modes: the copy of a read-only build must be writable for Chroma.
        for source in sorted(folder.rglob("*")):
            target = private / "chroma" / source.relative_to(folder)
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    except OSError as exc:
        raise IndexError_(
            f"Cannot copy the index's Chroma store into {parent} ({exc.strerror or type(exc).__name__}): answering "
            "reads a private copy so that the build itself is never written. Free disk space there, or set TMPDIR "
            "to a writable folder with room for it."
        ) from None
    return chroma_client(private / "chroma").get_collection(COLLECTION)


def nearest(collection: Any, embedding: list[float], k: int) -> dict[int, float]:
    """Passage position → cosine similarity, for the k nearest passages (the collection uses cosine distance)."""
    result = collection.query(query_embeddings=[embedding], n_results=k, include=["metadatas", "distances"])
    return {
        int(meta["position"]): 1.0 - float(distance)
        for meta, distance in zip(result["metadatas"][0], result["distances"][0], strict=True)
    }


def server_collection_name(fingerprint: Fingerprint) -> str:
    """One collection per index fingerprint, so app instances on different corpus versions never mix vectors."""
    return f"{COLLECTION}-{hashlib.sha256(fingerprint.model_dump_json().encode()).hexdigest()[:24]}"


def chroma_server_client(host: str, port: int, token: str | None = None) -> Any:
    """A client for a Chroma server (`chroma run`, or `assistant chroma-guard` in front of one when `token` is
    given), checked with a heartbeat so a wrong address or token fails at once."""
    import chromadb

    from assistant.network import is_loopback
    from assistant.search.chroma_guard import TOKEN_ENV

    if token is None and not is_loopback(host):
        raise ServeError(
            f"The Chroma server at {host} is not on loopback, and no token was given. Chroma has no login of its own: "
            f"run `assistant chroma-guard` in front of it and set {TOKEN_ENV} (or --chroma-token-file) here."
        )
    headers = {"X-Chroma-Token": token} if token else None
    try:
        client = chromadb.HttpClient(host=host, port=port, headers=headers, settings=chroma_settings())
        client.heartbeat()
    except Exception as exc:  # connection refused, DNS, timeouts, a non-Chroma server: all mean "not usable"
        refused = "401" in str(exc) or "Unauthorized" in str(exc) or "valid Chroma token" in str(exc)
        raise IndexError_(
            f"The Chroma server at {host}:{port} refused the token; set {TOKEN_ENV} to the guard's token."
            if refused else
            f"Cannot reach a Chroma server at {host}:{port} ({type(exc).__name__}). Start one with "
            f"`chroma run --path chroma-server --host {host} --port {port}`, or leave out --chroma-host "
            "to use the embedded store."
        ) from None
    return client


def add_passages(collection: Any, passages: list[Passage], vectors: np.ndarray, documents: list[str]) -> None:
    """Add passage vectors in batches; ids already present are skipped by Chroma, so adding twice is harmless."""
    for start in range(0, len(passages), ADD_BATCH):
        chunk = range(start, min(start + ADD_BATCH, len(passages)))
        collection.add(
            ids=[passages[i].key for i in chunk],
            embeddings=[vectors[i].tolist() for i in chunk],
            metadatas=[{"position": i, "doc": passages[i].doc, "ref": passages[i].ref} for i in chunk],
            documents=[documents[i] for i in chunk],
        )


def with_chroma_server(loaded: LoadedIndex, settings: Any, log: Log) -> LoadedIndex:
    """The index with dense search moved to the Chroma server in settings.serve, when one is set.

    The build's passage vectors are pushed to the server collection named by the build's
    fingerprint when it is missing or partial. Adding skips ids already present, so app
    instances starting together cannot duplicate vectors. Everything else (BM25, sentence
    vectors) still comes from the local build, which every instance reads and none writes.
    """
    serve = getattr(settings, "serve", None)
    if serve is None or not serve.chroma_host:
        return loaded
    from assistant.search.chroma_guard import read_token

    client = chroma_server_client(serve.chroma_host, serve.chroma_port, read_token(serve.chroma_token_file))
    name = server_collection_name(loaded.fingerprint)
    try:
        collection = client.get_or_create_collection(
            name, configuration={"hnsw": {"space": "cosine"}}, metadata={"build": loaded.path.name}
        )
        if collection.count() != len(loaded.passages):
            log(f"Loading {len(loaded.passages)} passage vectors into {name} on {serve.chroma_host}:{serve.chroma_port}…")
            documents = [passage_document(p) for p in loaded.passages]
            add_passages(collection, loaded.passages, loaded.passage_vectors, documents)
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
    return replace(loaded, collection=collection)
