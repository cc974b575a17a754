"""`pystator api`: it refuses to serve without a secret unless told `--no-auth`, says so
loudly when told, and `--allowed-host` widens the hosts it answers."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pystator.cli import main

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """What `uvicorn.run` was asked to serve, in a directory without pystator.cfg and with
    no PYSTATOR_* settings in the environment."""
    import uvicorn

    for variable in [name for name in os.environ if name.startswith("PYSTATOR_")]:
        monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append({"app": app}))
    return calls


def test_without_a_secret_or_no_auth_the_api_does_not_start(served: list[Any]) -> None:
    result = CliRunner().invoke(main, ["api"])
    assert result.exit_code == 1 and served == []
    assert result.stderr.startswith("pystator: the API has no auth secret")
    assert "--no-auth" in result.stderr and "Traceback" not in result.output


def test_no_auth_serves_and_warns_on_stderr(served: list[Any]) -> None:
    result = CliRunner().invoke(main, ["api", "--no-auth"])
    assert result.exit_code == 0 and len(served) == 1
    assert "WARNING: serving WITHOUT authentication" in result.stderr


def test_the_no_auth_variable_is_the_same_opt_out(served: list[Any]) -> None:
    result = CliRunner().invoke(main, ["api"], env={"PYSTATOR_NO_AUTH": "1"})
    assert result.exit_code == 0 and len(served) == 1
    assert "WITHOUT authentication" in result.stderr


def test_a_short_secret_stops_the_start(served: list[Any]) -> None:
    result = CliRunner().invoke(main, ["api"], env={"PYSTATOR_AUTH_SECRET": "too-short"})
    assert result.exit_code == 1 and served == []
    assert "9 bytes long; HS256 needs at least 32" in result.stderr


def test_a_long_enough_secret_serves_quietly(served: list[Any]) -> None:
    result = CliRunner().invoke(main, ["api"], env={"PYSTATOR_AUTH_SECRET": SECRET})
    assert result.exit_code == 0 and len(served) == 1
    assert "WITHOUT" not in result.stderr


def test_allowed_host_widens_the_hosts_answered(served: list[Any]) -> None:
    result = CliRunner().invoke(
        main, ["api", "--no-auth", "--allowed-host", "api.example.com", "--allowed-host", "b.test"]
    )
    assert result.exit_code == 0
    with TestClient(served[0]["app"], base_url="http://api.example.com") as client:
        assert client.get("/health").status_code == 200
        assert client.get("/health", headers={"Host": "b.test:80"}).status_code == 200
        assert client.get("/health", headers={"Host": "c.test"}).status_code == 400


def test_a_bad_allowed_host_stops_the_start(served: list[Any]) -> None:
    result = CliRunner().invoke(main, ["api", "--no-auth", "--allowed-host", "http://x.test"])
    assert result.exit_code == 1 and served == []
    assert "is not a host name" in result.stderr


def test_listening_beyond_loopback_without_allowed_hosts_says_what_is_answered(
    served: list[Any],
) -> None:
    result = CliRunner().invoke(main, ["api", "--no-auth", "--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert "answering only requests for localhost names" in result.stderr


def test_a_server_importing_the_app_stops_with_the_reason_not_a_traceback(
    tmp_path: Path,
) -> None:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("PYSTATOR_")
    }
    done = subprocess.run(
        [sys.executable, "-c", "from pystator.api.main import app"],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("pystator: the API has no auth secret")
    assert "Traceback" not in done.stderr


def test_without_the_api_extra_the_message_names_the_extra_not_the_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if the extra were not installed
    result = CliRunner().invoke(main, ["api", "--no-auth"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "install pystator with its extra `api`" in result.stderr
    assert 'pip install ".[api]"' in result.stderr
    assert "--no-index --find-links WHEELHOUSE" in result.stderr
