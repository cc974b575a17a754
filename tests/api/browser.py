"""Shared pieces of the browser tests: a real server on a loopback port, headless Chromium
started as on a machine without network, and tabs that record every request they make."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.api.support import create_app, sqlite_settings

CHROMIUM = os.environ.get("PYSTATOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}


def require_chromium() -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        message = f"Chromium NOT FOUND at {CHROMIUM}; install the Debian package chromium"
        if os.environ.get("PYSTATOR_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (a playwright Browser)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def serving(directory: Path, **settings: object) -> Iterator[str]:
    """The API and the UI on a free loopback port, with a fresh SQLite database in
    `directory` and `settings` (without authentication unless they give `auth_secret`);
    yields the server's base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(sqlite_settings(directory, **settings))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not running.started and time.time() < deadline:
        time.sleep(0.05)
    assert running.started, "the API server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


class Tab:
    """A page of `browser` at 1280 px that records the URL of every request it makes."""

    def __init__(self, browser: Any, server: str) -> None:
        self.server = server
        self.requests: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.on("request", lambda request: self.requests.append(request.url))

    def off_server(self) -> list[str]:
        """The requested URLs that are neither the server's nor data inside the page."""
        local = (self.server + "/", "data:", "blob:", "about:")
        return [url for url in self.requests if not url.startswith(local)]


def api(
    server: str,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> Any:
    """One call of the REST API (with `token` as its bearer token): decoded JSON, or the
    text of a text response."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        server + "/api/v1" + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if "json" in response.headers["content-type"] else text
