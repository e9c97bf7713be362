"""What every command of the CLI shares: JSON output, and library errors as one line and an exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from assistant.errors import AssistantError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INTERRUPTED = 130


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


def friendly(func: F) -> F:
    """Turn library errors into a message and exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AssistantError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]
