"""Shared fixtures. The fake embedder is deterministic and needs no model; tests that
need the real model are marked `slow` (CI still runs them)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.search.model import quiet_environment
from assistant.settings import PROJECT_ROOT, Settings

quiet_environment()
CORPUS = PROJECT_ROOT / "corpus"
DIM = 512


class HashingEmbedding(BaseEmbedding):
    """Bag of hashed word stems, L2-normalised: texts sharing words get similar vectors."""

    def __init__(self) -> None:
        super().__init__(model_name="hashing-512", embed_batch_size=64)

    @staticmethod
    def vector(text: str) -> list[float]:
        out = np.zeros(DIM, dtype=np.float32)
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            if len(word) > 2:
                out[int(hashlib.md5(word[:6].encode()).hexdigest(), 16) % DIM] += 1.0
        norm = float(np.linalg.norm(out))
        return (out / norm if norm else out).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self.vector(query)


@pytest.fixture
def fake_embedder() -> HashingEmbedding:
    return HashingEmbedding()


@pytest.fixture
def fake_model(fake_embedder: HashingEmbedding):
    """The fake embedder as the index sees a model: it embeds passages and questions alike."""
    from assistant.search.model import LlamaIndexModel

    return LlamaIndexModel(fake_embedder)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    s = Settings()
    s.paths.corpus_dir = corpus_copy
    s.paths.index_dir = tmp_path / "index"
    return s


@pytest.fixture
def fake_assistant(settings: Settings, fake_model):
    from assistant.api import Assistant

    settings.answer.abstain_below = 0.35  # above chance overlaps of hashed words with 2,000 stored questions
    # Bag-of-words vectors make near-topic out-of-scope questions look alike; the scope rule itself
    # is tested on its own (test_answer.py) and with the real model (test_real_model.py).
    # The nearest-neighbour rule with a margin of 0.3: abstain when "outside minus inside" reaches 0.3.
    settings.answer.scope_weights = [50.0, 0.0, 0.0, 0.0, 0.0]
    settings.answer.scope_bias = -15.0
    settings.answer.scope_threshold = 0.5
    return Assistant.load(settings, log=lambda m: None, progress=False, model=fake_model)


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory):
    """The real model and a real index built in a temporary folder, once per session."""
    from assistant.api import Assistant

    s = Settings()
    s.paths.index_dir = tmp_path_factory.mktemp("real-index")
    return Assistant.load(s, log=lambda m: None, progress=False)


# --- Serving the practitioner page: in-process servers, `assistant serve` processes, a real browser ---

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "artifacts"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_url(url: str, process, log: Path, timeout: float, what: str) -> None:
    """Wait until `url` answers 200; fail with the process's log if it exits or the time runs out."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{what} did not answer within {timeout} s:\n{log.read_text()}")


class ServedPage:
    """A page served on loopback: its URL and the feedback file it appends to."""

    def __init__(self, url: str, feedback_path: Path) -> None:
        self.url = url
        self.feedback_path = feedback_path


def serve_in_process(assistant, feedback_path: Path, auth: tuple[str, str] | None = None):
    """Build the whole page (every tab) and serve it from a thread; returns (demo, ServedPage)."""
    from assistant.web.page import build
    from assistant.web.server import start

    assistant.settings.serve.feedback_path = feedback_path
    demo = build(assistant)
    port = free_port()
    start(demo, "127.0.0.1", port, auth=auth, block=False)
    return demo, ServedPage(f"http://127.0.0.1:{port}/", feedback_path)


@pytest.fixture
def serve_page():
    """Serve the page in-process with your own options: serve_page(assistant, feedback_path, auth=None)."""
    demos = []

    def serve(assistant, feedback_path: Path, auth: tuple[str, str] | None = None) -> ServedPage:
        demo, served = serve_in_process(assistant, feedback_path, auth)
        demos.append(demo)
        return served

    yield serve
    for demo in demos:
        demo.close()


@pytest.fixture
def fake_page(fake_assistant, serve_page, tmp_path: Path) -> ServedPage:
    """The page over the deterministic fake assistant: fast, for API and privacy-setting tests."""
    return serve_page(fake_assistant, tmp_path / "feedback" / "feedback.jsonl")


@pytest.fixture(scope="session")
def ui_server(real_assistant, tmp_path_factory: pytest.TempPathFactory):
    """The whole page with the real assistant, served once per session. Browser tests for any tab use it."""
    demo, served = serve_in_process(real_assistant, tmp_path_factory.mktemp("ui-feedback") / "feedback.jsonl")
    yield served
    demo.close()


def chromium_context(playwright, profile: Path):
    """Debian's chromium, headless, with a new empty profile folder."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (.ci/run does this).")
    return playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
        viewport={"width": 1400, "height": 1000}, accept_downloads=True,
    )


@pytest.fixture(scope="session")
def playwright_session():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def new_browser_context(playwright_session):
    """Open chromium on a profile folder you choose (to inspect it afterwards): new_browser_context(path)."""
    opened = []

    def open_context(profile: Path):
        opened.append(chromium_context(playwright_session, profile))
        return opened[-1]

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture(scope="session")
def browser_context(playwright_session, tmp_path_factory: pytest.TempPathFactory):
    context = chromium_context(playwright_session, tmp_path_factory.mktemp("chromium-profile"))
    yield context
    context.close()


@pytest.fixture
def browser_page(browser_context):
    """A fresh tab; go to `ui_server.url` (plus any query) yourself. Screenshots go in `artifacts`."""
    page = browser_context.new_page()
    yield page
    page.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class ServeProcess:
    """`assistant serve` in its own process, its output in a log file."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None, port: int | None = None) -> None:
        import os
        import subprocess
        import sys

        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "assistant", *args, "--port", str(self.port)]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=PROJECT_ROOT,
            )

    def wait_ready(self, timeout: float = 240.0) -> ServeProcess:
        wait_for_url(self.url, self.process, self.log, timeout, "assistant serve")
        return self

    def stop(self, signal_number: int | None = None) -> int:
        """Stop with SIGTERM (as `kill` does) or the signal given; returns the exit code.

        Not SIGINT by default: a shell running tests in the background makes its children ignore it.
        """
        import signal
        import subprocess

        if self.process.poll() is None:
            self.process.send_signal(signal_number or signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def serve_process(real_assistant):
    """Start `assistant serve` processes on the session's real index: serve_process(extra_args, log, env, port)."""
    started: list[ServeProcess] = []

    def start(args: list[str], log: Path, env: dict[str, str] | None = None, port: int | None = None) -> ServeProcess:
        index = ["--index-dir", str(real_assistant.settings.paths.index_dir)]
        started.append(ServeProcess([*index, "serve", *args], log, env, port))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A real `chroma run` on loopback with its data in a temporary folder; yields its port."""
    import subprocess
    import sys

    port = free_port()
    command = [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp_path / "chroma-server"),
               "--host", "127.0.0.1", "--port", str(port)]
    with (tmp_path / "chroma.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    wait_for_url(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, tmp_path / "chroma.log", 60, "chroma run")
    yield port
    process.terminate()
    process.wait(timeout=30)
