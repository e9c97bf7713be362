"""Version diff and the `clarity` command: an edited copy of the guidance made in a tmp folder
(the garbled bullet of para 27 fixed, the page reference replaced, a vague phrase added to para 60)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.clarity.build import build_report, version_analyser
from assistant.clarity.compare import compare
from assistant.cli import cli
from assistant.errors import ClarityError
from assistant.settings import PROJECT_ROOT
from assistant.web.clarity_tab import ALL_CHAPTERS, filter_entries, listing_html

CORPUS = PROJECT_ROOT / "corpus"
GUIDANCE = "documents/isd-draft-statutory-guidance-2026.txt"
EDITS = (
    ("- Inform the child and/or parents/ unless doing so would increase risk or is impracticable. guardians about what "
     "information has been shared where appropriate.",
     "- Inform the child and/or parents/guardians about what information has been shared, unless doing so would "
     "increase risk or is impracticable."),
    ("refer to pages 8-10 'Limitation: detriment to the child'", "refer to paragraphs 9 to 12"),
    ("so that they are meeting all their legal obligations.",
     "so that they are meeting all their legal obligations. Organisations should share where appropriate."),
)


@pytest.fixture
def edited_corpus(corpus_copy: Path) -> Path:
    path = corpus_copy / GUIDANCE
    text = path.read_text(encoding="utf-8")
    for old, new in EDITS:
        assert text.count(old) == 1
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return corpus_copy


def keys(changes) -> set[tuple[str, str, str]]:
    return {(c.ref, c.flag.rule, c.flag.trigger) for c in changes}


@pytest.mark.parametrize("as_file", [False, True])
def test_compare_finds_resolved_and_new_flags(edited_corpus: Path, as_file: bool):
    base = build_report(CORPUS)
    other = edited_corpus / GUIDANCE if as_file else edited_corpus
    diff = compare(base, other, CORPUS, version_analyser(CORPUS))
    assert {(p.ref, p.change) for p in diff.passages} == {
        ("para 27", "changed"), ("Main points", "changed"), ("para 60", "changed")}
    resolved = keys(diff.resolved)
    assert ("para 27", "garbled-sentence", "increase risk or is impracticable. guardians") in resolved
    assert ("para 27", "garbled-sentence", "parents/ unless") in resolved
    assert ("Main points", "page-reference", "pages 8-10 'Limitation: detriment to the child'") in resolved
    assert {r for r, _, _ in resolved} == {"para 27", "Main points"}
    assert keys(diff.new) == {("para 60", "vague-term", "where appropriate")}
    assert diff.resolved[0].flag.severity == "high"
    assert diff.kept == len({(e.ref, f.identity) for e in base.entries for f in e.flags}) - len(diff.resolved)


def test_compare_same_version_changes_nothing():
    diff = compare(build_report(CORPUS), CORPUS, CORPUS, version_analyser(CORPUS))
    assert (diff.resolved, diff.new, diff.passages) == ([], [], [])


def test_compare_rejects_what_is_not_a_guidance_version(tmp_path: Path):
    base = build_report(CORPUS)
    empty_folder = tmp_path / "folder"
    empty_folder.mkdir()
    binary = tmp_path / "guidance.pdf"
    binary.write_bytes(b"%PDF-1.7\x00\xff\xfe")
    notes = tmp_path / "notes.txt"
    notes.write_text("Some notes, not the guidance.\n", encoding="utf-8")
    for other, message in ((tmp_path / "missing.txt", "no such file or folder"), (empty_folder, "no manifest.yaml"),
                           (binary, "not UTF-8 text"), (notes, "no Contents table")):
        with pytest.raises(ClarityError, match=message):
            compare(base, other, CORPUS, version_analyser(CORPUS))


def test_cli_clarity_json_report_and_compare(tmp_path: Path, edited_corpus: Path):
    result = CliRunner().invoke(cli, [
        "--corpus-dir", str(CORPUS), "clarity", "--json", "--report", str(tmp_path / "out"),
        "--compare", str(edited_corpus), "--evaluate", str(PROJECT_ROOT / "evals" / "clarity_labels.yaml"),
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["entries"][0]["ref"] == "para 27"
    assert data["evaluation"]["overall"]["recall"] == 0.931
    assert {c["ref"] for c in data["compare"]["new"]} == {"para 60"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clarity.csv", "clarity.json", "report.html"]
    assert "Changes against" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_cli_clarity_text_and_errors(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--corpus-dir", str(CORPUS), "clarity", "--top", "2"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split()[:2] == ["1.", "16.0"]
    bad = tmp_path / "results.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    result = runner.invoke(cli, ["--corpus-dir", str(CORPUS), "clarity", "--usage", str(bad)])
    assert result.exit_code == ClarityError.exit_code
    assert "no 'items' list" in result.output and "Traceback" not in result.output
    broken = tmp_path / "corpus"
    shutil.copytree(CORPUS, broken)
    (broken / "consultation_feedback.yaml").write_text("records: [", encoding="utf-8")
    result = runner.invoke(cli, ["--corpus-dir", str(broken), "clarity"])
    assert result.exit_code == 3 and "consultation_feedback.yaml" in result.output


def test_ui_filters_by_category_and_chapter():
    report = build_report(CORPUS)
    chapter_four = filter_entries(report, ["structure"], "4", False)
    assert [e.ref for e in chapter_four] == ["para 46", "para 51"]
    assert all(f.category == "structure" for e in chapter_four for f in e.flags)
    unclear = filter_entries(report, ["language", "structure", "consistency"], ALL_CHAPTERS, True)
    assert len(unclear) == sum(1 for e in report.entries if e.unclear) == 35
    page = listing_html(report, ["feedback"], ALL_CHAPTERS, False)
    assert '<p class="meta" id="clarity-count">22 passages match.</p>' in page
    assert 'class="c-feedback"' in page and 'class="c-language"' not in page


def test_ui_render_builds_inside_a_tab(fake_assistant):
    import gradio as gr

    from assistant.web.clarity_tab import render

    with gr.Blocks(analytics_enabled=False) as demo, gr.Tab("Clarity") as tab:
        render(fake_assistant, tab)
    ids = {getattr(block, "elem_id", None) for block in demo.blocks.values()}
    assert {"clarity-categories", "clarity-chapter", "clarity-csv", "clarity-json", "clarity-html", "clarity-listing"} <= ids


def test_clarity_report_is_made_once_on_first_use(fake_assistant):
    from assistant.web.clarity_tab import LazyReport

    lazy = LazyReport(fake_assistant.settings.paths.corpus_dir)
    assert lazy._made is None  # building the tab computes nothing
    report, paths = lazy.get()
    assert lazy.get()[0] is report
    assert len(report.entries) == 91
    assert sorted(p.name for p in paths) == ["clarity.csv", "clarity.json", "report.html"]
    assert all(p.is_file() for p in paths)
