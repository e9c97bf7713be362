"""The first chat page: a real Gradio server on loopback, driven through gradio_client."""

from __future__ import annotations

import socket

import pytest
from gradio_client import Client

from assistant.ui import build


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(fake_assistant):
    demo = build(fake_assistant)
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_chat_answers_with_citations(served: str):
    client = Client(served, verbose=False)
    reply = client.predict("Do I need consent from the parent to share information?", api_name="/respond")
    assert "**Sources:**" in reply
    assert "draft statutory guidance" in reply


def test_chat_explains_a_bad_question(served: str):
    client = Client(served, verbose=False)
    reply = client.predict("   ", api_name="/respond")
    assert reply.startswith("**Sorry, that question could not be answered:** The question is empty.")
