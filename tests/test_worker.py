"""The answering worker of `assistant serve` (assistant/web/worker.py): a real process on the real index.

It answers as the in-process Assistant does, raises the same errors, takes calls from several
threads, reports and replaces a worker that was killed, and never outlives the process that started it.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import CorpusError, QuestionError, ServeError
from assistant.settings import PROJECT_ROOT
from assistant.web.remote import RemoteAssistant
from assistant.web.worker import RemoteFailure, portable, public_methods

QUESTIONS = [
    "Do I need the parent's consent before I share?",
    "When can I decide not to share information?",
    "What should I record about my decision?",
    "Does the duty apply to schools?",
    "Can I share information about mum's new partner?",
    "What is a child for the purposes of the duty?",
]


def exited(pid: int, within: float = 15.0) -> bool:
    """Whether process `pid` is gone (or a zombie) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def remote(real_assistant):
    with RemoteAssistant(real_assistant.settings.model_copy(deep=True)) as worker:
        worker.wait_ready()
        yield worker


def test_portable_errors_keep_their_type_and_message():
    error = QuestionError("The question is empty.")
    assert portable(error) is error
    corpus = portable(CorpusError("malformed YAML", path="corpus/manifest.yaml", line=2))
    copy = pickle.loads(pickle.dumps(corpus))
    assert (type(copy), str(copy)) == (CorpusError, "corpus/manifest.yaml:2: malformed YAML")

    class Local(Exception):  # defined in a function: cannot be pickled by reference
        pass

    stand_in = portable(Local("my client Jo Bloggs, DOB 01/02/2015"))
    assert isinstance(stand_in, RemoteFailure)
    assert str(stand_in) == "Local in the answering process"  # the message, which may quote a question, stays behind
    assert isinstance(portable(KeyboardInterrupt()), RemoteFailure)


@pytest.mark.slow
def test_worker_answers_as_the_assistant_does(remote, real_assistant):
    assert remote.settings.paths.index_dir == real_assistant.settings.paths.index_dir
    assert remote.passages == real_assistant.passages
    assert remote.corpus_version == real_assistant.corpus_version
    assert remote.pid != os.getpid()

    answer = remote.ask(QUESTIONS[0])
    assert answer.model_dump() == real_assistant.ask(QUESTIONS[0]).model_dump()
    follow = remote.ask("what if they refuse?", history=[answer])
    assert follow.model_dump() == real_assistant.ask("what if they refuse?", history=[answer]).model_dump()
    assert follow.followup_of == QUESTIONS[0]

    hits = remote.search(QUESTIONS[1], k=5, exclude=["para 11"])
    expected = real_assistant.search(QUESTIONS[1], k=5, exclude=["para 11"])
    assert [(h.passage.ref, round(h.score, 6)) for h in hits] == [(h.passage.ref, round(h.score, 6)) for h in expected]
    assert "para 11" not in [h.passage.ref for h in hits]
    assert np.allclose(remote.embed(QUESTIONS[2]), real_assistant.embed(QUESTIONS[2]), atol=1e-6)
    # Results point at the page's own passages: an answer kept in a session holds no second copy of their text.
    own = {p.ref: p for p in remote.passages}
    assert all(c.text is own[c.ref].text for c in answer.citations)
    assert all(h.passage is own[h.passage.ref] for h in hits)

    # Every public method of Assistant is forwarded, including ones added after the worker was written.
    methods = public_methods(real_assistant)
    assert {"ask", "search", "embed"} <= set(methods) and "load" not in methods
    assert all(callable(getattr(remote, name)) for name in methods)
    assert remote.call("search", QUESTIONS[1], k=3)[0].passage.ref == expected[0].passage.ref


@pytest.mark.slow
def test_worker_errors_are_raised_as_the_same_type_and_message(remote, real_assistant):
    for bad in ["", "   ", "x" * 5000, "bell\x07"]:
        with pytest.raises(QuestionError) as in_process:
            real_assistant.ask(bad)
        with pytest.raises(QuestionError) as remotely:
            remote.ask(bad)
        assert str(remotely.value) == str(in_process.value)
    with pytest.raises(AttributeError, match="'index' is not available from the answering process"):
        _ = remote.index
    with pytest.raises(AttributeError, match="no method 'load'"):
        remote.call("load")
    assert remote.ask(QUESTIONS[3]).question == QUESTIONS[3]  # still answering after the errors


