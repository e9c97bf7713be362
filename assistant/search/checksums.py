"""File checksums with a cheap check for every start and a full one on demand.

A manifest records, for each file under a folder, its sha256, size and modification time:
    {"files": {name: sha256}, "sizes": {name: bytes}, "mtimes_ns": {name: ns}}
The cheap check compares every size and hashes every small file (the BM25 weights, the
passages, Chroma's HNSW files…), so a zeroed or edited small file is caught at every start. A
large file is hashed only when its modification time changed; one changed in place with its
time put back is caught by the full check (`assistant index --verify`), which hashes everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

SMALL_FILE = 8 << 20  # bytes; hashing this much takes about 15 ms on the 2-core machine


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_under(folder: Path, skip: Iterable[str] = ()) -> list[str]:
    """Every file under `folder` as a relative POSIX path, sorted; top-level entries named in `skip` are left out."""
    skipped = set(skip)
    return sorted(
        path.relative_to(folder).as_posix() for path in folder.rglob("*")
        if path.is_file() and path.relative_to(folder).parts[0] not in skipped
    )


def manifest(folder: Path, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The manifest of these files under `folder`."""
    files: dict[str, str] = {}
    sizes: dict[str, int] = {}
    mtimes: dict[str, int] = {}
    for name in names:
        stat = (folder / name).stat()
        files[name], sizes[name], mtimes[name] = sha256_file(folder / name), stat.st_size, stat.st_mtime_ns
    return {"files": files, "sizes": sizes, "mtimes_ns": mtimes}


def problems(folder: Path, recorded: Mapping[str, Any], full: bool = False) -> list[str]:
    """What differs from the manifest, one line per file ("bm25/params.index.json is missing").

    Raises KeyError, TypeError or ValueError when the manifest itself is malformed.
    """
    found: list[str] = []
    sizes, mtimes = recorded["sizes"], recorded["mtimes_ns"]
    for name, digest in recorded["files"].items():
        try:
            stat = (folder / name).stat()
        except FileNotFoundError:
            found.append(f"{name} is missing")
            continue
        if stat.st_size != int(sizes[name]):
            found.append(f"{name} does not match its checksum ({stat.st_size} bytes, {int(sizes[name])} expected)")
        elif (full or stat.st_size <= SMALL_FILE or stat.st_mtime_ns != int(mtimes[name])) and (
            sha256_file(folder / name) != digest
        ):
            found.append(f"{name} does not match its checksum")
    return found
