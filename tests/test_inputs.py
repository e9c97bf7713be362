"""Input that cannot stall anything: YAML and JSON limits, batch lines that fail alone, and fuzzing of
the CLI and the page's API (Hypothesis) with no traceback anywhere."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import assistant.cli as cli_module
from assistant.cli import cli
from assistant.errors import QuestionError
from assistant.inputs import (
    MAX_DEPTH,
    MAX_LINE_BYTES,
    InputLimitError,
    batch_lines,
    batch_question,
    parse_json,
    parse_yaml,
    shown,
)

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def laughs(levels: int = 9) -> str:
    """312 bytes or so that stand for 9**levels strings once the aliases are expanded."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    names = "abcdefghijklmnop"
    for n in range(1, levels):
        text += f"{names[n]}: &{names[n]} [" + ",".join([f"*{names[n - 1]}"] * 9) + "]\n"
    return text + f"items: *{names[levels - 1]}\n"


def test_a_billion_laughs_is_refused_before_it_is_expanded():
    with pytest.raises(InputLimitError, match=r"^it expands to more than 500,000 values once its aliases"):
        parse_yaml(laughs())


def test_small_aliases_still_work_and_keep_line_numbers():
    data, root = parse_yaml("a: &x [1, 2]\nb: *x\n")
    assert data == {"a": [1, 2], "b": [1, 2]}
    assert root is not None and root.value[1][0].start_mark.line == 1
    assert parse_yaml("") == (None, None)


def test_an_alias_inside_its_own_anchor_is_refused():
    with pytest.raises(InputLimitError, match="refers to a value that contains it"):
        parse_yaml("a: &x [1, *x]\n")


