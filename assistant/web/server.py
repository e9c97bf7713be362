"""Serving the practitioner page privately: launch options, closed routes, login, port and temp folder.

Kept apart from page.py, which imports gradio: Gradio reads GRADIO_TEMP_DIR when it is first
imported, so the CLI enters `private_temp_dir` before anything imports page.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ServeError
from assistant.network import HostRule, LoginThrottle, is_loopback, parse_allowed_hosts
from assistant.processes import remove_orphaned
from assistant.settings import ServeSettings, Settings
from assistant.web.security import PageGuard, PagePolicy

if TYPE_CHECKING:
    import gradio as gr

    from assistant.api import Assistant
    from assistant.web.remote import RemoteAssistant

# Gradio routes the page never needs: run history, monitoring, MCP, the live editor, the URL proxy
# and screen recording. They answer 404.
DEFAULT_SESSIONS: int = ServeSettings.model_fields["sessions"].default
ALWAYS_CLOSED = (
    "/gradio_api/proxy=", "/gradio_api/process_recording", "/gradio_api/run-history", "/gradio_api/runs",
    "/gradio_api/vibe", "/gradio_api/undo-vibe", "/gradio_api/mcp", "/monitoring",
)
# Routes for uploading, serving and streaming files: closed unless a tab has a file component.
FILE_ROUTES = ("/gradio_api/upload", "/gradio_api/file=", "/gradio_api/file/", "/gradio_api/stream/")
FILE_COMPONENTS = ("File", "UploadButton", "DownloadButton", "Image", "ImageEditor", "ImageSlider", "AnnotatedImage",
                   "Audio", "Video", "Gallery", "Model3D", "MultimodalTextbox", "SimpleImage")


def needs_file_routes(demo: gr.Blocks) -> bool:
    """Whether any component on the page sends or receives files (the Ask and Read tabs do not)."""
    import gradio as gr

    kinds = tuple(getattr(gr, name) for name in FILE_COMPONENTS if hasattr(gr, name))
    return any(isinstance(block, kinds) for block in demo.blocks.values())


class ClosedRoutes:
    """ASGI middleware: 404 for every path starting with one of `closed`."""

    def __init__(self, app: Any, closed: tuple[str, ...] = ALWAYS_CLOSED + FILE_ROUTES) -> None:
        self.app = app
        self.closed = closed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.closed):
            from starlette.responses import PlainTextResponse

            await PlainTextResponse("Not found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def parse_auth(value: str | None, source: str = "ASSISTANT_AUTH") -> tuple[str, str] | None:
    """'user:password' → (user, password); None or '' → no login."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ServeError(f"The login must look like user:password (from {source}), both parts non-empty.")
    return user, password


def read_auth(
    environment_value: str | None, auth_file: Path | None, argv_value: str | None = None,
) -> tuple[str, str] | None:
    """The login from the ASSISTANT_AUTH value or from the first line of `auth_file`. Never from the
    command line (`argv_value`, given to `--auth`), where every user of the machine can read it."""
    if argv_value is not None:
        raise ServeError("--auth is no longer accepted: a password on the command line shows in the process list "
                         "to every user of this machine. Set ASSISTANT_AUTH=user:password in the environment, or "
                         "write user:password in a file only you can read and pass --auth-file PATH.")
    if environment_value and auth_file:
        raise ServeError("The login is set twice: in ASSISTANT_AUTH and with --auth-file. Unset one of them.")
    if auth_file is None:
        return parse_auth(environment_value)
    try:
        first_line = auth_file.read_text(encoding="utf-8").splitlines()[:1]
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ServeError(f"Cannot read the login file {auth_file} ({reason}). "
                         "Write user:password on its first line, readable by this user only (chmod 600).") from None
    login = parse_auth(first_line[0].strip() if first_line else "", f"the first line of {auth_file}")
    if login is None:
        raise ServeError(f"The login file {auth_file} is empty. Write user:password on its first line.")
    return login


