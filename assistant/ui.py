"""A first browser chat (Gradio): answers with their citations. The full practitioner UI builds on this."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .answer import NOTICE
from .errors import AssistantError

if TYPE_CHECKING:
    import gradio as gr

    from .api import Assistant

EXAMPLES = [
    "Do I need the parent's consent before I share with children's social care?",
    "Can I share information about mum's new partner?",
    "When can I decide not to share?",
    "Does the duty apply before a section 47 threshold is met?",
]


def _previous_question(history: list[Any]) -> list[str]:
    """The last thing the user asked, from Gradio's messages history."""
    for message in reversed(history or []):
        role = message.get("role") if isinstance(message, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if role == "user" and isinstance(content, str) and content.strip():
            return [content]
    return []


def build(assistant: Assistant) -> gr.Blocks:
    import gradio as gr

    def respond(message: str, history: list[Any]) -> str:
        try:
            return assistant.ask(message, history=_previous_question(history) or None).answer
        except AssistantError as exc:
            return f"**Sorry, that question could not be answered:** {exc}"

    with gr.Blocks(title="Information Sharing Duty guidance assistant", analytics_enabled=False) as demo:
        gr.Markdown(
            "## Information Sharing Duty: guidance assistant\n"
            f"Answers are quoted from the draft statutory guidance, with paragraph numbers. {NOTICE}"
        )
        gr.ChatInterface(respond, examples=EXAMPLES, cache_examples=False, flagging_mode="never")
    return demo


def launch(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    build(assistant).launch(server_name=host, server_port=port, share=False, quiet=True)
