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
