"""The hybrid retriever as a llama-index retriever, for a llama-index pipeline of your own.

    from llama_index.core.query_engine import RetrieverQueryEngine
    from assistant import Assistant
    from assistant.search.llama import LlamaIndexRetriever

    retriever = LlamaIndexRetriever(Assistant.load())
    nodes = retriever.retrieve("Do I need the parent's consent?")

Importing this module loads llama-index; answering through `Assistant` never does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

if TYPE_CHECKING:
    from assistant.api import Assistant


class LlamaIndexRetriever(BaseRetriever):
    """Passages as TextNodes (text verbatim, ref and doc in the metadata), scored by the fused score, best first."""

    def __init__(self, assistant: Assistant, top_k: int | None = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.top_k = top_k or assistant.settings.retrieval.top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        retriever = self.assistant.retriever
        text = retriever.expand(query_bundle.query_str)
        embedding = query_bundle.embedding or self.assistant.embed(text).tolist()
        return [
            NodeWithScore(
                node=TextNode(id_=h.passage.key, text=h.passage.text, metadata={"ref": h.passage.ref, "doc": h.passage.doc}),
                score=h.score,
            )
            for h in retriever.hits(text, list(embedding))[: self.top_k]
        ]
