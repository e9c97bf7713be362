"""`assistant serve` as a real process: loopback by default, several on one index, a Chroma server, fast failures."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from gradio_client import Client

from assistant.cli import cli
from assistant.search.chroma import server_collection_name, with_chroma_server
from assistant.search.retrieve import HybridRetriever
from assistant.settings import PROJECT_ROOT
from assistant.web.server import TEMP_PREFIX, remove_orphaned_temp_dirs
from tests.conftest import free_port, wait_for_url

QUESTION = "When can I decide not to share information?"


def _other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))  # UDP connect sends nothing; it only picks a route
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def _run_cli(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=PROJECT_ROOT)


def _ask(url: str) -> str:
    return Client(url, verbose=False, download_files=False).predict(QUESTION, api_name="/ask")[0]


def test_serve_options_reach_the_launcher(monkeypatch, tmp_path: Path):
    launched: dict = {}
    stopped: list[bool] = []

    class NoWorker:  # stands in for the answering worker process
        def __init__(self, settings, **options) -> None:
            self.settings = settings

        def close(self) -> None:
            stopped.append(True)

    monkeypatch.setattr("assistant.web.remote.RemoteAssistant", NoWorker)
    monkeypatch.setattr("assistant.web.server.launch", lambda assistant, **kw: launched.update(kw, settings=assistant.settings))
    port = free_port()
    result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--feedback-path", str(tmp_path / "f.jsonl")])
    assert result.exit_code == 0, result.output
    assert (launched["host"], launched["port"], launched["auth"]) == ("127.0.0.1", port, None)
    result = CliRunner().invoke(cli, ["serve", "--port", str(port)], env={"ASSISTANT_AUTH": "ann:pw"})
    assert result.exit_code == 0 and launched["auth"] == ("ann", "pw")
    assert stopped == [True, True], "the worker is stopped when the page stops"
    login = tmp_path / "login"
    login.write_text("justaname\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--auth-file", str(login)])
    assert result.exit_code == 8
    assert f"Error: The login must look like user:password (from the first line of {login})" in result.output


def test_unreachable_chroma_server_fails_before_the_model_loads():
    port = free_port()
    result = _run_cli(["serve", "--port", str(free_port()), "--chroma-host", "127.0.0.1", "--chroma-port", str(port)])
    assert result.returncode == 5
    assert f"Error: Cannot reach a Chroma server at 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr and "Loading weights" not in result.stderr


def test_a_load_error_in_the_worker_is_one_line_and_its_exit_code(corpus_copy: Path, tmp_path: Path):
    (corpus_copy / "manifest.yaml").write_text("documents: [\n", encoding="utf-8")
    result = _run_cli(["--corpus-dir", str(corpus_copy), "--index-dir", str(tmp_path / "index"), "serve",
                       "--port", str(free_port())])
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        "Opening the index and the query encoder…",
        f"Error: {corpus_copy / 'manifest.yaml'}:2: malformed YAML (did not find expected node content). Fix the syntax.",
    ]


GRADIO_PATCHES = """
import sys
import assistant.web.page
import gradio.component_meta, gradio.utils
from assistant.web.gradio_import import _no_stub

print(gradio.component_meta.create_or_modify_pyi is _no_stub)
with gradio.utils.MatplotlibBackendMananger():  # what Gradio does around every event handler
    pass
print("matplotlib" in sys.modules)
import matplotlib
matplotlib.use("svg")
with gradio.utils.MatplotlibBackendMananger():
    print(matplotlib.get_backend())
print(matplotlib.get_backend())

import gradio as gr
from gradio.routes import App

print(gr.Button.click.__doc__.startswith("Triggered when the Button is clicked."))  # filled without Jinja

with gr.Blocks() as demo:
    gr.Textbox()
demo.queue()
print(isinstance(demo.app, App), demo.app.get_blocks() is demo)  # built only when something uses it
demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
print(isinstance(demo.app, App), demo.app.get_blocks() is demo)
demo.close()
"""


def test_gradio_imports_without_its_stub_writer_matplotlib_or_apps_it_throws_away():
    result = subprocess.run([sys.executable, "-c", GRADIO_PATCHES, str(free_port())], capture_output=True, text=True,
                            timeout=120, cwd=PROJECT_ROOT, env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"})
    assert result.stdout.split()[:9] == ["True", "False", "agg", "svg", "True", "False", "True", "True", "True"], result.stderr


def _workers_of(pid: int) -> list[int]:
    """The answering worker processes that process `pid` started."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and b"assistant.web.worker" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _exited(pid: int, within: float = 15.0) -> bool:
    """Whether process `pid` is gone (or a zombie) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_serve_answers_from_its_worker_which_stops_with_it(serve_process, tmp_path: Path):
    server = serve_process([], tmp_path / "serve.log").wait_ready()
    assert QUESTION in _ask(server.url)
    lines = server.log.read_text().splitlines()
    assert lines[0] == "Opening the index and the query encoder…"
    assert re.fullmatch(r"Assistant ready \(\d+\.\d s\)\.", lines[1]), lines
    assert lines[2] == f"The practitioner page is at {server.url} (Ctrl-C to stop).", lines
    [worker] = _workers_of(server.process.pid)
    server.process.kill()  # SIGKILL: the page process runs no clean-up at all
    server.process.wait()
    assert _exited(worker), "the answering worker outlived the page process"


LAUNCH = """
import sys
from pathlib import Path
from assistant.settings import Settings
from assistant.web.server import launch

