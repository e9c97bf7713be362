"""The practitioner page in a real browser (Debian chromium through Playwright) with the real assistant.

Screenshots are saved under artifacts/ for a person to look at.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from assistant.clarity.build import build_report
from assistant.clarity.models import CATEGORIES
from assistant.web.clarity_tab import ALL_CHAPTERS, filter_entries
from assistant.web.render import anchor_id

pytestmark = pytest.mark.slow

QUESTION = "Do I need the parent's consent before I share information with children's social care?"
ANSWER_WAIT_MS = 60_000


def _ask(page, question: str, turns_before: int) -> None:
    page.fill("#question textarea", question)
    page.click("#ask-button")
    page.wait_for_function(
        "n => document.querySelectorAll('#conversation .turn').length > n", arg=turns_before, timeout=ANSWER_WAIT_MS
    )


def _in_viewport(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector, "el => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; }"
    )


def test_ask_see_sources_and_open_the_cited_passage(ui_server, browser_page, artifacts, real_assistant):
    page = browser_page
    page.goto(ui_server.url)
    page.wait_for_selector("#question textarea")
    assert "not legal advice" in page.inner_text("#notice")
    assert "Caldicott Guardian" in page.inner_text("#notice")
    page.screenshot(path=str(artifacts / "ask-empty.png"), full_page=True)

    _ask(page, QUESTION, 0)
    answer = real_assistant.ask(QUESTION)
    expected = [c.ref for c in answer.citations if c.sentences]
    lead = page.locator("#conversation .reply blockquote.lead")
    assert lead.count() == 1 and "the guidance says" in lead.inner_text().lower()
    assert answer.lead is not None and answer.lead.sentence[:40] in lead.inner_text()
    chips = page.locator("#conversation .reply blockquote a.chip")
    assert chips.count() >= 1
    first_ref = chips.first.get_attribute("data-ref")
    assert first_ref == answer.lead.ref
    cards = page.locator("#sources article.source")
    assert [cards.nth(i).get_attribute("data-source") for i in range(cards.count())] == expected
    assert page.locator("#sources mark.quote").count() >= 1
    assert page.locator("#sources .legend .duty-must").is_visible()
    page.screenshot(path=str(artifacts / "ask-answer.png"), full_page=True)

    chips.first.click()
    opened = f"#read-view #{anchor_id(first_ref)}.opened"
    page.wait_for_selector(opened, state="visible", timeout=ANSWER_WAIT_MS)
    page.wait_for_function("s => { const r = document.querySelector(s).getBoundingClientRect();"
                           " return r.top >= -5 && r.top < window.innerHeight; }", arg=opened, timeout=10_000)
    assert page.locator("#read-view .passage.opened").count() == 1
    passage = next(p for p in real_assistant.passages if p.ref == first_ref)
    assert passage.text.split("\n")[0][:60] in page.inner_text(opened)
    assert "ref=" in page.url
    page.screenshot(path=str(artifacts / "read-opened.png"))
    # The browser holds the conversation (the server sends only new turns): it survives a visit to another tab.
    page.get_by_role("tab", name="Ask").click()
    page.wait_for_selector("#conversation .turn", state="visible")
    assert page.locator("#conversation .turn").count() == 1
    assert not page.locator("#turn-feed").is_visible()


def test_follow_up_urgent_notice_and_markdown_download(ui_server, browser_page, artifacts):
    page = browser_page
    page.goto(ui_server.url)
    page.wait_for_selector("#question textarea")
    _ask(page, QUESTION, 0)
    _ask(page, "what if they refuse?", 1)
    follow = page.locator("#conversation .turn").nth(1)
    assert f"Read as a follow-up to: “{QUESTION}”" in follow.locator(".followup").inner_text()
    page.screenshot(path=str(artifacts / "ask-followup.png"), full_page=True)
    page.click("#ask-alone")
    page.wait_for_function(
        "() => document.querySelectorAll('#conversation .turn')[1] && "
        "!document.querySelectorAll('#conversation .turn')[1].querySelector('.followup')", timeout=ANSWER_WAIT_MS
    )
    assert page.locator("#conversation .turn").count() == 2
    _ask(page, "A child told me she is scared to go home tonight. Can I share without consent?", 2)
    last = page.locator("#conversation .turn").nth(2)
    html = last.inner_html()
    assert 'class="urgent"' in html and html.index('class="urgent"') < html.index("chip")
    assert "999" in last.locator(".urgent").inner_text()
    headings = last.locator(".quote-heading").all_inner_texts()
    assert headings[0] == "Acting on a disclosure or an urgent case:", headings
    page.screenshot(path=str(artifacts / "ask-urgent.png"), full_page=True)

    page.locator("#record-panel").get_by_text("Record of this conversation").click()
    with page.expect_download() as download:
        page.click("#download-record")
    record = Path(download.value.path()).read_text(encoding="utf-8")
    page.screenshot(path=str(artifacts / "ask-record.png"), full_page=True)
    assert download.value.suggested_filename == "isd-guidance-record.md"
    assert record.count("## Question ") == 3 and f"## Question 1\n\n{QUESTION}" in record
    assert "### Cited text (verbatim)" in record and "Corpus: Information Sharing Duty" in record
    assert page.input_value("#record textarea") == record

    page.click("#new-conversation")
    page.wait_for_selector("#conversation .conversation.empty", state="visible", timeout=ANSWER_WAIT_MS)
    assert page.locator("#conversation .turn").count() == 0
    _ask(page, "When can I decide not to share?", 0)
    assert page.locator("#conversation .turn").count() == 1
    page.locator("#record-panel").get_by_text("Record of this conversation").click()
    page.wait_for_function("() => document.querySelector('#record textarea').value.includes('## Question 1')",
                           timeout=ANSWER_WAIT_MS)
    record = page.input_value("#record textarea")
    assert record.count("## Question ") == 1 and "When can I decide not to share?" in record


def test_deep_link_search_and_no_script_injection(ui_server, browser_page, artifacts):
    page = browser_page
    page.goto(ui_server.url + "?ref=para%2011")
    page.wait_for_selector("#read-view #ref-para-11.opened", state="visible", timeout=ANSWER_WAIT_MS)
    assert _in_viewport(page, "#read-view #ref-para-11")
    assert "Showing para 11" in page.inner_text("#read-status")
    page.screenshot(path=str(artifacts / "read-deep-link.png"))

    page.fill("#read-search input, #read-search textarea", "Caldicott Guardian")
    page.click("#read-search-button")
    page.wait_for_function("() => document.querySelector('#read-status').innerText.includes('contain')")
    assert page.locator("#read-view mark.term").count() >= 2
    assert page.locator("#read-view article.passage").count() < 20

    page.get_by_role("tab", name="Ask").click()
    _ask(page, "<img src=x onerror=\"window.__injected=1\">${7*7} when must I share?", 0)
    assert page.evaluate("window.__injected") is None
    text = page.inner_text("#conversation .you")
    assert "<img src=x" in text and "${7*7}" in text


def test_evaluate_tab_runs_the_built_in_sets_and_offers_the_report(ui_server, browser_page, artifacts):
    page = browser_page
    page.goto(ui_server.url)
    page.get_by_role("tab", name="Evaluate").click()
    page.wait_for_selector("#eval-run", state="visible")
    page.click("#eval-run")
    page.wait_for_function(
        "() => document.querySelector('#eval-message').innerText.includes('items')", timeout=5 * ANSWER_WAIT_MS
    )
    message = page.inner_text("#eval-message")
    assert message.startswith("474 items from 5 set(s): pass rate"), message
    headline = page.inner_text("#eval-headline")
    for name in ("practitioner", "worked_examples", "scenarios", "out_of_scope", "adversarial", "stock_llamaindex", "bm25"):
        assert name in headline, name
    assert "oos-01" in page.inner_text("#eval-items")
    links = page.locator("#eval-report a")
    names = sorted(str(links.nth(i).get_attribute("download")) for i in range(links.count()))
    assert names == ["report.html", "results.csv", "results.json"], page.inner_html("#eval-report")
    page.screenshot(path=str(artifacts / "evaluate.png"), full_page=True)
    with page.expect_download() as download:
        page.click('#eval-report a[download="results.csv"]')
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][:5] == ["set", "id", "split", "role", "kind"] and len(rows) == 1 + 474


def test_clarity_tab_ranks_filters_and_downloads(ui_server, browser_page, artifacts, real_assistant):
    page = browser_page
    page.goto(ui_server.url)
    page.get_by_role("tab", name="Clarity").click()
    page.wait_for_selector("#clarity-count", state="visible")
    report = build_report(real_assistant.settings.paths.corpus_dir)
    flagged = filter_entries(report, list(CATEGORIES), ALL_CHAPTERS, unclear_only=False)
    assert page.inner_text("#clarity-count") == f"{len(flagged)} passages match."
    assert [e.ref for e in flagged][:3] == [e.ref for e in report.entries][:3]
    assert page.locator("#clarity-list mark").count() >= 50
    first = page.locator("#clarity-list .entry").first.inner_text()
    assert first.startswith("1. ")
    page.screenshot(path=str(artifacts / "clarity.png"))

    page.locator("#clarity-unclear input").check()
    unclear = sum(1 for e in report.entries if e.unclear)
    assert 0 < unclear < len(flagged)
    page.wait_for_function("n => document.querySelector('#clarity-count').innerText === n + ' passages match.'",
                           arg=unclear)
    assert page.locator("#clarity-list .entry").count() == unclear
    with page.expect_download() as download:
        page.click("#clarity-csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["rank", "ref", "label"]
    assert len(rows) == 1 + sum(len(e.flags) for e in report.entries)
