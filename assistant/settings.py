"""Settings: one pydantic-settings object made of small sub-models.

Environment variables override the defaults with the prefix ASSISTANT_ and '__' between
levels, e.g. ASSISTANT_RETRIEVAL__TOP_K=8 or ASSISTANT_PATHS__INDEX_DIR=/srv/isd-index.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class PathSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corpus_dir: Path = Field(default=PROJECT_ROOT / "corpus", description="Folder holding manifest.yaml and the documents.")
    index_dir: Path = Field(
        default=PROJECT_ROOT / "index", description="Folder for the Chroma store, BM25 index and fingerprint."
    )


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fusion: Literal["weighted", "rrf"] = Field(
        default="weighted", description="How the signals are fused (chosen on the dev set, see README)."
    )
    passage_weight: float = Field(default=0.05, ge=0.0, description="Weight of the whole-passage dense cosine.")
    sentence_weight: float = Field(default=0.0, ge=0.0, description="Weight of the best sentence's dense cosine.")
    question_weight: float = Field(
        default=0.4, ge=0.0, description="Weight of the best cosine of the passage's practitioner-style questions."
    )
    lexical_weight: float = Field(default=0.1, ge=0.0, description="Weight of the scaled BM25 score.")
    reference_prior: float = Field(
        default=-0.05, le=0.0, description="Added to footnotes and ICO records, which should rarely outrank the guidance."
    )
    decision_weight: float = Field(
        default=0.05, ge=0.0, description="Added to the passages that settle the decision a question asks "
        "(corpus/decisions.yaml), most to the first of them (chosen on the scenario dev split)."
    )
    rrf_k: int = Field(default=60, ge=1, description="Constant k in reciprocal rank fusion.")
    candidates: int = Field(default=30, ge=5, description="Passages taken from each retriever before fusion.")
    top_k: int = Field(default=5, ge=1, le=20, description="Citations returned with an answer.")


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_sentences: int = Field(default=3, ge=1, le=8, description="Quoted sentences at most in an answer.")
    abstain_below: float = Field(
        default=0.30, description="Abstain when the best cosine with a question the guidance answers is below this."
    )
    scope_weights: list[float] = Field(
        default=[8.4356, 8.3605, -0.8383, -0.2946, -0.3526], min_length=5, max_length=5,
        description="Weights of the scope classifier's five signals (assistant/answer/scope.py), fitted on the dev "
        "splits by evals/tune_scope.py.",
    )
    scope_bias: float = Field(default=0.123, description="The scope classifier's intercept (evals/tune_scope.py).")
    scope_threshold: float = Field(
        default=0.4, gt=0.0, le=1.0,
        description="Abstain when the probability that the guidance does not answer the question reaches this.",
    )
    asking_weight: float = Field(
        default=0.5, ge=0.0, le=1.0, description="In choosing the sentences to quote, the weight of their match with the "
        "part of the question that asks (the rest goes to the whole question; chosen on the scenario dev split)."
    )
    sentence_question_weight: float = Field(
        default=0.7, ge=0.0, le=1.0, description="In choosing the sentences to quote, the weight of a sentence's "
        "best match with the questions it settles (corpus/sentence_questions.yaml; scenario dev split)."
    )
    word_weight: float = Field(
        default=0.1, ge=0.0, description="In choosing the sentences to quote, the weight of the share of the asking "
        "part's words, and the guidance's words for the decision asked, that a sentence contains (scenario dev split)."
    )
    settle_weight: float = Field(
        default=0.05, ge=0.0, description="In choosing the lead, the bonus of a sentence that settles the decision "
        "the question asks (corpus/decisions.yaml `settles`; half for the second decision; scenario dev split)."
    )
    urgent_k: int = Field(
        default=5, ge=1, description="Labelled examples (corpus/urgent_examples.yaml) of each kind the urgency check "
        "compares a question with: the mean cosine of its k nearest."
    )
    urgent_margin: float = Field(
        default=0.06, description="Urgent without a listed sign of harm when the question is this much nearer the "
        "labelled disclosures than the ordinary questions (scenario dev split)."
    )
    urgent_margin_signs: float = Field(
        default=-0.15, description="Urgent with a listed sign of harm unless the question is this much nearer the "
        "ordinary questions than the disclosures (scenario dev split)."
    )
    max_question_chars: int = Field(default=2000, ge=10, description="Longest question accepted, in characters.")


def _default_feedback_path() -> Path:
    """Outside the project, so feedback never ends up in git: $XDG_DATA_HOME or ~/.local/share."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "isd-assistant" / "feedback.jsonl"


class ServeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address the page binds to; loopback unless set.")
    port: int = Field(default=7860, ge=1, le=65535, description="Port the page listens on.")
    feedback_path: Path = Field(
        default_factory=_default_feedback_path,
        description="JSONL file that feedback is appended to, identifiers replaced by placeholders.",
    )
    chroma_host: str | None = Field(
        default=None, description="Chroma server (`chroma run`) to query instead of the embedded store; None = embedded."
    )
    chroma_port: int = Field(default=8000, ge=1, le=65535, description="Port of the Chroma server.")
    chroma_token_file: Path | None = Field(
        default=None, description="File holding the token that `assistant chroma-guard` in front of the Chroma server "
        "checks; without it, $ASSISTANT_CHROMA_TOKEN. Needed when the server is not on loopback.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Further names (name or name:port) the page answers in the Host header, beyond loopback "
        "names and the bound address (and IP addresses when bound to 0.0.0.0); other Host values get 400.",
    )
    concurrency: int = Field(default=4, ge=1, le=64, description="Questions answered at the same time per process.")
    sessions: int = Field(
        default=100, ge=1, le=100_000,
        description="Browser sessions (conversations) kept in memory per process; beyond this the least recently "
        "used one is dropped and its next question starts a new conversation. Bounds the server's memory.",
    )
    turns: int = Field(
        default=30, ge=1, le=1000,
        description="Turns of one conversation kept in memory; older ones are dropped (the record says how many). "
        "With `sessions`, bounds the server's memory.",
    )


class Settings(BaseSettings):
    """All settings. Every field has a default; nothing is required."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="forbid")

    paths: PathSettings = Field(default_factory=PathSettings, description="Where the corpus and index live.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Hybrid retrieval.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answer composition and abstention.")
    serve: ServeSettings = Field(default_factory=ServeSettings, description="The browser page and where it finds Chroma.")
