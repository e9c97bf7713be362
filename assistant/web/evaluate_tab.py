"""The Evaluate tab: run a built-in or uploaded set, see the figures, download the report.

`render(assistant)` builds the tab's contents inside an open `gr.Tab`. An uploaded file is
read once, checked (type, size, schema) and deleted after the run; its questions reach the
report only with personal identifiers replaced (assistant.privacy). Reports live in a
temporary folder that the next run (or the end of the process) removes.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import AssistantError, EvalSetError
from assistant.evaluation.metrics import figure
from assistant.evaluation.report import METRICS, fmt, write_report
from assistant.evaluation.results import RunResults
from assistant.evaluation.run import run_sets
from assistant.evaluation.sets import BUILT_IN_SETS, MAX_SET_BYTES, SET_SUFFIXES, EvalSet, built_in_set_paths, read_eval_set
from assistant.privacy import guidance_vocabulary, scrub_stored
from assistant.web.choices import ChoiceDropdown
from assistant.web.security import delete_upload

if TYPE_CHECKING:
    from assistant.api import Assistant

ALL_BUILT_IN = "All built-in sets"
HEADLINE = ("hit@1", "hit@5", "mrr", "ndcg_at_10", "citation_precision", "citation_recall", "grounding",
            "key_point_recall", "decision_accuracy", "oos_abstention", "false_abstention", "pass_rate")
ITEM_COLUMNS = ["set", "id", "kind", "question", "expected refs", "cited refs", "result"]
Outcome = tuple[str, Any, Any, list[str], Any]


class ReportFolders:
    """Temporary report folders inside the page's private temp folder: each `fresh()` replaces the previous
    one, and none outlives the process. Used for the Evaluate tab's runs and the Clarity tab's downloads."""

    def __init__(self) -> None:
        self.current: Path | None = None
        atexit.register(self.clear)

    def fresh(self) -> Path:
        self.clear()
        self.current = Path(tempfile.mkdtemp(prefix="isd-eval-report-", dir=os.environ.get("GRADIO_TEMP_DIR")))
        return self.current

    def clear(self) -> None:
        if self.current is not None:
            shutil.rmtree(self.current, ignore_errors=True)
            self.current = None


class SetUpload(gr.File):
    """The set upload, drawn as Gradio's File. Its type is checked here, on the server, and a refused file is
    deleted at once; Gradio's own check keeps the file, and for every file path it hands a handler it also
    leaves an empty temporary file in its cache (`File._process_single_file`)."""

    is_template = True

    def preprocess(self, payload: Any) -> str | None:
        if payload is None:
            return None
        paths = [Path(item.path) for item in getattr(payload, "root", [payload])]
        if len(paths) != 1 or paths[0].suffix.lower() not in SET_SUFFIXES:
            for path in paths:
                delete_upload(path)
            raise gr.Error(f"Upload one {', '.join(SET_SUFFIXES)} file; the file was not kept.")
        return str(paths[0])


def load_chosen_sets(assistant: Assistant, choice: str | None, upload: str | None) -> list[EvalSet]:
    """The sets to run: the uploaded file when there is one, else the chosen built-in set(s)."""
    known = {p.ref for p in assistant.passages}
    if upload:
        path = Path(upload)
        if path.suffix.lower() not in SET_SUFFIXES:
            raise EvalSetError(f"'{path.name}' is not a YAML or CSV file. Upload a .yaml, .yml or .csv set.")
        if path.stat().st_size > MAX_SET_BYTES:
            raise EvalSetError(f"'{path.name}' is larger than {MAX_SET_BYTES:,} bytes. Split it into smaller sets.")
        return [read_eval_set(path, known, name=path.name)]
    paths = built_in_set_paths()
    if choice and choice != ALL_BUILT_IN:
        if choice not in BUILT_IN_SETS:
            raise EvalSetError(f"'{choice}' is not a built-in set; pick one from the list.")
        paths = [p for p in paths if p.stem == choice]
    return [read_eval_set(path, known) for path in paths]


def headline_table(results: RunResults) -> tuple[list[str], list[list[str]]]:
    labels = {key: label for key, label, _ in METRICS}
    header = ["set", "items", *(labels[k] for k in HEADLINE), *(f"{b} hit@5" for b in results.baselines)]
    rows = []
    groups = [(name, s.metrics, name) for name, s in results.sets.items()]
    if len(groups) > 1:
        groups.append(("all sets", results.overall, ""))
    for name, m, set_name in groups:
        baseline_cells = [
            fmt((b.sets[set_name] if set_name else b.overall).hit_at["5"], interval=False)
            if (not set_name or set_name in b.sets) else "–"
            for b in results.baselines.values()
        ]
        rows.append([name, str(m.items), *(fmt(figure(m, k), interval=False) for k in HEADLINE), *baseline_cells])
    return header, rows


def item_rows(results: RunResults) -> list[list[str]]:
    return [
        [r.set, r.id, r.kind, r.question[:300], ", ".join(r.expected_refs), ", ".join(r.cited_refs),
         "passed" if r.passed else str(r.failure_class)]
        for r in results.items
    ]


def summary_text(results: RunResults) -> str:
    m = results.overall
    failures = ", ".join(f"{count} {name}" for name, count in m.failure_classes.items() if count) or "none"
    return (
        f"**{m.items} items** from {len(results.sets)} set(s): pass rate {fmt(m.pass_rate)}, hit@5 {fmt(m.hit_at['5'])}, "
        f"grounding {fmt(m.grounding)}. Failures: {failures}. Brackets are 95 % bootstrap intervals. "
        "Download the report for every figure, the plots and each item's answer."
    )


def _scrubbed(results: RunResults, vocabulary: frozenset[str]) -> RunResults:
    """An uploaded set may hold real case details: its questions go to disk only with identifiers replaced."""
    items = [
        r.model_copy(update={"question": scrub_stored(r.question, vocabulary),
                             "history": scrub_stored(r.history, vocabulary) if r.history else None})
        for r in results.items
    ]
    return results.model_copy(update={"items": items})


def run_evaluation(
    assistant: Assistant, choice: str | None, upload: str | None, baselines: bool, folders: ReportFolders,
    progress: Callable[[int, int, str], None] | None = None,
) -> Outcome:
    """(message, headline table, item table, report files, cleared upload). Errors become the message."""
    import pandas as pd

    upload_path = Path(upload) if upload else None
    try:
        sets = load_chosen_sets(assistant, choice, upload)
        results = run_sets(assistant, sets, progress, baselines=baselines)
        if upload_path:
            results = _scrubbed(results, guidance_vocabulary(assistant.passages))
        paths = write_report(results, folders.fresh())
    except AssistantError as exc:
        return f"**Could not run the evaluation:** {exc}", None, None, [], None
    finally:
        if upload_path:  # uploads never outlive a run
            delete_upload(upload_path)
    header, rows = headline_table(results)
    items = pd.DataFrame(item_rows(results), columns=ITEM_COLUMNS)
    return summary_text(results), pd.DataFrame(rows, columns=header), items, [str(p) for p in paths.values()], None


def render(assistant: Assistant) -> None:
    """Build the Evaluate tab's contents; call inside `with gr.Tab(...)`."""
    folders = ReportFolders()
    gr.Markdown(
        "Run an evaluation set and see how well the assistant answers it: retrieval (hit@k, MRR), citations, "
        "grounding, abstention and, for scenarios, key points and decisions. Pick a built-in set or upload "
        "your own YAML or CSV set (columns `question`, `expected_refs`, `kind`; see `evals/template.csv`). "
        "Uploaded files are deleted after the run."
    )
    with gr.Row():
        choice = ChoiceDropdown([ALL_BUILT_IN, *BUILT_IN_SETS], value=ALL_BUILT_IN, label="Built-in set", elem_id="eval-set")
        upload = SetUpload(label=f"Or upload a set (.yaml, .yml, .csv; up to {MAX_SET_BYTES // 1_000_000} MB)",
                           file_types=list(SET_SUFFIXES), type="filepath", elem_id="eval-upload")
    baselines = gr.Checkbox(value=True, label="Also run the baseline retrievers (stock LlamaIndex, BM25) on the same items",
                            elem_id="eval-baselines")
    start = gr.Button("Run evaluation", variant="primary", elem_id="eval-run")
    message = gr.Markdown(elem_id="eval-message")
    headline = gr.Dataframe(label="Headline figures", interactive=False, wrap=True, elem_id="eval-headline")
    items = gr.Dataframe(label="Items", interactive=False, wrap=True, max_height=600, elem_id="eval-items")
    report = gr.File(label="Report: HTML, JSON, CSV", file_count="multiple", interactive=False, elem_id="eval-report")

    def on_run(choice_value: str | None, upload_value: str | None, with_baselines: bool,
               progress: gr.Progress = gr.Progress()) -> Outcome:  # noqa: B008 - Gradio injects progress this way
        def advance(done: int, total: int, label: str) -> None:
            progress((done, total), desc=f"Evaluating: {label}")

        return run_evaluation(assistant, choice_value, upload_value, with_baselines, folders, advance)

    start.click(on_run, inputs=[choice, upload, baselines], outputs=[message, headline, items, report, upload],
                api_name="evaluate", concurrency_limit=1)
