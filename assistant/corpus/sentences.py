"""Split passages into quotable units: whole sentences and list items, verbatim.

Each sentence of a list item keeps the sentence that introduces its list (the stem ending
in ':') so a quoted bullet still reads as what it is, e.g. "… organisations and practitioners MUST:"
followed by "Share information where …".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import Passage

MODAL_RE = re.compile(r"\b(must not|must|should not|should|may not|may|can|need to)\b", re.IGNORECASE)
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(“‘\"'])")


@dataclass(frozen=True)
class Unit:
    """One quotable sentence or list item of a passage."""

    passage: int  # index into the passage list
    text: str  # verbatim
    stem: str = ""  # verbatim sentence introducing the list this item belongs to

    @property
    def quoted(self) -> str:
        """The words an answer quotes: the stem (if any), an ellipsis for the words between, then the unit."""
        return f"{self.stem} … {self.text}" if self.stem else self.text


def split_sentences(line: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END_RE.split(line) if s.strip()]


def passage_units(index: int, passage: Passage) -> list[Unit]:
    units: list[Unit] = []
    stem = ""
    for raw in passage.text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("- "):
            # Every sentence of a list item keeps the stem: "… SHOULD: … Record the decision" still says who must.
            units.extend(Unit(index, s, stem) for s in split_sentences(line[2:]) or [""])
        elif raw.startswith("  ") and units:
            # a bullet's body printed under its bold title: one unit with that title
            last = units.pop()
            units.append(Unit(index, f"{last.text} {line}", last.stem))
        else:
            sentences = split_sentences(line)
            units.extend(Unit(index, s) for s in sentences)
            stem = sentences[-1] if sentences and sentences[-1].endswith((":", "–")) else ""
    return units


def all_units(passages: list[Passage]) -> list[Unit]:
    return [unit for i, p in enumerate(passages) for unit in passage_units(i, p)]


def modal_verbs(text: str) -> tuple[str, ...]:
    """Modal verbs in the text, lower case, in first-seen order."""
    seen: dict[str, None] = {}
    for match in MODAL_RE.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return tuple(seen)
