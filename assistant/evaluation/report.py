"""The evaluation report folder: report.html (self-contained, offline), results.json, results.csv."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, select_autoescape

from assistant.evaluation import plots as eval_plots
from assistant.evaluation.metrics import Estimate, SetMetrics, figure
from assistant.evaluation.results import RunResults, results_csv, results_json

# (field, label, what it measures). The order is the report's and the UI's.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("hit@1", "hit@1", "an expected ref is the first citation"),
    ("hit@3", "hit@3", "an expected ref is among the first 3 citations"),
    ("hit@5", "hit@5", "an expected ref is among the first 5 citations"),
    ("mrr", "MRR", "mean of 1 / rank of the first expected ref (0 when not cited)"),
    ("ndcg_at_10", "nDCG@10", "ranking quality of the first 10 passages, every expected ref relevant"),
    ("citation_precision", "citation precision", "share of the refs an answer quotes that are expected"),
    ("citation_recall", "citation recall", "share of the expected refs an answer quotes"),
    ("citation_validity", "citation validity", "answers whose every cited ref exists in the corpus"),
    ("grounding", "grounding", "answer sentences found verbatim in the passage they cite"),
    ("modal_fidelity", "modal fidelity", "answer sentences keeping the must / should / may of their source"),
    ("key_point_recall", "key-point recall", "key-point patterns the quoted sentences match"),
    ("key_quoted", "key quoted", "items whose answer quotes one of the verbatim fragments that settle it"),
    ("followup_key_quoted", "follow-ups: key quoted", "follow-up items whose answer quotes one of their key fragments"),
    ("forbidden_claims", "forbidden claims", "items whose answer matches a forbidden pattern (lower is better)"),
    ("decision_accuracy", "decision accuracy", "scenarios whose answer supports the expected decision"),
    ("urgent_accuracy", "urgent notice", "items showing (or not) the urgent notice as expected"),
    ("urgent_recall", "urgent notice on disclosures", "items that need the urgent notice and show it"),
    ("urgent_false_alarms", "urgent false alarms", "items that must not show the urgent notice but do (lower is better)"),
    ("oos_abstention", "out-of-scope abstention", "out-of-scope items the assistant abstains on"),
    ("false_abstention", "false abstention", "in-scope items it abstains on or refuses (lower is better)"),
    ("invalid_input_refusal", "invalid input refused", "invalid inputs refused with a clear message"),
    ("pass_rate", "pass rate", "items that pass every check that applies to them"),
)
RETRIEVAL_METRICS = (("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("mrr", "MRR"), ("ndcg_at_10", "nDCG@10"))


def fmt(est: Estimate | None, interval: bool = True) -> str:
    if est is None or est.value is None:
        return "–"
    if not interval or est.low is None:
        return f"{est.value:.3f}"
    return f"{est.value:.3f} [{est.low:.2f}–{est.high:.2f}]"


def answer_body(answer: str) -> str:
    """The answer without its fixed footer (sources list, notice, corpus line)."""
    lines = []
    for line in answer.splitlines():
        if line.startswith(("**Sources:**", "**Nearest passages:**")):
            break
        if line.strip():
            lines.append(line.removeprefix("> "))
    return "\n".join(lines)


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Evaluation report – Information Sharing Duty guidance assistant</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1400px}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}
.fail{background:#fff3f3}.pass{background:#f3fff3}.worse{color:#b00020;font-weight:bold}
.muted{color:#666;font-size:.85rem}pre{white-space:pre-wrap;margin:0;font-family:inherit}
img{max-width:100%;border:1px solid #ddd;margin:.5rem 1rem .5rem 0}
table.items{width:100%}table.items td:nth-child(3){width:24%}table.items td:nth-child(8){width:32%}
</style></head><body>
<h1>Evaluation report</h1>
<p>Corpus: {{ r.corpus_version }}<br>Sets: {% for name, s in r.sets.items() %}<b>{{ name }}</b> ({{ s.source }},
{{ s.metrics.items }} items){% if not loop.last %}; {% endif %}{% endfor %}<br>
<span class="muted">Run started {{ r.timing.get('started', '–') }}, {{ r.timing.get('seconds_total', '–') }} s.
Figures are deterministic; brackets give 95 % bootstrap intervals (items resampled, fixed seed).</span></p>

{% if r.regression %}{% set c = r.regression %}
<h2>Compared with {{ c.baseline }}</h2>
<p><b class="{{ 'worse' if c.regressed else '' }}">{{ 'Regression: a headline figure dropped by more than '
 ~ c.margin ~ '.' if c.regressed else 'No headline figure dropped by more than ' ~ c.margin ~ '.' }}</b>
 {{ c.compared_items }} items compared.</p>
<table><tr><th>set</th><th>metric</th><th>before</th><th>now</th><th>change</th></tr>
{% for m in c.metric_changes %}<tr class="{{ 'fail' if m.worse else '' }}"><td>{{ m.set }}</td><td>{{ m.metric }}</td>
<td class="num">{{ '%.3f'|format(m.before) }}</td><td class="num">{{ '%.3f'|format(m.after) }}</td>
<td class="num {{ 'worse' if m.worse else '' }}">{{ '%+.3f'|format(m.change) }}</td></tr>{% endfor %}</table>
<p>Newly failing: {% for i in c.newly_failing %}{{ i.set }}/{{ i.id }} ({{ i.after }}){% if not loop.last %}, {% endif %}
{% else %}none{% endfor %}<br>Newly passing: {% for i in c.newly_passing %}{{ i.set }}/{{ i.id }}{% if not loop.last %},
{% endif %}{% else %}none{% endfor %}</p>
{% if c.stale_gold %}<p><b>Stale gold</b> (expected refs no longer in the corpus; fix the set, not counted as regressions):
{% for s in c.stale_gold %}{{ s.set }}/{{ s.id }}: {{ s.missing_refs|join(', ') }}{% if not loop.last %}; {% endif %}
{% endfor %}</p>{% endif %}
{% endif %}

<h2>Headline figures</h2>
<table><tr><th>metric</th>{% for name, _ in columns %}<th>{{ name }}</th>{% endfor %}</tr>
{% for key, label, what in metrics %}<tr><td title="{{ what }}">{{ label }}<br><span class="muted">{{ what }}</span></td>
{% for _, m in columns %}<td class="num">{{ fmt(metric(m, key)) }}</td>{% endfor %}</tr>{% endfor %}
<tr><td>failure classes</td>{% for _, m in columns %}<td class="num">{% for k, v in m.failure_classes.items()
 if v %}{{ k }}: {{ v }}<br>{% endfor %}</td>{% endfor %}</tr></table>

{% if r.baselines %}<h2>Baselines on the same in-scope items</h2>
<ul class="muted">{% for name, b in r.baselines.items() %}<li><b>{{ labels.get(name, name) }}</b>: {{ b.description }}</li>
{% endfor %}</ul>
<table><tr><th>set</th><th>retriever</th>{% for m, label in retrieval %}<th>{{ label }}</th>{% endfor %}</tr>
{% for name, s in r.sets.items() %}{% if s.metrics.in_scope %}
<tr><td rowspan="{{ 1 + r.baselines|length }}">{{ name }}</td><td>this assistant</td>{% for m, _ in retrieval %}
<td class="num">{{ fmt(metric(s.metrics, m)) }}</td>{% endfor %}</tr>
{% for bname, b in r.baselines.items() %}<tr><td>{{ labels.get(bname, bname) }}</td>{% for m, _ in retrieval %}
<td class="num">{{ fmt(metric(b.sets[name], m)) if name in b.sets else '–' }}</td>{% endfor %}</tr>{% endfor %}
{% endif %}{% endfor %}</table>{% endif %}

<h2>Plots</h2>
<img alt="Recall at k for this assistant and the baselines" src="data:image/png;base64,{{ plots.recall }}">
<img alt="hit@5 and pass rate per chapter" src="data:image/png;base64,{{ plots.chapters }}">
<img alt="Outcome per set" src="data:image/png;base64,{{ plots.outcomes }}">

<h2>Per chapter (all sets)</h2>
<table><tr><th>chapter</th><th>items</th><th>hit@5</th><th>MRR</th><th>grounding</th><th>pass rate</th></tr>
{% for name, m in chapters %}<tr><td>{{ name }}</td><td class="num">{{ m.items }}</td>
<td class="num">{{ fmt(m.hit_at['5']) }}</td><td class="num">{{ fmt(m.mrr) }}</td><td class="num">{{ fmt(m.grounding) }}</td>
<td class="num">{{ fmt(m.pass_rate) }}</td></tr>{% endfor %}</table>

<h2>Items</h2>
<p class="muted">Quoted refs are in bold. Rank: where the first expected ref appears among the citations
{% if r.baselines %}(and in each baseline's top 10){% endif %}.</p>
<table class="items"><tr><th>set / id</th><th>kind</th><th>question</th><th>expected refs</th><th>cited refs</th><th>rank</th>
<th>result</th><th>answer</th></tr>
{% for i in r.items %}<tr class="{{ 'pass' if i.passed else 'fail' }}"><td>{{ i.set }}<br><b>{{ i.id }}</b></td>
<td>{{ i.kind }}{% if i.chapter %}<br>ch. {{ i.chapter }}{% endif %}{% if i.role %}<br>{{ i.role }}{% endif %}
{% if i.split %}<br><span class="muted">{{ i.split }} split</span>{% endif %}</td>
<td>{% if i.history %}<span class="muted">after: {{ i.history }}</span><br>{% endif %}{{ i.question|truncate(400) }}
{% if i.excluded_refs %}<br><span class="muted">example passages left out: {{ i.excluded_refs|length }}</span>{% endif %}</td>
<td>{{ i.expected_refs|join(', ') }}</td>
<td>{% for ref in i.cited_refs -%}
{% if ref in i.quoted_refs %}<b>{{ ref }}</b>{% else %}{{ ref }}{% endif %}{% if not loop.last %}, {% endif %}
{%- endfor %}</td>
<td class="num">{{ i.first_hit_rank or '–' }}{% for b, rank in i.baseline_hit_rank.items() %}<br>
<span class="muted">{{ labels.get(b, b) }}: {{ rank or '–' }}</span>{% endfor %}</td>
<td>{{ 'passed' if i.passed else i.failure_class }}{% if i.key_points %}<br><span class="muted">key points
{{ i.key_points_found|length }}/{{ i.key_points|length }}</span>{% endif %}{% if i.key_quoted is not none %}<br>
<span class="muted">key {{ 'quoted' if i.key_quoted else 'not quoted' }}</span>{% endif %}{% if i.decision_expected %}<br>
<span class="muted">decision: {{ i.decision_found or 'none' }} (expected {{ i.decision_expected }})</span>{% endif %}
{% if i.forbidden_hits %}<br><b>forbidden: {{ i.forbidden_hits|join(', ') }}</b>{% endif %}</td>
<td>{% if i.rejected %}refused: {{ i.rejection }}{% else %}<details><summary>{{ 'abstained' if i.abstained else
 i.sentences ~ ' quoted sentence(s)' }}</summary><pre>{{ body(i.answer) }}</pre></details>{% endif %}</td></tr>
{% endfor %}</table>
<p class="muted">Generated by <code>assistant eval</code>. Offline: no network, no language-model judge.</p>
</body></html>
"""


