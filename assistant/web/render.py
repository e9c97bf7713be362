"""HTML and Markdown for the practitioner page: the conversation, the Sources panel, the Read tab.

Everything is built from typed data (Answer, Citation, Passage) and every piece of text is
escaped here, so a question or a corpus file can never inject markup or script. The page's
JavaScript only looks for `data-ref` attributes on chips; see page.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from assistant.answer.compose import (
    ABSTAIN_TEXT,
    LIMITS_HEADING,
    NOTICE,
    TESTS_HEADING,
    URGENT_HEADING,
    URGENT_NOTICE,
)
from assistant.corpus.sentences import operative_modals
from assistant.models import Answer, Citation, Passage, QuotedSentence
from assistant.privacy import describe

# The duty level each modal verb signals in statutory guidance.
DUTY_LEVELS = {"must": "duty", "should": "expected practice", "may": "permission"}


@dataclass
class Turn:
    """One exchange in the conversation. `question` is already scrubbed of identifiers."""

    question: str
    answer: Answer | None = None
    error: str = ""
    identifiers: list[str] = field(default_factory=list)


@dataclass
class Conversation:
    """What the server holds for one browser session: the most recent turns, and how many answered
    questions before them it no longer holds (so the record still numbers them)."""

    turns: list[Turn] = field(default_factory=list)
    dropped: int = 0

    def add(self, turn: Turn, keep: int) -> None:
        """Append `turn`, then drop the oldest turns beyond `keep`: a session's memory stays bounded."""
        self.turns.append(turn)
        while len(self.turns) > keep:
            self.dropped += self.turns.pop(0).answer is not None

    @property
    def latest(self) -> Answer | None:
        return next((t.answer for t in reversed(self.turns) if t.answer is not None), None)


def esc(text: str) -> str:
    """HTML-escape, and also neutralise the characters Gradio's HTML templates interpret."""
    return html.escape(text, quote=True).replace("$", "&#36;").replace("{", "&#123;").replace("}", "&#125;").replace(
        "`", "&#96;"
    )


def anchor_id(ref: str) -> str:
    return "ref-" + re.sub(r"[^a-z0-9]+", "-", ref.lower()).strip("-")


def deep_link(ref: str) -> str:
    return "?ref=" + quote(ref, safe="")


def chip(ref: str, title: str = "") -> str:
    """A citation chip: clicking it opens the passage in the Read tab."""
    hint = f"Open {title or ref} in the Read tab"
    return (
        f'<a class="chip" href="{esc(deep_link(ref))}" data-ref="{esc(ref)}" title="{esc(hint)}" role="button">'
        f"{esc(ref)}</a>"
    )


def duty_tags(sentence: str) -> list[tuple[str, str]]:
    """(modal as written, duty level) for each operative must / should / may in a quoted sentence."""
    return [(m, DUTY_LEVELS[m.split()[0]]) for m in operative_modals(sentence) if m.split()[0] in DUTY_LEVELS]


def duty_badges(sentence: str) -> str:
    return "".join(
        f'<span class="duty duty-{esc(modal.split()[0])}" title="{esc(modal)}: {esc(level)}">'
        f"{esc(modal)} · {esc(level)}</span>"
        for modal, level in duty_tags(sentence)
    )


Span = tuple[int, int, str, str]  # start, end, opening markup, closing markup


def _quote_spans(line: str, quotes: Sequence[str]) -> list[Span]:
    """Where each quoted sentence sits in one line; a quote 'stem … item' marks both parts."""
    spans: list[Span] = []
    for quoted in quotes:
        parts = [p for p in quoted.split(" … ") if p]
        for n, part in enumerate(parts):
            start = line.find(part)
            end = start + len(part)
            if start < 0 or any(start < e and s < end for s, e, _, _ in spans):
                continue
            badges = duty_badges(quoted) if n == len(parts) - 1 else ""
            spans.append((start, end, '<mark class="quote">', "</mark>" + badges))
    return spans


def _term_spans(line: str, terms: Sequence[str]) -> list[Span]:
    if not terms:
        return []
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    return [(m.start(), m.end(), '<mark class="term">', "</mark>") for m in pattern.finditer(line)]


def _marked(line: str, spans: list[Span]) -> str:
    out, last = [], 0
    for start, end, opening, closing in sorted(spans):
        if start < last:
            continue
        out += [esc(line[last:start]), opening, esc(line[start:end]), closing]
        last = end
    out.append(esc(line[last:]))
    return "".join(out)


def passage_body(text: str, quotes: Sequence[str] = (), terms: Sequence[str] = ()) -> str:
    """A passage's text as paragraphs and lists, verbatim, with quoted sentences or search terms marked."""
    blocks: list[str] = []
    items: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        body = line[2:] if line.startswith("- ") else line
        marked = _marked(body, _quote_spans(body, quotes) + _term_spans(body, terms))
        if line.startswith("- "):
            items.append(f"<li>{marked}</li>")
            continue
        if raw.startswith("  ") and items:
            items[-1] = items[-1][: -len("</li>")] + f"<br>{marked}</li>"
            continue
        if items:
            blocks.append("<ul>" + "".join(items) + "</ul>")
            items = []
        blocks.append(f"<p>{marked}</p>")
    if items:
        blocks.append("<ul>" + "".join(items) + "</ul>")
    return "".join(blocks)


