"""The page's guard: which hosts and origins it answers, the headers every response carries,
login throttling and checked uploads.

`PageGuard` wraps the whole of Gradio's app, outside Gradio's own CORS middleware: Gradio lets
any localhost origin (and, on a non-localhost Host, any origin at all) read responses with
credentials, and answers CORS preflights itself, so nothing placed inside it could take that back.

- Host: a request is answered only when its Host header names the page: a loopback name with the
  bound port, the bound address, an IP address when bound to all interfaces (a DNS-rebinding page
  always sends its own domain name, never an IP literal), or a name the operator listed with
  `--allowed-host`. Anything else gets 400 and no page or config.
- Origin: a request carrying an Origin other than the page's own gets 403; Gradio's CORS headers
  are removed from every response and replaced by ones naming the page's own origin only.
- Headers: a Content-Security-Policy, X-Frame-Options DENY, nosniff, Referrer-Policy no-referrer
  and Cross-Origin-Resource-Policy same-origin. Gradio's page holds inline scripts (its config,
  built per request); each HTML page's policy lists the SHA-256 of exactly those scripts.
- Login: failed logins are counted per client address; see `LoginThrottle`.
- Uploads: the request must state its length, within the limit; stored files of any other type
  than the page accepts are deleted at once and the request gets 415; the others are deleted after
  `upload_seconds` if no run has deleted them before.

Imports no Gradio: server.py uses it before Gradio may be imported.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.network import HostRule, LoginThrottle, same_origin

LOGIN_PATHS = ("/login", "/login/")
UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/upload/")
MULTIPART_OVERHEAD = 64_000  # form boundaries and headers around the one file an upload carries

# Gradio runs each event's `js=` code (the page's download and scroll helpers) through the
# AsyncFunction constructor: without 'unsafe-eval' its page does not even start. Svelte sets style
# attributes and Gradio inserts its theme as <style> elements: 'unsafe-inline' for styles, not scripts.
POLICY = (
    "default-src 'self'",
    "script-src 'self' 'unsafe-eval'{hashes}",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
FIXED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}
INLINE_SCRIPT = re.compile(rb"<script\b(?P<attributes>[^>]*)>(?P<body>.*?)</script\s*>", re.S | re.I)
SOURCE_ATTRIBUTE = re.compile(rb"\ssrc\s*=", re.I)


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The page's policy; `script_hashes` (base64 SHA-256) are the inline scripts it may run."""
    hashes = "".join(f" 'sha256-{digest}'" for digest in script_hashes)
    return "; ".join(POLICY).format(hashes=hashes)


def inline_script_hashes(html: bytes) -> list[str]:
    """Base64 SHA-256 of each inline <script> body, as a browser hashes it for CSP."""
    return [
        base64.b64encode(hashlib.sha256(match["body"]).digest()).decode("ascii")
        for match in INLINE_SCRIPT.finditer(html)
        if not SOURCE_ATTRIBUTE.search(match["attributes"])
    ]


# --- The middleware ---


@dataclass
class PagePolicy:
    """What `PageGuard` enforces for one page."""

    hosts: HostRule
    throttle: LoginThrottle | None = None  # None: the page has no login
    upload_suffixes: tuple[str, ...] | None = None  # None: any type (or no uploads)
    max_upload_bytes: int = 2_000_000
    upload_seconds: float = 30 * 60  # an upload no run has used by then is deleted


def _header(message: dict[str, Any], name: bytes) -> str | None:
    for key, value in message.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class _Reply:
    """Wraps `send`: replaces CORS headers, adds the fixed headers and the CSP (hashing an HTML page's
    inline scripts, for which it holds the page's response until its body is complete)."""

    def __init__(self, send: Any, origin: str | None, hash_pages: bool) -> None:
        self.send, self.origin, self.hash_pages = send, origin, hash_pages
        self.held: dict[str, Any] | None = None
        self.chunks: list[bytes] = []
        self.status = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            is_html = (_header(message, b"content-type") or "").startswith("text/html")
            if self.hash_pages and is_html:
                self.held = message
                return
            await self.send(self._headed(message, content_security_policy()))
            return
        if message["type"] == "http.response.body" and self.held is not None:
            self.chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body, start = b"".join(self.chunks), self.held
            self.held, self.chunks = None, []
            # Gradio compresses only paths with a file extension, never its page; a compressed page would
            # get no hashes, so the browser would run none of its inline scripts.
            encoded = _header(start, b"content-encoding") not in (None, "identity")
            hashes = [] if encoded else inline_script_hashes(body)
            await self.send(self._headed(start, content_security_policy(hashes)))
            await self.send({"type": "http.response.body", "body": body})
            return
        await self.send(message)

    def _headed(self, message: dict[str, Any], policy: str) -> dict[str, Any]:
        added = {**FIXED_HEADERS, "content-security-policy": policy}
        if self.origin is not None:  # the page's own origin: a request from anywhere else never gets here
            vary = [v.strip() for v in (_header(message, b"vary") or "").split(",") if v.strip()]
            added |= {"access-control-allow-origin": self.origin, "access-control-allow-credentials": "true",
                      "vary": ", ".join(vary if "origin" in (v.lower() for v in vary) else [*vary, "Origin"])}
        kept = [(k, v) for k, v in message.get("headers", [])
                if not k.lower().startswith(b"access-control-") and k.lower().decode("latin-1") not in added]
        kept += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in added.items()]
        return {**message, "headers": kept}


