"""Read a practitioner's question as a decision: which of the decisions in corpus/decisions.yaml it asks.

A case arrives as facts ("14, new partner, mould in the flat, mum says no") around one
decision ("can I tell social care without her agreeing?"). The decision is usually in the
question's last asking sentence, so cues found there come first; cues anywhere else in
the text follow. Retrieval then favours the passages that settle those decisions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.corpus.manifest import load_yaml
from assistant.errors import CorpusError

DECISIONS_FILE = "decisions.yaml"
_SENTENCE_RE = re.compile(r"(?<=[.?!])\s+")


@dataclass(frozen=True)
class Quote:
    """A sentence or list item the answer quotes by rule: the passage's ref and how the unit begins."""

    ref: str
    starts: str


@dataclass(frozen=True)
class DecisionKind:
    """One decision practitioners bring, how they word it, and the passages that settle it (best first)."""

    name: str
    label: str
    cues: tuple[re.Pattern[str], ...]
    refs: tuple[str, ...]
    words: str = ""  # the guidance's own words for this decision
    settles: tuple[Quote, ...] = ()  # the sentences that answer it: the lead is chosen among these first

    def asked_in(self, text: str) -> bool:
        return any(cue.search(text) for cue in self.cues)


@dataclass(frozen=True)
class Guide:
    """Everything in corpus/decisions.yaml: the decisions, and the answering rules that rest on them."""

    kinds: tuple[DecisionKind, ...] = ()
    urgent_refs: tuple[str, ...] = ()
    urgent: tuple[Quote, ...] = ()  # quoted for every disclosure or urgent case, after the notice
    tests_for: frozenset[str] = frozenset()
    tests: tuple[Quote, ...] = ()
    limits: tuple[Quote, ...] = ()

    def kind(self, name: str) -> DecisionKind | None:
        return next((k for k in self.kinds if k.name == name), None)


def _refs(value: Any, where: str, path: Path, known: Collection[str] | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise CorpusError(f"{where} must be a list of refs.", str(path))
    unknown = [ref for ref in value if known is not None and ref not in known]
    if unknown:
        raise CorpusError(
            f"{where} names refs that are not passages: {unknown}; check them with `assistant passages`.", str(path)
        )
    return tuple(value)


def _quotes(
    section: Any, where: str, path: Path, known: Collection[str] | None, key: str = "quotes"
) -> tuple[Quote, ...]:
    entries = section.get(key) if isinstance(section, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and {"ref", "starts"} <= set(e) for e in entries):
        raise CorpusError(f"'{where}' needs a '{key}' list of {{ref, starts}}.", str(path))
    _refs([str(e["ref"]) for e in entries], f"'{where}'", path, known)
    return tuple(Quote(str(e["ref"]), str(e["starts"])) for e in entries)


def load_guide(corpus_dir: Path, known_refs: Collection[str] | None = None) -> Guide:
    """corpus/decisions.yaml; an empty Guide when the file is absent. Refs are checked when `known_refs` is given."""
    path = corpus_dir / DECISIONS_FILE
    if not path.is_file():
        return Guide()
    data, _ = load_yaml(path)
    decisions = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(decisions, dict):
        raise CorpusError("expected a top-level 'decisions:' mapping of name → label, cues, refs.", str(path), 1)
    kinds = []
    for name, entry in decisions.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("cues"), list):
            raise CorpusError(f"decision '{name}' needs a 'cues' list and a 'refs' list.", str(path))
        try:
            cues = tuple(re.compile(str(cue), re.IGNORECASE) for cue in entry["cues"])
        except re.error as exc:
            raise CorpusError(f"decision '{name}': a cue is not a valid regular expression ({exc}).", str(path)) from None
        refs = _refs(entry.get("refs"), f"decision '{name}'", path, known_refs)
        settles = _quotes(entry, f"decision {name}", path, known_refs, "settles") if "settles" in entry else ()
        kinds.append(DecisionKind(
            str(name), str(entry.get("label", name)), cues, refs, str(entry.get("words", "")), settles
        ))
    tests = data.get("tests")
    tests_for = frozenset(str(n) for n in (tests or {}).get("for", [])) if isinstance(tests, dict) else frozenset()
    if tests_for - set(decisions):
        raise CorpusError(f"'tests: for:' names unknown decisions {sorted(tests_for - set(decisions))}.", str(path))
    urgent = data.get("urgent") if isinstance(data.get("urgent"), dict) else {}
    return Guide(
        kinds=tuple(kinds),
        urgent_refs=_refs(urgent.get("refs", []), "'urgent'", path, known_refs),
        urgent=_quotes(urgent, "urgent", path, known_refs) if "quotes" in urgent else (),
        tests_for=tests_for,
        tests=_quotes(tests, "tests", path, known_refs) if tests else (),
        limits=_quotes(data.get("limits"), "limits", path, known_refs) if data.get("limits") else (),
    )


def asking_part(question: str) -> str:
    """The sentence(s) that ask: from the last sentence holding a '?' (or the last sentence) to the end."""
    sentences = [s for s in _SENTENCE_RE.split(question.strip()) if s]
    if not sentences:
        return question
    asking = [i for i, s in enumerate(sentences) if "?" in s]
    start = asking[-1] if asking else len(sentences) - 1
    # A short question ("Can I?") leans on the sentence before it.
    if len(sentences[start].split()) < 6 and start > 0:
        start -= 1
    return " ".join(sentences[start:])


def read_decisions(question: str, kinds: Sequence[DecisionKind]) -> list[DecisionKind]:
    """The decisions the question asks: those cued in its asking part first, then those cued elsewhere."""
    asking = asking_part(question)
    first = [k for k in kinds if k.asked_in(asking)]
    return first + [k for k in kinds if k not in first and k.asked_in(question)]
