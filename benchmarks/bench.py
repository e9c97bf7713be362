"""Start-up, memory and speed, as ratios measured in one run. Not a test: timings are noisy.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench.py [--questions evals/dev.yaml] [--runs 3]
        [--serve-questions 1000] [--skip-stock]

Prints one JSON line per measure, then a summary with each target:
- floor: a new `python -c "import onnxruntime, tokenizers, chromadb"` (the libraries the query
  path cannot do without), median wall time and peak memory;
- cold ask: a new `python -m assistant ask QUESTION --json` on a built index, each of --runs runs
  just after a floor run; the ratio is the median of the pairs' ratios (target ≤ 2×), and its
  peak memory (target ≤ 300 MB);
- serve: a new `python -m assistant serve` until its first /ask is answered, against the floor
  (target ≤ 3×); then --serve-questions questions through gradio_client (conversations of ten,
  four at a time, each conversation a new browser session) with the server's resident memory after
  each quarter: the page process, its answering worker (assistant/web/worker.py) and both together
  (target ≤ 500 MB for each process at the end, and no growth of the two together from the half to the
  end beyond 1 %, which allocator noise alone can move);
- warm ask: `Assistant.ask` p50/p95 in-process against the bare query embedding of the same
  question (ONNX Runtime `embed_query`, the floor of any answer; target ≤ 3×);
- index build (real model, into a temporary folder) and dev-set hit@5 of a stock LlamaIndex
  pipeline next to ours (--skip-stock leaves both out).
"""

from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
FLOOR_COMMAND = [sys.executable, "-c", "import onnxruntime, tokenizers, chromadb"]
TARGETS = {"cold_ask_ratio": 2.0, "cold_ask_peak_mb": 300.0, "serve_first_ratio": 3.0, "serve_rss_mb": 500.0,
           "warm_ratio": 3.0}  # serve_rss_mb: each of the two serving processes (page, answering worker)
CONVERSATION = 5  # questions a simulated user asks before leaving (a new session each time)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def emit(measure: str, **values: object) -> None:
    print(json.dumps({"measure": measure, **values}), flush=True)


def timed_child(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall seconds and peak resident MB of one child process, from its own rusage (os.wait4)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda stream=process.stderr: errors.append(stream.read()))
    drain.start()
    output = process.stdout.read()
    drain.join()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, subprocess.CompletedProcess(command, process.returncode, output, b"".join(errors))


