"""The answering side of `assistant serve`, in a process of its own.

Opening ONNX Runtime, Chroma and the index takes 1–2 s, and importing Gradio and building the page
as long again. A worker process loads the assistant on one core while the page process imports
Gradio and builds the page on the other. `RemoteAssistant` (assistant/web/remote.py) stands in for the `Assistant` there:
`settings` is a local copy, `passages` and `corpus_version` come once from the worker, and every
public method (`ask`, `search`, `embed`, and any added later) is forwarded with a request id, so
Gradio's threads ask at once. Results and exceptions (a `QuestionError` is raised again as itself,
with its message) come back pickled. The worker exits with the page process, however that ends; if
it dies, the calls waiting on it and the next call fail with a `ServeError` saying so, and a new
worker starts. Questions cross a local socket only; nothing is logged.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.settings import Settings

# Asked by the worker itself once it has loaded, so the first practitioner's question finds
# ONNX Runtime's session and Chroma's store warm.
WARM_UP_QUESTION = "When must I share information with children's social care?"
STOP_SECONDS = 5.0
# The worker imports this package from where this process found it, whatever its working folder.
WORKER_CODE = (
    f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r}); "
    "from assistant.web.worker import main; main()"
)


class RemoteFailure(Exception):
    """A worker exception that cannot travel back as itself: only its type name (its message may quote the question)."""


def portable(exc: BaseException) -> Exception:
    """`exc` if it survives pickling as the same type with the same message, else a RemoteFailure naming it."""
    with contextlib.suppress(Exception):
        copy = pickle.loads(pickle.dumps(exc))
        if isinstance(exc, Exception) and type(copy) is type(exc) and str(copy) == str(exc):
            return exc
    return RemoteFailure(f"{type(exc).__name__} in the answering process")


def public_methods(assistant: object) -> list[str]:
    """The methods a page may call: public functions of the assistant's class (not `load`)."""
    kind = type(assistant)
    return sorted(name for name in dir(kind) if not name.startswith("_") and inspect.isfunction(getattr(kind, name)))


# --- The worker process ---


def _exit_with_parent(lifeline: int) -> None:
    """Exit as soon as the page process is gone (killed outright, too), even in the middle of loading:
    it holds the other end of the `lifeline` pipe, which reads as closed once it has exited."""

    def watch() -> None:
        os.read(lifeline, 1)  # nothing is ever written: this returns once the page process has gone
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _send(conn: Connection, lock: threading.Lock, message: object) -> None:
    with lock, contextlib.suppress(OSError):  # OSError: the page process is gone, and the watcher ends this one
        conn.send(message)


def _answer(assistant: Any, methods: list[str], request: tuple[int, str, tuple[Any, ...], dict[str, Any]],
            conn: Connection, lock: threading.Lock) -> None:
    request_id, name, args, kwargs = request
    try:
        if name not in methods:
            raise AttributeError(f"The assistant has no method {name!r}.")
        reply = (request_id, True, pickle.dumps(getattr(assistant, name)(*args, **kwargs)))
    except Exception as exc:
        reply = (request_id, False, pickle.dumps(portable(exc)))
    _send(conn, lock, reply)


def serve(conn: Connection, settings: Settings, progress: bool, warm_up: str | None, threads: int) -> None:
    """Load the assistant, say so (or why it cannot), then answer requests until the pipe closes."""
    lock = threading.Lock()
    started = time.monotonic()
    try:
        from assistant.api import Assistant

        assistant = Assistant.load(settings, progress=progress)
        methods = public_methods(assistant)
        ready = {"passages": assistant.passages, "corpus_version": assistant.corpus_version, "methods": methods,
                 "seconds": time.monotonic() - started}
    except BaseException as exc:
        _send(conn, lock, ("failed", pickle.dumps(portable(exc))))
        return
    # Ready first: the page builds with the passages while the warm-up runs; questions wait for it in the pipe.
    _send(conn, lock, ("ready", pickle.dumps(ready)))
    if warm_up:
        with contextlib.suppress(Exception):  # a real question meets the same problem and reports it
            assistant.ask(warm_up)
    with ThreadPoolExecutor(threads, thread_name_prefix="answer") as pool, contextlib.suppress(EOFError, OSError):
        while (request := conn.recv()) is not None:  # None, or the pipe closing: the page process is done
            pool.submit(_answer, assistant, methods, request, conn, lock)


def main() -> None:
    """The worker process: `python -c "…; main()" CONNECTION_FD LIFELINE_FD`, started by `_Worker`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the page process stops it; an interrupt is its business
    _exit_with_parent(int(sys.argv[2]))
    try:
        with contextlib.suppress(EOFError, OSError):  # the page process went away before it said what to load
            conn = Connection(int(sys.argv[1]))
            serve(conn, *conn.recv())
    except BaseException:  # never a traceback on the page's terminal: the page reports the exit code
        os._exit(1)
