"""Clarity report output: clarity.json, clarity.csv (one row per flag) and a self-contained report.html
(heat map of chapters × categories as an embedded PNG, then the ranked passages with their
triggering words highlighted). Nothing in the HTML loads from the network."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from assistant.clarity.compare import VersionDiff
from assistant.clarity.models import CATEGORIES, ClarityReport, Entry
from assistant.errors import ClarityError
from assistant.spreadsheet import csv_text

CSV_COLUMNS = ("rank", "ref", "label", "chapter", "category", "rule", "trigger", "severity", "score",
               "explanation", "question", "source", "see_also")
CHAPTERS = ("front", "1", "2", "3", "4", "5")


def report_json(report: ClarityReport, diff: VersionDiff | None = None) -> str:
    data = report.model_dump(mode="json")
    if diff is not None:
        data["compare"] = diff.model_dump(mode="json", exclude={"other_report"})
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def report_csv(report: ClarityReport) -> str:
    return csv_text(CSV_COLUMNS, (
        (e.rank, e.ref, e.label, e.chapter, f.category, f.rule, f.trigger, f.severity, e.score,
         f.explanation, f.question, f.source, f.see_also)
        for e in report.entries for f in e.flags
    ))


def heat_values(report: ClarityReport) -> list[list[float]]:
    """Summed flag weights per chapter (rows, CHAPTERS order) and category (columns, CATEGORIES order)."""
    values = [[0.0 for _ in CATEGORIES] for _ in CHAPTERS]
    for e in report.entries:
        row = CHAPTERS.index(e.chapter) if e.chapter in CHAPTERS else 0
        for f in e.flags:
            values[row][CATEGORIES.index(f.category)] += f.weight
    return values


def heat_map_png(report: ClarityReport) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = heat_values(report)
    fig, ax = plt.subplots(figsize=(7.5, 3.6), dpi=110)
    image = ax.imshow(values, cmap="OrRd", aspect="auto")
    ax.set_xticks(range(len(CATEGORIES)), [c.capitalize() for c in CATEGORIES])
    ax.set_yticks(range(len(CHAPTERS)), ["Front matter" if c == "front" else f"Chapter {c}" for c in CHAPTERS])
    top = max(max(row) for row in values) or 1
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            ax.text(j, i, f"{value:g}", ha="center", va="center", color="white" if value > top * 0.6 else "black")
    ax.set_title("Weighted flags by chapter and category (low 1, medium 2, high 3)", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def highlight(entry: Entry) -> str:
    """The passage text, HTML-escaped, with each flag's exact trigger words wrapped in <mark>."""
    text = entry.text
    spans: list[tuple[int, int, str, str]] = []
    for flag in entry.flags:
        if not flag.trigger:
            continue
        start = text.find(flag.trigger)
        while start >= 0:
            spans.append((start, start + len(flag.trigger), flag.category, flag.rule))
            start = text.find(flag.trigger, start + len(flag.trigger))
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out, cursor = [], 0
    for start, end, category, rule in spans:
        if start < cursor:
            continue  # overlaps a longer trigger already marked
        out.append(html.escape(text[cursor:start]))
        out.append(f'<mark class="c-{category}" title="{html.escape(category)}: {html.escape(rule)}">'
                   f"{html.escape(text[start:end])}</mark>")
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


