"""The Decide tab in a real browser (Debian chromium through Playwright): a worked example from the situation to the
downloaded record, keyboard only, at desktop and phone width, with axe-core on the tab.

The tab needs no model (it reads the steps and the passages), so the page is served over the fake assistant
(`fake_page` in conftest.py): the same page, tabs and events as `assistant serve`, without a real index build.
Screenshots go to artifacts/decide/ (not in git) for a person to look at; the test prints where.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml

from assistant.decide import Decider
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "decide" / "example_detriment.yaml"
RELIES_ON = {"para 9", "para 10", "s16LA(3)", "para 11", "para 13", "para 27"}
MARKER = "Zebedee Quartermain"  # a name typed into the situation: it must never reach the record or the disk
WAIT_MS = 30_000


def _answers() -> dict:
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    del data["date"], data["decision"]  # the page dates the record today; the outcome is for the page to find
    data["situation"]["description"] = f"{MARKER} asked me. " + data["situation"]["description"].strip()
    return data


def _type(page, selector: str, text: str) -> None:
    page.locator(f"{selector} textarea, {selector} input").first.focus()
    page.keyboard.type(text)


BOOK = Decider.from_corpus(PROJECT_ROOT / "corpus").book
REPLY_LABELS = {True: "Yes", False: "No", "yes": "Yes", "no": "No", "unsure": "Unsure"}


def _press_choice(page, group: str, label: str) -> None:
    """Choose an option of a radio or checkbox group with the keyboard: focus it, press Space."""
    page.locator(f"#{group}").get_by_label(label, exact=True).focus()
    page.keyboard.press("Space")


def _open_decide_tab(page) -> None:
    """Click the Decide tab; on a narrow screen Gradio puts some tabs behind its "More tabs" button."""
    tab = page.get_by_role("tab", name="Decide")
    if not tab.is_visible():
        page.get_by_label("More tabs").click()
        tab = page.locator(".overflow-dropdown").get_by_text("Decide", exact=True)
    tab.click()
    page.wait_for_selector("#decide-intro", state="visible")


def _fill_situation(page, situation: dict) -> None:
    _type(page, "#decide-role", situation["role"])
    _press_choice(page, "decide-organisation", BOOK.situation["organisation"][situation["organisation"]])
    _press_choice(page, "decide-trigger", BOOK.situation["trigger"][situation["trigger"]])
    _type(page, "#decide-recipient", situation["recipient"])
    _press_choice(page, "decide-recipient-kind", BOOK.situation["recipient_kind"][situation["recipient_kind"]])
    for about in situation["about"]:
        _press_choice(page, "decide-about", BOOK.situation["about"][about])
    _type(page, "#decide-description", situation["description"])


def _answer_step(page, step_id: str, given: dict) -> None:
    _press_choice(page, f"decide-answer-{step_id}", REPLY_LABELS[given["answer"]])
    if given.get("rationale"):
        _type(page, f"#decide-rationale-{step_id}", " ".join(given["rationale"].split()))
    for name, value in given.items():
        if name in ("answer", "rationale"):
            continue
        if isinstance(value, list):
            for choice in value:
                _press_choice(page, f"decide-{step_id}-{name}", BOOK.step(step_id).fields[name].choices[choice].label)
        else:
            _type(page, f"#decide-{step_id}-{name}", value)


def _files_containing(root: Path, text: bytes) -> list[Path]:
    found = []
    for path in root.rglob("*") if root.is_dir() else []:
        try:
            if path.is_file() and text in path.read_bytes():
                found.append(path)
        except OSError:
            continue
    return found


@pytest.fixture
def shots(artifacts: Path) -> Path:
    folder = artifacts / "decide"
    folder.mkdir(exist_ok=True)
    print(f"\nDecide tab screenshots: {folder}")
    return folder


def test_walk_a_worked_example_to_the_downloaded_record_by_keyboard(fake_page, browser_page, shots, fake_assistant, tmp_path):
    page = browser_page
    data = _answers()
    page.goto(fake_page.url)
    page.get_by_role("tab", name="Decide").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#decide-intro", state="visible")
    assert "does not give legal advice" in page.inner_text("#decide-intro")

    _fill_situation(page, data["situation"])
    page.wait_for_selector("#decide-step-situation a.chip[data-ref='s16LA(5)']")  # a request brings in s16LA(5)
    _answer_step(page, "situation", data["steps"]["situation"])
    page.locator("#decide-situation").first.screenshot(path=str(shots / "01-situation.png"))
    page.locator("#decide-group-situation").first.screenshot(path=str(shots / "01-situation-answer.png"))
    for number, (step_id, given) in enumerate(list(data["steps"].items())[1:], 2):
        _answer_step(page, step_id, given)
        page.locator(f"#decide-step-{step_id}").scroll_into_view_if_needed()
        page.locator(f"#decide-group-{step_id}").first.screenshot(path=str(shots / f"{number:02d}-{step_id}-answer.png"))
        page.locator(f"#decide-step-{step_id}").screenshot(path=str(shots / f"{number:02d}-{step_id}-guidance.png"))
    quotes = page.locator("#decide-step-detriment blockquote")
    assert "Not having consent from the child/family" in page.inner_text("#decide-step-detriment")
    assert quotes.count() >= 10
    for name, value in data["sharing"].items():
        _type(page, f"#decide-{name.replace('_', '-')}", value)
    _type(page, "#decide-review", "\n".join(data["review"]))

    page.locator("#decide-run").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#decide-outcome-box", timeout=WAIT_MS)
    assert page.get_attribute("#decide-outcome-box", "data-outcome") == "withhold_specific_details"
    assert "Detriment: yes" in page.inner_text("#decide-outcome-box")
    page.locator("#decide-outcome").screenshot(path=str(shots / "10-outcome.png"))

    with page.expect_download() as download:
        page.locator("#decide-download-md").focus()
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "isd-decision-record.md"
    record = Path(download.value.path()).read_text(encoding="utf-8")
    expected = Decider.from_corpus(fake_assistant.settings.paths.corpus_dir).decide(data)
    assert record == expected.markdown()
    cited = set(record.split("## Passages cited\n", 1)[1].replace("- ", "").split("\n"))
    assert {line.split(" — ")[0] for line in cited if line} >= RELIES_ON
    assert "- Outcome: **Withhold specific details**" in record and MARKER not in record and "[NAME] asked me." in record
    with page.expect_download() as download:
        page.locator("#decide-download-html").focus()
        page.keyboard.press("Enter")
    printable = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "isd-decision-record.html"
    assert printable == expected.html() and MARKER not in printable
    page.locator("#decide-record-panel").first.screenshot(path=str(shots / "11-record.png"))
    html_page = tmp_path / "record.html"
    html_page.write_text(printable, encoding="utf-8")
    page.goto(html_page.as_uri())
    page.screenshot(path=str(shots / "12-printable-record.png"), full_page=True)

    # Nothing with the situation was written where Gradio keeps files.
    roots = {Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")}
    for root in roots:
        assert _files_containing(root, MARKER.encode()) == []


def test_chips_open_the_passage_and_every_control_is_reachable_by_tab(fake_page, browser_page, shots):
    page = browser_page
    page.goto(fake_page.url)
    page.get_by_role("tab", name="Decide").click()
    page.wait_for_selector("#decide-step-detriment a.chip[data-ref='para 9']", state="visible")
    page.locator("#decide-step-detriment a.chip[data-ref='para 9']").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#read-view #ref-para-9.opened", state="visible", timeout=WAIT_MS)
    assert "ref=para+9" in page.url or "ref=para%209" in page.url

    page.get_by_role("tab", name="Decide").click()
    page.locator("#decide-intro").wait_for(state="visible")
    page.get_by_role("tab", name="Decide").focus()
    reached: set[str] = set()
    for _ in range(700):
        page.keyboard.press("Tab")
        owner = page.evaluate("() => { const el = document.activeElement;"
                              " const box = el && el.closest('[id^=decide-]'); return box ? box.id : ''; }")
        reached.add(owner)
        if owner == "decide-download-html":
            break
    steps = ["situation", "recipient_covered", "relevance", "may_facilitate", "detriment", "lawful_basis",
             "what_and_how_much", "telling_family", "record"]
    needed = {f"decide-answer-{s}" for s in steps} | {f"decide-rationale-{s}" for s in steps}
    needed |= {"decide-role", "decide-trigger", "decide-about", "decide-run", "decide-download-md", "decide-download-html"}
    assert needed <= reached, sorted(needed - reached)


@pytest.mark.parametrize("width", [390, 1400])
def test_decide_tab_fits_the_width_and_has_no_serious_axe_violations(fake_page, browser_page, shots, width):
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(fake_page.url)
    page.wait_for_selector("#notice")
    _open_decide_tab(page)
    page.wait_for_selector("#decide-step-record", state="visible")
    _press_choice(page, "decide-answer-relevance", "Unsure")
    page.wait_for_selector("#decide-step-relevance .decide-ask")
    page.locator("#decide-run").click()
    page.wait_for_selector("#decide-outcome .decide-outcome", timeout=WAIT_MS)
    page.screenshot(path=str(shots / f"decide-{width}px.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the {width}px window"
    results = Axe().run(page, context={"include": [["#decide-intro"], ["#decide-situation"], ["[id^=decide-group-]"],
                                                   ["#decide-sharing"], ["#decide-outcome"], ["#decide-record-panel"]]})
    serious = [(v["id"], v["impact"], [(n["target"], n["html"][:120], n.get("failureSummary", "")[:200]) for n in v["nodes"]][:3])
               for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    assert PROJECT_ROOT  # artifacts live under the project
