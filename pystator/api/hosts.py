"""Hosts: an ASGI layer that answers only requests addressed to allowed host names, so a web
page cannot reach a local API by pointing its own DNS name at 127.0.0.1 (DNS rebinding).

Localhost names are always allowed, on any port; `*.example.com` allows subdomains, `*`
turns the check off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pystator.api.limits import App, Receive, Scope, Send, reply

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")

_HOST = re.compile(r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)\.?(?::\d{1,5})?")
_PATTERN = re.compile(r"(?:\*\.)?(?:\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)")


def host_name(header: str) -> str | None:
    """The host of a Host header, lower-case, without port or trailing dot; None if the
    header is not a host name, an IPv4 address or a bracketed IPv6 address."""
    found = _HOST.fullmatch(header.strip().lower())
    return found.group("name") if found else None


def allowed_hosts(extra: Iterable[str]) -> tuple[str, ...]:
    """The localhost names and `extra`, checked: each a host name, an IP address,
    `*.domain` or `*`. Raises ValueError naming a bad entry and how to write it."""
    chosen = list(LOCAL_HOSTS)
    for entry in extra:
        pattern = entry.strip().lower()
        if pattern != "*" and not _PATTERN.fullmatch(pattern):
            raise ValueError(
                f"allowed host {entry!r} is not a host name: write a name (api.example.com), "
                "an IP address (10.0.0.5, [::1]), *.example.com for its subdomains or * for "
                "any host, without scheme or port (every port is allowed)"
            )
        if pattern not in chosen:
            chosen.append(pattern)
    return tuple(chosen)


def matches(name: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class AllowedHosts:
    """Answers 400 to a request whose Host header names no allowed host."""

    def __init__(self, app: App, *, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = allowed_hosts(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or "*" in self.hosts:
            await self.app(scope, receive, send)
            return
        header = ""
        for key, value in scope.get("headers") or ():
            if key == b"host":
                header = value.decode("latin-1")
                break
        name = host_name(header)
        if name is not None and matches(name, self.hosts):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        shown = repr(header[:100]) if header else "(none)"
        await reply(
            send,
            400,
            f"this server does not answer requests for host {shown}; its operator can "
            "allow the host with `pystator api --allowed-host NAME` or "
            "PYSTATOR_ALLOWED_HOSTS.",
        )