def notice_html(corpus_version: str) -> str:
    return (
        '<div class="notice" role="note"><strong>Draft guidance, not legal advice.</strong> '
        f"{esc(NOTICE)} <strong>If a child is in immediate danger, call 999.</strong>"
        f'<div class="corpus">Answers quote: {esc(corpus_version)}</div></div>'
    )


def _urgent_box() -> str:
    text = esc(URGENT_NOTICE.replace("**", ""))
    return f'<div class="urgent" role="alert"><strong>Urgent.</strong> {text}</div>'


def _privacy_box(kinds: list[str]) -> str:
    return (
        '<div class="privacy" role="status">Your question seemed to include '
        f"{esc(describe(kinds))}. You don't need personal details to ask about the guidance: they were "
        "replaced by placeholders before searching. Questions are not stored.</div>"
    )


def _answer_html(answer: Answer) -> str:
    parts = [_urgent_box()] if answer.urgent else []
    if answer.abstained:
        nearest = " ".join(chip(c.ref, c.label) for c in answer.citations)
        parts.append(f'<p class="abstain"><strong>No answer.</strong> {esc(ABSTAIN_TEXT)}</p>')
        parts.append(f'<div class="chips">Nearest passages: {nearest}</div>')
        return "".join(parts)
    if answer.followup_of:
        parts.append(
            f'<p class="followup">Read as a follow-up to: “{esc(answer.followup_of)}”. '
            "To ask it on its own, use “Ask the last question on its own” below.</p>"
        )
    labels = {c.ref: c.label for c in answer.citations}
    headings = {"urgent": URGENT_HEADING, "test": TESTS_HEADING, "limit": LIMITS_HEADING}
    headings = {part: text.strip("*") for part, text in headings.items()}
    shown: set[str] = set()
    # An answer made before quotes were recorded in order still shows its citations' sentences.
    quotes = answer.quotes or [
        QuotedSentence(ref=c.ref, sentence=sentence, part="support") for c in answer.citations for sentence in c.sentences
    ]
    previous_stem = None
    for said in quotes:
        if said.part in headings and said.part not in shown:
            shown.add(said.part)
            parts.append(f'<p class="quote-heading">{esc(headings[said.part])}</p>')
            previous_stem = None
        kind = "lead" if said.part == "lead" else "quote-line"
        title = '<span class="lead-label">The guidance says:</span> ' if said.part == "lead" else ""
        stem, joined, item = said.sentence.partition(" … ")
        text = said.sentence
        if joined and said.part != "lead" and stem == previous_stem:
            # The next item of a list just quoted: its lead-in is not repeated.
            text, kind = f"… {item}", "quote-line list-item"
        previous_stem = stem if joined else None
        parts.append(
            f'<blockquote class="{kind}">{title}{esc(text)} {duty_badges(said.sentence)} '
            f"{chip(said.ref, labels.get(said.ref, said.ref))}</blockquote>"
        )
    cited = " ".join(chip(c.ref, c.label) for c in answer.citations if c.sentences)
    parts.append(f'<div class="chips">Sources: {cited}</div>')
    if answer.similar_example:
        example = answer.similar_example
        parts.append(
            '<div class="chips similar-example">A similar worked example: '
            f"{chip(example.ref, f'Worked example: {example.title}')}</div>"
        )
    return "".join(parts)


EMPTY_CONVERSATION = (
    '<div class="conversation empty" role="log"><p>Ask a question about the Information Sharing Duty. '
    "Answers are sentences quoted from the guidance, each with the paragraph you can cite.</p></div>"
)


def turn_html(turn: Turn) -> str:
    """One exchange: the question as asked (scrubbed), any privacy warning, and the answer or the error."""
    out = [f'<div class="turn"><div class="you"><span class="who">You</span> {esc(turn.question)}</div>']
    if turn.identifiers:
        out.append(_privacy_box(turn.identifiers))
    if turn.answer is not None:
        out.append(f'<div class="reply">{_answer_html(turn.answer)}</div>')
    else:
        out.append(f'<div class="reply error"><strong>Sorry, that question could not be answered.</strong> '
                   f"{esc(turn.error)}</div>")
    out.append("</div>")
    return "".join(out)


def conversation_html(turns: Sequence[Turn]) -> str:
    if not turns:
        return EMPTY_CONVERSATION
    return '<div class="conversation" role="log">' + "".join(turn_html(turn) for turn in turns) + "</div>"


def turn_update(turn: Turn | None, mode: str, seq: str) -> str:
    """What the page sends after an event: only the turn that changed, and how the browser applies it to the
    conversation it holds ("append", "replace" the last turn, or "clear" for a new conversation). `seq` tells
    two identical updates apart."""
    body = turn_html(turn) if turn is not None else EMPTY_CONVERSATION
    return f'<div class="turn-update" data-mode="{esc(mode)}" data-seq="{esc(seq)}">{body}</div>'


