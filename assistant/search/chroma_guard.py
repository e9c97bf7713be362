"""A token check in front of a Chroma server: `assistant chroma-guard`.

chromadb 1.x's `chroma run` (a Rust server) has no authentication of its own: it ignores the
`CHROMA_SERVER_AUTHN_*` settings that older Python servers read, and it carries a published
pre-authentication code-injection advisory (CVE-2026-45829) with no fixed release. So Chroma
listens on loopback only, and this guard, on the address the app instances can reach, forwards
a request only when it carries the shared token (`X-Chroma-Token: …` or `Authorization: Bearer …`).
Anything else gets 401 and never reaches Chroma. Failed tokens are throttled per client address.
"""

from __future__ import annotations

import hmac
import math
import os
from pathlib import Path
from typing import Any

from assistant.errors import ServeError
from assistant.network import LoginThrottle, is_loopback

TOKEN_ENV = "ASSISTANT_CHROMA_TOKEN"
TOKEN_HEADER = "x-chroma-token"
MIN_TOKEN_CHARS = 16
MAX_BODY_BYTES = 64 * 1024 * 1024  # a batch of 4,000 passage vectors as JSON is about 15 MB
# Headers that belong to one connection, not to the request or response passed on.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
    "upgrade", "host", "content-length", "authorization", TOKEN_HEADER,
})


def read_token(token_file: str | Path | None = None) -> str | None:
    """The shared token: from `token_file` when given, else from $ASSISTANT_CHROMA_TOKEN; None when neither."""
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ServeError(f"Cannot read the Chroma token file {token_file}: {exc}. Write the token on one line.") from None
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return None
    if len(token) < MIN_TOKEN_CHARS or not token.isprintable() or not token.isascii():
        raise ServeError(
            f"The Chroma token must be at least {MIN_TOKEN_CHARS} printable ASCII characters; make one with "
            "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`."
        )
    return token


def presented_token(headers: dict[str, str]) -> str:
    if TOKEN_HEADER in headers:
        return headers[TOKEN_HEADER]
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class ChromaGuard:
    """ASGI app: check the token, then pass the request to the Chroma server at `upstream` and its answer back."""

    def __init__(self, upstream: str, token: str) -> None:
        import httpx

        self.token = token.encode()
        self.client = httpx.AsyncClient(base_url=upstream, timeout=120.0)
        self.throttle = LoginThrottle()  # 5 failed tokens per address a minute, as for the page's logins

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from starlette.responses import JSONResponse, Response

        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.throttle.admit(address)
        if wait is not None:
            await JSONResponse({"error": "Too many failed tokens; wait a minute."}, 429,
                               headers={"Retry-After": str(math.ceil(wait))})(scope, receive, send)
            return
        valid = hmac.compare_digest(presented_token(headers).encode(), self.token)
        self.throttle.settle(address, succeeded=valid)
        if not valid:
            await JSONResponse({"error": "A valid Chroma token is required."}, 401)(scope, receive, send)
            return
        body = await self._body(receive)
        if body is None:
            await JSONResponse({"error": "Request body too large."}, 413)(scope, receive, send)
            return
        passed = {k: v for k, v in headers.items() if k not in HOP_BY_HOP}
        try:
            answer = await self.client.request(
                scope["method"], scope["path"], params=scope.get("query_string", b"").decode("latin-1") or None,
                content=body, headers=passed,
            )
        except Exception as exc:  # Chroma down or refusing: the app sees a gateway error, not a hang
            await JSONResponse({"error": f"Chroma did not answer ({type(exc).__name__})."}, 502)(scope, receive, send)
            return
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        await Response(answer.content, answer.status_code, headers=kept)(scope, receive, send)

    async def _body(self, receive: Any) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def guard_config(host: str, port: int, chroma_host: str, chroma_port: int, token: str | None) -> Any:
    """A uvicorn config for the guard, after refusing what would leave Chroma open."""
    import uvicorn

    if token is None:
        raise ServeError(f"No Chroma token: set {TOKEN_ENV}, or pass --token-file with a file holding it.")
    if not is_loopback(chroma_host):
        raise ServeError(
            f"Chroma at {chroma_host} is not on loopback, so it can be reached without the guard. Run "
            "`chroma run --host 127.0.0.1` on this machine and point --chroma-host at 127.0.0.1."
        )
    upstream = f"http://{chroma_host}:{chroma_port}"
    return uvicorn.Config(ChromaGuard(upstream, token), host=host, port=port, log_level="warning",
                          access_log=False, lifespan="on", server_header=False)
