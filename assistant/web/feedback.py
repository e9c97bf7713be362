"""Feedback from the practitioner page: one JSON line per rating, scrubbed of identifiers.

This is the only thing the page writes to disk. The question and the comment pass through
`privacy.scrub_stored` first, which keeps only words the guidance or practitioners use; the
answer is kept as the refs it cited, not as text.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.errors import FeedbackError
from assistant.models import Answer
from assistant.privacy import scrub_stored

MAX_COMMENT_CHARS = 2000


class FeedbackRecord(BaseModel):
    """One line of the feedback file."""

    time: str = Field(description="UTC time the feedback was given, to the second.")
    helpful: bool
    question: str = Field(description="The question with identifiers, and every word outside the allowlist, replaced.")
    comment: str = Field(default="", description="The optional comment, scrubbed the same way.")
    cited: list[str] = Field(default_factory=list, description="Refs whose sentences the answer quoted.")
    nearest: list[str] = Field(default_factory=list, description="Refs offered when the assistant abstained.")
    abstained: bool = False
    urgent: bool = False
    corpus_version: str = ""


def make_record(answer: Answer, helpful: bool, comment: str = "", vocabulary: frozenset[str] = frozenset()) -> FeedbackRecord:
    """The line to store. `vocabulary` holds the guidance's words: with the practitioners' words, all stored text may keep."""
    comment = " ".join(comment.split())
    if len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackError(f"The comment is {len(comment)} characters long; keep it under {MAX_COMMENT_CHARS}.")
    return FeedbackRecord(
        time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        helpful=helpful,
        question=scrub_stored(answer.question, vocabulary),
        comment=scrub_stored(comment, vocabulary),
        cited=[c.ref for c in answer.citations if c.sentences],
        nearest=[c.ref for c in answer.citations] if answer.abstained else [],
        abstained=answer.abstained,
        urgent=answer.urgent,
        corpus_version=answer.corpus_version,
    )


def append_feedback(path: Path, record: FeedbackRecord) -> None:
    """Append one line, whole, even with several server processes writing to the same file."""
    line = (record.model_dump_json() + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by the owner only: even scrubbed, feedback describes casework.
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise FeedbackError(
            f"Cannot save feedback to {path}: {exc.strerror or exc}. "
            "Check the folder exists and is writable, or start the page with --feedback-path pointing elsewhere."
        ) from None


def read_feedback(path: Path) -> list[FeedbackRecord]:
    """Every record in the file, oldest first (for trainers and tests)."""
    if not path.is_file():
        return []
    return [FeedbackRecord.model_validate(json.loads(line)) for line in path.read_text("utf-8").splitlines() if line]
