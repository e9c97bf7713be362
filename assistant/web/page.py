"""The page (Gradio Blocks): ask with follow-ups, see the cited passages, read the guidance,
evaluate (trainers) and read the clarity report (policy teams).

Layout: an always-visible notice, then tabs. "Ask" holds the conversation, the Sources panel,
examples, feedback and the Markdown record; "Read the guidance" holds every passage with its
ref as an anchor, a search box and deep links (`?ref=para%2011`); "Evaluate" is evaluate_tab.py
and "Clarity" is clarity_tab.py.

Privacy: questions are scrubbed of identifiers before they are searched or shown, live only in
the browser session's memory, and are never logged. Only feedback is written to disk, scrubbed
(the Evaluate tab's reports, with identifiers replaced, live in the page's temporary folder).
Gradio analytics, run history, monitoring, MCP and share links are off, and routes for file
uploads and file serving are open only because the Evaluate and Clarity tabs send and receive
files (see server.py, which serves the page).
"""

from __future__ import annotations

import secrets
import sys
import unicodedata
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.corpus.manifest import load_manifest
from assistant.errors import AssistantError, FeedbackError
from assistant.privacy import guidance_vocabulary, identifier_kinds, scrub
from assistant.web.choices import ChoiceRadio
from assistant.web.clarity_tab import render as render_clarity
from assistant.web.decide_tab import render as render_decide
from assistant.web.evaluate_tab import render as render_evaluate
from assistant.web.feedback import append_feedback, make_record
from assistant.web.render import (
    EMPTY_CONVERSATION,
    Conversation,
    Turn,
    esc,
    matching,
    notice_html,
    read_html,
    record_markdown,
    search_terms,
    sources_html,
    turn_update,
)
from assistant.web.style import CHIP_JS, DOWNLOAD_JS, FEED_JS, SCROLL_JS

if TYPE_CHECKING:
    from assistant.api import Assistant

TITLE = "Information Sharing Duty: guidance assistant"
EXAMPLES = [
    "Do I need the parent's consent before I share with children's social care?",
    "Can I share information about mum's new partner?",
    "When can I decide not to share?",
    "Does the duty apply before a section 47 threshold is met?",
    "What should I record about my decision?",
]
SESSION_SECONDS = 2 * 60 * 60  # a conversation is dropped from server memory after two idle hours
FEEDBACK_CHOICES = ["Helpful", "Not helpful"]


def _shown(question: Any) -> str:
    """A bad question made safe to echo back: text only, no control characters, not too long."""
    text = question if isinstance(question, str) else ""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    return text if len(text) <= 300 else text[:300] + "…"