def repeated(command: list[str], runs: int, floor: dict[str, list[float]] | None = None) -> dict[str, object]:
    """Median wall time and peak memory of `runs` new processes. With `floor`, each run is paired with a
    floor run just before it, so both see the same machine; the ratio is the median of the pairs'."""
    times, peaks, ratios = [], [], []
    for _ in range(runs):
        if floor is not None:
            seconds, peak, _ = timed_child(FLOOR_COMMAND)
            floor["times"].append(seconds)
            floor["peaks"].append(peak)
        seconds, peak, result = timed_child(command)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command[:4])}… failed: {result.stderr.decode(errors='replace')[-500:]}")
        times.append(seconds)
        peaks.append(peak)
        if floor is not None:
            ratios.append(seconds / floor["times"][-1])
    summary: dict[str, object] = {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times],
                                  "peak_mb": round(max(peaks), 1)}
    if ratios:
        summary["ratio_to_floor"] = round(statistics.median(ratios), 2)
    return summary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def resident_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_pids(pid: int) -> list[int]:
    """The answering worker(s) that `assistant serve` (process `pid`) started (assistant/web/worker.py)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"assistant.web.worker" in command:
            found.append(int(entry.name))
    return found


def serve_resident_mb(pid: int) -> dict[str, float]:
    """Resident MB of the page process, of its answering worker, and of both together."""
    page = resident_mb(pid)
    workers = worker_pids(pid)
    worker = sum(resident_mb(child) for child in workers) if workers else float("nan")
    return {"page": page, "worker": worker, "total": page + worker}


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def first_answer(client_factory: Callable[[str], object], port: int, process: subprocess.Popen[bytes],
                 question: str) -> float:
    """The moment the page first answers. A bare connect polls until the port listens (cheap, so the
    poller does not take CPU from the server it is timing); then the question is asked."""
    while not listening(port):
        if process.poll() is not None:
            raise SystemExit(f"assistant serve exited with {process.returncode}")
        time.sleep(0.02)
    while True:
        try:
            client_factory(f"http://127.0.0.1:{port}/").predict(question, api_name="/ask")  # type: ignore[attr-defined]
            return time.perf_counter()
        except Exception:  # listening but the app not mounted yet: retry, as a browser would
            time.sleep(0.02)


def serve_measures(questions: list[str], runs: int, total: int) -> dict[str, object]:
    """First-answer time of `assistant serve` (median of runs), then memory over `total` questions."""
    import ssl

    from gradio_client import Client

    # One TLS context for every client: gradio_client otherwise reads the CA bundle for each one,
    # and the load generator would take CPU from the server it measures (see benchmarks/load.py).
    shared_tls = ssl.create_default_context()

    def client(url: str) -> Client:
        return Client(url, verbose=False, download_files=False, ssl_verify=shared_tls)

    firsts: list[float] = []
    with tempfile.TemporaryDirectory(prefix="isd-bench-serve-") as folder:
        for run in range(runs):
            port = free_port()
            command = [sys.executable, "-m", "assistant", "serve", "--port", str(port),
                       "--feedback-path", str(Path(folder) / "feedback.jsonl")]
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            try:
                firsts.append(first_answer(client, port, process, questions[0]) - started)
                if run == runs - 1:
                    memory = memory_over(process.pid, f"http://127.0.0.1:{port}/", questions, total, client)
            finally:
                process.terminate()
                process.wait(timeout=60)
    return {"first_answer_s": round(statistics.median(firsts), 3), "runs_s": [round(t, 3) for t in firsts], **memory}


def memory_over(pid: int, url: str, questions: list[str], total: int, client: Callable[[str], object]) -> dict[str, float]:
    """Resident MB of the server (page process + answering worker, each and together) at the start
    and after each quarter of the questions."""
    marks = {"start": serve_resident_mb(pid)}
    quarters = {total * q // 4: f"{25 * q}pct" for q in (1, 2, 3)}
    lock = threading.Lock()
    asked = [0]

    def user(number: int, share: int) -> None:
        done = 0
        while done < share:
            session = client(url)  # a new browser session for each conversation
            for _ in range(min(CONVERSATION, share - done)):
                session.predict(questions[(number * 7919 + done) % len(questions)], api_name="/ask")  # type: ignore[attr-defined]
                done += 1
                with lock:
                    asked[0] += 1
                    if asked[0] in quarters:
                        marks[quarters[asked[0]]] = serve_resident_mb(pid)

    users = 4
    threads = [threading.Thread(target=user, args=(n, total // users + (n < total % users))) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    marks["end"] = serve_resident_mb(pid)
    flat = {f"rss{'' if part == 'total' else '_' + part}_{mark}_mb": round(mb, 1)
            for mark, parts in marks.items() for part, mb in parts.items()}
    growth = flat["rss_end_mb"] - flat["rss_50pct_mb"]
    return {**flat, "questions": float(asked[0]), "growth_half_to_end_mb": round(growth, 1),
            "growth_half_to_end_pct": round(100 * growth / flat["rss_50pct_mb"], 2)}


def warm_measures(texts: list[str]) -> dict[str, float]:
    from assistant import Assistant

    assistant = Assistant.load(progress=False)
    for text in texts[:5]:
        assistant.ask(text)
    ask_times, floor_times = [], []
    for text in texts:
        t0 = time.perf_counter()
        assistant.encoder.embed_query(text)
        floor_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        assistant.ask(text)
        ask_times.append(time.perf_counter() - t0)
    warm = {"ask_p50_ms": ms(statistics.median(ask_times)), "ask_p95_ms": ms(percentile(ask_times, 95)),
            "floor_p50_ms": ms(statistics.median(floor_times)), "floor_p95_ms": ms(percentile(floor_times, 95))}
    warm["ratio_p50"] = round(warm["ask_p50_ms"] / warm["floor_p50_ms"], 2)
    warm["ratio_p95"] = round(warm["ask_p95_ms"] / warm["floor_p95_ms"], 2)
    return warm


def build_and_stock(questions: Path) -> None:
    """Index build time with the real model, and the stock LlamaIndex pipeline's hit@5 beside ours."""
    from assistant import Assistant, Settings
    from assistant.evaluation.baselines import stock_pipeline_hits
    from assistant.evaluation.run import ask_item, first_hit_rank, load_eval_set
    from assistant.search.index import build_index
    from assistant.search.model import MiniLM

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings()
        settings.paths.index_dir = Path(folder)
        t0 = time.perf_counter()
        build_index(settings, MiniLM(), log=lambda m: None, progress=False)
        emit("index_build", seconds=round(time.perf_counter() - t0, 2))
    assistant = Assistant.load(progress=False)
    items = load_eval_set(questions)
    inside = [it for it in items if it.kind == "in_scope"]
    cited = [[c.ref for c in ask_item(assistant, it).citations] for it in inside]
    ours = sum((first_hit_rank(it.expected_refs, refs) or 99) <= 5 for it, refs in zip(inside, cited, strict=True)) / len(inside)
    stock = stock_pipeline_hits(assistant, items, assistant.model.document_embedder())
    emit("hit@5", ours=round(ours, 4), stock_by_refs=stock["refs"], stock_by_chunks=stock["chunks"],
         stock_chunks=stock["chunk_count"])


