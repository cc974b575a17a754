"""Every demo in examples/ runs against its freshly compiled module."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pystator.generator.pipeline import generate
from tests.conftest import EXAMPLES

DEMOS = {
    "order_demo.py": "order_fsm.yaml",
    "order_timeout_demo.py": "order_fsm.yaml",
    "trading_demo.py": "trading_fsm.yaml",
    "day_trading_demo.py": "day_trading_fsm.yaml",
}


def test_every_example_machine_has_a_demo() -> None:
    assert set(DEMOS.values()) == {p.name for p in EXAMPLES.glob("*.yaml")}


@pytest.mark.parametrize(("demo", "machine"), sorted(DEMOS.items()))
def test_demo_runs(demo: str, machine: str, tmp_path: Path) -> None:
    result = generate(EXAMPLES / machine)
    (tmp_path / f"{result.module_name}.py").write_text(result.text, encoding="utf-8")
    shutil.copy(EXAMPLES / demo, tmp_path / demo)
    run = subprocess.run(
        [sys.executable, demo], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "final" in run.stdout
