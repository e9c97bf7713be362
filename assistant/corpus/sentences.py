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


# "may" followed by one of these says what might happen, not what is permitted ("may be more detrimental",
# "may not be able to", "may find this guidance helpful"); "May facilitate:" names a test.
_POSSIBILITY_AFTER_MAY = re.compile(
    r"\s+(not\s+)?(also\s+)?(be|have|help|indicate|find|facilitate|increase|reveal|pose|inhibit|need|arise|"
    r"continue|benefit|relate|vary|differ|seem|appear|lead|mean|affect|place|undermine|reduce)\b",
    re.IGNORECASE,
)
# A modal inside a reported question ("confusion about whether a threshold must be met") lays no duty.
_REPORTED = re.compile(r"\bwhether\b(?:(?!\bbut\b)[^.;:])*$", re.IGNORECASE)


def _operative(text: str, match: re.Match[str]) -> bool:
    """Whether the modal `match` lays a duty or gives a permission: not a may of possibility, not in a reported question."""
    if match.group(1).lower().startswith("may") and _POSSIBILITY_AFTER_MAY.match(text, match.start(1) + 3):
        return False
    return not _REPORTED.search(text[: match.start()])


def operative_modals(sentence: str) -> tuple[str, ...]:
    """The modals that say what the sentence requires or permits, lower case, in first-seen order: a list
    item quoted as 'stem … item' takes its own, else its stem's ("SHOULD: … Act promptly" → should). A
    "may" of possibility and a modal inside a reported question are left out."""
    stem, joined, item = sentence.rpartition(" … ")
    if not joined:
        return modal_verbs(sentence, operative=True)
    return modal_verbs(item, operative=True) or modal_verbs(stem, operative=True)


def modal_verbs(text: str, operative: bool = False) -> tuple[str, ...]:
    """Modal verbs in the text, lower case, in first-seen order; with `operative`, only those that lay a duty
    or give a permission."""
    found = (m.group(1).lower() for m in MODAL_RE.finditer(text) if not operative or _operative(text, m))
    return tuple(dict.fromkeys(found))
