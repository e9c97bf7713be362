"""The page process's side of `assistant serve`'s answering worker (assistant/web/worker.py).

`RemoteAssistant` stands in for the `Assistant` in the page process: it starts the worker, forwards
every public method to it with a request id so Gradio's threads ask at once, raises the worker's
exceptions again as themselves, and starts a new worker when one dies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from assistant.errors import ServeError
from assistant.web.worker import STOP_SECONDS, WARM_UP_QUESTION, WORKER_CODE

if TYPE_CHECKING:
    from assistant.models import Passage
    from assistant.search.model import EmbeddingModel
    from assistant.settings import Settings


class _Worker:
    """One worker process: its pipe, the calls waiting for it, and whether it is ready or gone."""

    def __init__(self, settings: Settings, progress: bool, warm_up: str | None,
                 on_ready: Callable[[float], None] | None) -> None:
        self.conn, child = multiprocessing.Pipe()
        lifeline, self.lifeline = os.pipe()  # this process holds the write end open while it lives
        try:
            # A new interpreter (never a fork of a threaded process) that imports only what answering needs,
            # not this process's main module as multiprocessing's spawn would; in its own process group, so
            # Ctrl-C reaches the page process only, which then stops it (never mid-import).
            self.process = subprocess.Popen(
                [sys.executable, "-c", WORKER_CODE, str(child.fileno()), str(lifeline)],
                pass_fds=(child.fileno(), lifeline), stdin=subprocess.DEVNULL, process_group=0,
            )
        except OSError as exc:
            self.conn.close()
            os.close(self.lifeline)
            raise ServeError(f"Cannot start the answering process: {exc.strerror or exc}.") from None
        finally:
            child.close()
            os.close(lifeline)
        with contextlib.suppress(OSError):  # gone at once: the reader below reports it
            self.conn.send((settings, progress, warm_up, settings.serve.concurrency))
        self.on_ready = on_ready
        self.ready = threading.Event()
        self.info: dict[str, Any] = {}
        self.failure: Exception | None = None
        self.alive = True
        self.stopped = False
        self.lock = threading.Lock()  # guards `pending` and `alive`
        self.send_lock = threading.Lock()  # a Connection is not safe to write from several threads
        self.pending: dict[int, Future[Any]] = {}
        self.ids = itertools.count()
        threading.Thread(target=self._read, name="assistant-worker-replies", daemon=True).start()

    def died(self) -> WorkerStopped:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            code = None
        how = f"exit code {code}" if code is None or code >= 0 else f"signal {-code}"
        if not self.info:
            return WorkerStopped(f"The answering process stopped while loading the assistant ({how}). "
                                 "Run `assistant index` to see the problem on its own.")
        return WorkerStopped(f"The answering process stopped unexpectedly ({how}). "
                             "It is being restarted: ask again in a few seconds.")

    def _read(self) -> None:
        try:
            kind, payload = self.conn.recv()
            loaded = _unpickled(payload)
            if kind == "ready" and isinstance(loaded, dict):
                self.info = loaded
            else:
                self.failure = loaded if isinstance(loaded, Exception) else ServeError("The answering process failed.")
        except (EOFError, OSError):
            self.failure = self.died()
        if self.failure is None and self.on_ready:
            with contextlib.suppress(Exception):  # a progress line must not stop the replies
                self.on_ready(self.info["seconds"])
        self.ready.set()
        if self.failure is None:
            self._replies()
        with self.lock:
            self.alive = False
            waiting = list(self.pending.values())
            self.pending.clear()
        if waiting:
            reason = self.died()
            for future in waiting:
                future.set_exception(reason)

    def _replies(self) -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                request_id, ok, payload = self.conn.recv()
                with self.lock:
                    future = self.pending.pop(request_id, None)
                if future is not None:  # the caller unpickles: this thread only hands replies out
                    future.set_result((ok, payload))

    def wait_ready(self) -> dict[str, Any]:
        self.ready.wait()
        if self.failure is not None:
            raise self.failure.with_traceback(None)  # raised again on every call: keep its traceback from growing
        return self.info

    @property
    def gone(self) -> bool:
        """Failed to load, or stopped after loading: a new worker is needed."""
        return self.ready.is_set() and (self.failure is not None or not self.alive)

    def call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.wait_ready()
        future: Future[Any] = Future()
        with self.lock:
            if not self.alive:
                raise self.died()
            request_id = next(self.ids)
            self.pending[request_id] = future
        try:
            with self.send_lock:
                self.conn.send((request_id, name, args, kwargs))
        except BaseException as exc:
            with self.lock:
                self.pending.pop(request_id, None)
            if isinstance(exc, OSError):
                raise self.died() from None
            raise
        ok, payload = future.result()
        value = _unpickled(payload)
        if ok and not isinstance(value, _Unreadable):
            return value
        raise value

    def stop(self) -> None:
        """Let a ready worker finish the answers it is writing; a worker still loading is stopped at once."""
        if self.stopped:
            return
        self.stopped = True
        loaded = self.ready.is_set() and self.failure is None
        with self.send_lock, contextlib.suppress(OSError):
            self.conn.send(None)
        try:
            self.process.wait(timeout=STOP_SECONDS if loaded else 0.1)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.conn.close()
        os.close(self.lifeline)


class WorkerStopped(ServeError):
    """The worker process is gone (killed, crashed, out of memory)."""


class _Unreadable(ServeError):
    pass


def _unpickled(payload: bytes) -> Any:
    try:
        return pickle.loads(payload)
    except Exception as exc:
        return _Unreadable(f"The answering process sent a reply that cannot be read ({type(exc).__name__}).")


class _SharedCopies:
    """Points the worker's results at the page's own copies of passages and their texts. An answer
    quotes whole passages (some 8 KB); a conversation keeps its answers in the session, and without
    this each would hold its own copy of text the page already has."""

    def __init__(self, passages: list[Passage]) -> None:
        self.passages = {(p.doc, p.ref): p for p in passages}
        self.strings = {s: s for p in passages for s in (p.text, p.heading, p.label)}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.strings.get(value, value)
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, BaseModel):
            own = self.passages.get((getattr(value, "doc", None), getattr(value, "ref", None)))
            if own is not None and type(own) is type(value) and own == value:
                return own
            for name, field in list(value.__dict__.items()):
                value.__dict__[name] = self(field)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                object.__setattr__(value, field.name, self(getattr(value, field.name)))
        return value


class RemoteAssistant(contextlib.AbstractContextManager["RemoteAssistant"]):
    """An `Assistant` loaded and answering in a worker process; start it before importing Gradio.

    `on_ready(seconds)` is called (from a background thread) when the worker has loaded and
    warmed up. Every public method of `Assistant` is forwarded; `close()` stops the worker.
    """

    def __init__(
        self, settings: Settings, progress: bool = False, warm_up: str | None = WARM_UP_QUESTION,
        on_ready: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self._options = (progress, warm_up, on_ready)
        self._lock = threading.Lock()
        self._info: dict[str, Any] | None = None
        self._shared: _SharedCopies | None = None
        self._model: EmbeddingModel | None = None
        self._worker = _Worker(settings, *self._options)

    @property
    def pid(self) -> int:
        """The worker's process id (it changes when the worker is restarted)."""
        return self._worker.process.pid

    def wait_ready(self) -> None:
        """Block until the worker has loaded; raise its load error (e.g. a CorpusError) if it could not."""
        self._info = self._current().wait_ready()

    def _current(self) -> _Worker:
        """The worker; one found gone is replaced, and this call fails with the reason."""
        worker = self._worker
        if worker.gone:
            self._replace(worker)
            raise (worker.failure or worker.died()).with_traceback(None)
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Start a new worker in place of `worker`, once the assistant has been ready (a first load that
        failed keeps failing with its error, which `assistant serve` reports before it serves)."""
        with self._lock:
            if self._worker is worker and self._info is not None:
                worker.stop()
                self._worker = _Worker(self.settings, *self._options)

    def _loaded(self) -> dict[str, Any]:
        if self._info is None:
            self.wait_ready()
        return self._info  # type: ignore[return-value]  (set by wait_ready, or it raised)

    def _shared_copies(self) -> _SharedCopies:
        self._shared = self._shared or _SharedCopies(self._loaded()["passages"])
        return self._shared

    @property
    def passages(self) -> list[Passage]:
        return list(self._loaded()["passages"])

    @property
    def corpus_version(self) -> str:
        return str(self._loaded()["corpus_version"])

    @property
    def model(self) -> EmbeddingModel:
        """The embedding model in this process (the Evaluate tab's baseline retrievers embed documents with it)."""
        if self._model is None:
            from assistant.search.model import MiniLM

            self._model = MiniLM()
        return self._model

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run `Assistant.<name>(*args, **kwargs)` in the worker and return its result (or raise its error)."""
        worker = self._current()
        try:
            result = worker.call(name, args, kwargs)
        except WorkerStopped:
            self._replace(worker)
            raise
        return self._shared_copies()(result)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        methods = self._loaded()["methods"]
        if name not in methods:
            raise AttributeError(
                f"{name!r} is not available from the answering process: use settings, passages, corpus_version, "
                f"model or one of its methods ({', '.join(methods)})."
            )

        def forward(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)

        forward.__name__ = name
        return forward

    def close(self) -> None:
        """Stop the worker and reap it (also on leaving a `with` block)."""
        with self._lock:
            self._worker.stop()

    def __exit__(self, *exc: object) -> None:
        self.close()
