"""The web UI in headless Chromium: load a machine, see its diagram, send an event, see
the new state and the history row. A screenshot of the main page is kept as an artifact."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(sqlite_settings(tmp_path))
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
