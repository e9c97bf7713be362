"""The Python API: `Assistant.load().ask(question, history=None)`."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .answer import compose
from .corpus import corpus_version
from .embedding import load_embedder, quiet_environment
from .errors import QuestionError
from .index import LoadedIndex, Log, open_index, stderr_log
from .models import Answer, Passage
from .retrieve import Hit, HybridRetriever
from .settings import Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

Turn = str | Answer


def clean_question(question: str | bytes, limit: int) -> str:
    """The question as text, or a QuestionError that says what to change."""
    if isinstance(question, bytes):
        try:
            question = question.decode("utf-8")
        except UnicodeDecodeError:
            raise QuestionError("The question is not readable text (it is not UTF-8). Type or paste it as plain text.") from None
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in question):
        raise QuestionError("The question contains control characters or binary data. Type or paste plain text.")
    question = " ".join(question.split())
    if not question:
        raise QuestionError("The question is empty. Type a question about the Information Sharing Duty.")
    if len(question) > limit:
        raise QuestionError(
            f"The question is {len(question)} characters long; the limit is {limit}. "
            "Ask about one point at a time, and leave out case details the guidance does not need."
        )
    return question


class Assistant:
    """Answers questions from the guidance. Load once, ask many times."""

    def __init__(self, settings: Settings, embedder: BaseEmbedding, index: LoadedIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.retriever = HybridRetriever(index, settings.retrieval, settings.paths.corpus_dir / "glossary.yaml")
        self.corpus_version = corpus_version(settings.paths.corpus_dir, index.fingerprint.corpus_hash)

    @classmethod
    def load(cls, settings: Settings | None = None, log: Log = stderr_log, progress: bool = True) -> Assistant:
        """Check the model, open the index (building or rebuilding it when needed)."""
        quiet_environment()
        settings = settings or Settings()
        embedder = load_embedder()
        return cls(settings, embedder, open_index(settings, embedder, log, progress))

    @property
    def passages(self) -> list[Passage]:
        return self.index.passages

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(self.embedder.get_query_embedding(text), dtype=np.float32)

    def search(self, query: str | bytes, k: int | None = None, exclude: Sequence[str] = ()) -> list[Hit]:
        """Ranked passages with their scores."""
        text = self.retriever.expand(clean_question(query, self.settings.answer.max_question_chars))
        vector = self.embed(text)
        return self.retriever.hits(text, vector.tolist(), frozenset(exclude))[: k or self.settings.retrieval.top_k]

    def ask(self, question: str | bytes, history: Sequence[Turn] | None = None, exclude: Sequence[str] = ()) -> Answer:
        """Answer from the guidance, citing paragraphs; abstain when it does not cover the question.

        `history` holds earlier turns (questions or Answers), oldest first; the last one
        gives a follow-up such as "what if the parent refuses?" its context.
        `exclude` leaves passages out of retrieval (used by evaluations).
        """
        limit = self.settings.answer.max_question_chars
        text = clean_question(question, limit)
        search_text = text
        if history:
            last = history[-1]
            previous = last.question if isinstance(last, Answer) else clean_question(last, limit)
            search_text = f"{previous} {text}"
        search_text = self.retriever.expand(search_text)
        vector = self.embed(search_text)
        hits = self.retriever.hits(search_text, vector.tolist(), frozenset(exclude))
        return compose(
            text, hits, vector, self.index, self.settings.answer, self.settings.retrieval.top_k, self.corpus_version
        )
