"""The package itself is mypy --strict and ruff clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_package_passes_mypy_strict() -> None:
    from mypy import api

    stdout, stderr, status = api.run(["--strict", "--no-incremental", str(ROOT / "pystator")])
    assert status == 0, stdout + stderr


def test_code_passes_ruff() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "pystator", "tests", "examples", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


SERVICE_LAYERS = ("pystator/api", "pystator/db", "pystator/worker")


def test_service_modules_stay_under_600_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for layer in SERVICE_LAYERS
        for path in (ROOT / layer).rglob("*.py")
    }
    assert {path: lines for path, lines in sizes.items() if lines > 600} == {}


def test_service_functions_stay_under_complexity_12() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "C901",
            "--config",
            "lint.mccabe.max-complexity=12",
            *SERVICE_LAYERS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
