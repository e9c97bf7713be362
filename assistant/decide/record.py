"""The decision record as Markdown (to paste into a case record) and as a printable HTML page.

Both are made in memory from a DecisionRecord; nothing is written here. Quoted sentences appear
exactly as the passages have them; a list item is shown after the sentence that introduces its
list, once per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

import jinja2

from assistant.errors import DecideError

if TYPE_CHECKING:
    from pathlib import Path

    from assistant.decide.models import DecisionRecord, Quote

CITED_HEADING = "## Passages cited"

MARKDOWN = """\
# Information sharing decision record

- Date: {{ r.date.isoformat() }}
- Guidance: {{ r.corpus_version }}
- Outcome: **{{ r.outcome.label }}**

_{{ r.notice }}_

## Outcome: {{ r.outcome.label }}

{{ r.outcome.summary }}

Led to by:
{% for c in r.outcome.because %}- {{ c.title }}: **{{ c.answer }}**{% if c.rationale %}. {{ c.rationale }}{% endif %}
{% endfor %}
{%- if r.outcome.ask %}
Ask before deciding: {{ r.outcome.ask | join(", ") }}.
{% endif %}
{%- if r.outcome.route %}
The other route, in the guidance's words:

{% for text, ref in lines(r.outcome.route) %}> {{ text }} ({{ ref }})

{% endfor %}{% endif %}
{%- if r.outcome.quotes %}
{% for text, ref in lines(r.outcome.quotes) %}> {{ text }} ({{ ref }})

{% endfor %}{% endif %}
## What, with whom and how

- What is shared: {{ r.sharing.what or "nothing" }}
{% if r.sharing.withheld %}- Withheld: {{ r.sharing.withheld }}
{% endif %}- With whom: {{ r.sharing.with_whom or "not recorded" }}
- How: {{ r.sharing.how or "not recorded" }}
- Family told: {{ r.family }}

## Review points

{% for item in r.review %}- {{ item }}
{% else %}- None recorded.
{% endfor %}
## The situation (personal details replaced)

- Role: {{ r.situation.role or "not given" }}
- Organisation: {{ label("organisation", r.situation.organisation) }}
- How it arose: {{ label("trigger", r.situation.trigger) }}
- Recipient: {{ r.situation.recipient or "not given" }} ({{ label("recipient_kind", r.situation.recipient_kind) }})
- The information is about: {{ about | join("; ") }}
- Urgent: {{ "yes" if r.situation.urgent else "no" }}
{% if r.situation.description %}- Description: {{ r.situation.description }}
{% endif %}{% if r.removed %}- Personal details replaced: {{ r.removed | join(", ") }}
{% endif %}
## The tests
{% for s in r.steps %}
### {{ s.number }}. {{ s.title }}

{{ s.question }}

Answer: **{{ s.answer }}**{% if s.rationale %}. Rationale: {{ s.rationale }}{% endif %}
{% for name, chosen in s.choices.items() %}
{{ name }}: {{ chosen | join("; ") }}
{% endfor %}{% for name, text in s.notes.items() %}
{{ name }}: {{ text }}
{% endfor %}{% if s.ask %}
Ask: {{ s.ask | join(", ") }}.
{% endif %}{% if s.quotes %}
Guidance relied on (verbatim):

{% for text, ref in lines(s.quotes) %}> {{ text }} ({{ ref }})

{% endfor %}{% endif %}{% endfor %}
""" + CITED_HEADING + """