class Page:
    """The page's behaviour, independent of the layout: each method serves one event."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.passages = assistant.passages
        self.refs = {p.ref for p in self.passages}
        manifest = load_manifest(assistant.settings.paths.corpus_dir)
        self.titles = {d.id: d.title for d in manifest.documents}
        self.whole = read_html(self.passages, self.titles)
        # Every word the corpus uses: it tells names from words, and bounds what feedback may keep.
        self.vocabulary = guidance_vocabulary(self.passages)
        self.feedback_path = assistant.settings.serve.feedback_path
        self.keep = assistant.settings.serve.turns

    # What every answering event returns: the turn update, the Sources panel, the conversation (state), the
    # question box, and the record box emptied and its panel closed (the record is made when it is opened).
    Shown = tuple[str, str, Conversation, str, str, Any]

    def ask(self, question: str, conversation: Conversation | None) -> Shown:
        """Answer, with the previous answer as context. Only the new turn goes back to the browser."""
        conversation = conversation if isinstance(conversation, Conversation) else Conversation()
        kinds = identifier_kinds(question, self.vocabulary) if isinstance(question, str) else []
        text = scrub(question, self.vocabulary) if kinds else question
        previous = [conversation.latest] if conversation.latest else []
        try:
            answer = self.assistant.ask(text, history=previous or None)
            turn = Turn(answer.question, answer, identifiers=kinds)
        except AssistantError as exc:
            turn = Turn(_shown(text), error=str(exc), identifiers=kinds)
        except Exception as exc:  # never let a traceback (which may quote the question) reach the page or logs
            print(f"ask failed: {type(exc).__name__}", file=sys.stderr, flush=True)
            turn = Turn(_shown(text), error="Something went wrong on the server. Try again, or rephrase the question.")
        conversation.add(turn, self.keep)
        return self._show(conversation, turn, "append")

    def ask_alone(self, conversation: Conversation | None) -> Shown:
        """Ask the last question again on its own, replacing its follow-up reading."""
        conversation = conversation if isinstance(conversation, Conversation) else Conversation()
        turns = conversation.turns
        if not turns or turns[-1].answer is None or not turns[-1].answer.followup_of:
            return gr.skip(), gr.skip(), conversation, gr.skip(), gr.skip(), gr.skip()
        last = turns[-1]
        try:
            answer = self.assistant.ask(last.question)
            turns[-1] = Turn(answer.question, answer, identifiers=last.identifiers)
        except AssistantError as exc:
            turns[-1] = Turn(last.question, error=str(exc), identifiers=last.identifiers)
        return self._show(conversation, turns[-1], "replace")

    def _show(self, conversation: Conversation, turn: Turn | None, mode: str) -> Shown:
        update = turn_update(turn, mode, secrets.token_hex(6))
        return update, sources_html(conversation.latest), conversation, "", "", gr.Accordion(open=False)

    def new_conversation(self) -> Shown:
        return self._show(Conversation(), None, "clear")

    def record(self, conversation: Conversation | None) -> str:
        """The Markdown record of the conversation held, made when the record panel opens or is downloaded."""
        if not isinstance(conversation, Conversation):
            return ""
        return record_markdown(conversation.turns, self.assistant.corpus_version, dropped=conversation.dropped)

    def open_ref(self, ref: str | None) -> tuple[Any, Any, Any, Any]:
        """The Read tab, switched to, showing the whole guidance with `ref` highlighted."""
        if not ref:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if ref not in self.refs:
            status = f"There is no passage “{esc(ref)}”. The whole guidance is shown."
            return self.whole, status, gr.Tabs(selected="read"), ""
        status = f"Showing <strong>{esc(ref)}</strong> in the whole guidance. Search or scroll to read on."
        return read_html(self.passages, self.titles, opened=ref), status, gr.Tabs(selected="read"), ""

    def open_clicked(self, evt: gr.EventData) -> tuple[Any, Any, Any, Any]:
        data = evt._data if isinstance(evt._data, dict) else {}
        ref = data.get("ref")
        return self.open_ref(ref if isinstance(ref, str) else None)

    def open_linked(self, request: gr.Request) -> tuple[Any, Any, Any, Any]:
        """A deep link: ?ref=para%2011 opens that passage."""
        ref = request.query_params.get("ref") if request is not None else None
        return self.open_ref(ref[:200] if ref else None)

    def search(self, query: str) -> tuple[str, str]:
        terms = search_terms((query or "")[:200])
        if not terms:
            return self.whole, f"The whole guidance: {len(self.passages)} passages."
        found = matching(self.passages, terms)
        words = " ".join(terms)
        if not found:
            return "", f"No passage contains all of: <strong>{esc(words)}</strong>. Try fewer or other words."
        status = f"{len(found)} passage{'s' if len(found) != 1 else ''} contain{'' if len(found) != 1 else 's'} " \
                 f"<strong>{esc(words)}</strong>. Click a ref to see it in place."
        return read_html(found, self.titles, terms=terms), status

    def feedback(self, choice: str | None, comment: str | None, conversation: Conversation | None) -> tuple[str, str]:
        """Append scrubbed feedback about the latest answer; returns a status line and the comment box."""
        latest = conversation.latest if isinstance(conversation, Conversation) else None
        comment = comment if isinstance(comment, str) else ""
        if latest is None:
            return "Ask a question first: feedback is about an answer.", comment
        if choice not in FEEDBACK_CHOICES:
            return "Choose Helpful or Not helpful, then send.", comment
        try:
            record = make_record(latest, choice == "Helpful", comment, self.vocabulary)
            append_feedback(self.feedback_path, record)
        except FeedbackError as exc:
            return f"Feedback not saved. {esc(str(exc))}", comment
        return f"Thank you. Saved without personal details, as: “{esc(record.question)}”.", ""


def _ask_tab(page: Page) -> dict[str, Any]:
    """The Ask tab's components, by name."""
    c: dict[str, Any] = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            # The browser keeps the conversation: the server sends only the turn that changed (into the hidden
            # feed, whose script applies it here), so a reply does not grow with the conversation.
            c["conversation"] = gr.HTML(EMPTY_CONVERSATION, elem_id="conversation", js_on_load=CHIP_JS)
            c["feed"] = gr.HTML("", elem_id="turn-feed", js_on_load=FEED_JS, visible="hidden")
            with gr.Row():
                c["question"] = gr.Textbox(
                    show_label=False, lines=2, max_lines=6, scale=5, elem_id="question",
                    placeholder="Ask about the Information Sharing Duty. No names or case details needed.",
                )
                c["ask"] = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-button")
            gr.Markdown("**Examples**")
            with gr.Row(elem_id="examples"):
                c["examples"] = [gr.Button(text, size="sm", variant="secondary") for text in EXAMPLES]
            with gr.Row():
                c["alone"] = gr.Button("Ask the last question on its own", size="sm", elem_id="ask-alone")
                c["new"] = gr.Button("New conversation", size="sm", elem_id="new-conversation")
            with gr.Accordion("Was the last answer helpful?", open=False, elem_id="feedback"):
                c["choice"] = ChoiceRadio(FEEDBACK_CHOICES, show_label=False, elem_id="feedback-choice")
                c["comment"] = gr.Textbox(
                    label="Comment (optional). Names, dates and numbers are removed before saving.",
                    lines=2, elem_id="feedback-comment",
                )
                c["send"] = gr.Button("Send feedback", size="sm", elem_id="feedback-send")
                c["sent"] = gr.HTML("", elem_id="feedback-status", js_on_load=None)
            with gr.Accordion("Record of this conversation: copy or download as Markdown", open=False,
                              elem_id="record-panel") as c["record_panel"]:
                c["record"] = gr.Textbox(show_label=False, lines=8, max_lines=20, interactive=False, buttons=["copy"],
                                         elem_id="record")
                c["download"] = gr.Button("Download as Markdown", size="sm", elem_id="download-record")
        with gr.Column(scale=2):
            c["sources"] = gr.HTML(sources_html(None), elem_id="sources", js_on_load=CHIP_JS)
    return c


