"""The Clarity tab for policy teams: the ranked passages with their flags and highlighted
triggers, filters by category and chapter, and the report as CSV, JSON and HTML downloads.

`render(assistant, tab)` builds the tab's contents inside the `gr.Tab` the caller has opened.
The report is computed once, offline (reviewed feedback mapping, no retrieval), the first
time someone opens the tab: it takes a second or two, which the page's start-up need not pay.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.clarity.models import CATEGORIES, ClarityReport, Entry
from assistant.web.choices import ChoiceDropdown, ChoiceGroup
from assistant.web.evaluate_tab import ReportFolders

if TYPE_CHECKING:
    from assistant.api import Assistant

ALL_CHAPTERS = "All chapters"
CHAPTER_CHOICES = [ALL_CHAPTERS, "front", "1", "2", "3", "4", "5"]


def filter_entries(report: ClarityReport, categories: list[str], chapter: str, unclear_only: bool) -> list[Entry]:
    """Entries with a flag in one of `categories`, showing only those flags, in rank order."""
    chosen = set(categories or [])
    kept = []
    for entry in report.entries:
        if chapter not in ("", ALL_CHAPTERS) and entry.chapter != chapter:
            continue
        if unclear_only and not entry.unclear:
            continue
        flags = [f for f in entry.flags if f.category in chosen]
        if flags:
            kept.append(entry.model_copy(update={"flags": flags}))
    return kept


def listing_html(report: ClarityReport, categories: list[str], chapter: str, unclear_only: bool) -> str:
    from assistant.clarity.report import ENTRY_STYLE, entries_html

    entries = filter_entries(report, categories, chapter, unclear_only)
    heading = f'<p class="meta" id="clarity-count">{len(entries)} passages match.</p>'
    return f"<style>{ENTRY_STYLE}</style>{heading}<div id='clarity-list'>{entries_html(entries)}</div>"


class LazyReport:
    """The clarity report and its download files, made on first use, once, whichever request comes first."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        self._lock = threading.Lock()
        self._made: tuple[ClarityReport, tuple[Path, Path, Path]] | None = None

    def get(self) -> tuple[ClarityReport, tuple[Path, Path, Path]]:
        with self._lock:
            if self._made is None:
                from assistant.clarity.build import build_report
                from assistant.clarity.report import write_report

                report = build_report(self.corpus_dir)
                self._made = report, write_report(report, ReportFolders().fresh())
            return self._made


def summary_text(report: ClarityReport) -> str:
    unclear = sum(1 for e in report.entries if e.unclear)
    return (
        "### Clarity report for policy teams\n"
        f"{len(report.entries)} passages of the guidance, ranked most unclear first; {unclear} are marked unclear. "
        "Each flag gives the words that triggered it (highlighted), why they may confuse, and a question a drafter "
        "could answer. Consultation feedback is shown with its source. This points at wording; it is not legal advice."
    )


def render(assistant: Assistant, tab: Any) -> None:
    """Build the Clarity tab's contents; call inside `with gr.Tab("Clarity") as tab:`."""
    import gradio as gr

    lazy = LazyReport(assistant.settings.paths.corpus_dir)
    summary = gr.Markdown("### Clarity report for policy teams\nPreparing the report…")
    with gr.Row():
        categories = ChoiceGroup(list(CATEGORIES), value=list(CATEGORIES), label="Categories",
                                 elem_id="clarity-categories")
        chapter = ChoiceDropdown(CHAPTER_CHOICES, value=ALL_CHAPTERS, label="Chapter", elem_id="clarity-chapter")
        unclear_only = gr.Checkbox(value=False, label="Only passages marked unclear", elem_id="clarity-unclear")
    with gr.Row():
        downloads = [
            gr.DownloadButton(label, value=None, elem_id=elem_id)
            for label, elem_id in (("Download CSV", "clarity-csv"), ("Download JSON", "clarity-json"),
                                   ("Download HTML report", "clarity-html"))
        ]
    listing = gr.HTML('<p class="meta">Preparing the clarity report…</p>', elem_id="clarity-listing")

    def fill(chosen: list[str], chapter_value: str, only_unclear: bool) -> tuple[Any, ...]:
        report, (html_path, csv_path, json_path) = lazy.get()
        return (summary_text(report), str(csv_path), str(json_path), str(html_path),
                listing_html(report, chosen, chapter_value, only_unclear))

    def update(chosen: list[str], chapter_value: str, only_unclear: bool) -> str:
        return listing_html(lazy.get()[0], chosen, chapter_value, only_unclear)

    filters = [categories, chapter, unclear_only]
    tab.select(fill, filters, [summary, *downloads, listing], api_visibility="private", show_progress="minimal")
    for control in filters:
        control.change(update, filters, listing, api_name=False)
