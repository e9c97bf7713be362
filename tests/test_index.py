"""Index life cycle with a real Chroma store and BM25 (fake embedder): fingerprint, staleness,
atomic swap, partial and corrupt builds."""

from __future__ import annotations

import json
import os
from pathlib import Path

from assistant.index import _read_build, build_index, expected_fingerprint, open_index
from assistant.settings import Settings


def _quiet(message: str) -> None:
    pass


def test_build_records_fingerprint(settings: Settings, fake_embedder):
    loaded = open_index(settings, fake_embedder, log=_quiet, progress=False)
    assert len(loaded.passages) == 124
    assert loaded.fingerprint == expected_fingerprint(settings, fake_embedder)
    assert loaded.fingerprint.model_sha256 == "HashingEmbedding:hashing-512"
    assert (settings.paths.index_dir / "current").is_symlink()
    assert loaded.vector_store.client.count() == 124


def test_up_to_date_index_is_reused(settings: Settings, fake_embedder):
    first = open_index(settings, fake_embedder, log=_quiet, progress=False)
    messages: list[str] = []
    second = open_index(settings, fake_embedder, log=messages.append, progress=False)
    assert second.path == first.path
    assert messages == []


def test_corpus_change_triggers_rebuild(settings: Settings, fake_embedder):
    first = open_index(settings, fake_embedder, log=_quiet, progress=False)
    glossary = settings.paths.corpus_dir / "ico_references.yaml"
    glossary.write_text(glossary.read_text().replace("ICO step-by-step guide", "ICO step by step guide"))
    messages: list[str] = []
    second = open_index(settings, fake_embedder, log=messages.append, progress=False)
    assert second.path != first.path
    assert messages[0] == "The index is out of date (the corpus, model or parser changed); rebuilding."


def test_killed_build_leaves_previous_index_serving(settings: Settings, fake_embedder):
    first = open_index(settings, fake_embedder, log=_quiet, progress=False)
    partial = settings.paths.index_dir / "builds" / "20990101T000000-1"
    (partial / "chroma").mkdir(parents=True)
    (partial / "passages.json").write_text("[")  # what a build killed halfway leaves
    messages: list[str] = []
    again = open_index(settings, fake_embedder, log=messages.append, progress=False)
    assert again.path == first.path and messages == []
    build_index(settings, fake_embedder, log=_quiet, progress=False)
    assert not partial.exists()  # the next build clears it away


def test_corrupt_index_is_detected_and_rebuilt(settings: Settings, fake_embedder):
    first = open_index(settings, fake_embedder, log=_quiet, progress=False)
    units = first.path / "units.npy"
    units.write_bytes(units.read_bytes()[:100])
    messages: list[str] = []
    second = open_index(settings, fake_embedder, log=messages.append, progress=False)
    assert messages[0].startswith(f"The index at {first.path} is incomplete or corrupt (units.npy does not match")
    assert second.path != first.path
    assert len(second.unit_vectors) == len(second.units)


def test_missing_complete_marker_is_rebuilt(settings: Settings, fake_embedder):
    first = open_index(settings, fake_embedder, log=_quiet, progress=False)
    os.remove(first.path / "COMPLETE")
    messages: list[str] = []
    open_index(settings, fake_embedder, log=messages.append, progress=False)
    assert "the build never finished (no COMPLETE marker)" in messages[0]


def test_build_keeps_only_two_builds(settings: Settings, fake_embedder):
    for _ in range(3):
        build_index(settings, fake_embedder, log=_quiet, progress=False)
    builds = sorted((settings.paths.index_dir / "builds").iterdir())
    assert len(builds) == 2
    assert (settings.paths.index_dir / "current").resolve() == builds[-1]
    meta = json.loads((builds[-1] / "COMPLETE").read_text())
    assert meta["passages"] == 124
    assert _read_build(Path(builds[-1])).fingerprint.parser_version == "1"


def test_retrieval_aids_are_indexed_and_their_change_rebuilds(settings: Settings, fake_embedder):
    first = open_index(settings, fake_embedder, log=_quiet, progress=False)
    assert first.question_vectors.shape == (464, 512)
    assert sorted(set(first.question_passage.tolist())) == list(range(124))
    assert first.out_of_scope_vectors.shape == (545, 512)
    aids = settings.paths.corpus_dir / "out_of_scope_questions.yaml"
    aids.write_text(aids.read_text() + '  tea:\n    - "who makes the tea at the team meeting?"\n')
    second = open_index(settings, fake_embedder, log=_quiet, progress=False)
    assert second.path != first.path
    assert second.out_of_scope_vectors.shape == (546, 512)
