"""Hybrid retrieval at passage level: BM25 and dense (Chroma), fused.

Signals, each per passage: the dense cosine of the whole passage (Chroma), the best
dense cosine of any one of its sentences (long passages are truncated by the model,
sentences are not), and BM25 scaled by the best BM25 score. The question is first widened with corpus/glossary.yaml, which maps
practitioners' everyday words to the guidance's own. Fusion and weights were chosen
on the dev set (README, "Retrieval").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.corpus.manifest import load_yaml
from assistant.errors import CorpusError
from assistant.models import Passage
from assistant.search.chroma import nearest
from assistant.search.documents import bm25_tokens
from assistant.search.index import LoadedIndex
from assistant.settings import RetrievalSettings

REFERENCE_KINDS = ("footnote", "ico")


def load_glossary(path: Path) -> list[tuple[re.Pattern[str], str]]:
    """Word-boundary patterns and the guidance words they add; empty when there is no glossary."""
    if not path.is_file():
        return []
    data, _ = load_yaml(path)
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, dict):
        raise CorpusError("the glossary needs a 'terms:' mapping of word: words.", str(path))
    return [(re.compile(rf"\b{re.escape(str(k))}\b", re.IGNORECASE), str(v)) for k, v in terms.items()]


def expand_query(text: str, glossary: list[tuple[re.Pattern[str], str]]) -> str:
    extra = [words for pattern, words in glossary if pattern.search(text)]
    return f"{text} {' '.join(extra)}" if extra else text


def top_positions(values: np.ndarray, k: int) -> np.ndarray:
    """The positions of the k largest values: the same set as `np.argsort(-values)[:k]`.

    A partition finds them in linear time, which matters on a large corpus. When values tie
    across the k-th place, which of the tied positions get in is left to that very sort, so the
    candidates (and every answer) stay exactly what the full sort gave.
    """
    if k >= len(values):
        return np.arange(len(values))
    negated = -values
    order = np.argpartition(negated, k)
    top = order[:k]
    if negated[top].max() < negated[order[k]]:
        return top
    return np.argsort(negated)[:k]


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its scores."""

    position: int  # index into LoadedIndex.passages
    passage: Passage
    score: float  # fused
    dense: float  # cosine similarity of the whole passage
    sentence: float  # best cosine similarity of one of its sentences
    lexical: float  # BM25 score scaled to 0..1 by the best BM25 score for this query
    question: float  # best cosine similarity of one of the passage's practitioner-style questions


class HybridRetriever:
    """Hybrid retrieval over the loaded index (assistant.search.llama wraps it as a llama-index retriever)."""

    def __init__(self, index: LoadedIndex, settings: RetrievalSettings, glossary_path: Path | None = None) -> None:
        self.index = index
        self.settings = settings
        self.glossary = load_glossary(glossary_path) if glossary_path else []
        self._vocab = set(index.bm25.vocab_dict)
        kinds = np.array([p.kind for p in index.passages])
        self._is_reference = np.isin(kinds, REFERENCE_KINDS).astype(np.float32)

    def expand(self, text: str) -> str:
        return expand_query(text, self.glossary)

    def dense(self, embedding: list[float], k: int) -> dict[int, float]:
        """Passage position → cosine similarity, for the k nearest passages in Chroma."""
        return nearest(self.index.collection, embedding, k)

    def sentence(self, embedding: np.ndarray) -> np.ndarray:
        """Best cosine similarity of any sentence of each passage."""
        best = np.full(len(self.index.passages), -1.0, dtype=np.float32)
        # The product over every unit is what grows with the corpus (memory-bound: 5-9 ms for 60,000
        # units); the per-passage max is cheap there: maximum.at 0.2 ms, np.maximum.reduceat 1 ms.
        np.maximum.at(best, self.index.unit_passage, self.index.unit_vectors @ embedding)
        return best

    def question(self, embedding: np.ndarray, sentence: np.ndarray) -> np.ndarray:
        """Best cosine similarity of the passage's practitioner-style questions; a passage without any
        (one a user added) falls back on its best sentence."""
        best = sentence.copy()
        if len(self.index.question_passage):
            asked = np.full(len(self.index.passages), -1.0, dtype=np.float32)
            np.maximum.at(asked, self.index.question_passage, self.index.question_vectors @ embedding)
            has = np.zeros(len(self.index.passages), dtype=bool)
            has[self.index.question_passage] = True
            best[has] = asked[has]
        return best

    def lexical(self, text: str) -> tuple[np.ndarray, float]:
        """BM25 score of every passage scaled so the best is 1, and that best raw score."""
        tokens = [t for t in bm25_tokens([text])[0] if t in self._vocab]
        if not tokens:
            return np.zeros(len(self.index.passages), dtype=np.float32), 0.0
        scores = np.asarray(self.index.bm25.get_scores(tokens), dtype=np.float32)
        best = float(scores.max())
        return (scores / best if best > 0 else scores), best

    def hits(
        self, text: str, embedding: list[float], exclude: frozenset[str] = frozenset(), prior: Mapping[int, float] | None = None
    ) -> list[Hit]:
        """Candidate passages, best first. `text` should already be expanded. `prior` adds to the fused
        score of the passages at those positions (the passages that settle the decision asked)."""
        s = self.settings
        k = min(s.candidates + len(exclude), len(self.index.passages))
        vector = np.asarray(embedding, dtype=np.float32)
        from_chroma = self.dense(embedding, k)
        sentence = self.sentence(vector)
        question = self.question(vector, sentence)
        lexical, _ = self.lexical(text)
        candidates = set(from_chroma) | set(prior or {})
        for signal in (sentence, question, lexical):
            candidates |= {int(i) for i in top_positions(signal, k)}
        # Candidates found by BM25 or by a sentence get their exact passage cosine too.
        dense = {
            i: from_chroma[i] if i in from_chroma else float(self.index.passage_vectors[i] @ vector) for i in candidates
        }
        fused = self._fuse(candidates, dense, sentence, question, lexical)
        for i, extra in (prior or {}).items():
            fused[i] += extra
        passages = self.index.passages
        hits = [
            Hit(i, passages[i], fused[i], dense[i], float(sentence[i]), float(lexical[i]), float(question[i]))
            for i in candidates
            if passages[i].ref not in exclude
        ]
        hits.sort(key=lambda h: (-h.score, h.position))
        return hits

    def _fuse(
        self, candidates: set[int], dense: dict[int, float], sentence: np.ndarray, question: np.ndarray,
        lexical: np.ndarray,
    ) -> dict[int, float]:
        s = self.settings
        if s.fusion == "rrf":
            signals = [
                (s.passage_weight, {i: dense[i] for i in candidates}),
                (s.sentence_weight, {i: float(sentence[i]) for i in candidates}),
                (s.question_weight, {i: float(question[i]) for i in candidates}),
                (s.lexical_weight, {i: float(lexical[i]) for i in candidates}),
            ]
            fused = dict.fromkeys(candidates, 0.0)
            for weight, values in signals:
                for rank, i in enumerate(sorted(values, key=lambda i: (-values[i], i))):
                    fused[i] += weight / (s.rrf_k + rank)
            return fused
        return {
            i: s.passage_weight * dense[i] + s.sentence_weight * float(sentence[i]) + s.question_weight * float(question[i])
            + s.lexical_weight * float(lexical[i]) + s.reference_prior * float(self._is_reference[i])
            for i in candidates
        }
