"""The Python API: `Assistant.load().ask(question, history=None)`."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from assistant.answer.compose import compose
from assistant.corpus.manifest import corpus_version
from assistant.errors import QuestionError
from assistant.models import Answer, Passage
from assistant.search.index import LoadedIndex, Log, open_index, stderr_log
from assistant.search.model import EmbeddingModel, MiniLM, QueryEncoder, quiet_environment
from assistant.search.retrieve import Hit, HybridRetriever
from assistant.settings import Settings

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

    def __init__(self, settings: Settings, model: EmbeddingModel, encoder: QueryEncoder, index: LoadedIndex) -> None:
        self.settings = settings
        self.model = model
        self.encoder = encoder
        self.index = index
        self.retriever = HybridRetriever(index, settings.retrieval, settings.paths.corpus_dir / "glossary.yaml")
        self.corpus_version = corpus_version(settings.paths.corpus_dir, index.fingerprint.corpus_hash)

    @classmethod
    def load(
        cls, settings: Settings | None = None, log: Log = stderr_log, progress: bool = True,
        model: EmbeddingModel | None = None,
    ) -> Assistant:
        """Open the index (building or rebuilding it when needed) and its query encoder.

        `model` defaults to the packaged MiniLM; a llama-index embedding of your own goes in
        as `LlamaIndexModel(embedding)` (assistant.search.model).
        """
        quiet_environment()
        settings = settings or Settings()
        model = model or MiniLM()
        index = open_index(settings, model, log, progress)
        return cls(settings, model, model.query_encoder(index.path, log), index)

    @property
    def passages(self) -> list[Passage]:
        return self.index.passages

    def embed(self, text: str) -> np.ndarray:
        return self.encoder.embed_query(text)

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
