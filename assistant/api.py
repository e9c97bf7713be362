"""The Python API: `Assistant.load().ask(question, history=None)`."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from assistant.answer.compose import Reading, RuleQuotes, compose
from assistant.answer.decision import DecisionKind, asking_part, load_guide, read_decisions
from assistant.answer.followup import reads_as_followup
from assistant.answer.urgency import reads_urgent
from assistant.corpus.manifest import corpus_version
from assistant.errors import QuestionError
from assistant.models import Answer, Passage
from assistant.search.index import LoadedIndex, Log, open_index, stderr_log
from assistant.search.model import EmbeddingModel, MiniLM, QueryEncoder, quiet_environment
from assistant.search.retrieve import Hit, HybridRetriever
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.decide import Answers, DecisionRecord

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
    if any(unicodedata.category(ch) == "Cs" for ch in question):
        raise QuestionError("The question holds broken characters (it is not valid UTF-8). Type or paste it as plain text.")
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
        self.guide = load_guide(settings.paths.corpus_dir, {p.ref for p in index.passages})
        self.rules = RuleQuotes.locate(self.guide, index)
        self._position = {p.ref: i for i, p in enumerate(index.passages)}

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
        question = clean_question(query, self.settings.answer.max_question_chars)
        expanded, vector = self._embedded(question)
        urgent = reads_urgent(question, vector, self.index, self.settings.answer)
        return self._hits(expanded, vector, question, urgent, frozenset(exclude))[: k or self.settings.retrieval.top_k]

    def decision_prior(self, asked: Sequence[DecisionKind], urgent: bool = False) -> dict[int, float]:
        """Passage position → score added in retrieval: the passages that settle the decisions asked (most
        for the first decision and the first passages it names), then, for a disclosure, the urgent route."""
        weight = self.settings.retrieval.decision_weight
        groups = [kind.refs for kind in asked[:2]] + ([self.guide.urgent_refs] if urgent else [])
        prior: dict[int, float] = {}
        for d, refs in enumerate(groups):
            for r, ref in enumerate(refs):
                if ref in self._position:
                    value = weight * (0.5**d) * (1 - r / (2 * len(refs)))
                    prior[self._position[ref]] = max(prior.get(self._position[ref], 0.0), value)
        return prior

    def _embedded(self, text: str) -> tuple[str, np.ndarray]:
        """The text widened with the glossary, and its vector."""
        expanded = self.retriever.expand(text)
        return expanded, self.embed(expanded)

    def _hits(self, expanded: str, vector: np.ndarray, question: str, urgent: bool, exclude: frozenset[str]) -> list[Hit]:
        """Search `expanded` (the question, or it joined to the turn before), favouring the decisions `question` asks."""
        prior = self.decision_prior(read_decisions(question, self.guide.kinds), urgent)
        return self.retriever.hits(expanded, vector.tolist(), exclude, prior)

    def ask(self, question: str | bytes, history: Sequence[Turn] | None = None, exclude: Sequence[str] = ()) -> Answer:
        """Answer from the guidance, citing paragraphs; abstain when it does not cover the question.

        `history` holds earlier turns (questions or Answers), oldest first. When the question leans
        on the last one ("what if the parent refuses?"), it is searched both alone and with that
        turn, the two rankings are fused, and the answer says so (`followup_of`); a question that
        stands on its own is read alone. `exclude` leaves passages out of retrieval (evaluations).
        """
        limit = self.settings.answer.max_question_chars
        text = clean_question(question, limit)
        if isinstance(history, str | bytes):
            raise QuestionError("history must be a list of earlier turns (questions or Answers), oldest first.")
        earlier: Answer | None = None
        if history and reads_as_followup(text):
            last = history[-1]
            earlier = last if isinstance(last, Answer) else self.ask(clean_question(last, limit), exclude=exclude)
        previous = earlier.question if earlier else None
        expanded, vector = self._embedded(text)
        # A disclosure earlier in the conversation keeps the notice on its follow-ups.
        urgent = reads_urgent(text, vector, self.index, self.settings.answer) or bool(earlier and earlier.urgent)
        excluded = frozenset(exclude)
        hits = self._hits(expanded, vector, text, urgent, excluded)
        if previous is not None:
            expanded_joined, vector = self._embedded(f"{previous} {text}")
            hits = fuse_rankings(hits, self._hits(expanded_joined, vector, text, urgent, excluded))
        asking = asking_part(text)
        asking_vector = self.embed(self.retriever.expand(asking)) if asking != text else vector
        asked = read_decisions(text, self.guide.kinds)
        reading = Reading(
            question=text, asking=asking_vector,
            decisions=tuple(asked), urgent=urgent, followup_of=previous,
            avoid_lead=earlier.lead.sentence if earlier and earlier.lead else None,
            words=" ".join([asking, *(kind.words for kind in asked[:1])]),
        )
        return compose(
            reading, hits, vector, self.index, self.settings.answer, self.settings.retrieval.top_k, self.corpus_version,
            self.rules,
        )

    def decide(self, answers: Answers | Mapping[str, object]) -> DecisionRecord:
        """Walk the s16LA tests (corpus/decide_steps.yaml) with `answers` to a decision record to file (para 27).

        Needs the passages only, never the model. Raises a DecideError naming every missing,
        unknown or contradictory answer.
        """
        from assistant.decide import Decider

        return Decider.load(self.settings.paths.corpus_dir, self.passages, self.corpus_version).decide(answers)


def fuse_rankings(alone: list[Hit], joined: list[Hit]) -> list[Hit]:
    """One ranking from a follow-up searched alone and with its earlier turn: each passage's scores averaged
    (a passage missing from one list counts that list's lowest score there), best first."""
    floor_alone = min((h.score for h in alone), default=0.0)
    floor_joined = min((h.score for h in joined), default=0.0)
    by_alone = {h.position: h for h in alone}
    by_joined = {h.position: h for h in joined}
    fused = []
    for position in by_alone.keys() | by_joined.keys():
        a, j = by_alone.get(position), by_joined.get(position)
        score = ((a.score if a else floor_alone) + (j.score if j else floor_joined)) / 2
        base = j or a
        assert base is not None
        fused.append(replace(base, score=score, question=max(a.question if a else -1.0, j.question if j else -1.0)))
    fused.sort(key=lambda h: (-h.score, h.position))
    return fused
