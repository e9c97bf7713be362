"""How build time and query latency grow with the corpus: synthetic corpora of several sizes.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/scale.py [--sizes 400,5000,20000] [--questions 100]
        [--seed 0] [--work-dir DIR]

For each size: write a synthetic corpus (benchmarks/synthetic_corpus.py) in a temporary
folder, build its index with the real model (timed; tqdm progress on stderr), then time
`Assistant.ask` over the same fixed questions, after a warm-up, twice on that one build:
(a) with the embedded Chroma store, (b) with a `chroma run` server started here on a free
loopback port (the second Assistant pushes the passage vectors to it as it loads).
Prints one JSON line per size and store, then a table and the ratio p95(largest) /
p95(smallest) per store; the target is a ratio of at most 2. Not a test: timings depend on
the machine and on whatever else it is running, so with --work-dir the indexes are kept and
a second run times the questions again without rebuilding.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import click
from synthetic_corpus import MAX_PASSAGES, questions, write_corpus

from assistant.api import Assistant
from assistant.search.index import Fingerprint, build_index, expected_fingerprint, stderr_log
from assistant.search.model import MiniLM, quiet_environment
from assistant.settings import Settings

TARGET_RATIO = 2.0
WARM_UP = 10  # questions asked before timing: first calls pay for lazy imports and cold caches
CHROMA = Path(sys.executable).parent / "chroma"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_chroma(folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`chroma run` on a free loopback port, once its heartbeat answers."""
    port = free_port()
    log = folder / "chroma.log"
    command = [str(CHROMA), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"chroma run exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise click.ClickException("chroma run did not answer within 120 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def time_questions(assistant: Assistant, asked: list[str], warm_up: list[str]) -> dict[str, Any]:
    for question in warm_up:
        assistant.ask(question)
    latencies, abstained = [], 0
    for question in asked:
        began = time.perf_counter()
        answer = assistant.ask(question)
        latencies.append((time.perf_counter() - began) * 1000)
        abstained += answer.abstained
    # Abstentions skip sentence choice, so a run where most questions abstain would time less work.
    return {"p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1), "questions": len(asked), "abstained": abstained,
            # Above ~1 something competed for the 2 cores (a build just before counts too).
            "load_average_1m": round(os.getloadavg()[0], 2)}


def _index_up_to_date(settings: Settings, model: MiniLM) -> bool:
    current = settings.paths.index_dir / "current"
    if not (current / "COMPLETE").is_file():
        return False
    built = Fingerprint.model_validate_json((current / "fingerprint.json").read_text())
    return built == expected_fingerprint(settings, model.model_id)


def measure_size(
    size: int, model: MiniLM, asked: list[str], warm_up: list[str], seed: int, work_dir: Path | None
) -> list[dict[str, Any]]:
    """Build one index for `size` passages (or reuse the one kept in work_dir) and time both stores on it."""
    rows = []
    with tempfile.TemporaryDirectory(prefix=f"isd-scale-{size}-") as temp:
        folder = work_dir / f"{size}-seed{seed}" if work_dir else Path(temp)
        settings = Settings()
        settings.paths.corpus_dir = folder / "corpus"
        settings.paths.index_dir = folder / "index"
        write_corpus(settings.paths.corpus_dir, size, seed)  # the same bytes again, so a kept index stays valid
        build_s = None
        if not _index_up_to_date(settings, model):
            model.document_embedder()  # load torch and the weights before the build is timed
            began = time.perf_counter()
            build_index(settings, model, log=stderr_log, progress=True)
            build_s = round(time.perf_counter() - began, 1)

        began = time.perf_counter()
        embedded = Assistant.load(settings, log=stderr_log, progress=False, model=model)
        load_s = round(time.perf_counter() - began, 2)
        units = len(embedded.index.units)
        common = {"passages": size, "units": units, "build_s": build_s}
        rows.append({**common, "store": "embedded", "load_s": load_s, **time_questions(embedded, asked, warm_up)})
        print(json.dumps(rows[-1]), flush=True)
        del embedded

        server_folder = Path(temp) / "chroma-server"  # always new, so every run times the push of the vectors
        server_folder.mkdir()
        process, port = start_chroma(server_folder)
        try:
            served_settings = settings.model_copy(deep=True)
            served_settings.serve.chroma_host, served_settings.serve.chroma_port = "127.0.0.1", port
            began = time.perf_counter()
            served = Assistant.load(served_settings, log=stderr_log, progress=False, model=model)
            load_s = round(time.perf_counter() - began, 2)  # includes pushing every passage vector
            rows.append({**common, "store": "server", "load_s": load_s, **time_questions(served, asked, warm_up)})
            print(json.dumps(rows[-1]), flush=True)
            del served
        finally:
            stop(process)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    by_size: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_size.setdefault(row["passages"], {})[row["store"]] = row
    lines = ["| passages | units | build s | embedded p50/p95 ms | server p50/p95 ms |", "|---|---|---|---|---|"]
    for size, stores in sorted(by_size.items()):
        e, s = stores["embedded"], stores["server"]
        lines.append(f"| {size:,} | {e['units']:,} | {e['build_s'] or 'kept'} | {e['p50_ms']} / {e['p95_ms']} "
                     f"| {s['p50_ms']} / {s['p95_ms']} |")
    sizes = sorted(by_size)
    if len(sizes) > 1:
        small, large = by_size[sizes[0]], by_size[sizes[-1]]
        for store in ("embedded", "server"):
            ratio = large[store]["p95_ms"] / small[store]["p95_ms"]
            verdict = "within" if ratio <= TARGET_RATIO else "OVER"
            lines.append(f"{store}: p95({sizes[-1]:,}) / p95({sizes[0]:,}) = {ratio:.2f} ({verdict} target ≤ {TARGET_RATIO:g})")
    return "\n".join(lines)


def parse_sizes(_ctx: click.Context, _param: click.Parameter, value: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter("give passage counts separated by commas, e.g. 400,5000") from None
    if not sizes or any(not 1 <= size <= MAX_PASSAGES for size in sizes):
        raise click.BadParameter(f"each size must be between 1 and {MAX_PASSAGES}")
    return sorted(set(sizes))


@click.command()
@click.option("--sizes", default="400,5000,20000", show_default=True, callback=parse_sizes,
              help="Corpus sizes in passages, comma-separated.")
@click.option("--questions", "count", default=100, show_default=True, type=click.IntRange(5, 1000),
              help="Questions timed per size and store.")
@click.option("--seed", default=0, show_default=True, help="Seed of the corpora and the questions.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep each size's corpus and index here and reuse them on the next run (build s then reads "
              "'kept'), to time queries again without rebuilding. Default: a temporary folder per size.")
def main(sizes: list[int], count: int, seed: int, work_dir: Path | None) -> None:
    """Build time and ask() p50/p95 per corpus size, for the embedded store and a Chroma server."""
    quiet_environment()
    if not CHROMA.is_file() or shutil.which(str(CHROMA)) is None:
        raise click.ClickException(f"{CHROMA} is missing: install the project (`make install`).")
    model = MiniLM()
    asked = questions(count, seed)
    warm_up = questions(WARM_UP, seed + 1)
    rows = [row for size in sizes for row in measure_size(size, model, asked, warm_up, seed, work_dir)]
    print(table(rows))


if __name__ == "__main__":
    main()
