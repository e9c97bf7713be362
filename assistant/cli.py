"""Command line: `assistant index | ask | search | passages | eval | serve`.

Library errors become one clear line on stderr and a non-zero exit code; there is never
a traceback for an expected problem. Questions are never written to disk or logs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from .embedding import quiet_environment
from .errors import AssistantError, QuestionError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INTERRUPTED = 130


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


def friendly(func: F) -> F:
    """Turn library errors into a message and exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssistantError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


def _settings(index_dir: str | None, corpus_dir: str | None) -> Any:
    from .settings import Settings

    settings = Settings()
    if index_dir:
        settings.paths.index_dir = Path(index_dir)
    if corpus_dir:
        settings.paths.corpus_dir = Path(corpus_dir)
    return settings


def _load(ctx: click.Context, progress: bool = True) -> Any:
    from .api import Assistant

    return Assistant.load(ctx.obj["settings"], progress=progress)


@click.group()
@click.option("--index-dir", type=click.Path(file_okay=False), help="Index folder (default: ./index).")
@click.option("--corpus-dir", type=click.Path(file_okay=False), help="Corpus folder (default: ./corpus).")
@click.pass_context
def cli(ctx: click.Context, index_dir: str | None, corpus_dir: str | None) -> None:
    """Guidance assistant for the Information Sharing Duty (s16LA Children Act 2004).

    Answers come verbatim from the draft statutory guidance (consultation, June 2026),
    with paragraph references. This is not legal advice.
    """
    quiet_environment()
    ctx.obj = {"settings": _settings(index_dir, corpus_dir)}


@cli.command()
@click.option("--rebuild", is_flag=True, help="Rebuild even when the index is up to date.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.pass_context
@friendly
def index(ctx: click.Context, rebuild: bool, as_json: bool) -> None:
    """Build the index (Chroma + BM25) if it is missing or stale."""
    from .embedding import load_embedder
    from .index import build_index, open_index

    settings = ctx.obj["settings"]
    embedder = load_embedder()
    if rebuild:
        build_index(settings, embedder)
    loaded = open_index(settings, embedder)
    summary = {"index": str(loaded.path), "passages": len(loaded.passages), **loaded.fingerprint.model_dump()}
    _emit(summary) if as_json else click.echo(f"Index {loaded.path}: {len(loaded.passages)} passages, up to date.")


def _read_batch(stream: Any) -> list[tuple[int, str | bytes]]:
    lines = []
    for number, raw in enumerate(stream.buffer if hasattr(stream, "buffer") else stream, 1):
        line = raw.rstrip(b"\r\n") if isinstance(raw, bytes) else raw.rstrip("\r\n")
        if line.strip():
            lines.append((number, line))
    return lines


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (the `ask` contract).")
@click.option("--history", multiple=True, help="An earlier question in this conversation (repeatable, oldest first).")
@click.pass_context
@friendly
def ask(ctx: click.Context, question: str, as_json: bool, history: tuple[str, ...]) -> None:
    """Answer QUESTION from the guidance, citing paragraphs.

    With QUESTION "-" and --json, read one question per line from stdin and print one
    JSON object per line; the model loads once. A line may also be a JSON object
    {"question": "...", "history": ["..."]}.
    """
    from .api import clean_question

    settings = ctx.obj["settings"]
    if question == "-":
        if not as_json:
            raise QuestionError("Batch mode reads stdin and needs --json: assistant ask --json -")
        return _ask_batch(ctx)
    clean_question(question, settings.answer.max_question_chars)  # fail fast, before the model loads
    answer = _load(ctx).ask(question, history=list(history) or None)
    if as_json:
        _emit(answer.model_dump(mode="json"))
    else:
        click.echo(answer.answer)


def _ask_batch(ctx: click.Context) -> None:
    assistant = _load(ctx)
    failures = 0
    for number, line in _read_batch(sys.stdin):
        try:
            question: str | bytes = line
            history = None
            if isinstance(line, bytes) and line.lstrip().startswith(b"{"):
                record = json.loads(line)
                question, history = record.get("question", ""), record.get("history")
            _emit(assistant.ask(question, history=history).model_dump(mode="json"))
        except (QuestionError, json.JSONDecodeError, AttributeError) as exc:
            failures += 1
            message = str(exc) if isinstance(exc, QuestionError) else "not a question or a JSON object"
            _emit({"line": number, "error": message})
    if failures:
        sys.exit(QuestionError.exit_code)


@cli.command()
@click.argument("query")
@click.option("-k", "--top", default=10, show_default=True, help="How many passages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@friendly
def search(ctx: click.Context, query: str, top: int, as_json: bool) -> None:
    """Ranked passages for QUERY, with their scores."""
    hits = _load(ctx).search(query, k=top)
    rows = [
        {"doc": h.passage.doc, "ref": h.passage.ref, "label": h.passage.label, "score": round(h.score, 4),
         "dense": round(h.dense, 4), "sentence": round(h.sentence, 4), "lexical": round(h.lexical, 4)}
        for h in hits
    ]
    if as_json:
        _emit(rows)
    else:
        for rank, row in enumerate(rows, 1):
            click.echo(f"{rank:2}. {row['score']:.3f}  {row['ref']}  ({row['doc']})")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print every passage as JSON.")
@click.pass_context
@friendly
def passages(ctx: click.Context, as_json: bool) -> None:
    """List every passage of the corpus: doc, ref, label, heading, text."""
    from .corpus import load_passages

    found = load_passages(ctx.obj["settings"].paths.corpus_dir)
    if as_json:
        _emit([p.model_dump(mode="json") for p in found])
    else:
        for p in found:
            click.echo(f"{p.doc:16} {p.ref}")


@cli.command(name="eval")
@click.argument("sets", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@friendly
def evaluate(ctx: click.Context, sets: tuple[str, ...], as_json: bool) -> None:
    """Dev-set figures: hit@1/3/5, MRR, out-of-scope abstention, false abstention."""
    from functools import partial

    from .evaluate import ask_item, figures, load_eval_set, run_eval

    assistant = _load(ctx, progress=False)
    known = {p.ref for p in assistant.passages}
    paths = [Path(s) for s in sets] or [Path("evals/dev.yaml")]
    report = {}
    for path in paths:
        items = load_eval_set(path, known)
        results = run_eval(partial(ask_item, assistant), items)
        report[str(path)] = figures(results).model_dump()
    if as_json:
        _emit(report)
    else:
        for name, fig in report.items():
            hit = fig["hit_at"]
            click.echo(
                f"{name}: n={fig['in_scope']}+{fig['out_of_scope']} hit@1={hit['1']:.3f} hit@3={hit['3']:.3f} "
                f"hit@5={hit['5']:.3f} mrr={fig['mrr']:.3f} oos_abstention={fig['oos_abstention']:.3f} "
                f"false_abstention={fig['false_abstention']:.3f}"
            )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback unless you say so.")
@click.option("--port", default=7860, show_default=True, type=int)
@click.pass_context
@friendly
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Start the browser chat (Gradio) on HOST:PORT."""
    from .ui import launch

    launch(_load(ctx), host=host, port=port)


def main() -> None:
    cli(prog_name="assistant")