settings = Settings()
settings.paths.index_dir = Path(sys.argv[1])
launch(settings, port=int(sys.argv[2]))
"""


@pytest.mark.slow
def test_launch_from_settings_starts_and_stops_its_own_worker(real_assistant, tmp_path: Path):
    port = free_port()
    with (tmp_path / "launch.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-c", LAUNCH, str(real_assistant.settings.paths.index_dir), str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    try:
        wait_for_url(f"http://127.0.0.1:{port}/", process, tmp_path / "launch.log", 120, "launch")
        assert QUESTION in _ask(f"http://127.0.0.1:{port}/")
        [worker] = _workers_of(process.pid)
        process.terminate()
        assert process.wait(timeout=30) == 0
        assert _exited(worker, within=5.0), "launch stops the worker it started"
    finally:
        process.kill()
        process.wait()


@pytest.mark.slow
def test_two_servers_on_one_index_and_a_third_on_a_taken_port(serve_process, real_assistant, tmp_path: Path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    first = serve_process([], tmp_path / "first.log")
    # Started together, both open the same Chroma store.
    second = serve_process([], tmp_path / "second.log", env={"TMPDIR": str(temp)})
    first.wait_ready()
    second.wait_ready()
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(_ask, [first.url, second.url, first.url, second.url]))
    # The same answer from both, apart from the id that tells the browser one update from the next.
    assert len({re.sub(r'data-seq="[0-9a-f]+"', "", reply) for reply in replies}) == 1
    assert len({re.search(r'data-seq="([0-9a-f]+)"', reply).group(1) for reply in replies}) == 4  # type: ignore[union-attr]
    cited = [c.ref for c in real_assistant.ask(QUESTION).citations if c.sentences]
    assert all(f'data-ref="{ref}"' in replies[0] for ref in cited)

    other = _other_address()
    if other:  # bound to loopback only: the machine's other address refuses the connection
        with pytest.raises(OSError), socket.create_connection((other, first.port), timeout=5):
            pass

    taken = _run_cli(["--index-dir", str(real_assistant.settings.paths.index_dir), "serve", "--port", str(first.port)])
    assert taken.returncode == 8
    assert f"Error: Port {first.port} on 127.0.0.1 is not available" in taken.stderr
    assert "Loading weights" not in taken.stderr and "Traceback" not in taken.stderr
    assert first.stop() == 0
    mine = [p for p in temp.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert [p.name.split("-")[3] for p in mine] == [str(second.process.pid)], sorted(temp.iterdir())
    assert second.stop() == 0  # SIGTERM, as from `kill` or a service manager: a clean stop
    assert not mine[0].exists(), "the private Gradio temp folder is removed when the page stops"


def test_temp_folders_of_killed_pages_are_removed_on_the_next_start(tmp_path: Path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"{TEMP_PREFIX}{finished.stdout.strip()}-abc"
    live = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{TEMP_PREFIX}notapid"
    for folder in (dead, live, other):
        (folder / "sub").mkdir(parents=True)
    remove_orphaned_temp_dirs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


@pytest.mark.slow
def test_app_uses_a_chroma_server_keyed_by_fingerprint(serve_process, real_assistant, chroma_server, tmp_path: Path):
    import chromadb

    server = serve_process(["--chroma-host", "127.0.0.1", "--chroma-port", str(chroma_server)], tmp_path / "serve.log")
    server.wait_ready()
    reply = _ask(server.url)
    cited = [c.ref for c in real_assistant.ask(QUESTION).citations if c.sentences]
    assert all(f'data-ref="{ref}"' in reply for ref in cited)
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    name = server_collection_name(real_assistant.index.fingerprint)
    assert f"Loading {len(real_assistant.passages)} passage vectors into {name}" in server.log.read_text()
    assert [c.name for c in client.list_collections()] == [name]
    assert client.get_collection(name).count() == len(real_assistant.passages)

    # A second instance finds the collection full and adds nothing; its dense search matches the embedded store.
    settings = real_assistant.settings.model_copy(deep=True)
    settings.serve.chroma_host, settings.serve.chroma_port = "127.0.0.1", chroma_server
    logged: list[str] = []
    remote = with_chroma_server(real_assistant.index, settings, log=logged.append)
    assert logged == [] and client.get_collection(name).count() == len(real_assistant.passages)
    vector = real_assistant.embed(QUESTION).tolist()
    embedded = real_assistant.retriever.dense(vector, 10)
    from_server = HybridRetriever(remote, settings.retrieval).dense(vector, 10)
    assert list(from_server) == list(embedded)
    assert all(abs(from_server[i] - embedded[i]) < 1e-4 for i in embedded)
    assert server.stop() == 0