PAGE_STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#1d1d1d;
line-height:1.45}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}table{border-collapse:collapse;width:100%;font-size:.88rem}
td,th{border:1px solid #ccc;padding:.3rem .45rem;vertical-align:top;text-align:left}th{background:#f2f2f2}
.key span{padding:0 .4rem;margin-right:.5rem}td.pre{white-space:pre-wrap}
"""
# Scoped to .entry so the UI tab can use it without restyling the rest of the page.
ENTRY_STYLE = """.entry{border:1px solid #bbb;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.entry table{border-collapse:collapse;width:100%;font-size:.88rem}
.entry td,.entry th{border:1px solid #ccc;padding:.3rem .45rem;vertical-align:top;text-align:left}
.entry h3{margin:.1rem 0 .4rem;font-size:1.05rem}.meta{color:#555;font-size:.85rem}
.entry .text{white-space:pre-wrap;border-left:3px solid #999;padding:.5rem .8rem;margin:.6rem 0}
.sev-high{color:#a00;font-weight:bold}.sev-medium{color:#b65c00}.sev-low{color:#555}.sev-info{color:#888}
mark.c-language{background:#ffe08a}mark.c-structure{background:#ffb3b3}mark.c-consistency{background:#c7b8ff}
mark.c-feedback{background:#a8e6cf}mark.c-usage{background:#9fd3ff}mark{color:#111}
"""

ENTRIES_TEMPLATE = """{% for e in entries %}{% if e.flags %}
<div class="entry" id="{{ e.ref }}"><h3>{{ e.rank }}. {{ e.label }} <span class="meta">({{ e.ref }})</span></h3>
<div class="meta">Chapter {{ e.chapter }} · score {{ e.score|round(1) }} · worst flag
<span class="sev-{{ e.severity }}">{{ e.severity }}</span> · {{ 'unclear' if e.unclear else 'not marked unclear' }} ·
readability grade {{ e.readability.grade }} · longest sentence {{ e.readability.longest_sentence }} words</div>
<div class="text">{{ highlighted[e.ref] }}</div>
<table><tr><th>Category</th><th>Rule</th><th>Trigger</th><th>Severity</th><th>Why</th><th>Question for the drafter</th></tr>
{% for f in e.flags %}<tr><td>{{ f.category }}</td><td>{{ f.rule }}</td><td>{{ f.trigger }}</td>
<td class="sev-{{ f.severity }}">{{ f.severity }}</td>
<td>{{ f.explanation }}{% if f.see_also %} <span class="meta">See: {{ f.see_also|join(', ') }}.</span>{% endif %}
{% if f.source %}<br><span class="meta">Source: {{ f.source }}</span>{% endif %}</td><td>{{ f.question }}</td></tr>{% endfor %}
</table></div>
{% endif %}{% endfor %}
"""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Clarity report: {{ report.corpus_version }}</title>
<style>
{{ style }}
</style></head><body>
<h1>Clarity report for policy teams</h1>
<p class="meta">{{ report.corpus_version }}<br>{{ report.entries|length }} passages analysed,
{{ flagged }} with flags, {{ unclear }} marked unclear (a language, structure or consistency score of
{{ report.threshold }} or more). Ranked most unclear first. This is draft guidance; the report points at wording,
it is not legal advice.</p>
{% if report.feedback_sources %}
<p class="meta">Consultation feedback from: {{ report.feedback_sources|join('; ') }}.</p>{% endif %}
{% if report.usage_file %}<p class="meta">Usage from the evaluation run {{ report.usage_file }}.</p>{% endif %}
<p class="key">Highlights: <span style="background:#ffe08a">language</span><span style="background:#ffb3b3">structure</span>
<span style="background:#c7b8ff">consistency</span><span style="background:#a8e6cf">feedback</span>
<span style="background:#9fd3ff">usage</span></p>
<h2>Where the flags are</h2>
<img alt="Heat map of weighted flags by chapter and category" src="data:image/png;base64,{{ heat_map }}" width="750">
{% if diff %}
<h2>Changes against {{ diff.other }}</h2>
<p>{{ diff.resolved|length }} flags resolved, {{ diff.new|length }} new, {{ diff.kept }} unchanged;
{{ diff.passages|length }} passages changed, added or removed.</p>
{% for title, changes in (("Resolved flags", diff.resolved), ("New flags", diff.new)) %}
<h3>{{ title }}</h3>{% if changes %}<table>
<tr><th>Ref</th><th>Category</th><th>Rule</th><th>Trigger</th><th>Severity</th><th>Explanation</th></tr>
{% for c in changes %}<tr><td>{{ c.ref }}</td><td>{{ c.flag.category }}</td><td>{{ c.flag.rule }}</td>
<td>{{ c.flag.trigger }}</td>
<td class="sev-{{ c.flag.severity }}">{{ c.flag.severity }}</td><td>{{ c.flag.explanation }}</td></tr>{% endfor %}</table>
{% else %}<p>None.</p>{% endif %}{% endfor %}
<h3>Passages</h3>{% if diff.passages %}<table><tr><th>Ref</th><th>Change</th><th>Before</th><th>After</th></tr>
{% for p in diff.passages %}<tr><td>{{ p.ref }}</td><td>{{ p.change }}</td>
<td class="pre">{{ p.before }}</td><td class="pre">{{ p.after }}</td></tr>{% endfor %}
</table>{% else %}<p>None.</p>{% endif %}
{% endif %}
<h2>Passages, most unclear first</h2>
{% include "entries.html" %}
</body></html>
"""


def _environment():  # type: ignore[no-untyped-def]
    from jinja2 import DictLoader, Environment

    return Environment(autoescape=True, loader=DictLoader({"report.html": TEMPLATE, "entries.html": ENTRIES_TEMPLATE}))


def entries_html(entries: list[Entry]) -> str:
    """The ranked entries alone (flags table and highlighted text), as the report and the UI tab show them."""
    from markupsafe import Markup

    return _environment().get_template("entries.html").render(
        entries=entries, highlighted={e.ref: Markup(highlight(e)) for e in entries}
    )


def report_html(report: ClarityReport, diff: VersionDiff | None = None) -> str:
    from markupsafe import Markup

    template = _environment().get_template("report.html")
    return template.render(
        style=Markup(PAGE_STYLE + ENTRY_STYLE), report=report, entries=report.entries, diff=diff,
        flagged=sum(1 for e in report.entries if e.flags), unclear=sum(1 for e in report.entries if e.unclear),
        heat_map=base64.b64encode(heat_map_png(report)).decode("ascii"),
        highlighted={e.ref: Markup(highlight(e)) for e in report.entries},
    )


def write_report(report: ClarityReport, folder: Path, diff: VersionDiff | None = None) -> list[Path]:
    """report.html, clarity.csv and clarity.json in `folder` (created if needed); returns the paths."""
    outputs = {
        "report.html": report_html(report, diff), "clarity.csv": report_csv(report), "clarity.json": report_json(report, diff),
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, content in outputs.items():
            path = folder / name
            temporary = path.with_suffix(path.suffix + ".tmp")
            temporary.write_text(content, encoding="utf-8")
            temporary.replace(path)  # a reader never sees a half-written file
            paths.append(path)
    except OSError as exc:
        raise ClarityError(f"cannot write the report to {folder} ({exc.strerror}). Choose a folder you can write to.") from None
    return paths
