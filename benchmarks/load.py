"""Load on the practitioner page: concurrent gradio_client users against a real `assistant serve`.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/load.py [--users 50] [--seconds 60] [--runs 2]
        [--index-dir index] [--url http://127.0.0.1:7860/]

Starts `assistant serve` on a free loopback port (real model, real Chroma, real Gradio), or uses
the server at --url. Every user warms up with one question, then all users start together and
each keeps one conversation going, asking dev-set questions one after another as fast as answers
come back (a harsher load than people typing), for `--seconds`; then the next run starts at once
in the same conversations. Latency is the time one `/ask` call takes as its client sees it. After
each run the resident memory of the page process and its answering worker is read from /proc.
Prints one JSON object: per run p50 / p95 / max latency in ms, errors, answers per second, bytes
per reply and memory; and the memory growth from the first run's end to the last's.
Not a test: timings depend on the machine and what else it is doing.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import click
import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 1500.0  # 50 users (issue 12)
TARGET_GROWTH_PCT = 10.0  # resident memory, first run's end to the last's


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def dev_questions(path: Path) -> list[str]:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
    return [item["question"] for item in items if not item.get("history")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(index_dir: str | None, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "assistant", *(["--index-dir", index_dir] if index_dir else []),
               "serve", "--port", str(port), "--feedback-path", str(log_path.with_suffix(".feedback.jsonl"))]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"assistant serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process, url
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise click.ClickException("assistant serve did not start within 600 s")


def run_users(clients: list, questions: list[str], seconds: float) -> dict[str, object]:
    """Every client asks back to back for `seconds`; latency, errors and reply sizes of the calls."""
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)

    def user(number: int, client) -> None:
        start.wait()
        deadline = time.monotonic() + seconds
        asked = 0
        while time.monotonic() < deadline:
            question = questions[(number * 7 + asked) % len(questions)]
            asked += 1
            began = time.perf_counter()
            try:
                reply = client.predict(question, api_name="/ask")
                failed = "Sorry, that question could not be answered" in reply[0]
                size = len(json.dumps(reply))
            except Exception as exc:  # a benchmark counts every failure, whatever it is
                reply, failed, size = (f"{type(exc).__name__}: {exc}",), True, 0
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                sizes.append(size)
                if failed:
                    errors.append(str(reply[0])[:200])

    threads = [threading.Thread(target=user, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    p95 = percentile(latencies, 95)
    return {
        "requests": len(latencies), "errors": len(errors), "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(p95, 1), "max_ms": round(max(latencies), 1), "answers_per_s": round(len(latencies) / wall, 1),
        "reply_bytes_p50": int(statistics.median(sizes)), "reply_bytes_max": max(sizes),
        "p95_within_target": p95 <= TARGET_P95_MS and not errors, "first_errors": errors[:3],
    }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def connect(url: str, users: int, questions: list[str]) -> list:
    from gradio_client import Client

    # gradio_client opens a new httpx client for every call, and httpx builds a new SSL context
    # (reading the whole CA bundle, ~30 ms of CPU) each time unless it is handed one. Sharing one
    # context keeps the load generator from eating the CPU the server is being measured on.
    shared_tls = ssl.create_default_context()
    clients = [Client(url, verbose=False, download_files=False, ssl_verify=shared_tls) for _ in range(users)]
    for number, client in enumerate(clients):  # warm-up: model, caches and each client's session
        client.predict(questions[number % len(questions)], api_name="/ask")
    return clients


@click.command()
@click.option("--users", default=50, show_default=True, help="Concurrent gradio_client users.")
@click.option("--seconds", default=60.0, show_default=True, help="Length of each run.")
@click.option("--runs", default=2, show_default=True, help="Consecutive runs (memory is compared first to last).")
@click.option("--url", help="Use this running server instead of starting one (memory is then not read).")
@click.option("--index-dir", help="Index folder for the server started here (default: ./index).")
@click.option("--questions-file", default=str(ROOT / "evals" / "dev.yaml"), show_default=True)
def main(users: int, seconds: float, runs: int, url: str | None, index_dir: str | None, questions_file: str) -> None:
    """Print latency, errors and memory for USERS concurrent conversations over RUNS runs of SECONDS each."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench import serve_resident_mb, worker_pids

    questions = dev_questions(Path(questions_file))
    process = None
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="isd-load-") as folder:
        if not url:
            process, url = start_server(index_dir, Path(folder) / "serve.log")
        try:
            clients = connect(url, users, questions)
            for _ in range(runs):
                pids = [process.pid, *worker_pids(process.pid)] if process is not None else []
                cpu_before = [cpu_seconds(pid) for pid in pids]
                own_before = time.process_time()
                result = run_users(clients, questions, seconds)
                if process is not None:
                    result["rss_mb"] = {part: round(mb, 1) for part, mb in serve_resident_mb(process.pid).items()}
                    used = [cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)]
                    # CPU per answer: the page process, its worker, and this load generator (same machine).
                    per = 1000 / max(1, int(result["requests"]))  # type: ignore[call-overload]
                    result["cpu_ms_per_answer"] = {"page": round(used[0] * per, 2),
                                                   "worker": round(sum(used[1:]) * per, 2),
                                                   "load_generator": round((time.process_time() - own_before) * per, 2)}
                results.append(result)
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=60)
    summary: dict[str, object] = {"users": users, "seconds_per_run": seconds, "cpus": os.cpu_count(),
                                  "target_p95_ms": TARGET_P95_MS, "target_growth_pct": TARGET_GROWTH_PCT, "runs": results}
    if process is not None and len(results) > 1:
        first, last = results[0]["rss_mb"]["total"], results[-1]["rss_mb"]["total"]  # type: ignore[index]
        growth = 100 * (last - first) / first
        summary["memory_growth_pct"] = round(growth, 2)
        summary["memory_within_target"] = growth <= TARGET_GROWTH_PCT
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