async def _plain(send: Any, status: int, text: str, extra: dict[str, str] | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text.encode())).encode())]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode()})


class PageGuard:
    """ASGI middleware around the whole Gradio app; see the module docstring."""

    def __init__(self, app: Any, policy: PagePolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host") or ""
        origin = _header(scope, b"origin")
        refusal = None
        if not self.policy.hosts.allows(host, scope.get("scheme", "http")):
            refusal = (400, "Unknown host. This page answers only the addresses it serves; an administrator "
                            "can add a name with `assistant serve --allowed-host NAME`.")
        elif origin is not None and not same_origin(origin, host):
            refusal = (403, "Cross-origin requests are refused: open the page itself and use it there.")
        if scope["type"] == "websocket":
            if refusal:
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        own_origin = None if refusal else origin  # CORS headers name the page's own origin, never another
        reply = _Reply(send, own_origin, hash_pages=not path.startswith("/gradio_api/"))
        if refusal:
            await _plain(reply, *refusal)
        elif scope["method"] == "POST" and path in LOGIN_PATHS and self.policy.throttle is not None:
            await self._login(scope, receive, reply, self.policy.throttle)
        elif scope["method"] == "POST" and path in UPLOAD_PATHS:
            await self._upload(scope, receive, reply)
        else:
            await self.app(scope, receive, reply)

    async def _login(self, scope: dict[str, Any], receive: Any, reply: _Reply, throttle: LoginThrottle) -> None:
        client = (scope.get("client") or ("unknown",))[0]
        wait = throttle.admit(client)
        if wait is not None:
            seconds = math.ceil(wait)
            await _plain(reply, 429, f"Too many failed logins from this address. Try again in {seconds} s.",
                         {"retry-after": str(seconds)})
            return
        try:
            await self.app(scope, receive, reply)
        finally:
            throttle.settle(client, succeeded=reply.status == 200)

    async def _upload(self, scope: dict[str, Any], receive: Any, reply: _Reply) -> None:
        limit = self.policy.max_upload_bytes + MULTIPART_OVERHEAD
        length = _header(scope, b"content-length")
        if length is None or not length.isdigit():
            await _plain(reply, 411, "An upload must state its length (Content-Length).")
            return
        if int(length) > limit:
            await _plain(reply, 413, f"The upload is larger than {self.policy.max_upload_bytes:,} bytes.")
            return
        # Uncompressed, so the stored paths it lists can be read; held until they are checked.
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        messages: list[dict[str, Any]] = []

        async def hold(message: dict[str, Any]) -> None:
            messages.append(message)

        await self.app(scope, receive, hold)
        stored = [Path(name) for name in _stored_paths(messages)]
        suffixes = self.policy.upload_suffixes
        if suffixes is not None and any(path.suffix.lower() not in suffixes for path in stored):
            for path in stored:
                delete_upload(path)
            await _plain(reply, 415, f"Only {', '.join(suffixes)} files can be uploaded.")
            return
        # A run deletes its upload when it ends; one never run goes after `upload_seconds`.
        for path in stored:
            asyncio.get_running_loop().call_later(self.policy.upload_seconds, delete_upload, path)
        for message in messages:
            await reply(message)


def _stored_paths(messages: list[dict[str, Any]]) -> list[str]:
    """The file paths a successful upload response lists (Gradio answers with a JSON list)."""
    if not messages or messages[0].get("status") != 200:
        return []
    body = b"".join(m.get("body", b"") for m in messages[1:])
    with contextlib.suppress(ValueError):
        listed = json.loads(body)
        if isinstance(listed, list):
            return [p for p in listed if isinstance(p, str)]
    return []


def delete_upload(path: Path) -> None:
    """Delete an uploaded file, and Gradio's folder for it when that is left empty."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()