def check_exposure(host: str, auth: tuple[str, str] | None, allow_open: bool) -> str | None:
    """Refuse a page on the network without a login unless `allow_open`; then the warning to print."""
    if auth is not None or is_loopback(host):
        return None
    if not allow_open:
        raise ServeError(
            f"Serving on {host} without a login would let anyone who can reach this machine use the page. "
            "Set a login (ASSISTANT_AUTH=user:password, or --auth-file PATH), or pass --allow-open "
            "if every machine on that network may use it."
        )
    return (f"WARNING: the page on {host} has no login: anyone who can reach this machine can use it "
            "(--allow-open). Set ASSISTANT_AUTH or --auth-file to require one.")


def ensure_port_free(host: str, port: int) -> None:
    """Fail at once, before the model loads, when another server (perhaps another `assistant serve`) has the port."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServeError(f"Cannot bind to host {host!r}: {exc.strerror}. Use an address of this machine.") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        try:
            probe.bind(address)
        except OSError as exc:
            raise ServeError(
                f"Port {port} on {host} is not available ({exc.strerror}); is another `assistant serve` running? "
                f"Stop it, or choose another port with --port {port + 1}."
            ) from None


MAX_UPLOAD_BYTES = 2_000_000  # twice the largest evaluation set read (assistant.evaluation.sets.MAX_SET_BYTES)


def upload_suffixes(demo: gr.Blocks) -> tuple[str, ...] | None:
    """The file types the page's upload components accept (None: one of them accepts any type)."""
    import gradio as gr

    suffixes: set[str] = set()
    for block in demo.blocks.values():
        if isinstance(block, gr.File | gr.UploadButton) and block.interactive is not False:
            kinds = block.file_types or []
            if not kinds or any(not kind.startswith(".") for kind in kinds):
                return None
            suffixes.update(kind.lower() for kind in kinds)
    return tuple(sorted(suffixes))


def page_policy(
    demo: gr.Blocks, host: str, port: int, auth: tuple[str, str] | None, allowed_hosts: tuple[str, ...] = (),
) -> PagePolicy:
    """What the page's guard (assistant/web/security.py) enforces for this page, bound to host:port."""
    return PagePolicy(
        hosts=HostRule(host.strip("[]").lower(), port, parse_allowed_hosts(allowed_hosts)),
        throttle=LoginThrottle() if auth else None,
        upload_suffixes=upload_suffixes(demo),
        max_upload_bytes=MAX_UPLOAD_BYTES,
    )


def guarded_app(policy: PagePolicy, middleware: list[Any]) -> Any:
    """A Gradio `App` whose outermost layer is `PageGuard`, for `Blocks.launch(_app=...)`. Gradio adds its CORS
    and compression middleware to the app it is given, in front of any middleware passed in; the guard must
    be in front of them all to take back Gradio's CORS answers."""
    from gradio.routes import App, ORJSONResponse

    class GuardedApp(App):  # type: ignore[misc]
        def build_middleware_stack(self) -> Any:
            return PageGuard(super().build_middleware_stack(), policy)

    return GuardedApp(middleware=middleware, default_response_class=ORJSONResponse)