def _read_tab(page: Page) -> dict[str, Any]:
    """The Read tab's components, by name."""
    c: dict[str, Any] = {}
    with gr.Row():
        c["search"] = gr.Textbox(show_label=False, scale=5, elem_id="read-search",
                                 placeholder="Search the guidance, e.g. consent, detriment, para 27")
        c["search_button"] = gr.Button("Search", scale=1, elem_id="read-search-button")
    c["status"] = gr.HTML(f"The whole guidance: {len(page.passages)} passages.", elem_id="read-status", js_on_load=None)
    c["view"] = gr.HTML(page.whole, elem_id="read-view", js_on_load=CHIP_JS)
    return c


def build(assistant: Assistant) -> gr.Blocks:
    """The whole page. Serve it with `server.start` (or `launch`), which applies the privacy settings."""
    page = Page(assistant)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        turns = gr.State(Conversation(), time_to_live=SESSION_SECONDS)
        gr.HTML(f"<h1>{esc(TITLE)}</h1>{notice_html(assistant.corpus_version)}", elem_id="notice", js_on_load=None)
        with gr.Tabs(selected="ask") as tabs:
            with gr.Tab("Ask", id="ask"):
                ask = _ask_tab(page)
            with gr.Tab("Read the guidance", id="read"):
                read = _read_tab(page)
            with gr.Tab("Decide", id="decide"):
                render_decide(assistant, page.open_clicked, [read["view"], read["status"], tabs, read["search"]])
            with gr.Tab("Evaluate", id="evaluate"):
                render_evaluate(assistant)
            with gr.Tab("Clarity", id="clarity") as clarity_tab:
                render_clarity(assistant, clarity_tab)

        answer_outputs = [ask["feed"], ask["sources"], turns, ask["question"], ask["record"], ask["record_panel"]]
        gr.on([ask["question"].submit, ask["ask"].click], page.ask, inputs=[ask["question"], turns],
              outputs=answer_outputs, api_name="ask", show_progress="minimal")
        for button, text in zip(ask["examples"], EXAMPLES, strict=True):
            button.click(_example(page, text), inputs=[turns], outputs=answer_outputs, api_visibility="private",
                         show_progress="minimal")
        ask["new"].click(page.new_conversation, outputs=answer_outputs, api_visibility="private")
        ask["alone"].click(page.ask_alone, inputs=[turns], outputs=answer_outputs, api_visibility="private",
                           show_progress="minimal")
        ask["send"].click(page.feedback, inputs=[ask["choice"], ask["comment"], turns], outputs=[ask["sent"], ask["comment"]],
                          api_name="feedback")
        ask["record_panel"].expand(page.record, inputs=[turns], outputs=[ask["record"]], api_name="record",
                                   show_progress="hidden")
        ask["download"].click(page.record, inputs=[turns], outputs=[ask["record"]], api_visibility="private",
                              show_progress="hidden").then(None, inputs=[ask["record"]], js=DOWNLOAD_JS)

        read_outputs = [read["view"], read["status"], tabs, read["search"]]
        gr.on([ask["conversation"].click, ask["sources"].click, read["view"].click], page.open_clicked,
              outputs=read_outputs, api_visibility="private", show_progress="hidden").then(None, js=SCROLL_JS)
        demo.load(page.open_linked, outputs=read_outputs, api_visibility="private",
                  show_progress="hidden").then(None, js=SCROLL_JS)
        gr.on([read["search"].submit, read["search_button"].click], page.search, inputs=[read["search"]],
              outputs=[read["view"], read["status"]], api_name="search", show_progress="hidden")
    demo.queue(default_concurrency_limit=assistant.settings.serve.concurrency)
    return demo


def _example(page: Page, text: str) -> Any:
    def ask_example(conversation: Conversation | None) -> Page.Shown:
        return page.ask(text, conversation)

    return ask_example
