"""What is indexed for a passage: its document text (embedded and BM25-indexed) and the BM25 tokens."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from assistant.models import Passage


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
