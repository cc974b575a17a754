"""`pystator ui serve|dev`: the web UI and the API under `pystator api`'s own options, one
of them restarting on code changes; and a real start that serves the UI page."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from pystator.cli import api, main, ui

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pystator"
SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """What `uvicorn.run` was asked to serve, from a directory with a fresh database."""
    import uvicorn

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYSTATOR_DB_URL", f"sqlite:///{tmp_path / 'ui.db'}")
    monkeypatch.setenv("PYSTATOR_AUTH_SECRET", SECRET)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda app, **options: calls.append({"app": app, **options})
    )
    return calls


def test_ui_lists_serve_and_dev() -> None:
    result = CliRunner().invoke(main, ["ui", "--help"])
    assert result.exit_code == 0
    assert "serve" in result.stdout and "dev" in result.stdout


@pytest.mark.parametrize("command", ["serve", "dev"])
def test_serve_and_dev_take_exactly_the_options_of_api(command: str) -> None:
    assert ui.commands[command].params == api.params
    shown = CliRunner().invoke(main, ["ui", command, "--help"]).stdout
    for option in api.params:
        for flag in option.opts:
            assert flag in shown


def test_serve_runs_the_api_server_with_its_options(served: list[dict[str, Any]]) -> None:
    # The test client asks for host `testserver`, which only `--allowed-host` lets in.
    result = CliRunner().invoke(
        main,
        ["ui", "serve", "--host", "127.0.0.2", "--port", "8123", "--allowed-host", "testserver"],
    )
    assert result.exit_code == 0, result.output
    (call,) = served
    assert (call["host"], call["port"]) == ("127.0.0.2", 8123)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(call["app"]) as client:
        assert 'id="machine-list"' in client.get("/").text
        assert client.get("/health").json()["status"] == "ok"


class Reloader:
    """Stands in for uvicorn's reloader: records its settings and runs its target once."""

    made: ClassVar[list[Reloader]] = []

    def __init__(self, config: Any, target: Callable[..., None], sockets: list[Any]) -> None:
        self.config, self.target, self.sockets = config, target, sockets
        Reloader.made.append(self)

    def run(self) -> None:
        self.target(sockets=None)


def test_dev_watches_the_package_and_serves_with_the_api_options(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn.supervisors

    Reloader.made.clear()
    monkeypatch.setattr(uvicorn.supervisors, "ChangeReload", Reloader)
    result = CliRunner().invoke(main, ["ui", "dev", "--port", "8124"])
    assert result.exit_code == 0, result.output
    (reloader,) = Reloader.made
    assert reloader.config.reload_dirs == [PACKAGE]
    assert reloader.sockets == []  # the served process binds its own port
    (call,) = served
    assert (call["host"], call["port"]) == ("127.0.0.1", 8124)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_page(url: str, process: subprocess.Popen[str], seconds: float = 30) -> str:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url} within {seconds}s")


@pytest.mark.parametrize("command", ["serve", "dev"])
def test_a_real_start_serves_the_ui_page(command: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYSTATOR_DB_URL": f"sqlite:///{tmp_path / 'ui.db'}",
        "PYSTATOR_AUTH_SECRET": SECRET,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pystator.cli", "ui", command, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/", process)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert 'id="machine-list"' in page and "/ui/vendor/mermaid/mermaid.min.js" in page
    # Stopped cleanly; uvicorn re-raises the signal it shut down on once it is done.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Finished server process" in stderr
    if command == "dev":
        assert "Started reloader process" in stderr