@pytest.mark.slow
def test_calls_from_many_threads_get_their_own_answers(remote, real_assistant):
    expected = {q: real_assistant.ask(q).model_dump() for q in QUESTIONS}
    asked = QUESTIONS * 4
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(remote.ask, asked))
    assert [a.model_dump() for a in answers] == [expected[q] for q in asked]


@pytest.mark.slow
def test_the_evaluate_tab_runs_a_set_through_the_worker(remote, real_assistant):
    from assistant.evaluation.run import run_sets
    from assistant.evaluation.sets import read_eval_set

    known = {p.ref for p in real_assistant.passages}
    sets = [read_eval_set(PROJECT_ROOT / "evals" / "practitioner.yaml", known)]

    def outcome(assistant) -> list[tuple]:
        results = run_sets(assistant, sets, baselines=False)
        return [(r.id, r.cited_refs, r.ranked_refs, r.abstained, r.passed) for r in results.items]

    assert outcome(remote) == outcome(real_assistant)


@pytest.mark.slow
def test_a_killed_worker_is_reported_then_replaced(real_assistant):
    with RemoteAssistant(real_assistant.settings.model_copy(deep=True), warm_up=None) as remote:
        remote.wait_ready()
        first = remote.pid
        os.kill(first, signal.SIGKILL)
        assert exited(first)
        with pytest.raises(ServeError, match=r"The answering process stopped unexpectedly \(signal 9\)\. It is being "
                                             r"restarted: ask again in a few seconds\."):
            remote.ask(QUESTIONS[0])
        # The next call waits for the new worker and is answered.
        assert remote.ask(QUESTIONS[0]).model_dump() == real_assistant.ask(QUESTIONS[0]).model_dump()
        assert remote.pid != first
        second = remote.pid
    assert exited(second, within=1.0), "close() stops and reaps the worker"
    remote.close()  # twice is fine


def test_a_load_error_is_raised_as_itself_and_not_retried(settings):
    (settings.paths.corpus_dir / "manifest.yaml").write_text("documents: [\n", encoding="utf-8")
    with pytest.raises(CorpusError) as in_process:
        from assistant.api import Assistant

        Assistant.load(settings, log=lambda m: None, progress=False)
    with RemoteAssistant(settings) as remote:
        pid = remote.pid
        for _ in range(2):
            with pytest.raises(CorpusError) as remotely:
                _ = remote.passages
            assert str(remotely.value) == str(in_process.value)
            assert str(remotely.value).startswith(f"{settings.paths.corpus_dir / 'manifest.yaml'}:2: malformed YAML")
        assert remote.pid == pid, "a first load that failed is reported, not started again"
    assert exited(pid, within=1.0)


PARENT = """
import sys, time
from pathlib import Path
from assistant.settings import Settings
from assistant.web.remote import RemoteAssistant

settings = Settings()
settings.paths.index_dir = Path(sys.argv[1])
remote = RemoteAssistant(settings)
print(remote.pid, flush=True)
if sys.argv[2] == "ready":
    remote.wait_ready()
    print("ready", flush=True)
time.sleep(600)
"""


@pytest.mark.slow
@pytest.mark.parametrize("when", ["loading", "ready"])
def test_the_worker_never_outlives_its_parent(real_assistant, when: str):
    index = str(real_assistant.settings.paths.index_dir)
    parent = subprocess.Popen([sys.executable, "-c", PARENT, index, when], stdout=subprocess.PIPE, text=True,
                              cwd=PROJECT_ROOT)
    assert parent.stdout is not None
    try:
        worker = int(parent.stdout.readline())
        if when == "ready":
            assert parent.stdout.readline().strip() == "ready"
        assert not exited(worker, within=0.2)
        parent.send_signal(signal.SIGKILL)  # no clean-up code runs in the parent
        parent.wait(timeout=10)
        assert exited(worker), f"worker {worker} outlived its parent"
    finally:
        parent.kill()
        parent.wait()
