"""Generated modules and scaffolded handlers pass the linters a user is likely to run.

ruff with pycodestyle, pyflakes, isort, pyupgrade, bugbear, ruff's own rules and
pydocstyle (PEP 257 convention), and mypy --strict, over every example.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pystator.generator.pipeline import generate
from pystator.generator.scaffold import scaffold

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
RULES = "E,F,W,I,UP,B,RUF,D"
CONVENTION = "pep257"
# A handlers module a user started by hand: scaffolding adds the missing stubs to it.
STARTED = '''"""Handlers of the machine."""

from collections.abc import Mapping
from typing import Any


class Handlers:
    """Implements the machine's guards and actions."""

    def unrelated(self, ctx: Mapping[str, Any], /) -> None:
        """Do nothing: the machine does not name this one."""
'''


def _ruff(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--select",
            RULES,
            "--config",
            f"lint.pydocstyle.convention = '{CONVENTION}'",
            "--output-format",
            "concise",
            ".",
        ],
        cwd=directory,
        capture_output=True,
        text=True,
    )


def _mypy(directory: Path) -> tuple[int, str]:
    from mypy import api

    files = sorted(str(path) for path in directory.glob("*.py"))
    stdout, stderr, status = api.run(
        ["--strict", "--no-incremental", "--cache-dir=/dev/null", "--config-file=", *files]
    )
    return status, stdout + stderr


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each example's module, a new handlers module and a started one, scaffolded, with
    and without `module`."""
    directory = tmp_path_factory.mktemp("lint")
    for path in EXAMPLES:
        generated = generate(path, display_name=f"examples/{path.name}")
        name = generated.module_name
        (directory / f"{name}.py").write_text(generated.text, encoding="utf-8")
        fresh = scaffold(path, directory / f"{name}_handlers.py", display_name=path.name)
        (directory / f"{name}_handlers.py").write_text(fresh.text, encoding="utf-8")
        started = directory / f"{name}_started.py"
        started.write_text(STARTED, encoding="utf-8")
        result = scaffold(path, started, handlers_class="Handlers", display_name=path.name)
        assert result.added, "every example names a guard or an action"
        started.write_text(result.text, encoding="utf-8")
        # The same two, with stubs taking the context the module declares.
        typed = scaffold(path, directory / f"{name}_typed.py", display_name=path.name, module=name)
        (directory / f"{name}_typed.py").write_text(typed.text, encoding="utf-8")
        typed_started = directory / f"{name}_typed_started.py"
        typed_started.write_text(STARTED, encoding="utf-8")
        result = scaffold(
            path, typed_started, handlers_class="Handlers", display_name=path.name, module=name
        )
        typed_started.write_text(result.text, encoding="utf-8")
    return directory


def test_generated_and_scaffolded_code_passes_ruff(outputs: Path) -> None:
    result = _ruff(outputs)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_and_scaffolded_code_passes_mypy_strict(outputs: Path) -> None:
    status, output = _mypy(outputs)
    assert status == 0, output


def test_all_is_sorted_as_ruff_sorts_it(outputs: Path) -> None:
    for path in EXAMPLES:
        module = generate(path).text
        block = module.split("__all__ = [\n", 1)[1].split("]", 1)[0]
        names = [line.strip().strip('",') for line in block.splitlines() if line.strip()]
        constants = [name for name in names if name.isupper()]
        assert names == sorted(constants) + sorted(n for n in names if n not in constants)