def test_deep_nesting_is_refused():
    with pytest.raises(InputLimitError, match=f"nests deeper than {MAX_DEPTH} levels"):
        parse_yaml("items: " + "[" * 100 + "]" * 100)
    with pytest.raises(yaml.YAMLError, match="maximum nesting depth"):  # libyaml's own limit, far deeper
        parse_yaml("items: " + "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputLimitError, match="nests too deeply"):
        parse_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputLimitError, match=f"nests deeper than {MAX_DEPTH} levels"):
        parse_json("[" * 70 + "]" * 70)
    assert parse_json('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}


def test_values_are_shown_short_never_whole():
    assert shown("x" * 5000) == repr("x" * 39 + "…")
    assert shown("  two\n words ") == "'two words'"
    assert shown(list(range(10**5))) == "a list of 100000"
    assert shown({"a": 1}) == "a mapping of 1 keys"
    assert shown(3) == "3"
    assert shown(b"\x00") == "a value of type bytes"


def test_batch_lines_are_read_one_at_a_time_and_a_huge_line_is_cut_off():
    data = b"first\n\n  \n" + b"a" * (MAX_LINE_BYTES + 10) + b"\nlast\r\n"
    assert list(batch_lines(io.BytesIO(data))) == [(1, b"first"), (4, None), (5, b"last")]


@pytest.mark.parametrize(("line", "message"), [
    (None, "The line is longer than 64 KB"),
    (b'{"question": 5}', 'A JSON line needs "question" as text'),
    (b"[1, 2]", None),  # not an object: read as a plain question
    (b'{"question": "q", "history": "not a list"}', '"history" must be a list'),
    (b'{"question": "q", "history": [1]}', '"history" must be a list'),
    (b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}", "not valid JSON (it nests too deeply"),
    (b'{"question": "q"', "not valid JSON (Expecting"),
])
def test_batch_questions_say_what_is_wrong(line, message):
    if message is None:
        assert batch_question(line) == (line, None)
        return
    with pytest.raises(QuestionError, match=message.replace("(", r"\(")):
        batch_question(line)


def test_a_batch_goes_on_past_bad_lines(monkeypatch, fake_assistant):
    monkeypatch.setattr(cli_module, "_load", lambda ctx, progress=True: fake_assistant)
    lines = [
        b"Do I need consent to share?",
        b'{"question": "Can I share?", "history": "oops"}',
        b'{"question": "\\ud800 broken"}',
        b"[" * 30_000 + b"]" * 30_000,
        b"\xff\xfe not utf-8",
        b'{"question": "Who must share?", "history": ["Do I need consent?"]}',
    ]
    result = CliRunner().invoke(cli, ["ask", "--json", "-"], input=b"\n".join(lines) + b"\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 2
    assert [o.get("line") for o in out] == [None, 2, 3, 4, 5, None]
    assert out[0]["question"] == "Do I need consent to share?" and out[5]["question"] == "Who must share?"
    assert out[2]["error"].startswith("The question holds broken characters")
    assert out[3]["error"].startswith("The question is 60000 characters long")
    assert out[4]["error"].startswith("The question is not readable text")


def test_a_broken_argument_is_a_message_not_a_traceback(monkeypatch, fake_assistant):
    monkeypatch.setattr(cli_module, "_load", lambda ctx, progress=True: fake_assistant)
    broken = b"can I share \xff".decode("utf-8", "surrogateescape")  # what Python makes of such an argv
    for args in (["ask", broken], ["search", broken], ["ask", "--json", "--history", broken, "and then?"]):
        result = CliRunner().invoke(cli, args)
        assert (result.exit_code, result.stdout) == (2, ""), args
        assert "broken characters" in result.stderr


def test_a_history_that_is_not_a_list_is_refused(fake_assistant):
    with pytest.raises(QuestionError, match="history must be a list"):
        fake_assistant.ask("and if they refuse?", history="Do I need consent?")


@pytest.mark.parametrize(("command", "code"), [("eval", 6), ("decide --answers", 11)])
def test_files_of_nested_aliases_exit_with_a_message(tmp_path: Path, monkeypatch, fake_assistant, command, code):
    monkeypatch.setattr(cli_module, "_load", lambda ctx, progress=True: fake_assistant)
    bomb = tmp_path / "set.yaml"
    bomb.write_text(laughs())
    result = CliRunner().invoke(cli, [*command.split(), str(bomb)])
    assert result.exit_code == code
    assert "expands to more than 500,000 values" in result.stderr and "lol" not in result.stderr


# --- fuzzing -------------------------------------------------------------------------------------------

yaml_like = st.recursive(
    st.one_of(st.text(max_size=20), st.integers(), st.none(), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
set_texts = st.one_of(
    st.text(max_size=300),
    yaml_like.map(lambda v: yaml.safe_dump({"items": v})),
    st.builds(lambda n: laughs(n), st.integers(min_value=1, max_value=9)),
    st.builds(lambda d: "items: " + "[" * d + "]" * d, st.integers(min_value=1, max_value=3000)),
)


@FUZZ
@given(lines=st.lists(st.one_of(st.binary(max_size=80), st.text(max_size=80).map(str.encode),
                                yaml_like.map(lambda v: json.dumps({"question": v, "history": v}).encode())),
                      min_size=1, max_size=6))
def test_fuzz_batch(lines, monkeypatch, fake_assistant):
    monkeypatch.setattr(cli_module, "_load", lambda ctx, progress=True: fake_assistant)
    stdin = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines) + b"\n"
    result = CliRunner().invoke(cli, ["ask", "--json", "-"], input=stdin)
    assert result.exit_code in (0, 2) and "Traceback" not in result.output
    expected = sum(1 for n, _ in batch_lines(io.BytesIO(stdin)))
    assert len([json.loads(line) for line in result.stdout.splitlines()]) == expected


@FUZZ
@given(text=set_texts, suffix=st.sampled_from([".yaml", ".csv"]))
def test_fuzz_eval_and_decide_files(text, suffix, tmp_path_factory, monkeypatch, fake_assistant):
    monkeypatch.setattr(cli_module, "_load", lambda ctx, progress=True: fake_assistant)
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for args, codes in ((["eval", str(path)], (0, 6)), (["decide", "--answers", str(path)], (0, 11))):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code in codes, (args, result.stderr)
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.stderr and len(result.stderr) < 2000


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.one_of(st.text(max_size=300), st.binary(max_size=50).map(lambda b: b.decode("latin-1"))),
       comment=st.text(max_size=100), choice=st.sampled_from(["Helpful", "Not helpful", None, "<script>", ""]))
def test_fuzz_page_api(question, comment, choice, fuzz_client):
    """Every named API endpoint answers arbitrary text with a message, never an error."""
    client, upload_dir = fuzz_client
    conversation, _, _, _ = client.predict(question, api_name="/ask")
    assert conversation  # an answer or a message, never an exception in the client
    client.predict(choice, comment, api_name="/feedback")
    client.predict(question, api_name="/search")
    upload = upload_dir / "set.yaml"
    upload.write_text(question, encoding="utf-8", errors="surrogatepass")
    from gradio_client import handle_file

    message, *_ = client.predict(None, handle_file(str(upload)), False, api_name="/evaluate")
    assert message


@pytest.fixture
def fuzz_client(fake_page, tmp_path: Path):
    from gradio_client import Client

    return Client(fake_page.url, verbose=False, download_files=False), tmp_path