def _source_card(citation: Citation, quotes: Sequence[str]) -> str:
    label = f' <span class="label">{esc(citation.label)}</span>' if citation.label != citation.ref else ""
    return (
        f'<article class="source" data-source="{esc(citation.ref)}"><header>{chip(citation.ref, citation.label)}'
        f'{label}<div class="where">{esc(citation.heading)}</div></header>'
        f"{passage_body(citation.text, quotes)}</article>"
    )


LEGEND = (
    '<p class="legend">Highlighted: the sentences the answer quotes. '
    '<span class="duty duty-must">must · duty</span> <span class="duty duty-should">should · expected practice</span> '
    '<span class="duty duty-may">may · permission</span></p>'
)


def sources_html(answer: Answer | None) -> str:
    """Every passage the latest answer cites, verbatim; the nearest passages when it abstained."""
    if answer is None:
        return '<div class="sources empty"><h3>Sources</h3><p>The passages an answer quotes appear here, in full.</p></div>'
    if answer.abstained:
        cards = "".join(_source_card(c, ()) for c in answer.citations)
        return f'<div class="sources"><h3>Nearest passages</h3><p>The guidance did not answer this question.</p>{cards}</div>'
    cited = [c for c in answer.citations if c.sentences]
    others = " ".join(chip(c.ref, c.label) for c in answer.citations if not c.sentences)
    cards = "".join(_source_card(c, c.sentences) for c in cited)
    also = f'<div class="chips also">Also relevant: {others}</div>' if others else ""
    return f'<div class="sources"><h3>Sources</h3>{LEGEND}{cards}{also}</div>'


def read_html(
    passages: Sequence[Passage], titles: dict[str, str], opened: str | None = None, terms: Sequence[str] = ()
) -> str:
    """The corpus passage by passage, each with its ref as an anchor; `opened` is highlighted."""
    out: list[str] = []
    doc = heading = None
    for passage in passages:
        if passage.doc != doc:
            doc, heading = passage.doc, None
            out.append(f'<h2 class="doc">{esc(titles.get(doc, doc))}</h2>')
        if passage.heading != heading:
            heading = passage.heading
            out.append(f'<h3 class="heading">{esc(heading)}</h3>')
        see = [*passage.footnotes, *passage.links]
        links = f'<div class="chips see">See: {" ".join(chip(r) for r in see)}</div>' if see else ""
        state = " opened" if passage.ref == opened else ""
        out.append(
            f'<article class="passage{state}" id="{anchor_id(passage.ref)}">'
            f'<a class="ref" href="{esc(deep_link(passage.ref))}" data-ref="{esc(passage.ref)}">{esc(passage.ref)}</a>'
            f"{passage_body(passage.text, terms=terms)}{links}</article>"
        )
    return '<div class="read">' + "".join(out) + "</div>"


def search_terms(query: str) -> list[str]:
    return [t for t in re.findall(r"[\w’'-]+", query.lower()) if len(t) > 1]


def matching(passages: Iterable[Passage], terms: Sequence[str]) -> list[Passage]:
    """Passages that contain every term (in their ref, heading or text)."""
    found = []
    for passage in passages:
        haystack = f"{passage.ref} {passage.heading} {passage.text}".lower()
        if all(t in haystack for t in terms):
            found.append(passage)
    return found


def record_markdown(
    turns: Sequence[Turn], corpus_version: str, now: datetime | None = None, dropped: int = 0
) -> str:
    """The conversation as a Markdown record: questions, quoted answers, the cited text in full. `dropped`
    earlier answered questions are no longer held, and the record says so."""
    answered = [t for t in turns if t.answer is not None]
    if not answered:
        return ""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Information Sharing Duty: guidance look-up",
        "",
        f"Exported {stamp}. Corpus: {corpus_version}.",
        "",
        f"_{NOTICE}_",
    ]
    if dropped:
        lines += ["", f"Questions 1 to {dropped} of this conversation are no longer held by the page, which keeps "
                  "the most recent ones only; download the record more often to keep a long conversation whole."]
    for number, turn in enumerate(answered, dropped + 1):
        answer = turn.answer
        assert answer is not None
        lines += ["", f"## Question {number}", "", turn.question, "", "### Answer", ""]
        if answer.urgent:
            lines += [URGENT_NOTICE, ""]
        if answer.abstained:
            lines += [ABSTAIN_TEXT, "", "Nearest passages: " + ", ".join(c.ref for c in answer.citations)]
            continue
        cited = [c for c in answer.citations if c.sentences]
        if answer.followup_of:
            lines += [f"Read as a follow-up to: {answer.followup_of}", ""]
        said = [(q.sentence, q.ref) for q in answer.quotes] or [(s, c.ref) for c in cited for s in c.sentences]
        for sentence, ref in said:
            levels = ", ".join(f"{m}: {level}" for m, level in duty_tags(sentence))
            lines.append(f"> {sentence} ({ref}{'; ' + levels if levels else ''})")
            lines.append("")
        lines += ["### Cited text (verbatim)"]
        for citation in cited:
            lines += ["", f"**{citation.ref}** ({citation.label}; {citation.heading})", "", citation.text]
    return "\n".join(lines) + "\n"
