"""Baseline retrievers, run on the same items as the assistant for comparison.

- Stock LlamaIndex: a VectorStoreIndex over the raw corpus documents with the default
  SentenceSplitter, the same embedding model, and Chroma in a temporary folder. Its
  results are chunks, each holding several passages; the passages found inside the
  chunks, read in order, stand in for its citations.
- BM25 alone: bm25s over the same passages and tokens as the assistant's own BM25,
  with no dense signal and no glossary.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.evaluation.metrics import first_hit_rank
from assistant.models import Passage
from assistant.search.chroma import chroma_client
from assistant.search.documents import bm25_tokens, passage_document

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

# Chunks read per query; at about eight passages a chunk this gives far more than ten refs.
STOCK_CHUNKS = 5
# A passage is found inside a chunk by the first characters of its letters and digits.
PASSAGE_KEY_CHARS = 60
MIN_PASSAGE_KEY_CHARS = 30


class RankedRetriever(Protocol):
    name: str
    description: str

    def ranked_refs(self, query: str, exclude: frozenset[str] = frozenset(), k: int = 10) -> list[str]: ...


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def read_in_order(chunk_refs: Sequence[Sequence[str]], exclude: frozenset[str], k: int) -> list[str]:
    """Passages of the chunks, first chunk first, each once, excluded ones left out."""
    ranked: list[str] = []
    for refs in chunk_refs:
        ranked += [r for r in refs if r not in ranked and r not in exclude]
    return ranked[:k]


class StockVectorBaseline:
    """VectorStoreIndex + default SentenceSplitter over the documents; same model; Chroma."""

    name = "stock_llamaindex"
    description = (
        "Stock LlamaIndex VectorStoreIndex (default SentenceSplitter, same model, Chroma); "
        f"the passages inside its first {STOCK_CHUNKS} chunks, in reading order, as citations."
    )

    def __init__(self, corpus_dir: Path, passages: Sequence[Passage], embedder: BaseEmbedding, folder: Path) -> None:
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        files = sorted({p for p in (corpus_dir / "documents").glob("*") if p.is_file()})
        documents = [Document(text=f.read_text(encoding="utf-8"), metadata={"file": f.name}) for f in files]
        collection = chroma_client(folder).create_collection("stock", configuration={"hnsw": {"space": "cosine"}})
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        index = VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embedder)
        self.retriever = index.as_retriever(similarity_top_k=STOCK_CHUNKS)
        self.keys = {
            p.ref: _key(p.text)[:PASSAGE_KEY_CHARS] for p in passages if len(_key(p.text)) >= MIN_PASSAGE_KEY_CHARS
        }
        self.chunk_count = int(collection.count())

    def chunk_refs(self, query: str) -> list[list[str]]:
        """For each retrieved chunk, best first: the passages inside it, in reading order."""
        found = []
        for node in self.retriever.retrieve(query):
            chunk = _key(node.node.get_content())
            inside = [ref for ref, key in self.keys.items() if key in chunk]
            found.append(sorted(inside, key=lambda ref, c=chunk: c.find(self.keys[ref])))
        return found

    def ranked_refs(self, query: str, exclude: frozenset[str] = frozenset(), k: int = 10) -> list[str]:
        return read_in_order(self.chunk_refs(query), exclude, k)


class Bm25Baseline:
    """BM25 (bm25s) over the passages, with the assistant's tokens and stemmer."""

    name = "bm25"
    description = "BM25 alone (bm25s) over the same passages and tokens; no dense signal, no glossary."

    def __init__(self, passages: Sequence[Passage]) -> None:
        import bm25s

        self.refs = [p.ref for p in passages]
        self.bm25 = bm25s.BM25()
        self.bm25.index(bm25_tokens([passage_document(p) for p in passages]), show_progress=False)
        self.vocab = set(self.bm25.vocab_dict)

    def ranked_refs(self, query: str, exclude: frozenset[str] = frozenset(), k: int = 10) -> list[str]:
        tokens = [t for t in bm25_tokens([query])[0] if t in self.vocab]
        if not tokens:
            return []
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float64)
        order = sorted(range(len(self.refs)), key=lambda i: (-scores[i], i))
        return [self.refs[i] for i in order if scores[i] > 0 and self.refs[i] not in exclude][:k]


BASELINE_NAMES = (StockVectorBaseline.name, Bm25Baseline.name)


@contextmanager
def baseline_retrievers(corpus_dir: Path, passages: Sequence[Passage], embedder: BaseEmbedding) -> Iterator[list[Any]]:
    """Both baselines; the stock pipeline's Chroma store lives in a temporary folder removed on exit."""
    with tempfile.TemporaryDirectory(prefix="isd-stock-") as folder:
        yield [StockVectorBaseline(corpus_dir, passages, embedder, Path(folder)), Bm25Baseline(passages)]


def stock_pipeline_hits(assistant: Any, items: Sequence[Any], embedder: BaseEmbedding) -> dict[str, float]:
    """hit@5 of the stock pipeline on in-scope items (benchmarks/bench.py).

    'chunks' counts a hit when any expected passage lies inside the first five chunks
    (generous to the stock pipeline); 'refs' reads the passages in those chunks in order,
    as citations, and looks at the first five.
    """
    with tempfile.TemporaryDirectory(prefix="isd-stock-") as folder:
        stock = StockVectorBaseline(assistant.settings.paths.corpus_dir, assistant.passages, embedder, Path(folder))
        chunk_hits = ref_hits = total = 0
        for item in items:
            if item.kind != "in_scope":
                continue
            total += 1
            query = f"{item.history} {item.question}" if item.history else item.question
            chunks = stock.chunk_refs(query)
            chunk_hits += any(ref in item.expected_refs for refs in chunks for ref in refs)
            ref_hits += (first_hit_rank(item.expected_refs, read_in_order(chunks, frozenset(), 5)) or 99) <= 5
    return {"chunks": round(chunk_hits / total, 4), "refs": round(ref_hits / total, 4), "chunk_count": stock.chunk_count}
