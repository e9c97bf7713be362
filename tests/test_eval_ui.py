"""The Evaluate tab: its handler on the fake assistant, and a real Gradio server driven through gradio_client."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from assistant.web.evaluate_tab import ALL_BUILT_IN, ReportFolders, render, run_evaluation

CSV = ("question,expected_refs,kind\nDo I need consent to share about the child born 03/04/2015?,para 40; para 41,in_scope\n"
       "zebra quokka,,out_of_scope\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _upload(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "gradio-upload"  # Gradio keeps each upload in a folder of its own
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_built_in_set_gives_tables_and_report_files(fake_assistant):
    folders = ReportFolders()
    message, headline, items, files, cleared = run_evaluation(fake_assistant, "out_of_scope", None, False, folders)
    assert message.startswith("**20 items** from 1 set(s)")
    assert list(headline["set"]) == ["out_of_scope"] and headline.loc[0, "items"] == "20"
    assert len(items) == 20 and list(items.columns) == ["set", "id", "kind", "question", "expected refs", "cited refs",
                                                        "result"]
    assert sorted(Path(f).name for f in files) == ["report.html", "results.csv", "results.json"]
    assert all(Path(f).is_file() for f in files) and cleared is None
    first = Path(files[0]).parent
    run_evaluation(fake_assistant, "out_of_scope", None, False, folders)
    assert not first.exists()  # each run replaces the previous report
    folders.clear()
    assert folders.current is None


def test_upload_is_read_once_and_deleted(fake_assistant, tmp_path: Path):
    path = _upload(tmp_path, "local.csv", CSV)
    message, headline, items, files, _ = run_evaluation(fake_assistant, ALL_BUILT_IN, str(path), True, ReportFolders())
    assert message.startswith("**2 items** from 1 set(s)")
    assert list(items["id"]) == ["row-2", "row-3"] and list(headline["set"]) == ["local"]
    assert "stock_llamaindex hit@5" in headline.columns and len(files) == 3
    assert items.loc[0, "question"] == "Do I need consent to share about the child born [DATE_OF_BIRTH]?"
    saved = "".join(Path(f).read_text(encoding="utf-8") for f in files)
    assert "03/04/2015" not in saved and "[DATE_OF_BIRTH]" in saved
    assert not path.exists() and not path.parent.exists()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("notes.txt", "hello", "**Could not run the evaluation:** 'notes.txt' is not a YAML or CSV file."),
        ("local.csv", "question,expected_refs,kind\nq,,sometimes\n",
         "**Could not run the evaluation:** local.csv: row 2, field 'kind': 'sometimes' is not a kind"),
        ("local.yaml", "items: [\n", "**Could not run the evaluation:** local.yaml:2: malformed YAML"),
        ("big.yaml", "#" * 1_000_001, "**Could not run the evaluation:** 'big.yaml' is larger than 1,000,000 bytes."),
    ],
)
def test_bad_uploads_get_a_clear_message_and_are_deleted(fake_assistant, tmp_path: Path, name: str, text: str,
                                                         message: str):
    path = _upload(tmp_path, name, text)
    shown, headline, items, files, _ = run_evaluation(fake_assistant, ALL_BUILT_IN, str(path), False, ReportFolders())
    assert shown.startswith(message)
    assert str(tmp_path) not in shown  # the temporary path is not shown, the file's own name is
    assert (headline, items, files) == (None, None, [])
    assert not path.exists()


def test_tab_serves_over_http(fake_assistant, tmp_path: Path):
    import gradio as gr

    with gr.Blocks(analytics_enabled=False) as demo, gr.Tab("Evaluate"):
        render(fake_assistant)
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        message, headline, items, files, _ = client.predict("out_of_scope", None, False, api_name="/evaluate")
        assert message.startswith("**20 items**")
        assert headline["data"][0][:2] == ["out_of_scope", "20"] and len(items["data"]) == 20
        assert sorted(Path(f).name for f in files) == ["report.html", "results.csv", "results.json"]
        upload = _upload(tmp_path, "mine.csv", CSV)
        message, *_ = client.predict(ALL_BUILT_IN, handle_file(str(upload)), False, api_name="/evaluate")
        assert message.startswith("**2 items** from 1 set(s)")
    finally:
        demo.close()
