"""The pre-commit hook this repository offers, and CI output of `compile --check`.

The hook runs `pystator-gen compile --check` on machine files; `--format github` annotates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from pystator.generator import cli

ROOT = Path(__file__).resolve().parents[2]
Write = Callable[..., Path]

GOOD = """\
meta: {machine_name: door}
states:
  - {name: CLOSED, type: initial}
  - {name: OPEN}
transitions:
  - {trigger: open, source: CLOSED, dest: OPEN}
  - {trigger: close, source: OPEN, dest: CLOSED}
"""


def _hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [hook for hook in hooks if hook["id"] == "pystator-gen-check"]
    assert isinstance(hook, dict)
    return hook


def test_pre_commit_hook_runs_compile_check() -> None:
    hook = _hook()
    assert hook["entry"] == "pystator-gen compile --check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True


def test_pre_commit_hook_matches_machine_files_only() -> None:
    pattern = re.compile(_hook()["files"])
    for name in (
        "examples/order_fsm.yaml",
        "examples/hatch_project/src/app/machines/order.yaml",
        "machines/door.yml",
        "app/payment_machine.yaml",
    ):
        assert pattern.search(name), name
    for name in (".pre-commit-hooks.yaml", "docker-compose.yaml", ".github/workflows/ci.yml"):
        assert not pattern.search(name), name


def test_compile_check_prints_github_annotations(write_yaml: Write) -> None:
    path = write_yaml(GOOD.replace("dest: OPEN}", "dest: OPNE}"))
    result = CliRunner().invoke(cli.main, ["compile", "--check", "--format", "github", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("::error file=")
    assert ",line=6,col=43,title=PS204::destination 'OPNE' is not a state" in result.stderr


def test_compile_check_passes_for_a_current_module(write_yaml: Write) -> None:
    path = write_yaml(GOOD)
    runner = CliRunner()
    assert runner.invoke(cli.main, ["compile", str(path)]).exit_code == 0
    result = runner.invoke(cli.main, ["compile", "--check", "--format", "github", str(path)])
    assert result.exit_code == 0 and result.stderr == ""
