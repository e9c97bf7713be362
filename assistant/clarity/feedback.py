"""Consultation feedback as a clarity signal: records (corpus/consultation_feedback.yaml) mapped to
the passages they concern by a reviewed mapping (corpus/feedback_mapping.yaml), plus, when an
Assistant is at hand, the passages retrieval finds for each concern (marked as not reviewed).

The records are never indexed or quoted in answers; this module is their only reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from assistant.clarity.models import Flag
from assistant.corpus.manifest import load_yaml, validate_list
from assistant.errors import CorpusError
from assistant.models import Passage

if TYPE_CHECKING:
    from assistant.api import Assistant

FEEDBACK_FILE = "consultation_feedback.yaml"
MAPPING_FILE = "feedback_mapping.yaml"
RETRIEVED_PER_CONCERN = 3


class FeedbackRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    source: str = Field(min_length=3)
    date: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    topic: str = Field(min_length=3)
    concern: str = Field(min_length=10)

    @property
    def query(self) -> str:
        """What retrieval searches for: the topic and the concern."""
        return f"{self.topic}. {self.concern}"


class MappedPassage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: str
    trigger: str = Field(description="The exact words of the passage the concern is about.")
    why: str = Field(min_length=3)


class FeedbackMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    passages: list[MappedPassage]
    retrieval_candidates: list[str] = Field(
        default_factory=list, description="What retrieval proposed when the mapping was reviewed (for the record)."
    )


class Feedback(BaseModel):
    records: list[FeedbackRecord]
    mapping: list[FeedbackMapping]

    def record(self, record_id: str) -> FeedbackRecord:
        return next(r for r in self.records if r.id == record_id)

    @property
    def sources(self) -> list[str]:
        return sorted({f"{r.source} ({r.date})" for r in self.records})


def load_feedback(corpus_dir: Path) -> Feedback:
    """Records and their reviewed mapping; CorpusError naming the file and line when malformed."""
    records_path, mapping_path = corpus_dir / FEEDBACK_FILE, corpus_dir / MAPPING_FILE
    data, root = load_yaml(records_path)
    records: list[FeedbackRecord] = validate_list(records_path, data, root, "records", FeedbackRecord)
    data, root = load_yaml(mapping_path)
    mapping: list[FeedbackMapping] = validate_list(mapping_path, data, root, "mapping", FeedbackMapping)
    ids = [r.id for r in records]
    if len(ids) != len(set(ids)):
        raise CorpusError(f"duplicate record ids {sorted({i for i in ids if ids.count(i) > 1})}.", str(records_path))
    unknown = [m.id for m in mapping if m.id not in ids]
    if unknown:
        raise CorpusError(f"mapping for unknown records {unknown}; add them to {FEEDBACK_FILE} or fix the id.",
                          str(mapping_path))
    return Feedback(records=records, mapping=mapping)


def check_mapping(feedback: Feedback, passages: Sequence[Passage], path: str = MAPPING_FILE) -> None:
    """Every mapped ref exists and its trigger words are in the passage (for the guidance the mapping was made on)."""
    texts = {p.ref: p.text for p in passages}
    for entry in feedback.mapping:
        for mapped in entry.passages:
            if mapped.ref not in texts:
                raise CorpusError(f"{entry.id}: unknown ref '{mapped.ref}'; check it with `assistant passages`.", path)
            if mapped.trigger not in texts[mapped.ref]:
                raise CorpusError(f"{entry.id}: '{mapped.trigger}' is not in {mapped.ref}; quote the passage exactly.", path)


def _flag(record: FeedbackRecord, trigger: str, why: str, reviewed: bool) -> Flag:
    how = "reviewed mapping" if reviewed else "found by retrieval, not reviewed"
    return Flag(
        category="feedback", rule="consultation-concern", trigger=trigger,
        explanation=f"{record.topic.capitalize()}: {record.concern}" + (f" ({why})" if why else ""),
        question=f"How does this passage answer the concern about {record.topic}?",
        severity="medium" if reviewed else "low", source=f"{record.source}, {record.date}; {how}",
    )


def feedback_flags(feedback: Feedback, passages: Sequence[Passage], assistant: Assistant | None = None) -> dict[str, list[Flag]]:
    """Flags by ref. The reviewed mapping applies where its trigger words are still in the passage
    (so a redrafted passage that no longer says them drops the flag); retrieval adds unreviewed candidates."""
    texts = {p.ref: p.text for p in passages}
    flags: dict[str, list[Flag]] = {}
    for entry in feedback.mapping:
        record = feedback.record(entry.id)
        for mapped in entry.passages:
            if mapped.trigger in texts.get(mapped.ref, ""):
                flags.setdefault(mapped.ref, []).append(_flag(record, mapped.trigger, mapped.why, reviewed=True))
    if assistant is not None:
        for record in feedback.records:
            reviewed = {m.ref for e in feedback.mapping if e.id == record.id for m in e.passages}
            for ref in propose(assistant, record):
                if ref in texts and ref not in reviewed:
                    flags.setdefault(ref, []).append(_flag(record, "", "", reviewed=False))
    return flags


def propose(assistant: Assistant, record: FeedbackRecord, k: int = RETRIEVED_PER_CONCERN) -> list[str]:
    """Guidance passages retrieval ranks highest for a concern (the starting point for the reviewed mapping)."""
    hits = assistant.search(record.query, k=k + 5)
    return [h.passage.ref for h in hits if h.passage.kind in ("paragraph", "box", "section", "key term", "example")][:k]
