"""Version diff: the clarity report of this guidance against another version of it.

OTHER is either a corpus folder (with its own manifest.yaml, e.g. a copy of corpus/ holding the
final guidance) or a single guidance text file in the same layout as the draft (Contents table,
numbered paragraphs); a text file is parsed with this corpus's manifest settings for the guidance
and its statute extract. The result lists the flags resolved by OTHER, the flags new in OTHER and
the passages whose text changed, was added or was removed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from assistant.clarity.models import ClarityReport, Flag
from assistant.corpus.loader import load_passages
from assistant.corpus.manifest import load_manifest, read_text
from assistant.errors import ClarityError, CorpusError
from assistant.models import Passage

HOW_TO = ("Pass a corpus folder with a manifest.yaml, or a guidance text file in the layout of "
          "corpus/documents/isd-draft-statutory-guidance-2026.txt.")


class FlagChange(BaseModel):
    ref: str
    label: str
    flag: Flag


class PassageChange(BaseModel):
    ref: str
    change: Literal["changed", "added", "removed"]
    before: str = ""
    after: str = ""


class VersionDiff(BaseModel):
    base: str = Field(description="The version analysed (this corpus).")
    other: str = Field(description="The version compared against, as given.")
    resolved: list[FlagChange] = Field(description="Flags in this version that the other version no longer has.")
    new: list[FlagChange] = Field(description="Flags the other version has and this one has not.")
    kept: int = Field(description="Flags both versions share.")
    passages: list[PassageChange]
    other_report: ClarityReport


def load_other(other: Path, corpus_dir: Path) -> list[Passage]:
    """Passages of the other version (a corpus folder or a guidance text file)."""
    if other.is_dir():
        if not (other / "manifest.yaml").is_file():
            raise ClarityError(f"{other}: this folder has no manifest.yaml. {HOW_TO}")
        try:
            return load_passages(other)
        except CorpusError as exc:
            raise ClarityError(f"{other}: cannot load this corpus ({exc}). {HOW_TO}") from None
    if not other.is_file():
        raise ClarityError(f"{other}: no such file or folder. {HOW_TO}")
    from assistant.corpus.guidance import parse_guidance, parse_statute_extract

    try:
        text = read_text(other)
        entries = load_manifest(corpus_dir).documents
        passages: list[Passage] = []
        for entry in entries:
            if entry.format == "guidance":
                passages.extend(parse_guidance(entry, text))
        for entry in entries:
            if entry.format == "statute-extract":
                # A version without the statute extract is still analysed; the paraphrase rule is skipped.
                with suppress(CorpusError):
                    passages.extend(parse_statute_extract(entry, text))
    except CorpusError as exc:
        raise ClarityError(f"{other}: cannot read it as the guidance ({exc}). {HOW_TO}") from None
    if not passages:
        raise ClarityError(f"{other}: no guidance passages found. {HOW_TO}")
    return passages


def _flag_keys(report: ClarityReport) -> dict[tuple[str, tuple[str, str, str]], FlagChange]:
    keys = {}
    for entry in report.entries:
        for flag in entry.flags:
            keys.setdefault((entry.ref, flag.identity), FlagChange(ref=entry.ref, label=entry.label, flag=flag))
    return keys


def diff_reports(base: ClarityReport, other: ClarityReport, other_name: str) -> VersionDiff:
    before, after = _flag_keys(base), _flag_keys(other)
    texts_before = {e.ref: e.text for e in base.entries}
    texts_after = {e.ref: e.text for e in other.entries}
    order = {e.ref: i for i, e in enumerate(sorted(base.entries, key=lambda e: e.rank))}
    passages = [
        PassageChange(ref=ref, change="changed", before=texts_before[ref], after=texts_after[ref])
        for ref in texts_before if ref in texts_after and texts_before[ref] != texts_after[ref]
    ]
    passages += [PassageChange(ref=ref, change="removed", before=texts_before[ref]) for ref in texts_before
                 if ref not in texts_after]
    passages += [PassageChange(ref=ref, change="added", after=texts_after[ref]) for ref in texts_after
                 if ref not in texts_before]

    def ranked(changes: list[FlagChange]) -> list[FlagChange]:
        return sorted(changes, key=lambda c: (-c.flag.weight, order.get(c.ref, len(order)), c.flag.rule))

    return VersionDiff(
        base=base.corpus_version, other=other_name,
        resolved=ranked([c for k, c in before.items() if k not in after]),
        new=ranked([c for k, c in after.items() if k not in before]),
        kept=len(before.keys() & after.keys()), passages=passages, other_report=other,
    )


def compare(
    base: ClarityReport, other: Path, corpus_dir: Path,
    analyse_passages: Callable[[list[Passage]], ClarityReport],
) -> VersionDiff:
    """Analyse the other version with `analyse_passages` (same rules and evidence) and diff the reports."""
    other_report = analyse_passages(load_other(other, corpus_dir))
    return diff_reports(base, other_report, str(other))
