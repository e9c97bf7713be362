"""Command line: `assistant index | ask | search | passages | eval | serve | chroma-guard | clarity | decide`.

Library errors become one clear line on stderr and a non-zero exit code; there is never
a traceback for an expected problem. Questions are never written to disk or logs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from assistant.cli_serve import chroma_guard, serve
from assistant.cli_support import emit as _emit
from assistant.cli_support import friendly
from assistant.errors import QuestionError
from assistant.search.model import quiet_environment


def _settings(index_dir: str | None, corpus_dir: str | None) -> Any:
    from assistant.settings import Settings

    settings = Settings()
    if index_dir:
        settings.paths.index_dir = Path(index_dir)
    if corpus_dir:
        settings.paths.corpus_dir = Path(corpus_dir)
    return settings


def _load(ctx: click.Context, progress: bool = True) -> Any:
    from assistant.api import Assistant

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
@click.option("--verify", is_flag=True, help="Hash every index, encoder and model file against its checksum; exit 5 (4: model).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.pass_context
@friendly
def index(ctx: click.Context, rebuild: bool, verify: bool, as_json: bool) -> None:
    """Build the index (Chroma + BM25) if it is missing or stale, or check every file of it (--verify)."""
    from assistant.search.index import build_index, open_index, stderr_log
    from assistant.search.model import MiniLM

    settings = ctx.obj["settings"]
    model = MiniLM()
    if rebuild:
        build_index(settings, model)
    if verify:
        from assistant.search.integrity import raise_for_problems, summary_lines, verify_index

        report = verify_index(settings, model.model_id)
        _emit(report) if as_json else click.echo("\n".join(summary_lines(report)))
        return raise_for_problems(report)
    loaded = open_index(settings, model)
    model.query_encoder(loaded.path, stderr_log)  # checked, and exported again if damaged
    summary = {"index": str(loaded.path), "passages": len(loaded.passages), **loaded.fingerprint.model_dump()}
    _emit(summary) if as_json else click.echo(f"Index {loaded.path}: {len(loaded.passages)} passages, up to date.")


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
    from assistant.api import clean_question

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
    """One JSON object out per line in; a line that cannot be answered gets {"line", "error"} and the batch goes on."""
    from assistant.inputs import batch_lines, batch_question

    assistant = _load(ctx)
    failures = 0
    for number, line in batch_lines(sys.stdin):
        try:
            question, history = batch_question(line)
            _emit(assistant.ask(question, history=history).model_dump(mode="json"))
        except QuestionError as exc:
            failures += 1
            _emit({"line": number, "error": str(exc)})
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
         "question": round(h.question, 4), "dense": round(h.dense, 4), "sentence": round(h.sentence, 4),
         "lexical": round(h.lexical, 4)}
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
    from assistant.corpus.loader import load_passages

    found = load_passages(ctx.obj["settings"].paths.corpus_dir)
    if as_json:
        _emit([p.model_dump(mode="json") for p in found])
    else:
        for p in found:
            click.echo(f"{p.doc:16} {p.ref}")


@cli.command(name="eval")
@click.argument("sets", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the whole results document (as results.json) instead.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Write report.html, results.json and results.csv into this folder.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="An earlier results.json: list newly failing and newly passing items, exit 7 on a regression.")
@click.option("--margin", default=0.02, show_default=True, type=click.FloatRange(0, 1),
              help="With --baseline: the largest drop of a headline figure that is not a regression.")
@click.option("--no-baseline-retrievers", "skip_baselines", is_flag=True,
              help="Skip the stock LlamaIndex and BM25 retrievers run for comparison (faster).")
@click.pass_context
@friendly
def evaluate(ctx: click.Context, sets: tuple[str, ...], as_json: bool, report_dir: str | None,
             baseline_file: str | None, margin: float, skip_baselines: bool) -> None:
    """Run evaluation sets and print their figures (default: the built-in sets in evals/).

    SET is a YAML or CSV file (evals/SCHEMA.md). Per set: hit@1/3/5, MRR, out-of-scope
    abstention and false abstention, then nDCG@10, citation precision and recall,
    citation validity, grounding, modal fidelity, key points, forbidden claims, decisions
    and the failure classes; then the baseline retrievers on the same items. Offline and
    deterministic. Exit codes: 6 a set or the --baseline file cannot be used; 7 a headline
    figure dropped by more than --margin against --baseline.
    """
    from tqdm import tqdm

    from assistant.evaluation.regression import REGRESSION_EXIT_CODE, compare
    from assistant.evaluation.report import summary_lines, write_report
    from assistant.evaluation.results import load_results, results_json
    from assistant.evaluation.run import run_sets
    from assistant.evaluation.sets import built_in_set_paths, read_eval_set

    paths = [Path(s) for s in sets] or built_in_set_paths()
    for path in paths:  # fail fast on a malformed set, before the model loads
        read_eval_set(path)
    earlier = load_results(Path(baseline_file)) if baseline_file else None
    assistant = _load(ctx, progress=False)
    known = {p.ref for p in assistant.passages}
    eval_sets = [read_eval_set(path, known, stale_ok=earlier is not None) for path in paths]
    with tqdm(total=0, file=sys.stderr, unit="item", leave=False, dynamic_ncols=True) as bar:

        def advance(done: int, total: int, label: str) -> None:
            bar.total = total
            bar.set_description(label, refresh=False)
            bar.update(done - bar.n)

        results = run_sets(assistant, eval_sets, advance, baselines=not skip_baselines)
    if earlier is not None and baseline_file:
        results.regression = compare(results, earlier, known, Path(baseline_file).name, margin)
    if report_dir:
        click.echo(f"Report: {write_report(results, Path(report_dir))['html']}", err=True)
    if as_json:
        click.echo(results_json(results), nl=False)
    else:
        for line in summary_lines(results):
            click.echo(line)
    if results.regression and results.regression.regressed:
        sys.exit(REGRESSION_EXIT_CODE)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the whole report (and any comparison or evaluation) as JSON.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Write report.html, clarity.csv, clarity.json here.")
@click.option("--compare", "other", type=click.Path(), help="Another version: a corpus folder or a guidance text file.")
@click.option("--usage", type=click.Path(dir_okay=False),
              help="results.json of an `assistant eval` run: weak retrieval per passage.")
@click.option("--evaluate", "labels", type=click.Path(dir_okay=False), help="Labelled set: precision and recall of 'unclear'.")
@click.option("--with-retrieval", is_flag=True, help="Also map feedback to passages by retrieval (loads the model).")
@click.option("--top", default=15, show_default=True, help="Passages to list (text output).")
@click.pass_context
@friendly
def clarity(ctx: click.Context, as_json: bool, report_dir: str | None, other: str | None, usage: str | None,
            labels: str | None, with_retrieval: bool, top: int) -> None:
    """Clarity report for policy teams: passages ranked most unclear first, with the words
    that triggered each flag and a question for the drafter.

    Deterministic and offline by default (no model). OTHER for --compare is a corpus folder
    with a manifest.yaml, or a guidance text file in the draft's layout.
    """
    from assistant.clarity.build import build_report, version_analyser
    from assistant.clarity.compare import compare
    from assistant.clarity.labels import evaluate, load_labels
    from assistant.clarity.report import write_report

    corpus_dir = ctx.obj["settings"].paths.corpus_dir
    assistant = _load(ctx, progress=False) if with_retrieval else None
    report = build_report(corpus_dir, assistant, Path(usage) if usage else None)
    diff = compare(report, Path(other), corpus_dir, version_analyser(corpus_dir)) if other else None
    scores = evaluate(report, load_labels(Path(labels), {e.ref for e in report.entries})) if labels else None
    written = write_report(report, Path(report_dir), diff) if report_dir else []
    if as_json:
        data = report.model_dump(mode="json")
        if diff:
            data["compare"] = diff.model_dump(mode="json", exclude={"other_report"})
        if scores:
            data["evaluation"] = scores.model_dump(mode="json")
        _emit(data)
        return
    for entry in report.entries[:top]:
        worst = [f for f in entry.flags if f.weight][:3]
        click.echo(f"{entry.rank:3}. {entry.score:5.1f} {entry.severity:6} {entry.ref}")
        for flag in worst:
            click.echo(f"       {flag.category}/{flag.rule}: {flag.trigger or '-'!r}: {flag.explanation}")
    if diff:
        click.echo(f"Against {other}: {len(diff.resolved)} flags resolved, {len(diff.new)} new, "
                   f"{len(diff.passages)} passages changed, added or removed.")
    if scores:
        o = scores.overall
        click.echo(f"Labelled set ({scores.labelled} passages, {scores.unclear} unclear): precision {o.precision:.3f} "
                   f"recall {o.recall:.3f}; " + "; ".join(f"{c} P {m.precision:.3f} R {m.recall:.3f}"
                                                         for c, m in scores.by_category.items()))
    for path in written:
        click.echo(f"Wrote {path}")


@cli.command()
@click.option("--answers", "answer_files", multiple=True, required=True, metavar="FILE.yaml",
              help="Answers to the steps (YAML or JSON; see tests/fixtures/decide/). Repeat for a batch.")
@click.option("--json", "as_json", is_flag=True, help="Print each decision record as JSON, one object per line.")
@click.option("--out", "out", type=click.Path(), help="Write the record here (.md, or .html for the printable page); "
              "with several --answers, a folder that gets one FILE.md per answers file.")
@click.pass_context
@friendly
def decide(ctx: click.Context, answer_files: tuple[str, ...], as_json: bool, out: str | None) -> None:
    """Walk the s16LA tests with the answers in FILE.yaml to a decision record (para 27).

    The outcome (share, share with mitigation, withhold specific details, not under this duty,
    or unsure: ask) follows from the answers, and the record shows which answers led to it,
    each test with its rationale and the guidance relied on, verbatim. Personal details in free
    text are replaced before the record is made. No model or index is needed. Exit code 11:
    an answers file cannot be used (the message names the file, the step and the field).
    """
    from assistant.decide import Decider
    from assistant.decide.record import record_files, write_records

    paths = [Path(name) for name in answer_files]
    target = Path(out) if out else None
    record_files(paths, target)  # a bad --out is refused before any answers file is read
    decider = Decider.from_corpus(ctx.obj["settings"].paths.corpus_dir)
    records = [(path, decider.decide_file(path)) for path in paths]  # every file checked before anything is written
    for _, record in records:
        if as_json:
            _emit(record.model_dump(mode="json") | {"outcome_kind": record.outcome.kind, "cited_refs": record.cited_refs})
        elif target is None:
            click.echo(record.markdown())
    for file in write_records(records, target):
        click.echo(f"Wrote {file}", err=True)


cli.add_command(serve)
cli.add_command(chroma_guard)


def main() -> None:
    cli(prog_name="assistant")
