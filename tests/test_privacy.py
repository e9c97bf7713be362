"""Personal data: identifiers are found and replaced, feedback is scrubbed, and nothing else reaches disk."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from assistant.errors import FeedbackError
from assistant.models import Answer, Citation
from assistant.privacy import describe, find_identifiers, identifier_kinds, nhs_number_is_valid, scrub, scrub_stored
from assistant.web.feedback import append_feedback, make_record, read_feedback


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("9434765919", True), ("4010232137", True), ("9434765918", False), ("1234567890", False), ("943476591", False)],
)
def test_nhs_number_modulus_11(digits: str, valid: bool):
    assert nhs_number_is_valid(digits) is valid


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("NHS number 943 476 5919 please", "NHS number [NHS_NUMBER] please"),
        ("NHS 943-476-5919", "NHS [NHS_NUMBER]"),
        ("ref 9434765918 fails the check", "ref [NUMBER] fails the check"),
        ("NI number AB 12 34 56 C.", "NI number [NI_NUMBER]."),
        ("ni ab123456c", "ni [NI_NUMBER]"),
        ("lives at SW1A 1AA now", "lives at [POSTCODE] now"),
        ("postcode m1 1ae", "postcode [POSTCODE]"),
        ("DOB 12/03/2015", "DOB [DATE_OF_BIRTH]"),
        ("date of birth: 3rd March 2016", "date of birth: [DATE_OF_BIRTH]"),
        ("born on 1st of June 2011", "born on [DATE_OF_BIRTH]"),
        ("seen on 14.07.2024 and 2024-07-15", "seen on [DATE] and [DATE]"),
        ("since May 3, 2020", "since [DATE]"),
        ("call 07700 900123 or +44 20 7946 0958", "call [PHONE] or [PHONE]"),
        ("ring (0161) 496 0000", "ring [PHONE]"),
        ("email jo.bloggs+case@example.co.uk today", "email [EMAIL] today"),
        ("Mr Smith and Mrs Jane O'Neill", "Mr [NAME] and Mrs [NAME]"),
        ("a boy called Jack, a girl named Amira Khan", "a boy called [NAME], a girl named [NAME]"),
        ("my client Sam said", "my client [NAME] said"),
        ("case 12 345 678", "case 12 [NUMBER]"),
    ],
)
def test_identifiers_are_replaced_by_typed_placeholders(text: str, scrubbed: str):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "question",
    [
        "Does para 11 may apply when the parent refuses?",
        "Do I need consent under s16LA(3) of the Children Act 2004?",
        "I called Children's Social Care; what should I record?",
        "What does Chapter 3 say about the June 2026 draft?",
        "Can I share before a section 47 enquiry, paras 11 12 13?",
        "A person named in the referral is the mum's partner.",
    ],
)
def test_ordinary_questions_are_left_alone(question: str):
    assert find_identifiers(question) == []
    assert scrub(question) == question


def test_kinds_are_listed_once_in_reading_order_and_described():
    text = "Mr Smith, DOB 01/02/2013, and Mrs Smith, NHS 943 476 5919"
    assert identifier_kinds(text) == ["NAME", "DATE_OF_BIRTH", "NHS_NUMBER"]
    assert describe(identifier_kinds(text)) == "a name, a date of birth and an NHS number"
    assert describe(["POSTCODE"]) == "a postcode"


VOCABULARY = frozenset(
    {"can", "i", "share", "the", "address", "with", "this", "did", "not", "help", "wrong", "for", "we", "are", "in",
     "wales", "caldicott", "guardian"}
)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("share Mohammed Morrison's records", "share [NAME]'s records"),
        ("my client hannah barnes", "my client [NAME]"),
        ("RE: JAYDEN SMITH", "RE: [NAME]"),
        ("my client's name is grace young, can I share?", "my client's name is [NAME], can I share?"),
        ("Can I share with Grace?", "Can I share with [NAME]?"),
        ("Wrong for Zebedee Quartermaine (07700 900461)", "Wrong for [NAME] ([PHONE])"),
        ("Can I share Jack's address with Mr Smith?", "Can I share [NAME]'s address with Mr [NAME]?"),
        ("Zed's mum refused. Zed Quill did not help.", "[NAME]'s mum refused. [NAME] did not help."),
        ("Ring Zed Quill today", "Ring [NAME] today"),
    ],
)
def test_the_page_finds_names_in_any_case_and_position(text: str, scrubbed: str):
    assert scrub(text, VOCABULARY) == scrubbed
    assert "NAME" in identifier_kinds(text, VOCABULARY)


@pytest.mark.parametrize(
    "question",
    [
        "Will I need consent from the young person?",
        "Mark the record with the date you shared.",
        "We hope to share by May.",
        "A young carer saw a white van.",
        "Is the duty different in Wales or Cardiff?",
        "Can school attendance data be shared?",
        "Can I share with the Virtual School Head?",
    ],
)
def test_words_that_are_also_names_need_a_capital_in_mid_sentence_or_a_name_beside_them(question: str):
    assert find_identifiers(question, VOCABULARY) == []


@pytest.mark.parametrize(
    "written",
    ["04-Jun-2022", "4-jun-22", "27 04 2007", "27.04.07", "2007/04/27", "27042007", "April 27th, 2007",
     "27th of April 2007", "27 Apr 07", "21-may-09", "Sept 3", "3rd March"],
)
def test_dates_in_every_common_format(written: str):
    assert scrub(f"seen {written}, then") == "seen [DATE], then"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("He lives at 12 Acacia Road, Leeds with mum", "He lives at [ADDRESS] with mum"),
        ("lives at 12a acacia road", "lives at [ADDRESS]"),
        ("moved to Flat 4, Johnson Corner last month", "moved to [ADDRESS] last month"),
        ("She attends St Mary's C of E Primary School.", "She attends [SCHOOL]."),
        ("started at O'Brien Infant School today", "started at [SCHOOL] today"),
    ],
)
def test_addresses_and_schools_are_typed(text: str, scrubbed: str):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("Thanks for this", "Thanks for this"),
        ("my client zeb quill lives with her nan in Pontypridd", "my client [NAME] lives with her nan in [NAME]"),
        ("hannah young told the school nurse", "[NAME] told the school nurse"),
        ("Was the grunkle at home?", "Was the [WORD] at home?"),
        ("para 11 and 12 apply, aged 14, 3 weeks ago, case 4521", "para 11 and 12 apply, aged 14, 3 weeks ago, case [NUMBER]"),
        ("NHS 943 476 5919 under s16LA and s47, year 7", "NHS [NHS_NUMBER] under s16LA and s47, year 7"),
        ("We are in Wales, not Cardiff; the Caldicott Guardian and CAMHS help.",
         "We are in Wales, not Cardiff; the Caldicott Guardian and CAMHS help."),
    ],
)
def test_stored_text_keeps_only_words_the_guidance_or_practitioners_use(text: str, stored: str):
    assert scrub_stored(text, VOCABULARY) == stored


def _answer(question: str) -> Answer:
    citation = Citation(
        doc="isd-guidance", ref="para 11", label="Paragraph 11", text="Information must be shared.", score=0.9,
        sentences=["Information must be shared."], modals=["must"],
    )
    nearest = Citation(doc="isd-guidance", ref="para 12", label="Paragraph 12", text="Other.", score=0.5)
    return Answer(question=question, answer="> Information must be shared. (para 11)", abstained=False, urgent=False,
                  citations=[citation, nearest], corpus_version="test corpus")


def test_feedback_is_scrubbed_and_owner_only(tmp_path: Path):
    path = tmp_path / "deep" / "feedback.jsonl"
    record = make_record(_answer("Can I share about my client Zed Quill, DOB 14/07/2016?"), False,
                         "Please ring Zed Quill on 07700 900461", VOCABULARY)
    append_feedback(path, record)
    append_feedback(path, make_record(_answer("When must I share?"), True))
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["question"] == "Can I share about my client [NAME], DOB [DATE_OF_BIRTH]?"
    assert first["comment"] == "Please ring [NAME] on [PHONE]"
    assert (first["helpful"], first["cited"], first["nearest"]) == (False, ["para 11"], [])
    assert set(first) == {"time", "helpful", "question", "comment", "cited", "nearest", "abstained", "urgent",
                          "corpus_version"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [r.helpful for r in read_feedback(path)] == [False, True]


def test_feedback_on_disk_holds_no_name_address_or_school(tmp_path: Path):
    path = tmp_path / "feedback.jsonl"
    question = "Jayden Smith's mum Kerry says he goes to Hillside Primary School and lives at 4 Elm Road, Leeds"
    record = make_record(_answer(question), False, "wrong for jayden smith, ring kerry on 0113 496 0000", VOCABULARY)
    append_feedback(path, record)
    saved = path.read_text()
    assert json.loads(saved)["question"] == "[NAME]'s mum [NAME] says he goes to [SCHOOL] and lives at [ADDRESS]"
    assert json.loads(saved)["comment"] == "wrong for [NAME], ring [NAME] on [PHONE]"
    for secret in ("jayden", "smith", "kerry", "hillside", "elm", "leeds", "496"):
        assert secret not in saved.lower(), secret


def test_feedback_errors_say_what_to_do(tmp_path: Path):
    with pytest.raises(FeedbackError, match="keep it under 2000"):
        make_record(_answer("q"), True, "x" * 2001)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(FeedbackError, match="--feedback-path"):
        append_feedback(blocker / "feedback.jsonl", make_record(_answer("q"), True))


# --- End to end: a real `assistant serve` process, a real browser, and a search of every file it could write ---

IDENTIFIERS = {
    "name": "Zebedee Quartermaine",
    "nhs": "943 476 5919",
    "ni": "JT 48 16 27 B",
    "postcode": "LS11 9QW",
    "dob": "14/07/2016",
    "phone": "07700 900461",
    "email": "zebedee.q@example.org",
}
# Each identifier as typed and in the forms a program might store it (no spaces, parts).
NEEDLES = sorted(
    {v for v in IDENTIFIERS.values()} | {v.replace(" ", "") for v in IDENTIFIERS.values()}
    | {"Zebedee", "Quartermaine", "9434765919", "JT481627B", "LS119QW", "07700900461", "zebedee.q"}
)
QUESTION = (
    f"My client {IDENTIFIERS['name']}, DOB {IDENTIFIERS['dob']}, NHS number {IDENTIFIERS['nhs']}, "
    f"NI {IDENTIFIERS['ni']}, lives at {IDENTIFIERS['postcode']}, phone {IDENTIFIERS['phone']}, email "
    f"{IDENTIFIERS['email']}. Do I need her parent's consent to share with children's social care?"
)


def _files_holding_identifiers(roots: list[Path], since: float = 0.0) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for root in roots:
        for path in root.rglob("*") if root.exists() else []:
            try:
                if not path.is_file() or path.is_symlink() or path.stat().st_mtime < since:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            hits = [n for n in NEEDLES if n.encode() in data or n.encode("utf-16-le") in data]
            if hits:
                found[str(path)] = hits
    return found


@pytest.mark.slow
def test_a_question_full_of_identifiers_leaves_no_trace_on_disk(
    serve_process, new_browser_context, real_assistant, artifacts: Path, tmp_path: Path
):
    from gradio_client import Client

    started = time.time()
    home, temp, logs, feedback = tmp_path / "home", tmp_path / "tmp", tmp_path / "logs", tmp_path / "feedback"
    for folder in (home, temp):
        folder.mkdir()
    assert "GRADIO_TEMP_DIR" not in os.environ, "the server must pick its own private Gradio temp folder"
    env = {"HOME": str(home), "TMPDIR": str(temp), "XDG_DATA_HOME": str(home / ".local" / "share")}
    server = serve_process(["--feedback-path", str(feedback / "feedback.jsonl")], logs / "serve.log", env)
    server.wait_ready()
    gradio_temp = list(temp.glob("isd-assistant-gradio-*"))
    assert len(gradio_temp) == 1, "the server should use its own Gradio temp folder inside TMPDIR"

    # Through the API: ask, then send feedback whose comment repeats the identifiers.
    client = Client(server.url, verbose=False, download_files=False)
    conversation, _, _, _ = client.predict(QUESTION, api_name="/ask")
    record = client.predict(api_name="/record")
    assert "[NHS_NUMBER]" in conversation and "Zebedee" not in conversation
    assert "[NHS_NUMBER]" in record and "Zebedee" not in record
    status, _ = client.predict("Not helpful", f"Wrong for {IDENTIFIERS['name']} ({IDENTIFIERS['phone']})",
                               api_name="/feedback")
    assert status.startswith("Thank you. Saved without personal details")

    # Through a real browser with a new profile, which must keep nothing either.
    context = new_browser_context(tmp_path / "browser-profile")
    page = context.new_page()
    page.goto(server.url)
    page.fill("#question textarea", QUESTION)
    page.click("#ask-button")
    page.wait_for_selector("#conversation .privacy", timeout=60_000)
    assert "Zebedee" not in page.inner_text("#conversation")
    page.screenshot(path=str(artifacts / "ask-identifiers.png"))
    context.close()  # flushes the profile to disk

    assert _files_holding_identifiers([gradio_temp[0]]) == {}, "nothing in Gradio's temp folder while serving"
    assert server.stop() == 0
    assert not gradio_temp[0].exists(), "the private Gradio temp folder is removed when the server stops"

    lines = (feedback / "feedback.jsonl").read_text().splitlines()
    assert len(lines) == 1
    saved = json.loads(lines[0])
    assert saved["question"] == (
        "My client [NAME], DOB [DATE_OF_BIRTH], NHS number [NHS_NUMBER], NI [NI_NUMBER], lives at [POSTCODE], "
        "phone [PHONE], email [EMAIL]. Do I need her parent's consent to share with children's social care?"
    )
    assert saved["comment"] == "Wrong for [NAME] ([PHONE])"
    log = (logs / "serve.log").read_text()
    assert "Traceback" not in log

    # The feedback file, the server's log, home, temp folders, the browser profile and the index: no identifier.
    assert _files_holding_identifiers([tmp_path, real_assistant.settings.paths.index_dir]) == {}
    # And nothing new anywhere in the machine's temp folder.
    assert _files_holding_identifiers([Path("/tmp")], since=started) == {}