def launch_options(
    host: str, port: int, auth: tuple[str, str] | None = None, file_routes: bool = False,
    sessions: int = DEFAULT_SESSIONS, policy: PagePolicy | None = None,
) -> dict[str, Any]:
    """Everything `Blocks.launch` needs for a private page: no share link, analytics, history or extra routes,
    and (given a `policy`) the guard for hosts, origins, headers, logins and uploads."""
    import gradio as gr
    from starlette.middleware import Middleware

    from assistant.web.style import CSS

    closed = ALWAYS_CLOSED if file_routes else ALWAYS_CLOSED + FILE_ROUTES
    middleware = [Middleware(ClosedRoutes, closed=closed)]
    # System fonts only: Gradio's default theme would fetch fonts from Google on every page load.
    theme = gr.themes.Default(font=["system-ui", "Segoe UI", "Arial", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    return {
        "server_name": host, "server_port": port, "share": False, "auth": auth, "quiet": True, "show_error": False,
        "footer_links": [], "run_history": False, "enable_monitoring": False, "mcp_server": False, "ssr_mode": False,
        "pwa": False, "css": CSS, "theme": theme,
        # Each browser session costs about 0.1 MB of Gradio's page state plus its conversation; the
        # oldest sessions beyond this many are dropped, so a long-running server does not grow.
        "state_session_capacity": sessions,
        # Uploads are evaluation sets: Gradio refuses anything larger before it reaches the disk.
        "max_file_size": MAX_UPLOAD_BYTES,
    } | ({"_app": guarded_app(policy, middleware)} if policy else {"app_kwargs": {"middleware": middleware}})


def start(
    demo: gr.Blocks, host: str, port: int, auth: tuple[str, str] | None = None, block: bool = True,
    sessions: int = DEFAULT_SESSIONS, allowed_hosts: tuple[str, ...] = (),
) -> None:
    policy = page_policy(demo, host, port, auth, allowed_hosts)
    try:
        options = launch_options(host, port, auth, needs_file_routes(demo), sessions, policy)
        demo.launch(prevent_thread_lock=not block, **options)
    except OSError as exc:
        raise ServeError(f"Cannot serve on {host}:{port}: {exc}. Choose another port with --port.") from None


TEMP_PREFIX = "isd-assistant-gradio-"


def remove_orphaned_temp_dirs(parent: Path) -> None:
    """Folders left by pages that were killed outright (SIGKILL, power loss): their process is gone."""
    remove_orphaned(parent, TEMP_PREFIX)


@contextmanager
def private_temp_dir() -> Iterator[str]:
    """A temporary folder for Gradio that only this process uses, removed when the page stops.

    Must be entered before gradio is imported: Gradio reads GRADIO_TEMP_DIR at import time.
    The folder name carries the process id, so a later start can remove it if this process
    is killed before it can clean up.
    """
    preset = os.environ.get("GRADIO_TEMP_DIR")
    if not preset:
        remove_orphaned_temp_dirs(Path(tempfile.gettempdir()))
    folder = preset or tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
    os.environ["GRADIO_TEMP_DIR"] = folder
    try:
        yield folder
    finally:
        if not preset:
            # Restore the environment too: a caller in the same process (tests, an embedding app)
            # must not hand the deleted folder on to the processes it starts later.
            os.environ.pop("GRADIO_TEMP_DIR", None)
            shutil.rmtree(folder, ignore_errors=True)


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    """`kill` and service managers send SIGTERM: stop as on Ctrl-C, so the temp folder is removed."""
    raise KeyboardInterrupt


def launch(
    assistant: Assistant | RemoteAssistant | Settings, host: str = "127.0.0.1", port: int = 7860,
    auth: tuple[str, str] | None = None,
) -> None:
    """Serve the page until interrupted.

    `assistant` is an `Assistant` (answering in this process), a `RemoteAssistant` started before
    this call, or `Settings` to start one here. A worker loads while Gradio is imported below, and
    the page waits for it only when it needs the passages.
    """
    if isinstance(assistant, Settings):
        from assistant.web.remote import RemoteAssistant

        with RemoteAssistant(assistant) as remote:
            return launch(remote, host, port, auth)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    from assistant.web.page import build

    demo = build(assistant)  # type: ignore[arg-type]  (a RemoteAssistant offers what the page uses)
    print(f"The practitioner page is at http://{host}:{port}/ (Ctrl-C to stop).", file=sys.stderr, flush=True)
    try:
        serving = assistant.settings.serve
        start(demo, host, port, auth, sessions=serving.sessions, allowed_hosts=tuple(serving.allowed_hosts))
    finally:
        demo.close()
