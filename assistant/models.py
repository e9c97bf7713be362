"""Domain models: passages from the corpus and answers built from them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MODAL_WORDS = ("must", "should", "may")


class Passage(BaseModel):
    """One citable block of a corpus document: a paragraph, statute subsection, box, key term…"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc: str = Field(description="Document id from the manifest.")
    ref: str = Field(description="Stable reference, e.g. 'para 11' or 's16LA(3)'.")
    label: str = Field(description="Human form of the reference, e.g. 'Paragraph 11'.")
    kind: str = Field(description="paragraph, statute, key term, example, box, section, footnote, ico.")
    heading: str = Field(description="Heading path, chapter › section.")
    chapter: str = Field(default="", description="Chapter number ('1'…'5') or '' outside the chapters.")
    text: str = Field(description="Clean, complete text.")
    footnotes: tuple[str, ...] = Field(default=(), description="Refs of the footnotes this passage cites.")
    links: tuple[str, ...] = Field(default=(), description="Refs this passage links to (ICO records, citing paragraphs).")
    modals: tuple[str, ...] = Field(default=(), description="Modal verbs the text contains, lower case.")
    order: int = Field(default=0, description="Position in the document, for reading order.")

    @property
    def key(self) -> str:
        """Unique id across documents."""
        return f"{self.doc}::{self.ref}"


class Citation(BaseModel):
    """A passage offered in support of an answer, most relevant first."""

    doc: str
    ref: str
    label: str
    text: str
    score: float
    heading: str = ""
    sentences: list[str] = Field(default_factory=list, description="Sentences of this passage quoted in the answer.")
    modals: list[str] = Field(
        default_factory=list, description="The quoted sentences' operative modal verbs (a may of possibility, or a "
        "modal inside a reported question, is left out)."
    )


class Lead(BaseModel):
    """The one verbatim sentence that settles the question, and the passage it is from."""

    ref: str
    sentence: str


class QuotedSentence(BaseModel):
    """One quoted sentence of an answer, in answer order: the lead, support, one of the tests, or a limit."""

    ref: str
    sentence: str
    part: str = Field(
        description="lead, support, urgent (what a disclosure always gets), test (para 13's three tests) or limit "
        "(detriment, record)."
    )


class WorkedExample(BaseModel):
    """One of the guidance's worked examples near the question: offered beside the answer, never quoted as it."""

    ref: str = Field(description="Its first part (`Example: <title> – Scenario`), where a link should open.")
    title: str


class Answer(BaseModel):
    """The `ask` contract: see shared/design.md. Extra fields are allowed, these must stay."""

    question: str
    answer: str = Field(description="Markdown: quoted sentences with citations, then the sources.")
    abstained: bool
    urgent: bool
    citations: list[Citation]
    corpus_version: str
    notice: str = ""
    confidence: float = Field(default=0.0, description="Best cosine with a question the guidance answers.")
    out_of_scope_similarity: float = Field(
        default=-1.0, description="Best cosine with a question the guidance does not answer (corpus/out_of_scope_questions.yaml)."
    )
    quotes: list[QuotedSentence] = Field(default_factory=list, description="The quoted sentences in answer order.")
    lead: Lead | None = Field(default=None, description="The sentence that settles the question; None when abstained.")
    followup_of: str | None = Field(
        default=None, description="The earlier question this one was read with; None when it was read on its own."
    )
    similar_example: WorkedExample | None = Field(
        default=None, description="A worked example among the top citations, offered as a similar case; None if none."
    )
