"""Chroma: the embedded store in each build, or one shared `chroma run` server.

Answering talks to a chromadb collection directly (llama-index is not loaded to answer);
builds write through llama-index's ChromaVectorStore (assistant.search.index).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import IndexError_
from assistant.models import Passage
from assistant.search.documents import passage_document

if TYPE_CHECKING:
    from assistant.search.index import Fingerprint, LoadedIndex, Log

COLLECTION = "passages"
ADD_BATCH = 4000  # under chromadb's largest batch, so big corpora load in several calls


def chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def chroma_client(path: Path) -> Any:
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


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


def chroma_server_client(host: str, port: int) -> Any:
    """A client for a Chroma server (`chroma run`), checked with a heartbeat so a wrong address fails at once."""
    import chromadb

    try:
        client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings())
        client.heartbeat()
    except Exception as exc:  # connection refused, DNS, timeouts, a non-Chroma server: all mean "not usable"
        raise IndexError_(
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
    client = chroma_server_client(serve.chroma_host, serve.chroma_port)
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
