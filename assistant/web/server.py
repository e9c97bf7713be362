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
from assistant.settings import ServeSettings, Settings

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


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' → (user, password); None or '' → no login."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ServeError("The login must look like user:password (from --auth or ASSISTANT_AUTH), both parts non-empty.")
    return user, password


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


def launch_options(
    host: str, port: int, auth: tuple[str, str] | None = None, file_routes: bool = False,
    sessions: int = DEFAULT_SESSIONS,
) -> dict[str, Any]:
    """Everything `Blocks.launch` needs for a private page: no share link, analytics, history or extra routes."""
    import gradio as gr
    from starlette.middleware import Middleware

    from assistant.web.style import CSS

    closed = ALWAYS_CLOSED if file_routes else ALWAYS_CLOSED + FILE_ROUTES
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
        "app_kwargs": {"middleware": [Middleware(ClosedRoutes, closed=closed)]},
    }


def start(
    demo: gr.Blocks, host: str, port: int, auth: tuple[str, str] | None = None, block: bool = True,
    sessions: int = DEFAULT_SESSIONS,
) -> None:
    try:
        options = launch_options(host, port, auth, needs_file_routes(demo), sessions)
        demo.launch(prevent_thread_lock=not block, **options)
    except OSError as exc:
        raise ServeError(f"Cannot serve on {host}:{port}: {exc}. Choose another port with --port.") from None


TEMP_PREFIX = "isd-assistant-gradio-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_orphaned_temp_dirs(parent: Path) -> None:
    """Folders left by pages that were killed outright (SIGKILL, power loss): their process is gone."""
    for folder in parent.glob(f"{TEMP_PREFIX}*-*"):
        pid = folder.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


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
        start(demo, host, port, auth, sessions=assistant.settings.serve.sessions)
    finally:
        demo.close()
