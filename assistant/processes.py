"""Temporary folders named after the process that owns them, and removing those whose process is gone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_orphaned(parent: Path, prefix: str) -> None:
    """Remove `parent/<prefix><pid>-*` folders left by processes killed outright (SIGKILL, power loss)."""
    for folder in parent.glob(f"{prefix}*-*"):
        pid = folder.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
