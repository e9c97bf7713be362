"""The synthetic corpus generator behind benchmarks/scale.py: exact sizes, seeded, a corpus the index accepts."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from assistant.corpus import load_out_of_scope_questions, load_passage_questions, load_passages
from assistant.corpus.manifest import load_manifest
from assistant.corpus.sentences import all_units
from assistant.search.index import open_index
from assistant.settings import PROJECT_ROOT, Settings


def _load_generator() -> ModuleType:
    """benchmarks/ is a folder of scripts, not a package: load the module from its file."""
    path = PROJECT_ROOT / "benchmarks" / "synthetic_corpus.py"
    spec = importlib.util.spec_from_file_location("synthetic_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic = _load_generator()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("size", "documents"), [(1, 1), (57, 1), (200, 1), (201, 2), (400, 2)])
def test_exact_passage_count(tmp_path: Path, size: int, documents: int):
    synthetic.write_corpus(tmp_path, size, seed=0)
    passages = load_passages(tmp_path)
    assert len(passages) == size
    assert len(load_manifest(tmp_path).documents) == documents
    # Every passage is a numbered paragraph, numbered from 1 within its document.
    assert [p.ref for p in passages if p.doc == "synthetic-001"] == [f"para {n}" for n in range(1, min(size, 200) + 1)]
    assert passages[-1].doc == f"synthetic-{documents:03d}"
    assert {p.kind for p in passages} == {"paragraph"}


def test_paragraphs_read_like_guidance(tmp_path: Path):
    synthetic.write_corpus(tmp_path, 400, seed=0)
    passages = load_passages(tmp_path)
    units = all_units(passages)
    units_per_passage = [0] * len(passages)
    for unit in units:
        units_per_passage[unit.passage] += 1
    assert len({unit.text for unit in units}) == len(units)  # no sentence twice: no exact ties in retrieval
    assert min(units_per_passage) == 2
    assert max(units_per_passage) == 4
    # Chapter and section headings reach every passage's heading path.
    assert all(p.heading.count(" › ") == 2 and " › Chapter " in p.heading for p in passages)
    assert {"must", "should", "may"} <= {m for p in passages for m in p.modals}


def test_same_seed_same_bytes_other_seed_other_text(tmp_path: Path):
    first, again, other = tmp_path / "first", tmp_path / "again", tmp_path / "other"
    synthetic.write_corpus(first, 250, seed=7)
    synthetic.write_corpus(again, 250, seed=7)
    synthetic.write_corpus(other, 250, seed=8)
    assert _files(first) == _files(again)
    assert list(_files(first)) == ["documents/synthetic-001.md", "documents/synthetic-002.md", "manifest.yaml"]
    assert list(_files(other)) == list(_files(first))
    assert _files(other)["documents/synthetic-001.md"] != _files(first)["documents/synthetic-001.md"]
    assert synthetic.questions(20, 7) == synthetic.questions(20, 7)
    assert synthetic.questions(20, 7) != synthetic.questions(20, 8)


def test_sizes_outside_the_range_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="between 1 and 20000"):
        synthetic.write_corpus(tmp_path, 0, seed=0)
    with pytest.raises(ValueError, match="between 1 and 20000"):
        synthetic.write_corpus(tmp_path, 20_001, seed=0)


def test_corpus_builds_an_index_without_retrieval_aids(tmp_path: Path, fake_model):
    corpus = tmp_path / "corpus"
    synthetic.write_corpus(corpus, 57, seed=0)
    passages = load_passages(corpus)
    assert load_passage_questions(corpus, passages) == []
    assert load_out_of_scope_questions(corpus) == []
    settings = Settings()
    settings.paths.corpus_dir = corpus
    settings.paths.index_dir = tmp_path / "index"
    loaded = open_index(settings, fake_model, log=lambda message: None, progress=False)
    assert len(loaded.passages) == 57
    assert loaded.collection.count() == 57
    assert len(loaded.units) == len(all_units(passages)) == 166
    assert loaded.question_vectors.shape[0] == 0
    assert loaded.out_of_scope_vectors.shape[0] == 0


def test_assistant_answers_from_the_synthetic_corpus(tmp_path: Path, fake_model):
    from assistant.api import Assistant

    settings = Settings()
    settings.paths.corpus_dir = tmp_path / "corpus"
    settings.paths.index_dir = tmp_path / "index"
    synthetic.write_corpus(settings.paths.corpus_dir, 57, seed=0)
    assistant = Assistant.load(settings, log=lambda message: None, progress=False, model=fake_model)
    answer = assistant.ask(synthetic.questions(1, 0)[0])
    assert answer.corpus_version.startswith("Synthetic guidance, volume 1: ")
    assert {c.doc for c in answer.citations} == {"synthetic-001"}
    assert len(answer.citations) == 5
