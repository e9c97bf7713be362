"""The practitioner page: rendering, then a real Gradio server on loopback driven through gradio_client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from gradio_client import Client

from assistant.errors import ServeError
from assistant.models import Answer, Citation
from assistant.web.page import Page
from assistant.web.render import (
    Conversation,
    Turn,
    anchor_id,
    chip,
    conversation_html,
    duty_tags,
    esc,
    passage_body,
    record_markdown,
    sources_html,
)
from assistant.web.server import ensure_port_free, parse_auth

PARA_TEXT = "Practitioners must share information. They should record why.\n- First item may apply\n- Second item"


def _answer(**changes) -> Answer:
    cited = Citation(
        doc="isd-guidance", ref="para 11", label="Paragraph 11", text=PARA_TEXT, score=0.9,
        heading="Chapter 1 › Limitation", sentences=["Practitioners must share information.", "They should record why."],
        modals=["must", "should"],
    )
    other = Citation(doc="isd-guidance", ref="para 12", label="Paragraph 12", text="Other text.", score=0.4,
                     heading="Chapter 1 › Other")
    fields = {"question": "When must I share?", "answer": "…", "abstained": False, "urgent": False,
              "citations": [cited, other], "corpus_version": "Guidance (draft); corpus abc"}
    return Answer(**{**fields, **changes})


def test_escaping_neutralises_markup_and_template_syntax():
    assert esc('<img src=x onerror="a()">${7*7}{{x}}`') == (
        "&lt;img src=x onerror=&quot;a()&quot;&gt;&#36;&#123;7*7&#125;&#123;&#123;x&#125;&#125;&#96;"
    )
    assert anchor_id("s16LA(3)") == "ref-s16la-3"
    assert chip("para 11", "Paragraph 11") == (
        '<a class="chip" href="?ref=para%2011" data-ref="para 11" title="Open Paragraph 11 in the Read tab" '
        'role="button">para 11</a>'
    )


def test_duty_levels_follow_the_modal_verb():
    assert duty_tags("Organisations must not delay; they should record it and may ask.") == [
        ("must not", "duty"), ("should", "expected practice"), ("may", "permission"),
    ]
    assert duty_tags("Consent is not needed.") == []


@pytest.mark.parametrize(
    ("sentence", "tags"),
    [  # sentences of the guidance: a tag is the sentence's operative modal
        ("This led to confusion about whether a specific statutory threshold – such as child protection enquiries "
         "under section 47 of the Children Act 1989 – must be met before information can be shared.", []),
        ("Organisations and practitioners to whom the information sharing duty does not apply may find this "
         "guidance helpful for best practice.", []),
        ("When deciding what to share …, should apply these tests: … May facilitate: Is the recipient covered by "
         "the information sharing duty?", [("should", "expected practice")]),
        ("In an emergency or urgent case, practitioners may not be able to follow the usual processes – "
         "practitioners should take a proportionate approach.", [("should", "expected practice")]),
        ("In line with established best practice, organisations and practitioners SHOULD: … Act promptly and be "
         "proactive; avoid unnecessary delay.", [("should", "expected practice")]),
        ("Organisations are not required to apply the duty to decisions on whether to share information that "
         "predates commencement but may choose to do so.", [("may", "permission")]),
        ("Safeguarding partners may include relevant agencies in these local arrangements.", [("may", "permission")]),
    ],
)
def test_a_duty_tag_is_the_operative_modal(sentence: str, tags: list[tuple[str, str]]):
    assert duty_tags(sentence) == tags


def test_passage_body_marks_quotes_verbatim_with_their_duty_tag():
    body = passage_body(PARA_TEXT, ["They should record why.", "Practitioners must share information. … First item may apply"])
    assert body == (
        '<p><mark class="quote">Practitioners must share information.</mark> '
        '<mark class="quote">They should record why.</mark><span class="duty duty-should" title="should: expected practice">'
        "should · expected practice</span></p>"
        # a list item with a modal of its own takes that one, not its stem's
        '<ul><li><mark class="quote">First item may apply</mark>'
        '<span class="duty duty-may" title="may: permission">may · permission</span></li>'
        "<li>Second item</li></ul>"
    )


def test_conversation_shows_urgent_notice_first_and_abstention_plainly():
    urgent = conversation_html([Turn("Is she in danger tonight?", _answer(urgent=True))])
    assert urgent.index('class="urgent"') < urgent.index('class="quote-line"')
    assert urgent.count('data-ref="para 11"') == 3  # one chip per quoted sentence, one under Sources
    abstained = conversation_html([Turn("How long do I keep records?", _answer(abstained=True))])
    assert "<strong>No answer.</strong> The guidance does not appear to answer this question" in abstained
    assert 'Nearest passages: <a class="chip"' in abstained
    assert "quote-line" not in abstained


def test_sources_panel_lists_every_cited_passage_in_full():
    html = sources_html(_answer())
    assert html.count('<article class="source"') == 1
    assert "Chapter 1 › Limitation" in html and "Second item" in html
    assert 'Also relevant: <a class="chip" href="?ref=para%2012"' in html
    assert "<h3>Nearest passages</h3>" in sources_html(_answer(abstained=True))


def test_markdown_record_holds_question_quotes_cited_text_and_version():
    turns = [Turn("When must I share?", _answer()), Turn("", error="The question is empty.")]
    record = record_markdown(turns, "Guidance (draft); corpus abc", now=datetime(2026, 7, 1, 9, 30, tzinfo=UTC))
    assert record.startswith("# Information Sharing Duty: guidance look-up\n\nExported 2026-07-01 09:30 UTC. "
                             "Corpus: Guidance (draft); corpus abc.\n")
    assert "## Question 1\n\nWhen must I share?\n\n### Answer\n\n" in record
    assert "> Practitioners must share information. (para 11; must: duty)\n" in record
    assert "> They should record why. (para 11; should: expected practice)\n" in record
    assert f"**para 11** (Paragraph 11; Chapter 1 › Limitation)\n\n{PARA_TEXT}\n" in record
    assert "## Question 2" not in record
    assert record_markdown([], "v") == ""


def test_a_conversation_keeps_its_latest_turns_and_the_record_numbers_on():
    conversation = Conversation()
    for number in range(1, 6):
        conversation.add(Turn(f"Question number {number}?", _answer()), keep=3)
    conversation.add(Turn("", error="The question is empty."), keep=3)
    assert [t.question for t in conversation.turns] == ["Question number 4?", "Question number 5?", ""]
    assert conversation.dropped == 3 and conversation.latest is conversation.turns[1].answer
    record = record_markdown(conversation.turns, "v", dropped=conversation.dropped)
    assert "Questions 1 to 3 of this conversation are no longer held by the page" in record
    assert "## Question 4\n\nQuestion number 4?" in record and "## Question 5\n\nQuestion number 5?" in record
    assert "## Question 6" not in record and "## Question 1\n" not in record


def test_the_page_sends_only_the_turn_that_changed(fake_assistant):
    page = Page(fake_assistant)
    page.keep = 2
    update, _, conversation, box, record, _ = page.ask("Do I need consent from the parent to share information?", None)
    assert update.startswith('<div class="turn-update" data-mode="append" data-seq="') and update.count('class="turn"') == 1
    assert box == "" and record == ""
    for question in ("When can I decide not to share?", "What should I record about my decision?"):
        update, _, conversation, _, _, _ = page.ask(question, conversation)
        assert update.count('class="turn"') == 1 and question in update
    assert len(conversation.turns) == 2 and conversation.dropped == 1
    assert "## Question 2\n\nWhen can I decide not to share?" in page.record(conversation)
    update, sources, conversation, _, _, _ = page.new_conversation()
    assert 'data-mode="clear"' in update and 'class="conversation empty"' in update and conversation.turns == []
    assert "appear here" in sources
    assert page.record(conversation) == "" and page.record(None) == ""


def test_page_opens_passages_and_searches(fake_assistant):
    page = Page(fake_assistant)
    view, status, tabs, search = page.open_ref("para 11")
    assert view.count("passage opened") == 1 and 'class="passage opened" id="ref-para-11"' in view
    assert tabs.selected == "read" and search == ""
    view, status, _, _ = page.open_ref("para 999")
    assert view == page.whole and "There is no passage “para 999”" in status
    view, status = page.search("Caldicott guardian")
    assert status.startswith(f"{view.count('<article')} passages contain <strong>caldicott guardian</strong>")
    assert view.count('<mark class="term">') >= 2
    assert page.search("zzzz qqqq")[0] == ""
    assert page.search("  ")[1] == f"The whole guidance: {len(fake_assistant.passages)} passages."


def test_login_setting_and_port_checks():
    assert parse_auth("ann:s3cret:x") == ("ann", "s3cret:x")
    assert parse_auth(None) is None
    with pytest.raises(ServeError, match="user:password"):
        parse_auth("nopassword")
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=f"Port {port} on 127.0.0.1 is not available"):
            ensure_port_free("127.0.0.1", port)


# --- A real server (fake embedder) through gradio_client ---


def test_ask_follow_up_and_record_through_the_api(fake_page, fake_assistant):
    client = Client(fake_page.url, verbose=False, download_files=False)
    first_q = "Do I need consent from the parent to share information?"
    conversation, sources, record, box = client.predict(first_q, api_name="/ask")
    first = fake_assistant.ask(first_q)
    cited = [c for c in first.citations if c.sentences]
    assert box == "" and conversation.count('class="turn"') == 1 and 'data-mode="append"' in conversation
    assert all(f'data-ref="{c.ref}"' in conversation for c in cited)
    assert sources.count('<article class="source"') == len(cited) and '<mark class="quote">' in sources
    # The record is made when asked for, not sent with every answer.
    assert record == ""
    record = client.predict(api_name="/record")
    assert f"Corpus: {fake_assistant.corpus_version}." in record and f"## Question 1\n\n{first_q}" in record

    follow_q = "what if they refuse?"
    conversation, sources, record, _ = client.predict(follow_q, api_name="/ask")
    follow = fake_assistant.ask(follow_q, history=[first])
    # Only the new turn goes back; the browser appends it to the conversation it shows.
    assert conversation.count('class="turn"') == 1 and f"You</span> {follow_q}" in conversation and record == ""
    assert f"You</span> {first_q}" not in conversation
    record = client.predict(api_name="/record")
    assert f"## Question 1\n\n{first_q}" in record and f"## Question 2\n\n{follow_q}" in record
    assert [c.ref for c in follow.citations if c.sentences] == [
        c.ref for c in fake_assistant.ask(follow_q, history=[first]).citations if c.sentences
    ]
    for citation in follow.citations:
        if citation.sentences:
            assert f'data-source="{citation.ref}"' in sources


def test_identifiers_are_warned_about_and_never_echoed(fake_page):
    client = Client(fake_page.url, verbose=False, download_files=False)
    conversation, _, record, _ = client.predict(
        "Can I tell the school about Mrs Jones, DOB 02/03/2012, NHS 943 476 5919?", api_name="/ask"
    )
    assert "Your question seemed to include a name, a date of birth and an NHS number." in conversation
    assert "Can I tell the school about Mrs [NAME], DOB [DATE_OF_BIRTH], NHS [NHS_NUMBER]?" in conversation
    assert "Jones" not in conversation + record and "5919" not in conversation + record


def test_bad_questions_get_a_clear_message(fake_page):
    client = Client(fake_page.url, verbose=False, download_files=False)
    conversation, sources, record, _ = client.predict("   ", api_name="/ask")
    assert "Sorry, that question could not be answered.</strong> The question is empty." in conversation
    assert record == "" and "appear here" in sources
    conversation, _, _, _ = client.predict("x" * 2500, api_name="/ask")
    assert "The question is 2500 characters long; the limit is 2000." in conversation
    assert "x" * 301 not in conversation


def test_feedback_is_appended_scrubbed(fake_page):
    client = Client(fake_page.url, verbose=False, download_files=False)
    status, _ = client.predict("Helpful", "", api_name="/feedback")
    assert status == "Ask a question first: feedback is about an answer."
    client.predict("Do I need consent from Mr Patel's family?", api_name="/ask")
    status, comment = client.predict(None, "ring me", api_name="/feedback")
    assert status == "Choose Helpful or Not helpful, then send." and comment == "ring me"
    status, comment = client.predict("Not helpful", "Call Mr Patel on 07700 900461", api_name="/feedback")
    assert status == "Thank you. Saved without personal details, as: “Do I need consent from Mr [NAME]&#x27;s family?”."
    assert comment == ""
    saved = [json.loads(line) for line in fake_page.feedback_path.read_text().splitlines()]
    assert len(saved) == 1
    assert (saved[0]["helpful"], saved[0]["comment"]) == (False, "Call Mr [NAME] on [PHONE]")
    assert saved[0]["question"] == "Do I need consent from Mr [NAME]'s family?"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str | urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_only_the_routes_the_page_needs_are_open(fake_page, fake_assistant):
    from assistant.web.page import build
    from assistant.web.server import needs_file_routes

    base = fake_page.url.rstrip("/")
    assert _status(base + "/") == 200
    assert _status(base + "/config") == 200
    for closed in ("/gradio_api/runs", "/monitoring", "/gradio_api/mcp/sse", "/gradio_api/proxy=http://example.org"):
        assert _status(base + closed) == 404, closed
    # The Ask and Read tabs handle no files; tabs that do (uploads, downloads) open these routes.
    files_needed = needs_file_routes(build(fake_assistant))
    for route in ("/gradio_api/upload", "/gradio_api/file/etc/passwd"):
        assert (_status(base + route) == 404) is not files_needed, route
    assert _status(base + "/gradio_api/file=/etc/passwd") in (403, 404)
    config = json.loads(urllib.request.urlopen(base + "/config", timeout=10).read())
    assert config["analytics_enabled"] is False and config.get("run_history") is False
    assert "fonts.googleapis.com" not in urllib.request.urlopen(base + "/theme.css", timeout=10).read().decode()


def test_file_routes_open_only_when_a_tab_has_file_components(fake_assistant, tmp_path):
    import gradio as gr

    from assistant.web.page import build
    from assistant.web.server import needs_file_routes, start

    assert needs_file_routes(build(fake_assistant)) is True  # the Evaluate and Clarity tabs send and receive files
    with gr.Blocks(analytics_enabled=False) as text_only:
        gr.Textbox()
    assert needs_file_routes(text_only) is False
    with gr.Blocks(analytics_enabled=False) as with_upload:
        gr.File()
    assert needs_file_routes(with_upload) is True
    port = _free_port()
    start(with_upload, "127.0.0.1", port, block=False)
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/gradio_api/upload", data=b"", method="POST")
        assert _status(request) not in (404, 200)  # the route exists and refuses an empty upload
        assert _status(f"http://127.0.0.1:{port}/gradio_api/runs") == 404
    finally:
        with_upload.close()


def test_login_is_required_when_set(fake_assistant, serve_page, tmp_path):
    served = serve_page(fake_assistant, tmp_path / "feedback.jsonl", auth=("ann", "s3cret"))
    assert _status(served.url + "config") == 401
    client = Client(served.url, auth=("ann", "s3cret"), verbose=False, download_files=False)
    conversation, _, _, _ = client.predict("When must I share?", api_name="/ask")
    assert 'class="turn"' in conversation


def test_a_similar_worked_example_is_offered_with_a_chip_that_opens_it():
    from assistant.models import WorkedExample

    ref = "Example: Assessing detriment and suitable mitigation when sharing information – Scenario"
    offered = _answer(similar_example=WorkedExample(ref=ref, title="Assessing detriment and suitable mitigation"))
    html = conversation_html([Turn("Can I leave the address off?", offered)])
    assert 'class="chips similar-example">A similar worked example: ' in html
    assert f'data-ref="{ref}"' in html and html.index("Sources:") < html.index("A similar worked example")
    assert "similar-example" not in conversation_html([Turn("q", _answer())])
