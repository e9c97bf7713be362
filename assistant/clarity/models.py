"""Data models of the clarity report: flags on passages, ranked entries, the whole report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Category = Literal["language", "structure", "consistency", "feedback", "usage"]
Severity = Literal["info", "low", "medium", "high"]
CATEGORIES: tuple[Category, ...] = ("language", "structure", "consistency", "feedback", "usage")
TEXT_CATEGORIES: tuple[Category, ...] = ("language", "structure", "consistency")
SEVERITY_WEIGHT: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3}
WEAKER: dict[Severity, Severity] = {"high": "medium", "medium": "low", "low": "info", "info": "info"}


class Flag(BaseModel):
    """One reason a passage may be hard to apply, with the words that triggered it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: Category
    rule: str = Field(description="Short rule id, e.g. 'vague-term' or 'page-reference'.")
    trigger: str = Field(description="The exact words of the passage that triggered the flag ('' when none apply).")
    explanation: str = Field(description="One line: why this may confuse a reader.")
    question: str = Field(description="A question a drafter could answer to fix it.")
    severity: Severity
    see_also: tuple[str, ...] = Field(default=(), description="Refs that define, illustrate or conflict with the trigger.")
    source: str = Field(default="", description="Where the evidence comes from (consultation feedback, evaluation run).")

    @property
    def weight(self) -> int:
        return SEVERITY_WEIGHT[self.severity]

    @property
    def identity(self) -> tuple[str, str, str]:
        """What makes two flags 'the same' across versions of the guidance."""
        return (self.category, self.rule, " ".join(self.trigger.lower().split()))


class Readability(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    words: int
    sentences: int
    longest_sentence: int = Field(description="Words in the longest sentence or list item.")
    grade: float = Field(description="Flesch-Kincaid grade level (US school grade; 16+ is graduate reading).")


class Entry(BaseModel):
    """A passage with its flags, severity and score; the report ranks these."""

    model_config = ConfigDict(extra="forbid")

    rank: int = 0
    doc: str
    ref: str
    label: str
    kind: str
    chapter: str = Field(description="'1'…'5', or 'front' for the front matter and key terms.")
    heading: str
    text: str
    readability: Readability
    flags: list[Flag] = Field(default_factory=list)
    score: float = 0.0
    severity: Severity = "info"
    category_scores: dict[str, float] = Field(default_factory=dict)
    unclear: bool = Field(default=False, description="Predicted unclear (a text category scores at the threshold or more).")


class Metrics(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int = Field(description="Passages labelled with this category (or unclear overall).")
    predicted: int


class ClarityReport(BaseModel):
    """The full report: entries ranked most unclear first."""

    corpus_version: str
    threshold: float = Field(description="A text category at or above this score marks a passage unclear.")
    entries: list[Entry]
    feedback_sources: list[str] = Field(default_factory=list)
    usage_file: str = ""

    def flags_by_category(self) -> dict[str, int]:
        counts = {c: 0 for c in CATEGORIES}
        for entry in self.entries:
            for flag in entry.flags:
                counts[flag.category] += 1
        return counts
