"""Parse the DfE guidance text (converted from PDF) into clean, citable passages.

The text carries page-break artefacts: running "DRAFT FOR CONSULTATION" headers,
sentences split across pages and footnote bodies printed mid-paragraph. The parser
removes the headers, lifts footnote bodies into their own passages and rejoins split
lines, then walks the lines with a small state machine keyed on the Contents table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.corpus.manifest import DocumentEntry
from assistant.corpus.sentences import modal_verbs
from assistant.errors import CorpusError
from assistant.models import Passage

PARSER_VERSION = "2"  # 2: every sentence of a list item keeps its stem
RUNNING_HEADER = "DRAFT FOR CONSULTATION"
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
SUPERSCRIPT_RE = re.compile(r"(?<=\S)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
FOOTNOTE_BODY_RE = re.compile(r"^([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s+(.*)$")
NUMBERED_RE = re.compile(r"^(\d{1,3})\.\s+(.*)$")
BULLET_RE = re.compile(r"^\s*[-•]\s+(.*)$")
SUBSECTION_RE = re.compile(r"^-?\s*\((\d+)\)\s+(.*)$")
KEY_TERM_RE = re.compile(r"^([A-Z][A-Za-z ]{1,60}):\s+(.*)$")
EXAMPLE_PARTS = ("Scenario", "Professional judgement", "Decision", "Mitigating actions", "Outcome")
EXAMPLE_PART_RE = re.compile(r"^(" + "|".join(EXAMPLE_PARTS) + r")(?::\s*(.*))?$")
TERMINAL = (".", ":", ";", "?", "!", "–", ",")


@dataclass
class _Block:
    """A passage being assembled."""

    ref: str
    label: str
    kind: str
    heading: str
    chapter: str
    lines: list[str] = field(default_factory=list)

    def add(self, line: str, new_paragraph: bool = False) -> None:
        if self.lines and new_paragraph:
            self.lines.append("")
        self.lines.append(line)

    def join(self, line: str) -> None:
        """Rejoin a line that continues the previous one (a page-break split)."""
        if self.lines and self.lines[-1]:
            self.lines[-1] = f"{self.lines[-1]} {line}"
        else:
            self.add(line)


def clean_inline(text: str) -> str:
    """Drop markdown emphasis and link syntax; keep the words exactly."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("\\(", "(").replace("\\)", ")").replace("**", "")
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    text = re.sub(r"\s+,", ",", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def footnote_markers(text: str) -> tuple[list[str], str]:
    """Footnote refs cited in the text, and the text with the markers removed."""
    refs = [f"footnote {m.translate(SUPERSCRIPTS)}" for m in SUPERSCRIPT_RE.findall(text)]
    text = re.sub(r"\bfootnote([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "footnote " + m.group(1).translate(SUPERSCRIPTS), text)
    return refs, SUPERSCRIPT_RE.sub("", text)


def _split_regions(text: str) -> tuple[list[str], list[str]]:
    """Contents headings and body lines (from 'Summary' to the back matter)."""
    lines = text.splitlines()
    contents = [m.group(1).strip() for line in lines if (m := re.match(r"^\|\s*([^|]+?)\s*\|\s*\d+\s*\|$", line))]
    if not contents:
        raise CorpusError("no Contents table found ('| heading | page |' rows); is this the guidance text?")
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == contents[0] and not line.startswith("|"))
    except StopIteration:
        raise CorpusError(f"the first Contents heading '{contents[0]}' never starts a section.") from None
    end = next((i for i, line in enumerate(lines) if line.startswith("© Crown copyright")), len(lines))
    body = lines[start:end]
    while body and (not body[-1].strip() or body[-1].strip() == "UK Government"):
        body.pop()
    return contents, body


def _lift_footnotes(body: list[str]) -> tuple[list[str], dict[int, str]]:
    """Remove running headers and footnote bodies; return the remaining lines and the footnotes."""
    kept: list[str] = []
    notes: dict[int, str] = {}
    current: int | None = None
    for line in body:
        stripped = line.strip()
        match = FOOTNOTE_BODY_RE.match(stripped)
        if stripped == RUNNING_HEADER:
            current = None
            kept.append("")
        elif match:
            current = int(match.group(1).translate(SUPERSCRIPTS))
            notes[current] = match.group(2)
            kept.append("")
        elif current is not None and stripped.startswith("["):
            notes[current] += "\n" + stripped  # a footnote that lists several links, one per line
        else:
            current = None
            kept.append(line)
    return kept, notes


class _GuidanceWalker:
    """Walks body lines and assembles passages."""

    def __init__(self, doc: DocumentEntry, contents: list[str]) -> None:
        self.doc = doc
        self.contents = set(contents)
        self.blocks: list[_Block] = []
        self.statute: list[_Block] = []
        self.chapter = ""
        self.chapter_title = ""
        self.section = ""
        self.mode = "section"  # section | key terms | statute | example
        self.example = ""
        self.last_para = 0
        self.current: _Block | None = None
        self.after_bullet = False
        self.pending_section = ""  # a heading whose unnumbered text has not started yet
        self.statute_heading = ""

    def heading_path(self) -> str:
        parts = [p for p in (self.chapter_title, self.section) if p]
        return " › ".join(parts)

    def open(self, ref: str, label: str, kind: str, text: str = "", heading: str | None = None) -> None:
        self.current = _Block(ref, label, kind, heading or self.heading_path(), self.chapter)
        (self.statute if kind == "statute" else self.blocks).append(self.current)
        if text:
            self.current.add(text)

    def on_heading(self, title: str) -> None:
        chapter = re.match(r"^Chapter (\d+):", title)
        if chapter:
            self.chapter, self.chapter_title, self.section = chapter.group(1), title, ""
        else:
            self.section = title
        self.mode = "key terms" if title == "Key terms" else "section"
        self.current = None
        if not chapter and title != "Key terms":
            # Section text without a number takes the heading as its ref; opened lazily.
            self.pending_section = title
        else:
            self.pending_section = ""

    def is_box_heading(self, lines: list[str], i: int) -> bool:
        line = lines[i].strip()
        if len(line) > 130 or line.endswith(TERMINAL) or not line[:1].isupper() or BULLET_RE.match(line):
            return False
        if self.current is None or not self.current.lines:
            return False  # text directly under a heading is that section's body
        nxt = next((n.strip() for n in lines[i + 1 :] if n.strip()), "")
        return bool(nxt) and nxt[:1].isupper() and nxt not in self.contents and not NUMBERED_RE.match(nxt)

    def feed(self, lines: list[str]) -> None:
        blank_before = True
        for i, raw in enumerate(lines):
            line = raw.strip()
            if not line:
                blank_before = True
                continue
            self.step(lines, i, line, blank_before, raw)
            blank_before = False

    def step(self, lines: list[str], i: int, line: str, blank_before: bool, raw: str) -> None:
        numbered = NUMBERED_RE.match(line)
        bullet = BULLET_RE.match(raw)
        if line in self.contents:
            self.on_heading(line)
        elif numbered and int(numbered.group(1)) == self.last_para + 1:
            self.last_para = int(numbered.group(1))
            self.mode = "section"
            self.open(f"para {self.last_para}", f"Paragraph {self.last_para}", "paragraph", numbered.group(2))
        elif line.startswith("16LA "):
            self.mode = "statute"
            self.statute_heading = f"{self.heading_path()} › {line}"
        elif self.mode == "statute" and line.startswith("*"):
            self.mode, self.current = "section", None  # the "selected extract" note ends the extract
        elif self.mode == "statute" and (sub := SUBSECTION_RE.match(line)):
            n = sub.group(1)
            self.open(f"s16LA({n})", f"Children Act 2004, s16LA({n})", "statute", f"({n}) {sub.group(2)}",
                      heading=self.statute_heading)
        elif line.startswith("Example: "):
            self.mode, self.example = "example", line
            self.open_example_part("Scenario", "")
        elif self.mode == "example" and (part := EXAMPLE_PART_RE.match(line)) and blank_before:
            self.open_example_part(part.group(1), part.group(2) or "")
        elif line.startswith("Practice box: ") or (blank_before and not bullet and self.is_box_heading(lines, i)):
            self.mode = "section"
            self.open(line, line, "box", heading=f"{self.heading_path()} › {line}")
        elif self.mode == "key terms" and (term := KEY_TERM_RE.match(line)) and blank_before:
            name = term.group(1).strip()
            self.open(f"Key terms: {name}", f"Key term: {name}", "key term", line, heading="Key terms")
        else:
            self.add_text(line, blank_before, bool(bullet), bullet.group(1) if bullet else line)
            return
        self.after_bullet = False

    def open_example_part(self, part: str, text: str) -> None:
        if self.current is not None and self.current.kind == "example" and not self.current.lines:
            self.blocks.remove(self.current)  # the example opened with an explicit "Scenario:" label
        title = self.example
        self.open(f"{title} – {part}", f"Worked example: {title.removeprefix('Example: ')} – {part}", "example",
                  text)

    def add_text(self, line: str, blank_before: bool, is_bullet: bool, content: str) -> None:
        if self.current is None:
            title = self.pending_section or self.section
            if not title:
                raise CorpusError(f"text outside any section: {line[:60]!r}")
            self.open(title, title, "section")
            self.pending_section = ""
        elif (
            self.current.kind == "paragraph"
            and blank_before
            and not is_bullet
            and line[:1].isupper()
            and self.last_para in self.doc.layout.callout_after_paras
            and not self.current.ref.startswith("box")
        ):
            n = self.last_para
            self.open(f"box after para {n}", f"Call-out box after paragraph {n}", "box")
        assert self.current is not None
        if is_bullet:
            self.current.add(f"- {content}")
        elif self.after_bullet and not blank_before and line[:1].isupper():
            self.current.add(f"  {line}")  # a bullet's body printed under its bold title
        elif line[:1].islower() or (self.current.lines and not self.current.lines[-1].endswith(TERMINAL)
                                     and not blank_before):
            self.current.join(line)  # a sentence split across lines or pages
        else:
            self.current.add(line, new_paragraph=True)
        self.after_bullet = is_bullet or (self.after_bullet and not blank_before)


def _to_passage(doc: DocumentEntry, block: _Block, order: int) -> Passage:
    raw = "\n".join(block.lines).strip()
    notes, text = footnote_markers(raw)
    text = "\n".join(clean_inline(line) if line.strip() else "" for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return Passage(
        doc=doc.id, ref=clean_inline(block.ref), label=clean_inline(block.label), kind=block.kind,
        heading=block.heading, chapter=block.chapter, text=text, footnotes=tuple(dict.fromkeys(notes)),
        modals=modal_verbs(text), order=order,
    )


def _walk(doc: DocumentEntry, text: str) -> tuple[_GuidanceWalker, dict[int, str]]:
    contents, body = _split_regions(text)
    lines, notes = _lift_footnotes(body)
    walker = _GuidanceWalker(doc, contents)
    walker.feed(lines)
    if walker.last_para == 0:
        raise CorpusError("no numbered paragraphs found ('1. …'); is this the guidance text?", doc.file)
    return walker, notes


def parse_guidance(doc: DocumentEntry, text: str) -> list[Passage]:
    """Passages of the guidance: front matter, key terms, paragraphs, boxes, examples, footnotes."""
    walker, notes = _walk(doc, text)
    passages = [_to_passage(doc, block, order) for order, block in enumerate(walker.blocks)]
    citing: dict[str, list[str]] = {}
    for p in passages:
        for note in p.footnotes:
            citing.setdefault(note, []).append(p.ref)
    for n in sorted(notes):
        ref = f"footnote {n}"
        passages.append(
            Passage(
                doc=doc.id, ref=ref, label=f"Footnote {n}", kind="footnote", heading="Footnotes",
                text=clean_inline(notes[n]), links=tuple(citing.get(ref, [])), modals=modal_verbs(notes[n]),
                order=len(passages),
            )
        )
    return passages


def parse_statute_extract(doc: DocumentEntry, text: str) -> list[Passage]:
    """The s16LA subsections printed in the guidance, as passages of the statute document."""
    walker, _ = _walk(doc, text)
    if not walker.statute:
        raise CorpusError("no '16LA' statute extract found in the text.", doc.file)
    return [_to_passage(doc, block, order) for order, block in enumerate(walker.statute)]
