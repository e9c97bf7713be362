"""Speed and a stock-pipeline comparison, measured in one run. Not a test: timings are noisy.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench.py [--questions evals/dev.yaml]

Prints JSON lines:
- warm `ask` p50/p95 over the dev questions, the bare query-embedding time (the floor:
  sentence-transformers `encode` of the same question) and the ratio of the two;
- cold start: a new process from start to its first answer (`python -m assistant ask --json`);
- index build time (real model, into a temporary folder);
- dev-set hit@5 of a stock LlamaIndex pipeline (VectorStoreIndex, default SentenceSplitter,
  same model, Chroma) next to ours.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from assistant import Assistant, Settings
from assistant.evaluation.baselines import stock_pipeline_hits
from assistant.evaluation.run import ask_item, first_hit_rank, load_eval_set
from assistant.search.index import build_index
from assistant.search.model import load_embedder, quiet_environment, verified_model_dir

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


@click.command()
@click.option("--questions", default=str(ROOT / "evals" / "dev.yaml"), show_default=True)
def main(questions: str) -> None:
    quiet_environment()
    items = load_eval_set(Path(questions))
    texts = [it.question for it in items]

    started = time.perf_counter()
    cold = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", texts[0], "--json"],
        capture_output=True, text=True, cwd=ROOT, env=os.environ.copy(), timeout=600,
    )
    cold_seconds = time.perf_counter() - started
    if cold.returncode != 0:
        raise SystemExit(f"cold start failed: {cold.stderr[-500:]}")

    assistant = Assistant.load(progress=False)
    from sentence_transformers import SentenceTransformer

    bare = SentenceTransformer(str(verified_model_dir()), device="cpu")
    for text in texts[:5]:  # warm both up
        assistant.ask(text)
        bare.encode(text)
    ask_times, floor_times = [], []
    for item in items:
        t0 = time.perf_counter()
        bare.encode(item.question, normalize_embeddings=True)
        floor_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ask_item(assistant, item)
        ask_times.append(time.perf_counter() - t0)
    warm = {"ask_p50_ms": ms(statistics.median(ask_times)), "ask_p95_ms": ms(percentile(ask_times, 95)),
            "floor_p50_ms": ms(statistics.median(floor_times)), "floor_p95_ms": ms(percentile(floor_times, 95))}
    warm["ratio_p50"] = round(warm["ask_p50_ms"] / warm["floor_p50_ms"], 2)
    warm["ratio_p95"] = round(warm["ask_p95_ms"] / warm["floor_p95_ms"], 2)
    print(json.dumps({"measure": "warm_ask", "questions": len(items), **warm}))
    print(json.dumps({"measure": "cold_start", "seconds": round(cold_seconds, 2)}))

    embedder = load_embedder()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings()
        settings.paths.index_dir = Path(folder)
        t0 = time.perf_counter()
        build_index(settings, embedder, log=lambda m: None, progress=False)
        print(json.dumps({"measure": "index_build", "seconds": round(time.perf_counter() - t0, 2)}))

    inside = [it for it in items if it.kind == "in_scope"]
    cited = [[c.ref for c in ask_item(assistant, it).citations] for it in inside]
    ours = sum((first_hit_rank(it.expected_refs, refs) or 99) <= 5 for it, refs in zip(inside, cited, strict=True)) / len(inside)
    stock = stock_pipeline_hits(assistant, items, embedder)
    print(json.dumps({"measure": "hit@5", "ours": round(ours, 4), "stock_by_refs": stock["refs"],
                      "stock_by_chunks": stock["chunks"], "stock_chunks": stock["chunk_count"]}))


if __name__ == "__main__":
    main()
