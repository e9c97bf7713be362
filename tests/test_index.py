"""Index life cycle with a real Chroma store and BM25 (fake embedder): fingerprint, staleness,
atomic swap, partial and corrupt builds."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

import assistant.search.index as index_module
from assistant.search.index import _read_build, build_index, expected_fingerprint, open_index
from assistant.search.model import LlamaIndexModel
from assistant.settings import Settings


def _quiet(message: str) -> None:
    pass


def test_build_records_fingerprint(settings: Settings, fake_model):
    loaded = open_index(settings, fake_model, log=_quiet, progress=False)
    assert len(loaded.passages) == 124
    assert loaded.fingerprint == expected_fingerprint(settings, fake_model.model_id)
    assert loaded.fingerprint.model_sha256 == "HashingEmbedding:hashing-512"
    assert (settings.paths.index_dir / "current").is_symlink()
    assert loaded.collection.count() == 124


def test_up_to_date_index_is_reused(settings: Settings, fake_model):
    first = open_index(settings, fake_model, log=_quiet, progress=False)
    messages: list[str] = []
    second = open_index(settings, fake_model, log=messages.append, progress=False)
    assert second.path == first.path
    assert messages == []


def test_corpus_change_triggers_rebuild(settings: Settings, fake_model):
    first = open_index(settings, fake_model, log=_quiet, progress=False)
    glossary = settings.paths.corpus_dir / "ico_references.yaml"
    glossary.write_text(glossary.read_text().replace("ICO step-by-step guide", "ICO step by step guide"))
    messages: list[str] = []
    second = open_index(settings, fake_model, log=messages.append, progress=False)
    assert second.path != first.path
    assert messages[0] == "The index is out of date (the corpus, model or parser changed); rebuilding."


def test_killed_build_leaves_previous_index_serving(settings: Settings, fake_model):
    first = open_index(settings, fake_model, log=_quiet, progress=False)
    partial = settings.paths.index_dir / "builds" / "20990101T000000-1"
    (partial / "chroma").mkdir(parents=True)
    (partial / "passages.json").write_text("[")  # what a build killed halfway leaves
    messages: list[str] = []
    again = open_index(settings, fake_model, log=messages.append, progress=False)
    assert again.path == first.path and messages == []
    build_index(settings, fake_model, log=_quiet, progress=False)
    assert not partial.exists()  # the next build clears it away


def test_corrupt_index_is_detected_and_rebuilt(settings: Settings, fake_model):
    first = open_index(settings, fake_model, log=_quiet, progress=False)
    units = first.path / "units.npy"
    units.write_bytes(units.read_bytes()[:100])
    messages: list[str] = []
    second = open_index(settings, fake_model, log=messages.append, progress=False)
    assert messages[0].startswith(f"The index at {first.path} is incomplete or corrupt (units.npy does not match")
    assert second.path != first.path
    assert len(second.unit_vectors) == len(second.units)


def test_missing_complete_marker_is_rebuilt(settings: Settings, fake_model):
    first = open_index(settings, fake_model, log=_quiet, progress=False)
    os.remove(first.path / "COMPLETE")
    messages: list[str] = []
    open_index(settings, fake_model, log=messages.append, progress=False)
    assert "the build never finished (no COMPLETE marker)" in messages[0]


def test_build_keeps_only_two_builds(settings: Settings, fake_model):
    for _ in range(3):
        build_index(settings, fake_model, log=_quiet, progress=False)
    builds = sorted((settings.paths.index_dir / "builds").iterdir())
    assert len(builds) == 2
    assert (settings.paths.index_dir / "current").resolve() == builds[-1]
    meta = json.loads((builds[-1] / "COMPLETE").read_text())
    assert meta["passages"] == 124
    assert _read_build(Path(builds[-1])).fingerprint.parser_version == "2"


def test_retrieval_aids_are_indexed_and_their_change_rebuilds(settings: Settings, fake_model):
    first = open_index(settings, fake_model, log=_quiet, progress=False)
    # passage_questions (464) and scenario_questions (477), then sentence_questions (603) for their passages
    assert first.question_vectors.shape == (464 + 477 + 603, 512)
    assert sorted(set(first.question_passage.tolist())) == list(range(124))
    assert first.unit_question_vectors.shape == (603, 512)
    assert np.array_equal(first.question_vectors[-603:], first.unit_question_vectors)
    assert first.out_of_scope_vectors.shape == (763, 512)
    aids = settings.paths.corpus_dir / "out_of_scope_questions.yaml"
    aids.write_text(aids.read_text() + '  tea:\n    - "who makes the tea at the team meeting?"\n')
    second = open_index(settings, fake_model, log=_quiet, progress=False)
    assert second.path != first.path
    assert second.out_of_scope_vectors.shape == (764, 512)


class CountingModel(LlamaIndexModel):
    """The fake model, counting embedded chunks; with `stop_after` it fails there, as a killed build would."""

    def __init__(self, embedding, stop_after: int | None = None) -> None:
        super().__init__(embedding)
        self.chunks = 0
        self.stop_after = stop_after

    def document_embedder(self):
        if self.stop_after is not None and self.chunks >= self.stop_after:
            raise KeyboardInterrupt
        self.chunks += 1
        return self.embedding


def test_stopped_build_resumes_from_its_saved_chunks(settings: Settings, fake_embedder, monkeypatch):
    monkeypatch.setattr(index_module, "EMBED_CHUNK", 200)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, CountingModel(fake_embedder, stop_after=3), log=_quiet, progress=False)
    [stopped] = (settings.paths.index_dir / "builds").iterdir()
    assert len(list((stopped / "partial").glob("vectors-*.npy"))) == 3
    assert not (settings.paths.index_dir / "current").exists()

    messages: list[str] = []
    resumed = CountingModel(fake_embedder)
    loaded = open_index(settings, resumed, log=messages.append, progress=False)
    assert loaded.path == stopped and not (stopped / "partial").exists()
    assert f"Resuming the unfinished build in {stopped} (3 chunks of 200 texts already embedded)…" in messages
    texts = len(loaded.passages) + len(loaded.units) + len(loaded.question_vectors) + len(loaded.out_of_scope_vectors) + (
        len(loaded.urgent_vectors) + len(loaded.ordinary_vectors))
    # (the sentence questions are embedded once: question_vectors holds them after the passage questions)
    assert (len(loaded.urgent_vectors), len(loaded.ordinary_vectors)) == (319, 346)
    assert resumed.chunks + 3 == math.ceil(texts / 200)
    fresh = Settings(paths={"corpus_dir": settings.paths.corpus_dir, "index_dir": settings.paths.index_dir / "fresh"})
    again = open_index(fresh, CountingModel(fake_embedder), log=_quiet, progress=False)
    assert np.array_equal(again.unit_vectors, loaded.unit_vectors)
    assert np.array_equal(again.out_of_scope_vectors, loaded.out_of_scope_vectors)
    assert np.array_equal(again.urgent_vectors, loaded.urgent_vectors)


def test_unfinished_build_of_another_corpus_is_not_resumed(settings: Settings, fake_embedder, monkeypatch):
    monkeypatch.setattr(index_module, "EMBED_CHUNK", 200)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, CountingModel(fake_embedder, stop_after=2), log=_quiet, progress=False)
    [stopped] = (settings.paths.index_dir / "builds").iterdir()
    aids = settings.paths.corpus_dir / "out_of_scope_questions.yaml"
    aids.write_text(aids.read_text() + '  tea:\n    - "who makes the tea at the team meeting?"\n')
    messages: list[str] = []
    loaded = open_index(settings, CountingModel(fake_embedder), log=messages.append, progress=False)
    assert loaded.path != stopped and not stopped.exists()
    assert not any(m.startswith("Resuming") for m in messages)