def render_html(results: RunResults) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    env.globals.update(fmt=fmt, metric=figure, body=answer_body)
    plots = {
        "recall": eval_plots.recall_curve(results),
        "chapters": eval_plots.per_chapter(results),
        "outcomes": eval_plots.outcomes_per_set(results),
    }
    columns = [(name, summary.metrics) for name, summary in results.sets.items()]
    columns += [(f"{name} [{split}]", m) for name, splits in results.splits.items() for split, m in splits.items()]
    return env.from_string(TEMPLATE).render(
        r=results, columns=[*columns, ("all sets", results.overall)],
        metrics=METRICS, retrieval=RETRIEVAL_METRICS, labels=eval_plots.BASELINE_LABELS, plots=plots,
        chapters=[(name, results.chapters[name]) for name in eval_plots.reading_order(results.chapters)],
    )


def write_report(results: RunResults, folder: Path) -> dict[str, Path]:
    """Write report.html, results.json and results.csv into `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"html": folder / "report.html", "json": folder / "results.json", "csv": folder / "results.csv"}
    paths["json"].write_text(results_json(results), encoding="utf-8")
    paths["csv"].write_text(results_csv(results), encoding="utf-8")
    paths["html"].write_text(render_html(results), encoding="utf-8")
    return paths


def _value(est: Estimate) -> str:
    return "n/a" if est.value is None else f"{est.value:.3f}"


def metric_lines(label: str, m: SetMetrics) -> list[str]:
    """Two plain-text lines for one group of items: the dev-set line (hit@k, MRR, abstention), then every other figure."""
    hit = {k: _value(v) for k, v in m.hit_at.items()}
    head = (f"{label}: n={m.in_scope}+{m.out_of_scope} hit@1={hit['1']} hit@3={hit['3']} hit@5={hit['5']} "
            f"mrr={_value(m.mrr)} oos_abstention={_value(m.oos_abstention)} false_abstention={_value(m.false_abstention)}")
    others = [(key, figure(m, key)) for key, _, _ in METRICS if key not in
              {"hit@1", "hit@3", "hit@5", "mrr", "oos_abstention", "false_abstention"}]
    failures = ", ".join(f"{k} {v}" for k, v in m.failure_classes.items() if v) or "none"
    return [head, "  " + " ".join(f"{key}={_value(est)}" for key, est in others if est.value is not None)
            + f" | failures: {failures}"]


def summary_lines(results: RunResults) -> list[str]:
    """Plain-text figures: per set (and per split of a set that has one), then the baselines and any comparison."""
    lines = []
    for name, summary in results.sets.items():
        lines += metric_lines(summary.source, summary.metrics)
        for split, metrics in results.splits.get(name, {}).items():
            lines += metric_lines(f"{summary.source} [{split} split]", metrics)
    if results.baselines:
        o = results.overall
        lines.append(f"retrieval, all sets ({o.in_scope} in-scope items): this assistant hit@1={_value(o.hit_at['1'])} "
                     f"hit@5={_value(o.hit_at['5'])} mrr={_value(o.mrr)} ndcg_at_10={_value(o.ndcg_at_10)}")
        for name, b in results.baselines.items():
            f = b.overall
            lines.append(f"  baseline {name}: hit@1={_value(f.hit_at['1'])} hit@5={_value(f.hit_at['5'])} "
                         f"mrr={_value(f.mrr)} ndcg_at_10={_value(f.ndcg_at_10)}")
    c = results.regression
    if c:
        verdict = f"REGRESSION (a headline figure dropped by more than {c.margin})" if c.regressed else "no regression"
        lines.append(f"compared with {c.baseline} ({c.compared_items} items): {verdict}")
        lines.append("  newly failing: " + (", ".join(f"{i.set}/{i.id} ({i.after})" for i in c.newly_failing) or "none"))
        lines.append("  newly passing: " + (", ".join(f"{i.set}/{i.id}" for i in c.newly_passing) or "none"))
        for s in c.stale_gold:
            lines.append(f"  stale gold: {s.set}/{s.id} expects {', '.join(s.missing_refs)}, no longer in the corpus")
        for change in c.metric_changes:
            flag = "  <-- worse" if change.worse else ""
            lines.append(
                f"  {change.set} {change.metric}: {change.before:.3f} -> {change.after:.3f} ({change.change:+.3f}){flag}"
            )
    return lines
