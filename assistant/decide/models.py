"""The Decide helper's data: a practitioner's answers in, a decision record out.

`Answers` is what a practitioner (or a case system, through `assistant decide --answers`) gives;
`DecisionRecord` is what they file. Free text in a record has already been scrubbed of personal
details; quoted sentences are the guidance's, copied verbatim from the passages.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

Reply = Literal["yes", "no", "unsure"]
OutcomeKind = Literal["share", "share_with_mitigation", "withhold_specific_details", "not_under_duty", "refer"]
REPLIES: tuple[Reply, ...] = ("yes", "no", "unsure")
TEXT_LIMIT = 2000


def _reply(value: Any) -> Any:
    """YAML reads a bare yes / no as true / false: take those as the words they were."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value.strip().lower() if isinstance(value, str) else value


def _text(value: Any) -> Any:
    return "" if value is None else value


ReplyField = Annotated[Reply, BeforeValidator(_reply)]
Text = Annotated[str, BeforeValidator(_text), Field(max_length=TEXT_LIMIT)]


class Situation(BaseModel):
    """Step 1's facts. Choices are checked against corpus/decide_steps.yaml; free text is scrubbed."""

    model_config = ConfigDict(extra="forbid")

    role: Text = Field(default="", description="Who you are, e.g. 'designated safeguarding lead'.")
    organisation: str = Field(default="", description="Organisation type: a choice under situation.organisation.")
    trigger: str = Field(default="", description="'hold' (you hold information) or 'request' (you were asked).")
    recipient: Text = Field(default="", description="Who would receive the information.")
    recipient_kind: str = Field(default="", description="A choice under situation.recipient_kind.")
    about: list[str] = Field(default_factory=list, description="What the information is about: choices under situation.about.")
    urgent: bool = Field(default=False, description="An emergency or urgent case.")
    description: Text = Field(default="", description="The situation in a few lines; personal details are removed.")


class StepAnswer(BaseModel):
    """One step's answer: yes / no / unsure, a short rationale, and the step's own fields (reasons, basis…)."""

    model_config = ConfigDict(extra="allow")

    answer: ReplyField
    rationale: Text = ""


class Sharing(BaseModel):
    """What is shared, with whom and how; and, when details are withheld, which."""

    model_config = ConfigDict(extra="forbid")

    what: Text = ""
    with_whom: Text = ""
    how: Text = ""
    withheld: Text = Field(default="", description="The specific details withheld (with the outcome 'withhold').")


class Answers(BaseModel):
    """Everything a practitioner answers. `decision`, when given, must be what the answers lead to."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date | None = Field(default=None, description="The date of the decision (default: today).")
    situation: Situation
    steps: dict[str, StepAnswer] = Field(default_factory=dict)
    sharing: Sharing = Field(default_factory=Sharing)
    review: list[Text] = Field(default_factory=list, max_length=20, description="Review points, one per item.")
    decision: OutcomeKind | None = Field(default=None, description="The decision you expect; checked against the answers.")


class Quote(BaseModel):
    """One sentence or list item of a passage, verbatim; `stem` is the sentence that introduces its list."""

    model_config = ConfigDict(frozen=True)

    ref: str
    label: str
    sentence: str
    stem: str = ""


class StepRecord(BaseModel):
    """One test as answered: the question, the answer and rationale, and the guidance relied on."""

    id: str
    number: int
    title: str
    question: str
    answer: Reply | Literal["not reached"]
    rationale: str = ""
    choices: dict[str, list[str]] = Field(default_factory=dict, description="Field label → the chosen labels.")
    notes: dict[str, str] = Field(default_factory=dict, description="Field label → scrubbed text (e.g. mitigation).")
    quotes: list[Quote] = Field(default_factory=list)
    ask: list[str] = Field(default_factory=list, description="Whom to ask, when the answer is unsure.")


class Cause(BaseModel):
    """An answer that led to the outcome."""

    step: str
    title: str
    answer: str
    rationale: str = ""


class Outcome(BaseModel):
    kind: OutcomeKind
    label: str
    summary: str
    because: list[Cause] = Field(description="The answers that led to this outcome.")
    quotes: list[Quote] = Field(default_factory=list, description="The guidance quoted with the outcome.")
    route: list[Quote] = Field(default_factory=list, description="Not under this duty: the other route.")
    ask: list[str] = Field(default_factory=list, description="Unsure: whom to ask.")


class DecisionRecord(BaseModel):
    """The record a practitioner files (para 27). Render it with `markdown()` or `html()`."""

    date: dt.date
    corpus_version: str
    situation: Situation = Field(description="As scrubbed: placeholders replace personal details.")
    removed: list[str] = Field(default_factory=list, description="Kinds of personal detail found and replaced.")
    steps: list[StepRecord]
    outcome: Outcome
    sharing: Sharing = Field(description="As scrubbed.")
    family: str = Field(description="Whether the family is told, or why not.")
    review: list[str] = Field(default_factory=list)
    notice: str = ""
    labels: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Situation field → choice → its label, for display."
    )

    @property
    def cited_refs(self) -> list[str]:
        """Every ref the record quotes, in first-quoted order."""
        return list(dict.fromkeys(q.ref for q in self.cited_quotes))

    @property
    def cited_quotes(self) -> list[Quote]:
        """Every quote in the record: the steps', then the outcome's other route and its own."""
        return [q for s in self.steps for q in s.quotes] + self.outcome.route + self.outcome.quotes

    def markdown(self) -> str:
        from assistant.decide.record import render_markdown

        return render_markdown(self)

    def html(self) -> str:
        from assistant.decide.record import render_html

        return render_html(self)
