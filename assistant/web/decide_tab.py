"""The Decide tab: the s16LA tests one step at a time, to a decision record the practitioner downloads.

`render(assistant, open_passage, read_outputs)` builds the tab inside the `gr.Tab` the caller has
opened. The steps come from corpus/decide_steps.yaml and the passages the page already holds, so the
tab needs no model and never calls the answering process. Each step shows the guidance's own words,
verbatim, with chips that open the passage in the Read tab (`open_passage` is the page's handler).

Privacy: what is typed lives in the browser and in the request that makes the record; the record is
made in memory with personal details replaced, and the browser turns it into the downloaded file.
Nothing is logged or written on the server.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from assistant.decide import Decider, DecisionRecord
from assistant.decide.models import Situation
from assistant.decide.record import quote_lines
from assistant.decide.steps import Step
from assistant.errors import AssistantError
from assistant.privacy import KIND_NAMES
from assistant.web.choices import ChoiceGroup, ChoiceRadio
from assistant.web.render import chip, duty_badges, esc
from assistant.web.style import CHIP_JS, SCROLL_JS, download_js

if TYPE_CHECKING:
    from assistant.api import Assistant

REPLY_CHOICES = [("Yes", "yes"), ("No", "no"), ("Unsure", "unsure")]
STYLE = """<style>
#decide-intro .privacy-note { font-size: 0.9rem; }
.decide-step { background: var(--background-fill-primary); color: var(--body-text-color); padding: 8px 12px; }
.decide-step h3 { margin: 4px 0 4px 0; }
.decide-step .help { margin: 0 0 6px 0; }
.decide-step .says { font-weight: 700; margin: 6px 0 2px 0; }
.decide-ask { background: #fff7bf; color: #0b0c0c; border-left: 6px solid #ffdd00; padding: 6px 10px; margin: 6px 0; }
.decide-outcome { border: 3px solid #0b0c0c; border-radius: 6px; padding: 10px 14px; }
.decide-outcome h3 { margin: 0 0 6px 0; }
.decide-outcome.problems { border-color: #d4351c; }
</style>"""

def _quotes_html(quotes: Sequence[Any]) -> str:
    lines = quote_lines(quotes)
    labels = {q.ref: q.label for q in quotes}
    return "".join(
        f'<blockquote class="quote-line">{esc(text)} {duty_badges(text)} {chip(ref, labels[ref])}</blockquote>'
        for text, ref in lines
    )


class DecideView:
    """The tab's behaviour apart from its layout: which inputs there are, and what each event returns."""

    def __init__(self, decider: Decider) -> None:
        self.decider = decider
        self.book = decider.book
        # Every input, in order, with where its value goes in the answers: ("situation", "role"), ("steps", id, "answer")…
        self.paths: list[tuple[str, ...]] = [("situation", name) for name in Situation.model_fields]
        for step in self.book.steps:
            self.paths += [("steps", step.id, "answer"), ("steps", step.id, "rationale")]
            self.paths += [("steps", step.id, name) for name in step.fields]
        self.paths += [("sharing", "what"), ("sharing", "with_whom"), ("sharing", "how"), ("sharing", "withheld"), ("review",)]

    def answers(self, values: Sequence[Any]) -> dict[str, Any]:
        """The inputs' values as an answers mapping; a step with no answer chosen is left out (and reported)."""
        data: dict[str, Any] = {"situation": {}, "steps": {}, "sharing": {}}
        for path, value in zip(self.paths, values, strict=True):
            if path[0] == "situation":
                if value not in (None, "", []):
                    data["situation"][path[1]] = value
            elif path[0] == "steps":
                if value not in (None, "", []):
                    data["steps"].setdefault(path[1], {})[path[2]] = value
            elif path[0] == "sharing":
                data["sharing"][path[1]] = value or ""
            else:
                data["review"] = [line.strip() for line in (value or "").split("\n") if line.strip()]
        data["steps"] = {k: v for k, v in data["steps"].items() if "answer" in v}
        return data

    def step_html(self, step: Step, number: int, situation: Situation, answer: str | None, values: dict[str, Any]) -> str:
        quotes = self.decider.step_quotes(step, situation, answer, values)
        ask = ""
        if answer == "unsure":
            whom = ", ".join(self.decider.advisers([step.id]))
            ask = (f'<p class="decide-ask" role="note"><strong>Unsure?</strong> Ask {esc(whom)}, '
                   "then come back and change the answer.</p>")
        return (
            f'<div class="decide-step" data-step="{esc(step.id)}"><h3>{number}. {esc(step.title)}</h3>'
            f'<p class="help">{esc(step.help)}</p><p class="says">The guidance says:</p>{_quotes_html(quotes)}{ask}</div>'
        )

    @staticmethod
    def _situation(data: dict[str, Any]) -> Situation:
        try:
            return Situation.model_validate(data)
        except ValueError:  # half-typed input still shows the quotes that fit what is known
            return Situation(about=[a for a in data.get("about", []) if isinstance(a, str)], urgent=bool(data.get("urgent")))

    def steps_html(self, *values: Any) -> list[str]:
        """Every step's quotes for the case as answered so far (quotes depend on the situation and the answers)."""
        answers = self.answers(values)
        situation, steps = self._situation(answers["situation"]), answers["steps"]
        out = []
        for number, step in enumerate(self.book.steps, 1):
            given = steps.get(step.id, {})
            own = {k: v for k, v in given.items() if k in step.fields}
            out.append(self.step_html(step, number, situation, given.get("answer"), own))
        return out

    def outcome_html(self, record: DecisionRecord) -> str:
        o = record.outcome
        because = "".join(f"<li>{esc(c.title)}: <strong>{esc(c.answer)}</strong>"
                          f"{('. ' + esc(c.rationale)) if c.rationale else ''}</li>" for c in o.because)
        ask = f'<p class="decide-ask" role="note">Ask before deciding: {esc(", ".join(o.ask))}.</p>' if o.ask else ""
        route = (f"<p><strong>The other route</strong>, in the guidance's words:</p>{_quotes_html(o.route)}"
                 if o.route else "")
        removed = ""
        if record.removed:
            kinds = ", ".join(KIND_NAMES.get(k, k.lower()) for k in record.removed)
            removed = (f'<p class="privacy" role="status">Personal details were replaced before the record was made '
                       f"({esc(kinds)}).</p>")
        urgent = f'<div class="urgent" role="alert">{esc(self.book.urgent_notice)}</div>' if record.situation.urgent else ""
        return (
            f'<div class="decide-outcome" id="decide-outcome-box" data-outcome="{esc(o.kind)}" role="status">{urgent}'
            f'<h3>Outcome: {esc(o.label)}</h3><p>{esc(o.summary)}</p><p>Led to by your answers:</p><ul>{because}</ul>'
            f"{ask}{route}{_quotes_html(o.quotes)}{removed}"
            "<p>Change any answer above and press the button again to see how the outcome changes.</p></div>"
        )

    def make_record(self, *values: Any) -> tuple[str, str, str]:
        """The outcome panel, the Markdown record and the HTML record; or the problems to fix, each named."""
        try:
            record = self.decider.decide(self.answers(values))
        except AssistantError as exc:
            items = "".join(f"<li>{esc(part)}</li>" for part in getattr(exc, "problems", None) or [str(exc)])
            return (f'<div class="decide-outcome problems" role="alert"><h3>Not yet: fix these answers</h3>'
                    f"<ul>{items}</ul></div>", "", "")
        except Exception as exc:  # never a traceback (which could quote the situation) on the page or in logs
            print(f"decide failed: {type(exc).__name__}", file=sys.stderr, flush=True)
            return '<div class="decide-outcome problems" role="alert">Something went wrong on the server.</div>', "", ""
        return self.outcome_html(record), record.markdown(), record.html()


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(label, key) for key, label in mapping.items()]


def render(assistant: Assistant, open_passage: Callable[..., Any], read_outputs: list[Any]) -> None:
    """Build the Decide tab; call inside `with gr.Tab("Decide"):`. Chips open passages with `open_passage`."""
    import gradio as gr

    view = DecideView(Decider.load(assistant.settings.paths.corpus_dir, assistant.passages, assistant.corpus_version))
    book = view.book
    situation_spec = book.situation
    gr.HTML(
        f"{STYLE}<h2>Decide and record</h2><p>Work through the tests of s16LA one step at a time. Each step shows "
        "the guidance's own words; answer yes, no or unsure, with a short rationale. The outcome follows from your "
        "answers, and you can download the record to file with the case.</p>"
        f'<p class="privacy-note">{esc(book.notice)} Nothing you type here is stored: names, dates and numbers are '
        "replaced before the record is made, and the record is made into a file by your browser.</p>",
        elem_id="decide-intro", js_on_load=None,
    )
    inputs: list[Any] = []
    htmls: list[Any] = []
    first = book.steps[0]
    with gr.Group(elem_id="decide-situation"):
        htmls.append(gr.HTML(view.step_html(first, 1, Situation(), None, {}), elem_id=f"decide-step-{first.id}",
                             js_on_load=CHIP_JS))
        inputs += [
            gr.Textbox(label="Your role (no names needed)", elem_id="decide-role", max_lines=1),
            ChoiceRadio(_choices(situation_spec["organisation"]), label="Your organisation", elem_id="decide-organisation"),
            ChoiceRadio(_choices(situation_spec["trigger"]), label="How the question arose", elem_id="decide-trigger"),
            gr.Textbox(label="Who would receive it (a service or role, no names needed)", elem_id="decide-recipient",
                       max_lines=1),
            ChoiceRadio(_choices(situation_spec["recipient_kind"]), label="What kind of recipient",
                        elem_id="decide-recipient-kind"),
            ChoiceGroup(_choices(situation_spec["about"]), label="What the information is about", elem_id="decide-about"),
            gr.Checkbox(label="This is an emergency or urgent case", elem_id="decide-urgent"),
            gr.Textbox(label="The situation in a few lines (personal details are replaced)", lines=3, max_lines=8,
                       elem_id="decide-description"),
        ]
    for number, step in enumerate(book.steps, 1):
        with gr.Group(elem_id=f"decide-group-{step.id}"):
            if number > 1:
                htmls.append(gr.HTML(view.step_html(step, number, Situation(), None, {}), elem_id=f"decide-step-{step.id}",
                                     js_on_load=CHIP_JS))
            inputs.append(ChoiceRadio(REPLY_CHOICES, label=step.question, elem_id=f"decide-answer-{step.id}"))
            inputs.append(gr.Textbox(label="Rationale (a line or two)", elem_id=f"decide-rationale-{step.id}", max_lines=4))
            for name, spec in step.fields.items():
                if spec.kind == "multi":
                    inputs.append(ChoiceGroup([(c.label, key) for key, c in spec.choices.items()], label=spec.label,
                                              elem_id=f"decide-{step.id}-{name}"))
                else:
                    inputs.append(gr.Textbox(label=spec.label, elem_id=f"decide-{step.id}-{name}", max_lines=4))
    with gr.Group(elem_id="decide-sharing"):
        gr.HTML("<h3>What, with whom and how</h3>", js_on_load=None)
        inputs += [
            gr.Textbox(label="What you will share (or did share)", elem_id="decide-what", max_lines=4),
            gr.Textbox(label="With whom (leave empty to use the recipient above)", elem_id="decide-with-whom", max_lines=2),
            gr.Textbox(label="How (route, format, security)", elem_id="decide-how", max_lines=3),
            gr.Textbox(label="Specific details withheld, if any (only when sharing them would be more harmful)",
                       elem_id="decide-withheld", max_lines=3),
            gr.Textbox(label="Review points, one per line", lines=2, max_lines=6, elem_id="decide-review"),
        ]
    run = gr.Button("Show the outcome and the record", variant="primary", elem_id="decide-run")
    outcome = gr.HTML("", elem_id="decide-outcome", js_on_load=CHIP_JS)
    with gr.Group(elem_id="decide-record-panel"):
        record = gr.Textbox(label="Decision record (Markdown): copy it into the case record, or download it", lines=10,
                            max_lines=30, interactive=False, buttons=["copy"], elem_id="decide-record")
        record_html = gr.Textbox(visible="hidden", elem_id="decide-record-html", show_label=False)
        with gr.Row():
            download_md = gr.Button("Download the record (Markdown)", size="sm", elem_id="decide-download-md")
            download_html = gr.Button("Download a printable page (HTML)", size="sm", elem_id="decide-download-html")

    changing = [c for c in inputs if isinstance(c, gr.Radio | gr.CheckboxGroup | gr.Checkbox)]
    gr.on([c.change for c in changing], view.steps_html, inputs=inputs, outputs=htmls, api_visibility="private",
          show_progress="hidden", queue=False)
    run.click(view.make_record, inputs=inputs, outputs=[outcome, record, record_html], api_visibility="private",
              show_progress="minimal")
    download_md.click(None, inputs=[record], js=download_js("text/markdown", "isd-decision-record.md"), api_visibility="private")
    download_html.click(None, inputs=[record_html], js=download_js("text/html", "isd-decision-record.html"),
                        api_visibility="private")
    gr.on([h.click for h in [*htmls, outcome]], open_passage, outputs=read_outputs, api_visibility="private",
          show_progress="hidden").then(None, js=SCROLL_JS)
