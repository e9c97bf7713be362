"""Usage as a clarity signal: the passages involved when an evaluation run's retrieval was weak,
or when its top two citations were close in score but carry different duty levels.

Reads the results.json of `assistant eval` (format 'isd-eval-results/…'): each item has at least
`id` and `cited_refs`; `citation_scores`, `confidence`, `abstained`, `passed`, `failure_class`,
`expected_refs` and `kind` are used when present. Only the fields this module needs are checked,
so an older or newer results file still works as long as it has them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.clarity.models import Flag, Severity
from assistant.errors import ClarityError
from assistant.inputs import parse_json
from assistant.models import Passage

LOW_CONFIDENCE = 0.4  # below this an answer's best passage is a weak match
CLOSE_SCORES = 0.03  # top two citations this close are a tie for the reader
MAX_RESULTS_BYTES = 200_000_000
HOW_TO = "Pass the results.json written by `assistant eval --report DIR`."


@dataclass
class Involvement:
    weak_cited: list[str] = field(default_factory=list)
    weak_missed: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    duty_words: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.weak_cited) + len(self.weak_missed) + len(self.disagreements)


def load_items(path: Path) -> list[dict[str, Any]]:
    """The per-item records of a results.json, or a ClarityError that says what is wrong."""
    name = str(path)
    if not path.is_file():
        raise ClarityError(f"{name}: file not found. {HOW_TO}")
    if path.stat().st_size > MAX_RESULTS_BYTES:
        raise ClarityError(f"{name}: larger than {MAX_RESULTS_BYTES} bytes; is this a results.json? {HOW_TO}")
    try:
        data = parse_json(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ClarityError(f"{name}: not JSON text ({exc}). {HOW_TO}") from None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ClarityError(f"{name}: no 'items' list, so this is not an evaluation results file. {HOW_TO}")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("cited_refs"), list):
            raise ClarityError(f"{name}: item {number} has no 'id' and 'cited_refs'; the file is damaged or from "
                                    f"another tool. {HOW_TO}")
    return items


def duty_level(text: str) -> str:
    """The strongest duty word a passage uses: must > should > may, '' for none."""
    return next((word for word in ("must", "should", "may") if re.search(rf"\b{word}\b", text, re.IGNORECASE)), "")


def is_weak(item: dict[str, Any]) -> bool:
    confidence = item.get("confidence")
    low = isinstance(confidence, (int, float)) and confidence < LOW_CONFIDENCE
    return bool(item.get("abstained")) or item.get("passed") is False or bool(item.get("failure_class")) or low


def involvement(items: Sequence[dict[str, Any]], passages: Sequence[Passage]) -> dict[str, Involvement]:
    levels = {p.ref: duty_level(p.text) for p in passages}
    found: dict[str, Involvement] = {}
    for item in items:
        if item.get("kind") == "out_of_scope":
            continue  # the guidance does not cover these: abstaining or a tie there says nothing about a passage
        cited = [r for r in item["cited_refs"] if isinstance(r, str)]
        if is_weak(item):
            for ref in cited:
                found.setdefault(ref, Involvement()).weak_cited.append(item["id"])
            for ref in item.get("expected_refs") or []:
                if isinstance(ref, str) and ref not in cited:
                    found.setdefault(ref, Involvement()).weak_missed.append(item["id"])
        scores = item.get("citation_scores") or []
        if len(cited) >= 2 and len(scores) >= 2 and all(isinstance(s, (int, float)) for s in scores[:2]):
            first, second = cited[0], cited[1]
            if abs(scores[0] - scores[1]) <= CLOSE_SCORES and levels.get(first, "") != levels.get(second, ""):
                for ref, other in ((first, second), (second, first)):
                    inv = found.setdefault(ref, Involvement())
                    inv.disagreements.append(f"{item['id']} (vs {other})")
                    if levels.get(ref):
                        inv.duty_words.add(levels[ref])
    return found


def usage_flags(path: Path, passages: Sequence[Passage]) -> dict[str, list[Flag]]:
    """One usage flag per passage involved in weak or disagreeing answers, by ref."""
    flags: dict[str, list[Flag]] = {}
    for ref, inv in involvement(load_items(path), passages).items():
        severity: Severity = "high" if inv.total >= 4 else "medium" if inv.total >= 2 else "low"
        parts = []
        if inv.weak_cited:
            parts.append(f"cited in {len(inv.weak_cited)} weak answer(s) ({', '.join(inv.weak_cited[:5])})")
        if inv.weak_missed:
            parts.append(f"expected but not found in {len(inv.weak_missed)} ({', '.join(inv.weak_missed[:5])})")
        if inv.disagreements:
            parts.append(f"tied with a passage of another duty level in {len(inv.disagreements)} "
                         f"({', '.join(inv.disagreements[:3])})")
        flags[ref] = [Flag(
            category="usage", rule="weak-or-disagreeing-retrieval", trigger=sorted(inv.duty_words)[0] if inv.duty_words else "",
            explanation="In the evaluation run this passage was " + "; ".join(parts) + ".",
            question="Do practitioners' questions on this point find a clear answer here? "
                     "If not, what wording would they recognise?",
            severity=severity, source=path.name,
        )]
    return flags
