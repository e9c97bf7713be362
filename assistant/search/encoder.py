"""The query encoder: the embedding network as an ONNX graph, run by ONNX Runtime.

`export_encoder` runs at index build (torch is loaded then anyway). It exports the
checked model, with its mean pooling and L2 normalisation, into `<build>/encoder/`:
the graph, its weights as ONNX external data (mapped, not copied, at load, which keeps a
process small), the tokenizer and `encoder.json` holding every file's sha256, size and
time (assistant.search.checksums). It then compares the graph with the torch model on a
test sentence.

`open_encoder` runs at start-up: it checks the files against encoder.json (the cheap check:
sizes, the graph and tokenizer hashed, the weights hashed when their time changed) and the
tokenizer against the model package's pinned sha256, and exports them again when one is
missing or damaged, so a bad file is repaired, never used.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.errors import IndexError_, ModelError
from assistant.search.checksums import manifest, problems
from assistant.search.model import MODEL_FILES, MODEL_SHA256

ENCODER_DIR = "encoder"
GRAPH = "model.onnx"
WEIGHTS = "model.onnx.data"
TOKENIZER = "tokenizer.json"
CHECKSUMS = "encoder.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
AGREEMENT_CHECK = "Do I need the parent's consent before I share information about a child?"
MIN_AGREEMENT = 0.9999


class EncoderDamaged(Exception):
    """The exported files are missing or do not match their checksums."""


class OnnxQueryEncoder:
    """Tokenize with `tokenizers`, run the graph with ONNX Runtime: a normalised vector per question."""

    def __init__(self, folder: Path, max_length: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        # One thread per question: the page answers several questions at once, one per worker.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # keeps a long-running server from holding peak buffers
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / GRAPH), options, providers=["CPUExecutionProvider"])

    def embed_query(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        columns = (encoding.ids, encoding.attention_mask, encoding.type_ids)
        feeds = {name: np.asarray([column], dtype=np.int64) for name, column in zip(INPUTS, columns, strict=True)}
        return np.asarray(self.session.run(None, feeds)[0][0], dtype=np.float32)


def _max_length(model_directory: Path) -> int:
    config = model_directory / "sentence_bert_config.json"
    return int(json.loads(config.read_text())["max_seq_length"]) if config.is_file() else 256


def _export_graph(model_directory: Path, folder: Path) -> None:
    """The network with mean pooling and normalisation, as sentence-transformers computes it."""
    import onnx
    import torch
    from transformers import AutoModel

    network = AutoModel.from_pretrained(str(model_directory)).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
            tokens = self.network(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    sample = torch.ones(1, 8, dtype=torch.long)
    single = folder / "single.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(), (sample, sample, torch.zeros_like(sample)), str(single), dynamo=False, opset_version=17,
            input_names=list(INPUTS), output_names=["embedding"],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in INPUTS}, "embedding": {0: "batch"}},
        )
    graph = onnx.load(str(single))
    onnx.save_model(graph, str(folder / GRAPH), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=WEIGHTS, size_threshold=1024)
    single.unlink()


def _check_agreement(reference: Callable[[str], list[float]], folder: Path, max_length: int) -> None:
    """The exported graph against the torch model that embedded the passages, on one sentence."""
    expected = np.asarray(reference(AGREEMENT_CHECK), dtype=np.float32)
    cosine = float(np.dot(expected, OnnxQueryEncoder(folder, max_length).embed_query(AGREEMENT_CHECK)))
    if cosine < MIN_AGREEMENT:
        raise ModelError(
            f"The exported query encoder disagrees with the model (cosine {cosine:.6f} < {MIN_AGREEMENT}). "
            "Reinstall the project (`make install`) and run `assistant index --rebuild`."
        )


def export_encoder(
    model_directory: Path, build: Path, log: Callable[[str], None], reference: Callable[[str], list[float]]
) -> None:
    """Export into `<build>/encoder/`, replacing what is there; encoder.json is written last.
    `reference` embeds a question with the torch model, to check the export against."""
    target = build / ENCODER_DIR
    scratch = build / f".{ENCODER_DIR}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    try:
        log("Exporting the query encoder (ONNX)…")
        _export_graph(model_directory, scratch)
        shutil.copyfile(model_directory / TOKENIZER, scratch / TOKENIZER)
        max_length = _max_length(model_directory)
        _check_agreement(reference, scratch, max_length)
        # A rename keeps a file's time, so the times recorded here are the ones found at start-up.
        checksums = {**manifest(scratch, (GRAPH, WEIGHTS, TOKENIZER)), "max_length": max_length, "model_sha256": MODEL_SHA256}
        target.mkdir(exist_ok=True)
        (target / CHECKSUMS).unlink(missing_ok=True)  # the old checksums must not vouch for half-replaced files
        for name in checksums["files"]:
            os.replace(scratch / name, target / name)
        (scratch / CHECKSUMS).write_text(json.dumps(checksums, indent=2))
        os.replace(scratch / CHECKSUMS, target / CHECKSUMS)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def encoder_problems(folder: Path, full: bool = False) -> tuple[int, list[str]]:
    """The encoder's max_length and what is wrong with its files (cheap check, or every file hashed when full)."""
    try:
        checksums = json.loads((folder / CHECKSUMS).read_text())
        files: dict[str, str] = checksums["files"]
        max_length = int(checksums["max_length"])
        if checksums.get("model_sha256") != MODEL_SHA256 or set(files) != {GRAPH, WEIGHTS, TOKENIZER}:
            return max_length, [f"{CHECKSUMS} describes another model or other files"]
        if "sizes" not in checksums:
            return max_length, [f"{CHECKSUMS} predates size checks (an earlier index format)"]
        if files[TOKENIZER] != MODEL_FILES[TOKENIZER]:
            return max_length, [f"{TOKENIZER} is not the model package's tokenizer"]
        return max_length, problems(folder, checksums, full)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return 0, [f"{CHECKSUMS} is missing or unreadable ({type(exc).__name__})"]


def _verified(folder: Path) -> int:
    """The encoder's max_length, after the cheap check of its files; EncoderDamaged otherwise."""
    max_length, found = encoder_problems(folder)
    if found:
        raise EncoderDamaged(found[0])
    return max_length


def open_encoder(build: Path, log: Callable[[str], None], export: Callable[[], None]) -> OnnxQueryEncoder:
    """The build's query encoder; `export` writes it again first when it is missing or damaged."""
    folder = build / ENCODER_DIR
    try:
        max_length = _verified(folder)
    except EncoderDamaged as exc:
        log(f"The query encoder in {folder} cannot be used ({exc}); exporting it again from the model.")
        try:
            export()
        except OSError as error:  # a read-only build, or a full disk
            raise IndexError_(
                f"The query encoder in {folder} is damaged ({exc}) and cannot be written again there "
                f"({error.strerror or type(error).__name__}). Run `assistant index --rebuild` where the index "
                "folder is writable, with free disk space."
            ) from None
        max_length = _verified(folder)
    try:
        return OnnxQueryEncoder(folder, max_length)
    except Exception as exc:  # ONNX Runtime rejects a graph it cannot load, whatever the cause
        raise ModelError(
            f"ONNX Runtime cannot load the query encoder in {folder} ({type(exc).__name__}). "
            "Run `assistant index --rebuild`."
        ) from None
