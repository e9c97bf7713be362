"""The ONNX query encoder: it agrees with the torch model, a damaged export is repaired, and
answering never imports torch, sentence-transformers, llama-index or Gradio. Slow (real model)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.evaluation.run import load_eval_set
from assistant.search.encoder import CHECKSUMS, ENCODER_DIR, GRAPH, WEIGHTS, OnnxQueryEncoder
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
HEAVY = ("torch", "sentence_transformers", "transformers", "llama_index", "gradio")


def test_onnx_and_torch_vectors_agree_on_every_dev_question(real_assistant):
    assert isinstance(real_assistant.encoder, OnnxQueryEncoder)
    torch_model = real_assistant.model.document_embedder()
    questions = [item.question for item in load_eval_set(PROJECT_ROOT / "evals" / "dev.yaml")]
    assert len(questions) == 138
    onnx = np.stack([real_assistant.encoder.embed_query(q) for q in questions])
    reference = np.asarray([torch_model.get_query_embedding(q) for q in questions], dtype=np.float32)
    cosines = np.sum(onnx * reference, axis=1) / (np.linalg.norm(onnx, axis=1) * np.linalg.norm(reference, axis=1))
    assert float(cosines.min()) >= 0.9999
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_the_build_holds_the_encoder_with_its_checksums(real_assistant):
    folder = real_assistant.index.path / ENCODER_DIR
    checksums = json.loads((folder / CHECKSUMS).read_text())
    assert sorted(checksums["files"]) == [GRAPH, WEIGHTS, "tokenizer.json"]
    assert checksums["max_length"] == 256
    assert (folder / WEIGHTS).stat().st_size > 80_000_000  # the weights, as external data beside the graph


def test_damaged_export_is_detected_and_exported_again(real_assistant, tmp_path: Path):
    build = tmp_path / "build"
    shutil.copytree(real_assistant.index.path / ENCODER_DIR, build / ENCODER_DIR)
    weights = build / ENCODER_DIR / WEIGHTS
    damaged = bytearray(weights.read_bytes())
    damaged[1000:1008] = b"\xff" * 8
    weights.write_bytes(bytes(damaged))
    messages: list[str] = []
    encoder = real_assistant.model.query_encoder(build, messages.append)
    assert messages[0] == (
        f"The query encoder in {build / ENCODER_DIR} cannot be used ({WEIGHTS} does not match its checksum); "
        "exporting it again from the model."
    )
    question = "Can I tell the school nurse about the family's housing problems?"
    assert np.allclose(encoder.embed_query(question), real_assistant.encoder.embed_query(question), atol=1e-5)
    messages.clear()
    real_assistant.model.query_encoder(build, messages.append)
    assert messages == []  # repaired: the second start finds it whole

    (build / ENCODER_DIR / CHECKSUMS).unlink()
    real_assistant.model.query_encoder(build, messages.append)
    assert messages[0].endswith(f"({CHECKSUMS} is missing or unreadable (FileNotFoundError)); exporting it again from the model.")


def test_answering_loads_none_of_the_heavy_libraries(real_assistant):
    script = (
        "import sys, json\n"
        "import assistant.cli\n"
        "from assistant import Assistant, Settings\n"
        "from pathlib import Path\n"
        f"settings = Settings(paths={{'index_dir': Path({str(real_assistant.settings.paths.index_dir)!r})}})\n"
        "answer = Assistant.load(settings, progress=False).ask(\"Do I need the parent's consent?\")\n"
        f"print(json.dumps([answer.citations[0].ref, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    first_ref, loaded = json.loads(result.stdout)
    assert loaded == []
    assert first_ref == real_assistant.ask("Do I need the parent's consent?").citations[0].ref


def test_llama_index_retriever_over_the_real_index(real_assistant):
    from llama_index.core.schema import QueryBundle

    from assistant.search.llama import LlamaIndexRetriever

    question = "Who decides whether sharing would cause harm to the child?"
    nodes = LlamaIndexRetriever(real_assistant, top_k=5).retrieve(QueryBundle(question))
    hits = real_assistant.search(question, k=5)
    assert [n.node.metadata["ref"] for n in nodes] == [h.passage.ref for h in hits]
    assert all(n.node.get_content() == h.passage.text for n, h in zip(nodes, hits, strict=True))
