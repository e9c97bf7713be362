"""The serving commands: `assistant serve` (the practitioner page) and `assistant chroma-guard` (the token
check in front of a shared Chroma server)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from assistant.cli_support import friendly


@click.command()
@click.option("--host", help="Address to bind (default 127.0.0.1: this machine only). Use 0.0.0.0 to serve a network "
              "(with a login, or --allow-open).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 7860).")
@click.option("--auth-file", type=click.Path(dir_okay=False, path_type=Path), help="Require the login "
              "user:password on this file's first line (or set ASSISTANT_AUTH). Off by default.")
@click.option("--auth", "auth_in_argv", hidden=True)  # refused: argv shows in the process list
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME[:PORT]", help="Also answer this host "
              "name (repeatable). Loopback names and the bound address (any IP with 0.0.0.0) are always answered.")
@click.option("--allow-open", is_flag=True, help="Serve a non-loopback --host without a login (prints a warning).")
@click.option("--chroma-host", help="Use the Chroma server (`chroma run`) at this host instead of the embedded store.")
@click.option("--chroma-port", type=click.IntRange(1, 65535), help="Port of that Chroma server (default 8000).")
@click.option("--chroma-token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File holding the token of the `assistant chroma-guard` in front of that server (or set "
              "ASSISTANT_CHROMA_TOKEN). Needed when the server is not on loopback.")
@click.option("--feedback-path", type=click.Path(dir_okay=False),
              help="JSONL file for feedback (default ~/.local/share/isd-assistant/feedback.jsonl).")
@click.pass_context
@friendly
def serve(
    ctx: click.Context, host: str | None, port: int | None, auth_file: Path | None, auth_in_argv: str | None,
    allowed_hosts: tuple[str, ...], allow_open: bool, chroma_host: str | None, chroma_port: int | None,
    chroma_token_file: Path | None, feedback_path: str | None,
) -> None:
    """Start the practitioner page (Gradio) on HOST:PORT.

    Questions are never stored; feedback is appended to the feedback file with names,
    dates, NHS and other numbers replaced by placeholders. Analytics and share links are off.
    """
    import os

    from assistant.network import parse_allowed_hosts
    from assistant.web.server import check_exposure, ensure_port_free, launch, private_temp_dir, read_auth

    serving = ctx.obj["settings"].serve
    for name, value in {"host": host, "port": port, "chroma_host": chroma_host, "chroma_port": chroma_port}.items():
        if value is not None:
            setattr(serving, name, value)
    if feedback_path:
        serving.feedback_path = Path(feedback_path)
    if chroma_token_file:
        serving.chroma_token_file = chroma_token_file
    serving.allowed_hosts = [*serving.allowed_hosts, *allowed_hosts]
    parse_allowed_hosts(serving.allowed_hosts)  # a mistyped name fails here, before anything loads
    login = read_auth(os.environ.get("ASSISTANT_AUTH"), auth_file, auth_in_argv)
    if warning := check_exposure(serving.host, login, allow_open):
        click.secho(warning, err=True, fg="red", bold=True)
    # Fail fast, before the model loads: a taken port or an unreachable Chroma server.
    ensure_port_free(serving.host, serving.port)
    if serving.chroma_host:
        from assistant.search.chroma import chroma_server_client
        from assistant.search.chroma_guard import read_token

        chroma_server_client(serving.chroma_host, serving.chroma_port, read_token(serving.chroma_token_file))
    from assistant.web.remote import RemoteAssistant

    started = time.monotonic()
    click.echo("Opening the index and the query encoder…", err=True)

    def ready(seconds: float) -> None:
        click.echo(f"Assistant ready ({time.monotonic() - started:.1f} s).", err=True)

    with private_temp_dir():
        # The worker process loads the assistant on one core while this one imports Gradio and
        # builds the page on the other; a load error surfaces when the page first needs it.
        assistant = RemoteAssistant(ctx.obj["settings"], progress=True, on_ready=ready)
        try:
            launch(assistant, host=serving.host, port=serving.port, auth=login)
        finally:
            assistant.close()


@click.command(name="chroma-guard")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the guard listens on: a private-network address that the app instances reach.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="Port the guard listens on.")
@click.option("--chroma-host", default="127.0.0.1", show_default=True,
              help="The Chroma server (`chroma run --host 127.0.0.1`): loopback only, so the guard cannot be bypassed.")
@click.option("--chroma-port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Its port.")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File holding the token (one line, 16+ characters); without it, ASSISTANT_CHROMA_TOKEN.")
@friendly
def chroma_guard(host: str, port: int, chroma_host: str, chroma_port: int, token_file: Path | None) -> None:
    """Pass requests to a Chroma server only when they carry the shared token.

    chromadb's `chroma run` has no login, and a published advisory (CVE-2026-45829) lets anyone who
    reaches it run code. Keep it on loopback and let app instances reach it only through this guard:
    `assistant serve --chroma-host GUARD_HOST --chroma-port GUARD_PORT` with the same token.
    """
    import uvicorn

    from assistant.search.chroma_guard import guard_config, read_token

    config = guard_config(host, port, chroma_host, chroma_port, read_token(token_file))
    click.echo(f"Guarding Chroma at {chroma_host}:{chroma_port} on http://{host}:{port}/ (Ctrl-C to stop).", err=True)
    uvicorn.Server(config).run()
