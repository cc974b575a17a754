"""Regressions found by the random-machine property (test_random_machines.py): machines
that validate accepts but whose generated module failed, or disagreed with the dynamic
path. Each test pins one of them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from pystator import StateMachine
from pystator.generator import cli
from pystator.generator.pipeline import compile_path, generate
from pystator.generator.testgen import render_tests
from tests.conftest import import_module_text

Write = Callable[..., Path]


def both(write_yaml: Write, tmp_path: Path, text: str) -> tuple[ModuleType, tuple[Any, ...]]:
    """The generated module, and its machine beside the dynamic one."""
    path = write_yaml(text)
    module = import_module_text(generate(path).text, tmp_path)
    return module, (module.WalkMachine(), StateMachine.from_yaml(path))


def test_a_trigger_named_like_a_timeout_event_has_its_own_enum_member(
    write_yaml: Write, tmp_path: Path
) -> None:
    # `timeout_idle` and the timeout event `_timeout_idle` both mapped to TIMEOUT_IDLE,
    # and the Trigger enum of the module refused the second one at import.
    module, machines = both(
        write_yaml,
        tmp_path,
        """
        meta: {machine_name: walk}
        states:
          - {name: idle, type: initial, timeout: {seconds: 5, destination: late}}
          - {name: late}
          - {name: early}
        transitions:
          - {trigger: timeout_idle, source: idle, dest: early}
        """,
    )
    members = {member.name: member.value for member in module.WalkTrigger}
    assert members == {"TIMEOUT_IDLE": "timeout_idle", "_TIMEOUT_IDLE": "_timeout_idle"}
    for machine in machines:
        assert machine.create().timeout_idle().target_state == "early"
        assert machine.process("idle", "_timeout_idle").target_state == "late"


def test_a_trigger_method_takes_self_as_a_payload_key(write_yaml: Write, tmp_path: Path) -> None:
    # `def self(self, **payload)` could not take `self=`; the dynamic session could.
    _, machines = both(
        write_yaml,
        tmp_path,
        """
        meta: {machine_name: walk}
        states:
          - {name: idle, type: initial}
        transitions:
          - {trigger: self, source: idle, dest: idle}
        """,
    )
    for machine in machines:
        session = machine.create()
        assert session.self(self=0.5).success
        assert session.context == {"self": 0.5}


def test_a_machine_named_like_a_keyword_gets_a_module_that_import_can_name(
    write_yaml: Write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `machine_name: class` was written to class.py, which no import statement can
    # name: the generated tests (`from class import ...`) did not even parse.
    path = write_yaml(
        """
        meta: {machine_name: class}
        states:
          - {name: idle, type: initial}
          - {name: done, type: terminal}
        transitions:
          - {trigger: finish, source: idle, dest: done}
        """
    )
    result = CliRunner().invoke(cli.main, ["compile", str(path), "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "class_.py").exists()
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("class_")
    assert module.ClassMachine().create().finish().target_state == "done"
    sys.modules.pop("class_")
    tests = render_tests(compile_path(path).spec, source_name="class.yaml")
    assert "from class_ import" in tests.text


def test_a_check_against_null_is_an_identity_test_on_both_paths(
    write_yaml: Write, tmp_path: Path
) -> None:
    # Generated modules wrote `ctx.get("s") == None`, which linters flag (E711).
    module, machines = both(
        write_yaml,
        tmp_path,
        """
        meta: {machine_name: walk}
        states:
          - {name: idle, type: initial}
        transitions:
          - {trigger: unset, source: idle, dest: idle, guards: [{check: {field: s, op: eq}}]}
          - {trigger: given, source: idle, dest: idle, guards: [{check: {field: s, op: ne}}]}
        """,
    )
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    assert 'return ctx.get("s") is None' in source
    assert 'return ctx.get("s") is not None' in source
    assert "== None" not in source and "!= None" not in source
    for machine in machines:
        assert machine.process("idle", "unset", {}).success
        assert not machine.process("idle", "unset", {"s": 0}).success
        assert machine.process("idle", "given", {"s": 0}).success
        assert not machine.process("idle", "given", {"s": None}).success
