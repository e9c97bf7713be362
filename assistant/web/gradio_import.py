"""Import Gradio without its stub writer.

Gradio 6 rewrites a `.pyi` type stub beside each of its components every time it is
imported (`gradio.component_meta.create_or_modify_pyi`): it parses each component's
source with `ast` and writes into site-packages. That is editor support for Gradio's own
developers, and it is about half of `import gradio` (2 of 3.7 s on the 2-core machine).
A page server has no use for it, so the writer is replaced by a no-op as soon as its
module is loaded, before any component class is defined. If a Gradio release renames it,
nothing is patched and Gradio imports as before, only slower.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

STUB_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


def _no_stub(*args: Any, **kwargs: Any) -> None:
    """Write no type stub."""


class _SkipStubWriter(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != STUB_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            if hasattr(module, STUB_WRITER):
                setattr(module, STUB_WRITER, _no_stub)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def skip_stub_writer() -> None:
    """Arrange for Gradio to be imported without its stub writer; no effect once it is imported."""
    if STUB_MODULE in sys.modules or any(isinstance(f, _SkipStubWriter) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _SkipStubWriter())
