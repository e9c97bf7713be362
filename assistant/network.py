"""Who may reach a server: host names and addresses (what a Host or Origin header names, whether an
address is this machine only), and throttling of failed logins or tokens per client address.

Used by the page's guard (assistant/web/security.py), `serve`'s checks and the Chroma guard
(assistant/search/chroma_guard.py). Imports no Gradio.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from assistant.errors import ServeError

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def split_host(value: str) -> tuple[str, int | None] | None:
    """'Name:port', '[v6]:port' or 'name' → (lowercase name, port or None); None when it is not a host."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
        with contextlib.suppress(ValueError):
            ipaddress.IPv6Address(name)
            return _with_port(name, port_text)
        return None
    name, colon, port_text = value.partition(":")
    name = name.removesuffix(".")
    if not HOST_NAME.fullmatch(name):
        return None
    return _with_port(name, port_text if colon else None)


def _with_port(name: str, port_text: str | None) -> tuple[str, int | None] | None:
    if port_text is None:
        return name, None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        return None
    return name, int(port_text)


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def parse_allowed_hosts(entries: Iterable[str]) -> tuple[tuple[str, int | None], ...]:
    """`--allowed-host` values: 'name', 'name:port', 'IP', '[v6]:port'. A ServeError names a bad one."""
    parsed = []
    for entry in entries:
        host = split_host(entry)
        if host is None:
            raise ServeError(
                "An --allowed-host value is not a host name or address with an optional port "
                f"({len(entry)} characters). Give it as name, name:port or [IPv6]:port, without http:// or a path."
            )
        parsed.append(host)
    return tuple(parsed)


def is_loopback(host: str) -> bool:
    """Whether binding `host` serves this machine only ('localhost', 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    address = _ip(host.strip("[]"))
    return address is not None and address.is_loopback


@dataclass(frozen=True)
class HostRule:
    """The Host header values a page bound to `bound` on `port` answers."""

    bound: str
    port: int
    listed: tuple[tuple[str, int | None], ...] = ()

    def allows(self, header: str, scheme: str = "http") -> bool:
        host = split_host(header)
        if host is None:
            return False
        name, port = host
        port = port or (443 if scheme in ("https", "wss") else 80)
        if any(name == known and (known_port is None or known_port == port) for known, known_port in self.listed):
            return True
        if port != self.port:
            return False
        if name in LOOPBACK_NAMES:
            return True
        if self.bound not in WILDCARD_HOSTS:
            return name == self.bound.strip("[]").lower()
        address = _ip(name)
        return address is not None and not (address.is_unspecified or address.is_multicast)


def same_origin(origin: str, host_header: str) -> bool:
    """Whether an Origin header names the host the request was sent to (a port missing from the
    Host header is the default port of the origin's scheme, as behind a TLS proxy)."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    default = 443 if parts.scheme == "https" else 80
    asked, sent = split_host(host_header), split_host(parts.netloc)
    if asked is None or sent is None:
        return False
    return (asked[0], asked[1] or default) == (sent[0], sent[1] or default)


class LoginThrottle:
    """At most `limit` failed logins (or tokens) per client address in any `window` seconds; further attempts get
    429 until the oldest failure is `window` seconds old. An attempt counts from the moment it
    arrives, so many sent at once cannot all be checked; a success clears the address's count.
    At most `clients` addresses are remembered (the least recently seen is forgotten first)."""

    def __init__(self, limit: int = 5, window: float = 60.0, clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clients, self.clock = limit, window, clients, clock
        self.failures: OrderedDict[str, list[float]] = OrderedDict()
        self.pending: dict[str, int] = {}

    def admit(self, client: str) -> float | None:
        """None: go ahead (and call `settle` afterwards); otherwise the seconds to wait."""
        now = self.clock()
        recent = [t for t in self.failures.pop(client, []) if now - t < self.window]
        if recent:
            self.failures[client] = recent
        if len(recent) + self.pending.get(client, 0) >= self.limit:
            return max(1.0, self.window - (now - recent[0])) if recent else 1.0
        self.pending[client] = self.pending.get(client, 0) + 1
        return None

    def settle(self, client: str, succeeded: bool) -> None:
        self.pending[client] -= 1
        if not self.pending[client]:
            del self.pending[client]
        if succeeded:
            self.failures.pop(client, None)
        else:
            self.failures.setdefault(client, []).append(self.clock())
            self.failures.move_to_end(client)
            while len(self.failures) > self.clients:
                self.failures.popitem(last=False)
