"""The Clarity tab for policy teams: the ranked passages with their flags and highlighted
triggers, filters by category and chapter, and the report as CSV, JSON and HTML downloads.

`render(assistant)` builds the tab's contents inside a `gr.Tab` the caller has opened. The
report is computed once, offline (reviewed feedback mapping, no retrieval), when the page is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.clarity.models import CATEGORIES, ClarityReport, Entry
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


def render(assistant: Assistant) -> None:
    """Build the Clarity tab's contents; call inside `with gr.Tab("Clarity"):`."""
    import gradio as gr

    from assistant.clarity.build import build_report
    from assistant.clarity.report import write_report

    report = build_report(assistant.settings.paths.corpus_dir)
    html_path, csv_path, json_path = write_report(report, ReportFolders().fresh())
    unclear = sum(1 for e in report.entries if e.unclear)
    gr.Markdown(
        "### Clarity report for policy teams\n"
        f"{len(report.entries)} passages of the guidance, ranked most unclear first; {unclear} are marked unclear. "
        "Each flag gives the words that triggered it (highlighted), why they may confuse, and a question a drafter "
        "could answer. Consultation feedback is shown with its source. This points at wording; it is not legal advice."
    )
    with gr.Row():
        categories = gr.CheckboxGroup(list(CATEGORIES), value=list(CATEGORIES), label="Categories",
                                      elem_id="clarity-categories")
        chapter = gr.Dropdown(CHAPTER_CHOICES, value=ALL_CHAPTERS, label="Chapter", elem_id="clarity-chapter")
        unclear_only = gr.Checkbox(value=False, label="Only passages marked unclear", elem_id="clarity-unclear")
    with gr.Row():
        gr.DownloadButton("Download CSV", value=str(csv_path), elem_id="clarity-csv")
        gr.DownloadButton("Download JSON", value=str(json_path), elem_id="clarity-json")
        gr.DownloadButton("Download HTML report", value=str(html_path), elem_id="clarity-html")
    listing = gr.HTML(listing_html(report, list(CATEGORIES), ALL_CHAPTERS, False), elem_id="clarity-listing")

    def update(chosen: list[str], chapter_value: str, only_unclear: bool) -> str:
        return listing_html(report, chosen, chapter_value, only_unclear)

    for control in (categories, chapter, unclear_only):
        control.change(update, [categories, chapter, unclear_only], listing, api_name=False)
