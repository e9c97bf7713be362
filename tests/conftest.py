"""Shared fixtures. The fake embedder is deterministic and needs no model; tests that
need the real model are marked `slow` (CI still runs them)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.embedding import quiet_environment
from assistant.settings import PROJECT_ROOT, Settings

quiet_environment()
CORPUS = PROJECT_ROOT / "corpus"
DIM = 512


class HashingEmbedding(BaseEmbedding):
    """Bag of hashed word stems, L2-normalised: texts sharing words get similar vectors."""

    def __init__(self) -> None:
        super().__init__(model_name="hashing-512", embed_batch_size=64)

    @staticmethod
    def vector(text: str) -> list[float]:
        out = np.zeros(DIM, dtype=np.float32)
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            if len(word) > 2:
                out[int(hashlib.md5(word[:6].encode()).hexdigest(), 16) % DIM] += 1.0
        norm = float(np.linalg.norm(out))
        return (out / norm if norm else out).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self.vector(query)


@pytest.fixture
def fake_embedder() -> HashingEmbedding:
    return HashingEmbedding()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    s = Settings()
    s.paths.corpus_dir = corpus_copy
    s.paths.index_dir = tmp_path / "index"
    return s


@pytest.fixture
def fake_assistant(settings: Settings, fake_embedder: HashingEmbedding):
    from assistant.api import Assistant
    from assistant.index import open_index

    settings.answer.abstain_below = 0.2
    return Assistant(settings, fake_embedder, open_index(settings, fake_embedder, log=lambda m: None, progress=False))


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory):
    """The real model and a real index built in a temporary folder, once per session."""
    from assistant.api import Assistant

    s = Settings()
    s.paths.index_dir = tmp_path_factory.mktemp("real-index")
    return Assistant.load(s, log=lambda m: None, progress=False)
