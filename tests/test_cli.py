"""The click CLI: JSON output, batch mode and clear errors (no tracebacks)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import assistant.cli as cli_module
from assistant.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def patched_load(monkeypatch, fake_assistant):
    monkeypatch.setattr(cli_module, "_load", lambda ctx, progress=True: fake_assistant)
    return fake_assistant


def test_passages_json_lists_everything(runner: CliRunner):
    result = runner.invoke(cli, ["passages", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) == 124
    assert {"doc", "ref", "label", "heading", "text"} <= set(rows[0])
    assert [r["ref"] for r in rows if r["ref"].startswith("para ")] == [f"para {n}" for n in range(1, 61)]


def test_ask_json_contract(runner: CliRunner, patched_load):
    result = runner.invoke(cli, ["ask", "Do I need consent to share?", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"question", "answer", "abstained", "urgent", "citations", "corpus_version"} <= set(data)
    assert data["question"] == "Do I need consent to share?"


def test_batch_reads_one_question_per_line(runner: CliRunner, patched_load):
    stdin = b'Do I need consent?\n\n\xff\xfe bad bytes\n{"question": "what if they refuse?", "history": ["consent?"]}\n'
    result = runner.invoke(cli, ["ask", "--json", "-"], input=stdin)
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line.get("question") for line in lines] == ["Do I need consent?", None, "what if they refuse?"]
    assert lines[1] == {"line": 3, "error": "The question is not readable text (it is not UTF-8). "
                        "Type or paste it as plain text."}
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ask", ""], 2, "Error: The question is empty."),
        (["ask", "x" * 2500], 2, "Error: The question is 2500 characters long; the limit is 2000."),
        (["ask", "-"], 2, "Error: Batch mode reads stdin and needs --json"),
    ],
)
def test_bad_questions_exit_cleanly(runner: CliRunner, args, code, message):
    result = runner.invoke(cli, args)
    assert result.exit_code == code
    assert result.output.startswith(message)
    assert "Traceback" not in result.output


def test_broken_manifest_is_reported_with_file_and_line(runner: CliRunner, corpus_copy: Path):
    (corpus_copy / "manifest.yaml").write_text("documents:\n  - id: [oops\n")
    result = runner.invoke(cli, ["--corpus-dir", str(corpus_copy), "passages"])
    assert result.exit_code == 3
    assert f"Error: {corpus_copy}/manifest.yaml:" in result.output
    assert "malformed YAML" in result.output


def test_search_lists_scores(runner: CliRunner, patched_load):
    result = runner.invoke(cli, ["search", "consent", "--json", "-k", "3"])
    rows = json.loads(result.output)
    assert len(rows) == 3
    assert rows[0]["score"] >= rows[1]["score"] >= rows[2]["score"]