@click.command()
@click.option("--questions", default=str(ROOT / "evals" / "dev.yaml"), show_default=True)
@click.option("--runs", default=5, show_default=True, help="Runs of each new-process measure (median).")
@click.option("--serve-questions", default=1000, show_default=True, help="Questions asked of the server for memory.")
@click.option("--skip-stock", is_flag=True, help="Leave out the index build and the stock-pipeline comparison.")
def main(questions: str, runs: int, serve_questions: int, skip_stock: bool) -> None:
    from assistant.evaluation.run import load_eval_set
    from assistant.search.model import quiet_environment

    quiet_environment()
    texts = [it.question for it in load_eval_set(Path(questions))]
    subprocess.run([sys.executable, "-m", "assistant", "index"], check=True, cwd=ROOT, capture_output=True)

    pairs: dict[str, list[float]] = {"times": [], "peaks": []}
    cold = repeated([sys.executable, "-m", "assistant", "ask", texts[0], "--json"], runs, floor=pairs)
    floor = {"median_s": round(statistics.median(pairs["times"]), 3), "runs_s": [round(t, 3) for t in pairs["times"]],
             "peak_mb": round(max(pairs["peaks"]), 1)}
    emit("floor_imports", **floor)
    cold_ratio = float(cold["ratio_to_floor"])  # type: ignore[arg-type]
    emit("cold_ask", **cold)
    serve = serve_measures(texts, runs, serve_questions)
    serve_ratio = round(float(serve["first_answer_s"]) / floor["median_s"], 2)  # type: ignore[arg-type]
    emit("serve", **serve, first_answer_ratio_to_floor=serve_ratio)
    warm = warm_measures(texts)
    emit("warm_ask", questions=len(texts), **warm)
    summary = {
        "cold_ask_ratio": (cold_ratio, cold_ratio <= TARGETS["cold_ask_ratio"]),
        "cold_ask_peak_mb": (cold["peak_mb"], float(cold["peak_mb"]) <= TARGETS["cold_ask_peak_mb"]),  # type: ignore[arg-type]
        "serve_first_ratio": (serve_ratio, serve_ratio <= TARGETS["serve_first_ratio"]),
        "serve_page_rss_mb": (serve["rss_page_end_mb"], float(serve["rss_page_end_mb"]) <= TARGETS["serve_rss_mb"]),  # type: ignore[arg-type]
        "serve_worker_rss_mb": (serve["rss_worker_end_mb"],
                                float(serve["rss_worker_end_mb"]) <= TARGETS["serve_rss_mb"]),  # type: ignore[arg-type]
        "serve_total_rss_mb": (serve["rss_end_mb"], None),  # both processes together: reported, no target of its own
        # "No growth": within 1 % of the resident size, which allocator noise alone can move.
        "serve_growth_half_to_end_pct": (serve["growth_half_to_end_pct"], float(serve["growth_half_to_end_pct"]) <= 1.0),  # type: ignore[arg-type]
        "warm_ratio_p95": (warm["ratio_p95"], warm["ratio_p95"] <= TARGETS["warm_ratio"]),
    }
    emit("targets", **{k: {"value": v, "met": met} for k, (v, met) in summary.items()},
         self_peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    if not skip_stock:
        build_and_stock(Path(questions))


if __name__ == "__main__":
    main()
