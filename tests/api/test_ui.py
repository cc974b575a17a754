"""The web UI in headless Chromium: load a machine, see its diagram, send an event, see
the new state and the history row. A screenshot of the main page is kept as an artifact."""

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

import pytest

from pystator.db.config import ApiSettings
from tests.api.support import ORDER_YAML, ROOT, create_app, sqlite_settings

CHROMIUM = os.environ.get("PYSTATOR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def require_chromium() -> None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        message = f"Chromium NOT FOUND at {CHROMIUM}; install the Debian package chromium"
        if os.environ.get("PYSTATOR_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with serve(sqlite_settings(tmp_path)) as url:
        yield url


@contextmanager
def serve(settings: ApiSettings) -> Iterator[str]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not running.started and time.time() < deadline:
        time.sleep(0.05)
    assert running.started, "the API server did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_machine_diagram_event_state_and_history_in_a_real_browser(server: str) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server + "/")

        page.fill("#yaml", ORDER_YAML.replace("dest: OPEN", "dest: OPNE", 1))
        expect(page.locator("#diagnostics li.error").first).to_contain_text("PS204")
        page.fill("#yaml", ORDER_YAML)
        expect(page.locator("#diagnostics li.ok")).to_have_text("valid")
        page.click("#save")
        expect(page.locator("#save-status")).to_contain_text("saved order_management version 1")
        expect(page.locator("#machine-list li")).to_have_text(["order_management (v1)"])
        expect(page.locator('#diagram svg g[data-state="PENDING_NEW"]')).to_be_visible()

        page.fill("#entity-id", "ORD-1")
        page.click("#create-entity")
        expect(page.locator("#state")).to_have_text("PENDING_NEW")
        page.select_option("#trigger", "exchange_ack")
        page.click("#send")
        expect(page.locator("#event-status")).to_contain_text("PENDING_NEW → OPEN")
        expect(page.locator("#state")).to_have_text("OPEN")
        rows = page.locator("#history tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(1)).to_contain_text("exchange_ack")
        expect(page.locator('#diagram svg g[data-state="OPEN"] rect')).to_have_attribute(
            "fill", "#ffe08a"
        )

        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "ui-main-page.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 10_000
    print(f"\nscreenshot: {shot}")


def test_the_ui_asks_for_a_token_and_lists_the_machines_once_given_one(tmp_path: Path) -> None:
    require_chromium()
    import jwt
    from playwright.sync_api import expect, sync_playwright

    secret = "a-test-secret-that-is-long-enough-for-hs256"
    token = jwt.encode({"sub": "ui"}, secret, algorithm="HS256")
    with serve(sqlite_settings(tmp_path, auth_secret=secret)) as url, sync_playwright() as pw:
        created = urllib.request.urlopen(
            urllib.request.Request(
                url + "/api/v1/machines",
                data=json.dumps({"yaml": ORDER_YAML}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        )
        assert created.status == 201
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(url + "/")
        expect(page.locator("#save-status")).to_contain_text("a bearer token is required")
        page.fill("#token", token)
        page.dispatch_event("#token", "change")
        expect(page.locator("#machine-list li")).to_have_text(["order_management (v1)"])
        expect(page.locator("#save-status")).to_have_text("")
        browser.close()
