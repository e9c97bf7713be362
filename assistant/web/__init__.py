"""The practitioner page (Gradio): Ask, Read, Evaluate and Clarity tabs, and how it is served.

Gradio is imported only when the page is built, so nothing else pays for it, and then
without its type-stub writer (assistant.web.gradio_import)."""

from assistant.web.gradio_import import skip_stub_writer

skip_stub_writer()

from assistant.web.server import launch  # noqa: E402  (the import hook goes in first)

__all__ = ["launch"]
