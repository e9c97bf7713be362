"""Guidance assistant for the Information Sharing Duty (s16LA Children Act 2004)."""

from assistant.api import Assistant
from assistant.models import Answer, Passage
from assistant.settings import Settings

__all__ = ["Answer", "Assistant", "Passage", "Settings"]
