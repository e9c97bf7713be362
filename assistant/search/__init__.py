"""Search: the embedding model, the index (Chroma, BM25, vectors) and hybrid retrieval."""

from assistant.search.index import LoadedIndex, build_index, open_index
from assistant.search.model import LlamaIndexModel, MiniLM
from assistant.search.retrieve import Hit, HybridRetriever

__all__ = ["Hit", "HybridRetriever", "LlamaIndexModel", "LoadedIndex", "MiniLM", "build_index", "open_index"]
