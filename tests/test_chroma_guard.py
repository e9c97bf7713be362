"""`assistant chroma-guard`: the token check in front of a real `chroma run`, and the app's use of it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.errors import IndexError_, ServeError
from assistant.network import is_loopback
from assistant.search.chroma import chroma_server_client, server_collection_name, with_chroma_server
from assistant.search.chroma_guard import TOKEN_ENV, guard_config, presented_token, read_token
from assistant.search.retrieve import HybridRetriever
from tests.conftest import free_port

TOKEN = "a-test-token-of-32-characters-xx"
COLLECTIONS = "/api/v2/tenants/default_tenant/databases/default_database/collections"


def test_token_sources_and_checks(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert read_token() is None
    monkeypatch.setenv(TOKEN_ENV, f" {TOKEN}\n")
    assert read_token() == TOKEN
    (tmp_path / "token").write_text(TOKEN[::-1] + "\n")
    assert read_token(tmp_path / "token") == TOKEN[::-1]
    monkeypatch.setenv(TOKEN_ENV, "short")
    with pytest.raises(ServeError, match="at least 16 printable ASCII characters"):
        read_token()
    with pytest.raises(ServeError, match="Cannot read the Chroma token file"):
        read_token(tmp_path / "missing")
    assert presented_token({"x-chroma-token": "abc"}) == "abc"
    assert presented_token({"authorization": "Bearer abc "}) == "abc"
    assert presented_token({"authorization": "Basic abc"}) == ""
    assert [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "10.0.0.5", "chroma.local")] == [
        True, True, True, True, False, False]


def test_guard_refuses_to_start_without_a_token_or_before_a_chroma_off_loopback():
    with pytest.raises(ServeError, match=f"No Chroma token: set {TOKEN_ENV}"):
        guard_config("0.0.0.0", 8001, "127.0.0.1", 8000, None)
    with pytest.raises(ServeError, match=r"Chroma at 10\.0\.0\.5 is not on loopback"):
        guard_config("0.0.0.0", 8001, "10.0.0.5", 8000, TOKEN)


def test_the_app_refuses_a_chroma_server_off_loopback_without_a_token():
    with pytest.raises(ServeError, match="not on loopback, and no token was given"):
        chroma_server_client("10.255.255.1", 8000)


@pytest.fixture
def guard(chroma_server: int):
    """The guard on a free loopback port in front of the real Chroma server; yields its port."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(guard_config("127.0.0.1", port, "127.0.0.1", chroma_server, TOKEN))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the guard did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=30)


@pytest.mark.slow
def test_only_requests_with_the_token_reach_chroma(guard: int, chroma_server: int):
    base = f"http://127.0.0.1:{guard}"
    # The right token, in either header: Chroma answers through the guard.
    assert httpx.get(f"{base}/api/v2/heartbeat", headers={"X-Chroma-Token": TOKEN}).status_code == 200
    made = httpx.post(f"{base}{COLLECTIONS}", json={"name": "through-the-guard"},
                      headers={"Authorization": f"Bearer {TOKEN}"})
    assert made.status_code == 200 and made.json()["name"] == "through-the-guard"
    # No token, or a wrong one: 401, and nothing reaches Chroma (the advisory's route included).
    assert httpx.get(f"{base}/api/v2/heartbeat").status_code == 401
    refused = httpx.post(f"{base}{COLLECTIONS}", json={"name": "unauthenticated"}, headers={"X-Chroma-Token": "x" * 32})
    assert refused.status_code == 401 and refused.json() == {"error": "A valid Chroma token is required."}
    names = [c["name"] for c in httpx.get(f"http://127.0.0.1:{chroma_server}{COLLECTIONS}").json()]
    assert names == ["through-the-guard"]
    # Five failures from one address in a minute: then even the right token waits.
    codes = [httpx.get(f"{base}/api/v2/heartbeat", headers={"X-Chroma-Token": "wrong"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    blocked = httpx.get(f"{base}/api/v2/heartbeat", headers={"X-Chroma-Token": TOKEN})
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 60


@pytest.mark.slow
def test_the_app_loads_and_searches_through_the_guard(guard: int, fake_assistant, monkeypatch):
    settings = fake_assistant.settings.model_copy(deep=True)
    settings.serve.chroma_host, settings.serve.chroma_port = "127.0.0.1", guard
    monkeypatch.setenv(TOKEN_ENV, "not-the-guard-token-0123456789")
    with pytest.raises(IndexError_, match="refused the token"):
        with_chroma_server(fake_assistant.index, settings, log=lambda m: None)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    logged: list[str] = []
    remote = with_chroma_server(fake_assistant.index, settings, log=logged.append)
    name = server_collection_name(fake_assistant.index.fingerprint)
    assert logged == [f"Loading {len(fake_assistant.passages)} passage vectors into {name} on 127.0.0.1:{guard}…"]
    vector = fake_assistant.embed("Do I need consent to share?").tolist()
    embedded = fake_assistant.retriever.dense(vector, 10)
    through_guard = HybridRetriever(remote, settings.retrieval).dense(vector, 10)
    assert list(through_guard) == list(embedded)


def test_chroma_guard_command_refuses_what_would_leave_chroma_open(tmp_path: Path, monkeypatch):
    from click.testing import CliRunner

    from assistant.cli import cli

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    result = CliRunner().invoke(cli, ["chroma-guard"])
    assert result.exit_code == 8 and f"Error: No Chroma token: set {TOKEN_ENV}" in result.output
    (tmp_path / "token").write_text(TOKEN)
    result = CliRunner().invoke(cli, ["chroma-guard", "--token-file", str(tmp_path / "token"), "--chroma-host", "10.0.0.5"])
    assert result.exit_code == 8 and "Chroma at 10.0.0.5 is not on loopback" in result.output
    assert TOKEN not in result.output
