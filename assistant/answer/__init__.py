"""Answering: a grounded, extractive answer from the retrieved passages, or an abstention."""

from assistant.answer.compose import ABSTAIN_TEXT, NOTICE, URGENT_NOTICE, compose

__all__ = ["ABSTAIN_TEXT", "NOTICE", "URGENT_NOTICE", "compose"]
