"""The page's guard (assistant/web/security.py) on a real Gradio server: forged Host and Origin headers,
the headers every response carries, login throttling, upload types and their deletion, and how
`assistant serve` takes its login. One test opens the page in chromium under its Content-Security-Policy."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import CORPUS, HashingEmbedding, serve_in_process
from gradio_client import Client, handle_file

from assistant.cli import cli
from assistant.errors import ServeError
from assistant.network import HostRule, LoginThrottle, parse_allowed_hosts, same_origin, split_host
from assistant.settings import Settings
from assistant.web.security import content_security_policy, inline_script_hashes
from assistant.web.server import check_exposure, read_auth

FIXED_HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
SET_CSV = 'id,kind,question,expected_refs\nq1,in_scope,"When must I share information with children\'s social care?",para 11\n'


class Page:
    def __init__(self, url: str, demo: Any) -> None:
        self.url = url.rstrip("/")
        self.demo = demo
        self.port = int(self.url.rsplit(":", 1)[1])
        self.uploads = Path(demo.app.uploaded_file_dir)

    def files(self) -> list[Path]:
        return sorted(p for p in self.uploads.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """serve(auth=None) → a whole page over the fake assistant, with its own Gradio upload folder."""
    from assistant.api import Assistant
    from assistant.search.model import LlamaIndexModel

    root = tmp_path_factory.mktemp("guarded")
    shutil.copytree(CORPUS, root / "corpus")
    settings = Settings()
    settings.paths.corpus_dir, settings.paths.index_dir = root / "corpus", root / "index"
    assistant = Assistant.load(settings, log=lambda m: None, progress=False, model=LlamaIndexModel(HashingEmbedding()))
    preset = os.environ.get("GRADIO_TEMP_DIR")
    # Gradio reads it when it builds a page and again whenever it checks an uploaded path: one for the module.
    os.environ["GRADIO_TEMP_DIR"] = str(root / "gradio")
    demos = []

    def serve(auth: tuple[str, str] | None = None) -> Page:
        demo, page = serve_in_process(assistant, root / "feedback.jsonl", auth)
        demos.append(demo)
        return Page(page.url, demo)

    yield serve
    for demo in demos:
        demo.close()
    os.environ.pop("GRADIO_TEMP_DIR", None) if preset is None else os.environ.update(GRADIO_TEMP_DIR=preset)


@pytest.fixture(scope="module")
def page(served: Any) -> Page:
    return served()


def _no_cors(response: httpx.Response) -> bool:
    return not any(name.startswith("access-control-") for name in response.headers)


# --- Host header ---


def test_host_rule_by_binding():
    loopback = HostRule("127.0.0.1", 7860)
    assert [loopback.allows(h) for h in ("127.0.0.1:7860", "localhost:7860", "LOCALHOST.:7860", "[::1]:7860")] == [True] * 4
    assert [loopback.allows(h) for h in ("localhost:7861", "localhost", "evil.example:7860", "10.0.0.5:7860", "",
                                         "127.0.0.1:7860@evil", "[::1", "local_host:7860")] == [False] * 8
    wildcard = HostRule("0.0.0.0", 7860, parse_allowed_hosts(["assistant.intranet", "proxy.example:443"]))
    assert [wildcard.allows(h) for h in ("10.0.0.5:7860", "[fe80::1]:7860", "assistant.intranet:8080",
                                         "proxy.example:443")] == [True] * 4
    assert wildcard.allows("proxy.example", scheme="https") is True  # no port: the scheme's default
    assert [wildcard.allows(h) for h in ("rebind.example:7860", "0.0.0.0:7860", "224.0.0.1:7860", "10.0.0.5:7861",
                                         "proxy.example:8443")] == [False] * 5
    specific = HostRule("192.168.1.5", 7860)
    assert (specific.allows("192.168.1.5:7860"), specific.allows("192.168.1.6:7860")) == (True, False)
    assert split_host("[::1]:80") == ("::1", 80) and split_host("Name.Example:99999") is None
    with pytest.raises(ServeError, match=r"^An --allowed-host value is not a host name .* without http:// or a path\.$"):
        parse_allowed_hosts(["http://assistant.intranet/"])


def test_a_forged_host_gets_400_and_no_config(page: Page):
    for path in ("/", "/config", "/gradio_api/info", "/gradio_api/upload"):
        for host in (f"rebind.example:{page.port}", f"127.0.0.1:{page.port + 1}", "localhost"):
            response = httpx.get(page.url + path, headers={"Host": host})
            assert response.status_code == 400, (path, host)
            assert response.text.startswith("Unknown host.") and "gradio_config" not in response.text
            assert "components" not in response.text and _no_cors(response)
    for host in (f"localhost:{page.port}", f"[::1]:{page.port}", f"127.0.0.1:{page.port}"):
        response = httpx.get(page.url + "/config", headers={"Host": host})
        assert response.status_code == 200 and '"components"' in response.text, host


# --- Origins and CORS ---


def test_same_origin():
    assert same_origin("http://127.0.0.1:7860", "127.0.0.1:7860") is True
    assert same_origin("https://assistant.intranet", "assistant.intranet") is True
    assert same_origin("http://localhost:7861", "localhost:7860") is False
    assert same_origin("http://127.0.0.1:7860", "localhost:7860") is False
    assert [same_origin(o, "localhost:7860") for o in ("null", "file://", "localhost:7860", "")] == [False] * 4


def test_only_the_pages_own_origin_gets_cors(page: Page):
    foreign = ["http://localhost:9999", "http://127.0.0.1:9999", "http://evil.example", "null", f"https://localhost:{page.port}"]
    for origin in foreign:
        response = httpx.get(page.url + "/config", headers={"Origin": origin})
        assert (response.status_code, _no_cors(response)) == (403, True), origin
        assert "components" not in response.text
        preflight = httpx.options(page.url + "/gradio_api/upload", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
        assert (preflight.status_code, _no_cors(preflight)) == (403, True), origin
    own = httpx.get(page.url + "/config", headers={"Origin": page.url})
    assert own.status_code == 200
    assert own.headers["access-control-allow-origin"] == page.url
    assert own.headers["access-control-allow-credentials"] == "true" and "Origin" in own.headers["vary"].split(", ")
    assert _no_cors(httpx.get(page.url + "/config"))


# --- Headers on every response ---


def test_every_response_carries_the_security_headers(page: Page):
    index = httpx.get(page.url + "/")
    asset = re.search(r'src="\./(assets/index-[^"]+\.js)"', index.text)
    assert asset is not None
    responses = [
        index, httpx.get(page.url + "/config"), httpx.get(page.url + "/theme.css"), httpx.get(page.url + "/" + asset[1]),
        httpx.get(page.url + "/gradio_api/info"), httpx.get(page.url + "/monitoring"),
        httpx.get(page.url + "/", headers={"Host": "rebind.example"}),
        httpx.get(page.url + "/?ref=para%2011", headers={"Origin": page.url}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 404, 400, 200]
    for response in responses:
        assert {k: response.headers.get(k) for k in FIXED_HEADERS} == FIXED_HEADERS, response.url
        assert response.headers["cross-origin-resource-policy"] == "same-origin"
        assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self' ")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for html in (index, responses[-1]):
        inline = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", html.text, re.S)
        expected = [base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() for body in inline]
        assert len(expected) == 5  # Gradio's config, API info, mode, loader and padding scripts
        assert html.headers["content-security-policy"] == content_security_policy(expected)
    assert "sha256-" not in responses[1].headers["content-security-policy"]


def test_inline_script_hashes():
    html = b'<p><script>alert(1)</script><script src="x.js"></script><SCRIPT type="module">\nb()\n</script >'
    assert inline_script_hashes(html) == ["bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=",
                                          base64.b64encode(hashlib.sha256(b"\nb()\n").digest()).decode()]
    assert "'sha256-abc='" in content_security_policy(["abc="]).split("; ")[1]


# --- Logins ---


def test_login_throttle_counts_attempts_as_they_arrive():
    now = [0.0]
    throttle = LoginThrottle(limit=3, window=60.0, clock=lambda: now[0])
    assert [throttle.admit("a") for _ in range(4)] == [None, None, None, 1.0]  # three in flight: the fourth waits
    for _ in range(3):
        throttle.settle("a", succeeded=False)
    now[0] = 10.0
    assert throttle.admit("a") == 50.0 and throttle.admit("b") is None  # other addresses are not held up
    throttle.settle("b", succeeded=False)
    now[0] = 60.0
    assert throttle.admit("a") is None  # the oldest failures are a minute old
    throttle.settle("a", succeeded=True)
    assert [throttle.admit("a") for _ in range(4)] == [None, None, None, 1.0]  # a success cleared the count
    small = LoginThrottle(clients=2, clock=lambda: now[0])
    for client in ("x", "y", "z"):
        small.admit(client)
        small.settle(client, succeeded=False)
    assert list(small.failures) == ["y", "z"]


def _logins(url: str, password: str, count: int) -> list[httpx.Response]:
    """`count` logins sent at once. Run in a thread of its own: an earlier browser test may have left an event
    loop running in this one, where asyncio.run refuses to start."""

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(
                client.post(url + "/login", data={"username": "ann", "password": password}) for _ in range(count)
            ))

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, send_all()).result()


def test_forty_wrong_logins_at_once_are_not_all_checked(served: Any):
    page = served(auth=("ann", "s3cret"))
    statuses = Counter(r.status_code for r in _logins(page.url, "guess", 40))
    assert statuses == {400: 5, 429: 35}
    held = _logins(page.url, "s3cret", 1)[0]
    assert held.status_code == 429 and 1 <= int(held.headers["retry-after"]) <= 60
    assert held.text == f"Too many failed logins from this address. Try again in {held.headers['retry-after']} s."
    assert "set-cookie" not in held.headers


def test_a_good_login_still_works_and_clears_the_count(served: Any):
    page = served(auth=("ann", "s3cret"))
    assert [r.status_code for r in _logins(page.url, "guess", 4)] == [400] * 4
    assert _logins(page.url, "s3cret", 1)[0].status_code == 200
    assert [r.status_code for r in _logins(page.url, "guess", 6)] == [400] * 5 + [429]


def test_the_login_comes_from_the_environment_or_a_file(tmp_path: Path):
    login = tmp_path / "login"
    login.write_text("ann:pa:ss word\nignored\n", encoding="utf-8")
    assert read_auth(None, login) == ("ann", "pa:ss word")
    assert read_auth("bob:pw", None) == ("bob", "pw") and read_auth(None, None) is None
    with pytest.raises(ServeError, match=r"^The login is set twice: in ASSISTANT_AUTH and with --auth-file"):
        read_auth("bob:pw", login)
    with pytest.raises(ServeError, match=r"^--auth is no longer accepted: .* pass --auth-file PATH\.$"):
        read_auth(None, None, "ann:pw")
    login.write_text("", encoding="utf-8")
    with pytest.raises(ServeError, match=r"^The login file .* is empty\. Write user:password on its first line\.$"):
        read_auth(None, login)
    login.write_text("justaname\n", encoding="utf-8")
    with pytest.raises(ServeError, match=r"^The login must look like user:password \(from the first line of "):
        read_auth(None, login)
    with pytest.raises(ServeError, match=r"^Cannot read the login file .*missing .*No such file or directory\)\. Write"):
        read_auth(None, tmp_path / "missing")


def test_a_network_page_without_a_login_needs_allow_open():
    assert check_exposure("127.0.0.1", None, False) is None and check_exposure("localhost", None, False) is None
    assert check_exposure("0.0.0.0", ("ann", "pw"), False) is None
    with pytest.raises(ServeError, match=r"^Serving on 0\.0\.0\.0 without a login .* or pass --allow-open if"):
        check_exposure("0.0.0.0", None, False)
    assert check_exposure("0.0.0.0", None, True).startswith("WARNING: the page on 0.0.0.0 has no login")


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """What `assistant serve` hands the page launcher, without a worker or a page."""
    seen: dict[str, Any] = {}

    class NoWorker:
        def __init__(self, settings: Settings, **options: Any) -> None:
            self.settings = settings

        def close(self) -> None:
            pass

    monkeypatch.setattr("assistant.web.remote.RemoteAssistant", NoWorker)
    monkeypatch.setattr("assistant.web.server.launch",
                        lambda assistant, **kw: seen.update(kw, allowed=assistant.settings.serve.allowed_hosts))
    monkeypatch.delenv("ASSISTANT_AUTH", raising=False)
    monkeypatch.setenv("ASSISTANT_SERVE__FEEDBACK_PATH", str(tmp_path / "feedback.jsonl"))
    return seen


def test_serve_refuses_a_password_in_argv_and_an_open_network_page(launched: dict[str, Any], tmp_path: Path):
    from conftest import free_port

    port = str(free_port())
    result = CliRunner().invoke(cli, ["serve", "--port", port, "--auth", "ann:pw"])
    assert result.exit_code == 8 and not launched
    assert result.output.startswith("Error: --auth is no longer accepted: a password on the command line shows")
    assert "ASSISTANT_AUTH=user:password" in result.output and "--auth-file PATH" in result.output
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", port])
    assert result.exit_code == 8 and not launched
    assert result.output.startswith("Error: Serving on 0.0.0.0 without a login")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", port, "--allow-open",
                                      "--allowed-host", "assistant.intranet", "--allowed-host", "10.1.2.3:8080"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("WARNING: the page on 0.0.0.0 has no login")
    assert (launched["host"], launched["auth"], launched["allowed"]) == ("0.0.0.0", None, ["assistant.intranet", "10.1.2.3:8080"])
    login = tmp_path / "login"
    login.write_text("ann:s3cret\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", port, "--auth-file", str(login)])
    assert result.exit_code == 0 and "WARNING" not in result.output and launched["auth"] == ("ann", "s3cret")
    result = CliRunner().invoke(cli, ["serve", "--port", port, "--allowed-host", "http://x/"])
    assert result.exit_code == 8 and "Error: An --allowed-host value is not a host name" in result.output


def test_serve_says_how_to_give_the_login_before_anything_loads(tmp_path: Path):
    from conftest import free_port

    from assistant.settings import PROJECT_ROOT

    environment = {k: v for k, v in os.environ.items() if k != "ASSISTANT_AUTH"}
    for arguments, first_words in [
        (["--auth", "ann:pw"], "Error: --auth is no longer accepted"),
        (["--host", "0.0.0.0"], "Error: Serving on 0.0.0.0 without a login"),
    ]:
        result = subprocess.run([sys.executable, "-m", "assistant", "serve", "--port", str(free_port()), *arguments],
                                capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT, env=environment)
        assert result.returncode == 8 and len(result.stderr.splitlines()) == 1, result.stderr
        assert result.stderr.startswith(first_words) and "Opening the index" not in result.stderr


# --- Uploads ---


def _upload(page: Page, name: str, content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(page.url + "/gradio_api/upload", files={"files": (name, content)}, headers=headers or {})


def test_uploads_of_another_type_size_or_origin_are_refused_and_not_kept(page: Page):
    before = page.files()
    refused = [
        _upload(page, "set.exe", b"MZ"),
        _upload(page, "notes.txt", b"hello"),
        _upload(page, "set.yaml", b"items: []\n", {"Origin": "http://localhost:9999"}),
        _upload(page, "big.csv", b"x" * 2_100_000),
    ]
    assert [r.status_code for r in refused] == [415, 415, 403, 413]
    assert refused[0].text == "Only .csv, .yaml, .yml files can be uploaded."
    assert page.files() == before
    kept = _upload(page, "set.yaml", b"items: []\n")
    assert kept.status_code == 200 and Path(kept.json()[0]).name == "set.yaml"


def test_an_upload_no_run_uses_is_deleted_after_its_time(served: Any):
    page = served()
    guard = page.demo.app.middleware_stack  # built by Gradio's own first request at launch
    assert guard.policy.upload_seconds == 30 * 60
    guard.policy.upload_seconds = 0.0
    stored = Path(_upload(page, "idle-set.yaml", b"items: []  # never run\n").json()[0])
    deadline = time.monotonic() + 30
    # Wait for the whole deletion (the file, then its folder, on the server's thread), not only its first half.
    while stored.parent.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not stored.exists() and not stored.parent.exists()


def _evaluate(page: Page, upload: Path) -> str:
    client = Client(page.url + "/", verbose=False, download_files=False)
    return client.predict("All built-in sets", handle_file(str(upload)), False, api_name="/evaluate")[0]


def test_each_upload_is_deleted_when_its_run_ends_or_fails(page: Page, tmp_path: Path):
    good, bad = tmp_path / "local-set.csv", tmp_path / "broken-set.csv"
    good.write_text(SET_CSV, encoding="utf-8")
    bad.write_text("question\n\"unclosed\n", encoding="utf-8")
    before = set(page.files())
    assert _evaluate(page, good).startswith("**1 items** from 1 set(s)")
    assert _evaluate(page, bad).startswith("**Could not run the evaluation:**")
    new = sorted(set(page.files()) - before)
    assert [p for p in new if p.stat().st_size == 0] == []  # Gradio's File leaves an empty temporary file per run
    # What stays is the run's report, in the folder the next run replaces.
    assert [(p.parent.name.startswith("isd-eval-report-"), p.name) for p in new] == [
        (True, "report.html"), (True, "results.csv"), (True, "results.json")]


def test_the_set_upload_checks_its_type_on_the_server(tmp_path: Path):
    import gradio as gr
    from gradio.data_classes import FileData

    from assistant.web.evaluate_tab import SetUpload

    folder = tmp_path / "abc123"
    folder.mkdir()
    (folder / "payload.html").write_text("<p>", encoding="utf-8")
    component = SetUpload(file_types=[".yaml"], type="filepath", render=False)
    with pytest.raises(gr.Error) as refused:
        component.preprocess(FileData(path=str(folder / "payload.html")))
    assert refused.value.message == "Upload one .yaml, .yml, .csv file; the file was not kept."
    assert not folder.exists()
    (tmp_path / "set.yml").write_text("items: []\n", encoding="utf-8")
    assert component.preprocess(FileData(path=str(tmp_path / "set.yml"))) == str(tmp_path / "set.yml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.yml"] and component.preprocess(None) is None


# --- The page in a browser, under its policy ---


@pytest.mark.slow
def test_the_page_works_in_chromium_under_its_policy(page: Page, browser_page: Any, artifacts: Path, tmp_path: Path):
    browser = browser_page
    console: list[str] = []
    browser.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    browser.add_init_script("window.__violations = [];"
                            "document.addEventListener('securitypolicyviolation',"
                            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
    response = browser.goto(page.url + "/")
    assert response is not None and response.headers["content-security-policy"].startswith("default-src 'self'")
    browser.wait_for_selector("#question textarea")
    browser.fill("#question textarea", "When can I decide not to share information?")
    browser.click("#ask-button")
    browser.wait_for_function("document.querySelectorAll('#conversation .turn').length > 0", timeout=60_000)
    assert browser.locator("#conversation .reply").count() == 1
    browser.screenshot(path=str(artifacts / "security-csp-ask.png"), full_page=True)
    browser.locator("#record-panel").get_by_text("Record of this conversation").click()
    with browser.expect_download() as download:  # the download button runs Gradio's `js=` code
        browser.click("#download-record")
    assert download.value.suggested_filename == "isd-guidance-record.md"

    upload = tmp_path / "browser-set.csv"
    upload.write_text(SET_CSV, encoding="utf-8")
    browser.click("button[role=tab]:has-text('Evaluate')")
    browser.wait_for_selector("#eval-run", state="visible")
    browser.set_input_files("#eval-upload input[type=file]", str(upload))  # a same-origin upload, with its Origin
    browser.wait_for_selector("#eval-upload .file-preview", timeout=30_000)
    browser.uncheck("#eval-baselines input")
    browser.click("#eval-run")
    browser.wait_for_function("() => document.querySelector('#eval-message').innerText.includes('items')",
                              timeout=120_000)
    assert browser.inner_text("#eval-message").startswith("1 items from 1 set(s)")
    assert [p for p in page.files() if p.name == "browser-set.csv"] == []
    browser.screenshot(path=str(artifacts / "security-csp-evaluate.png"), full_page=True)
    assert browser.evaluate("window.__violations") == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
