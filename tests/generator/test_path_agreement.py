"""Regressions found by the random-machine property (test_random_machines.py): machines
that validate accepts but whose generated module failed, or disagreed with the dynamic
path. Each test pins one of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from pystator import StateMachine
from pystator.generator.pipeline import generate
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
