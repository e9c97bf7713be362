"""Guidance assistant for the Information Sharing Duty (s16LA Children Act 2004)."""

from .api import Assistant
from .models import Answer, Passage
from .settings import Settings

__all__ = ["Answer", "Assistant", "Passage", "Settings"]
