"""The practitioner page (Gradio): Ask, Read, Evaluate and Clarity tabs, and how it is served.

Gradio is imported only when the page is built, so nothing else pays for it."""

from assistant.web.server import launch

__all__ = ["launch"]
