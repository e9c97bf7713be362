"""Import Gradio faster, and answer its first request without importing matplotlib.

Gradio 6 rewrites a `.pyi` type stub beside each of its components every time it is
imported (`gradio.component_meta.create_or_modify_pyi`): it parses each component's
source with `ast` and writes into site-packages. That is editor support for Gradio's own
developers, and it is about half of `import gradio` (2 of 3.7 s on the 2-core machine).
A page server has no use for it, so the writer is replaced by a no-op as soon as its
module is loaded, before any component class is defined.

Gradio also wraps every event handler in `gradio.utils.MatplotlibBackendMananger`, which
imports matplotlib and resolves its backend (about 0.5 s, on the first question asked) only
to switch it to "agg" for handlers that draw with pyplot. The page draws nothing with pyplot
(evaluation charts use matplotlib's Figure API, which needs no backend), so the switch is
made only once something else has imported matplotlib; MPLBACKEND=agg (unless already set)
keeps a later pyplot import off any display in the meantime.

Each event listener's docstring (`Button.click.__doc__`, …) is a Jinja template rendered at import
to name its component: 216 of them, about 0.3 s. Those holding nothing but `{{ component }}`
slots are filled by plain substitution, which gives the same text.

Gradio builds its FastAPI app (some 80 routes, 0.05–0.1 s each time) when a `Blocks` closes,
on every `queue()` (one in `Blocks.__init__`) and at `launch()`; only the last one serves. The
earlier ones are deferred: a stand-in builds the app only if something uses it before `launch()`.

If a Gradio release renames any of these, nothing is patched and Gradio works as before, only slower.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

STUB_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"
BACKEND_MODULE = "gradio.utils"
BACKEND_MANAGER = "MatplotlibBackendMananger"  # sic, as Gradio spells it
BLOCKS_MODULE = "gradio.blocks"
EVENTS_MODULE = "gradio.events"


def _no_stub(*args: Any, **kwargs: Any) -> None:
    """Write no type stub."""


def _skip_stubs(module: ModuleType) -> None:
    if hasattr(module, STUB_WRITER):
        setattr(module, STUB_WRITER, _no_stub)


def _backend_switch_once_loaded(module: ModuleType) -> None:
    manager = getattr(module, BACKEND_MANAGER, None)
    if not isinstance(manager, type):
        return

    class BackendSwitchOnceLoaded(manager):  # type: ignore[misc, valid-type]
        """Gradio's switch to the "agg" backend, made only when matplotlib is already imported."""

        def __enter__(self) -> None:
            self._switched = "matplotlib" in sys.modules
            if self._switched:
                super().__enter__()

        def __exit__(self, *exc: object) -> None:
            if getattr(self, "_switched", False):
                super().__exit__(*exc)

    os.environ.setdefault("MPLBACKEND", "agg")
    setattr(module, BACKEND_MANAGER, BackendSwitchOnceLoaded)


COMPONENT_SLOT = re.compile(r"\{\{\s*component\s*\}\}")


def _fill_docs_without_jinja(module: ModuleType) -> None:
    listener = getattr(module, "EventListener", None)
    render = getattr(listener, "set_doc", None)
    if not callable(render):
        return

    def set_doc(self: Any, component: str) -> None:
        doc = getattr(getattr(self, "listener", None), "__doc__", None)
        if not doc or "{%" in doc or "{#" in doc or "{{" in COMPONENT_SLOT.sub("", doc):
            render(self, component)  # anything beyond the component slot: Jinja renders it, as before
            return
        filled = COMPONENT_SLOT.sub(lambda _: component, doc)
        self.listener.__doc__ = filled[:-1] if filled.endswith("\n") else filled  # as Jinja drops a final newline

    listener.set_doc = set_doc  # type: ignore[union-attr]


class _DeferredApp:
    """Stands in for a Gradio app nobody may use: builds it on first use."""

    def __init__(self, build: Callable[[], Any]) -> None:
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_app", None)

    def _real(self) -> Any:
        if self._app is None:
            object.__setattr__(self, "_app", self._build())
        return self._app

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real(), name, value)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._real()(scope, receive, send)


def _defer_apps_before_launch(module: ModuleType) -> None:
    blocks, app = getattr(module, "Blocks", None), getattr(module, "App", None)
    if not all(callable(getattr(blocks, name, None)) for name in ("__exit__", "queue", "launch")) or not callable(
        getattr(app, "create_app", None)
    ):
        return
    create_app = app.create_app  # type: ignore[union-attr]
    deferring = threading.local()

    def maybe_deferred(*args: Any, **kwargs: Any) -> Any:
        if getattr(deferring, "depth", 0):
            return _DeferredApp(lambda: create_app(*args, **kwargs))
        return create_app(*args, **kwargs)

    def deferring_apps(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def run(*args: Any, **kwargs: Any) -> Any:
            deferring.depth = getattr(deferring, "depth", 0) + 1
            try:
                return method(*args, **kwargs)
            finally:
                deferring.depth -= 1

        return run

    app.create_app = staticmethod(maybe_deferred)  # type: ignore[union-attr]
    for name in ("__exit__", "queue"):
        setattr(blocks, name, deferring_apps(getattr(blocks, name)))


PATCHES: dict[str, Callable[[ModuleType], None]] = {
    STUB_MODULE: _skip_stubs, BACKEND_MODULE: _backend_switch_once_loaded, EVENTS_MODULE: _fill_docs_without_jinja,
    BLOCKS_MODULE: _defer_apps_before_launch,
}


class _PatchGradio(importlib.abc.MetaPathFinder):
    """Runs each patch right after its Gradio module has executed, before other modules use it."""

    def __init__(self) -> None:
        self.waiting = {name for name in PATCHES if name not in sys.modules}

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname not in self.waiting:
            return None
        self.waiting.discard(fullname)
        if not self.waiting:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run_module = spec.loader.exec_module
        patch = PATCHES[fullname]

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            patch(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def skip_stub_writer() -> None:
    """Arrange for Gradio to be imported with the patches above; no effect once it is imported."""
    # (The name is older than the other patches; assistant/web/__init__.py calls it.)
    if STUB_MODULE in sys.modules or any(isinstance(f, _PatchGradio) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _PatchGradio())
