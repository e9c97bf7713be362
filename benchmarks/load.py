"""Load on the practitioner page: concurrent gradio_client users against a real `assistant serve`.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/load.py [--users 20] [--questions 10]
        [--index-dir index] [--url http://127.0.0.1:7860/]

Starts `assistant serve` on a free loopback port (real model, real Chroma, real Gradio), or uses
the server at --url. Every user warms up with one question, then all users start together and
each asks its questions one after another, as fast as answers come back (a harsher load than
people typing). Latency is the time one `/ask` call takes as its client sees it. Prints one
JSON object: p50 / p95 / max latency in ms, errors, answers per second, and the settings used.
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
TARGET_P95_MS = 1000.0


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


def run_users(url: str, questions: list[str], users: int, per_user: int) -> tuple[list[float], list[str], float]:
    from gradio_client import Client

    # gradio_client opens a new httpx client for every call, and httpx builds a new SSL context
    # (reading the whole CA bundle, ~30 ms of CPU) each time unless it is handed one. Sharing one
    # context keeps the load generator from eating the CPU the server is being measured on.
    shared_tls = ssl.create_default_context()
    clients = [Client(url, verbose=False, download_files=False, ssl_verify=shared_tls) for _ in range(users)]
    for number, client in enumerate(clients):  # warm-up: model, caches and each client's session
        client.predict(questions[number % len(questions)], api_name="/ask")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(users + 1)

    def user(number: int, client) -> None:
        mine = [questions[(number * per_user + i) % len(questions)] for i in range(per_user)]
        start.wait()
        for question in mine:
            began = time.perf_counter()
            try:
                conversation = client.predict(question, api_name="/ask")[0]
                failed = "Sorry, that question could not be answered" in conversation
            except Exception as exc:  # a benchmark counts every failure, whatever it is
                conversation, failed = f"{type(exc).__name__}: {exc}", True
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                if failed:
                    errors.append(conversation[:200])

    threads = [threading.Thread(target=user, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - began


@click.command()
@click.option("--users", default=20, show_default=True, help="Concurrent gradio_client users.")
@click.option("--questions", "per_user", default=10, show_default=True, help="Questions each user asks.")
@click.option("--url", help="Use this running server instead of starting one.")
@click.option("--index-dir", help="Index folder for the server started here (default: ./index).")
@click.option("--questions-file", default=str(ROOT / "evals" / "dev.yaml"), show_default=True)
def main(users: int, per_user: int, url: str | None, index_dir: str | None, questions_file: str) -> None:
    """Print p50/p95 latency and errors for USERS × QUESTIONS concurrent /ask calls."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    questions = dev_questions(Path(questions_file))
    process = None
    with tempfile.TemporaryDirectory(prefix="isd-load-") as folder:
        if not url:
            process, url = start_server(index_dir, Path(folder) / "serve.log")
        try:
            latencies, errors, wall = run_users(url, questions, users, per_user)
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=60)
    p95 = percentile(latencies, 95)
    print(json.dumps({
        "users": users, "questions_per_user": per_user, "requests": len(latencies), "errors": len(errors),
        "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(p95, 1), "max_ms": round(max(latencies), 1),
        "answers_per_s": round(len(latencies) / wall, 1), "target_p95_ms": TARGET_P95_MS,
        "p95_within_target": p95 <= TARGET_P95_MS, "cpus": os.cpu_count(), "first_errors": errors[:3],
    }))


if __name__ == "__main__":
    main()