{% for q in cited %}- {{ q.ref }} — {{ q.label }}
{% endfor %}"""

HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Information sharing decision record, {{ r.date.isoformat() }}</title>
<style>
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; max-width: 50rem; margin: 1.5rem auto; padding: 0 1rem;
  line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 1.6rem; border-bottom: 2px solid #0b0c0c; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
.notice { border-left: 6px solid #1d70b8; padding: 0.4rem 0.8rem; background: #f3f2f1; }
.outcome { border: 3px solid #0b0c0c; padding: 0.6rem 0.9rem; }
blockquote { margin: 0.4rem 0 0.6rem 0; padding: 0.2rem 0 0.2rem 0.8rem; border-left: 4px solid #b1b4b6; }
.ref { font-weight: bold; white-space: nowrap; }
.answer { font-weight: bold; text-transform: uppercase; }
section.step { break-inside: avoid-page; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
</style>
</head>
<body>
<h1>Information sharing decision record</h1>
<p>Date: {{ r.date.isoformat() }}<br>Guidance: {{ r.corpus_version }}</p>
<p class="notice">{{ r.notice }}</p>
<div class="outcome">
<h2 id="outcome">Outcome: {{ r.outcome.label }}</h2>
<p>{{ r.outcome.summary }}</p>
<p>Led to by:</p>
<ul>{% for c in r.outcome.because %}<li>{{ c.title }}: <span class="answer">{{ c.answer }}</span>
{%- if c.rationale %}. {{ c.rationale }}{% endif %}</li>{% endfor %}</ul>
{% if r.outcome.ask %}<p>Ask before deciding: {{ r.outcome.ask | join(", ") }}.</p>{% endif %}
{% if r.outcome.route %}<p>The other route, in the guidance's words:</p>
{% for text, ref in lines(r.outcome.route) %}<blockquote>{{ text }} <span class="ref">({{ ref }})</span></blockquote>
{% endfor %}{% endif %}
{% for text, ref in lines(r.outcome.quotes) %}<blockquote>{{ text }} <span class="ref">({{ ref }})</span></blockquote>{% endfor %}
</div>
<h2>What, with whom and how</h2>
<ul>
<li>What is shared: {{ r.sharing.what or "nothing" }}</li>
{% if r.sharing.withheld %}<li>Withheld: {{ r.sharing.withheld }}</li>{% endif %}
<li>With whom: {{ r.sharing.with_whom or "not recorded" }}</li>
<li>How: {{ r.sharing.how or "not recorded" }}</li>
<li>Family told: {{ r.family }}</li>
</ul>
<h2>Review points</h2>
<ul>{% for item in r.review %}<li>{{ item }}</li>{% else %}<li>None recorded.</li>{% endfor %}</ul>
<h2>The situation (personal details replaced)</h2>
<ul>
<li>Role: {{ r.situation.role or "not given" }}</li>
<li>Organisation: {{ label("organisation", r.situation.organisation) }}</li>
<li>How it arose: {{ label("trigger", r.situation.trigger) }}</li>
<li>Recipient: {{ r.situation.recipient or "not given" }} ({{ label("recipient_kind", r.situation.recipient_kind) }})</li>
<li>The information is about: {{ about | join("; ") }}</li>
<li>Urgent: {{ "yes" if r.situation.urgent else "no" }}</li>
{% if r.situation.description %}<li>Description: {{ r.situation.description }}</li>{% endif %}
{% if r.removed %}<li>Personal details replaced: {{ r.removed | join(", ") }}</li>{% endif %}
</ul>
<h2>The tests</h2>
{% for s in r.steps %}<section class="step">
<h3>{{ s.number }}. {{ s.title }}</h3>
<p>{{ s.question }}</p>
<p>Answer: <span class="answer">{{ s.answer }}</span>{% if s.rationale %}. Rationale: {{ s.rationale }}{% endif %}</p>
{% for name, chosen in s.choices.items() %}<p>{{ name }}: {{ chosen | join("; ") }}</p>{% endfor %}
{% for name, text in s.notes.items() %}<p>{{ name }}: {{ text }}</p>{% endfor %}
{% if s.ask %}<p>Ask: {{ s.ask | join(", ") }}.</p>{% endif %}
{% for text, ref in lines(s.quotes) %}<blockquote>{{ text }} <span class="ref">({{ ref }})</span></blockquote>{% endfor %}
</section>
{% endfor %}
<h2>Passages cited</h2>
<ul>{% for q in cited %}<li><span class="ref">{{ q.ref }}</span> — {{ q.label }}</li>{% endfor %}</ul>
</body>
</html>
"""


def quote_lines(quotes: Sequence[Quote]) -> list[tuple[str, str]]:
    """(text, ref) per quote: a list item after its list's introducing sentence, the first time in a group."""
    shown: set[str] = set()
    out = []
    for quote in quotes:
        if not quote.stem:
            shown.add(quote.sentence)  # a list's opening sentence, quoted on its own, need not be repeated
        if quote.stem and quote.stem not in shown:
            shown.add(quote.stem)
            out.append((f"{quote.stem} … {quote.sentence}", quote.ref))
        else:
            out.append((f"… {quote.sentence}" if quote.stem else quote.sentence, quote.ref))
    return out


@cache
def _template(source: str, autoescape: bool) -> jinja2.Template:
    """Each template compiled once per process."""
    env = jinja2.Environment(autoescape=autoescape, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.globals["lines"] = quote_lines
    return env.from_string(source)


def _render(record: DecisionRecord, template: str, autoescape: bool) -> str:
    def label(name: str, key: str) -> str:
        return record.labels.get(name, {}).get(key, key) or "not given"

    cited = {}
    for quote in record.cited_quotes:
        cited.setdefault(quote.ref, quote)
    about = [label("about", key) for key in record.situation.about]
    return _template(template, autoescape).render(r=record, label=label, about=about, cited=list(cited.values()))


def render_markdown(record: DecisionRecord) -> str:
    """The record as Markdown: outcome first, then what was shared, the situation, each test, the passages cited."""
    return _render(record, MARKDOWN, autoescape=False)


def render_html(record: DecisionRecord) -> str:
    """The same record as a self-contained, printable HTML page (every value escaped)."""
    return _render(record, HTML, autoescape=True)


def record_files(paths: Sequence[Path], target: Path | None) -> list[Path]:
    """Where the records of the answers files `paths` go: nowhere without a target; one file per answers
    file (FILE.md) in a folder for several, or when the target is a folder; else the target itself."""
    if target is None:
        return []
    if len(paths) > 1 and target.suffix:
        raise DecideError(f"with several --answers files, --out must be a folder (one record per file), not {target.name}.")
    if len(paths) > 1 or target.is_dir():
        return [target / f"{path.stem}.md" for path in paths]
    return [target]


def write_records(records: Sequence[tuple[Path, DecisionRecord]], target: Path | None) -> list[Path]:
    """Write each record where `record_files` puts it (.html/.htm: the printable page; else Markdown)."""
    if target is None:
        return []
    files = record_files([path for path, _ in records], target)
    if files[0].parent == target:
        target.mkdir(parents=True, exist_ok=True)
    for file, (_, record) in zip(files, records, strict=True):
        text = record.html() if file.suffix.lower() in (".html", ".htm") else record.markdown()
        try:
            file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DecideError(f"cannot write the record ({exc.strerror}); choose another --out path.", str(file)) from None
    return files
