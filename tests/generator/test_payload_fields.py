"""Payload fields with awkward names: the rule is that any field that can be a Python
keyword argument works, through the generated method as through the dynamic session.

A field may be any ASCII identifier that is not a keyword and does not start with '_';
`self`, `payload` and builtin or typing names included. The generated method names
nothing but its parameters (its session parameter becomes `_self` when a field is named
`self`), so no field can shadow what the method needs. Keywords cannot be parameters at
all and are refused with PS207 at the field's key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pystator import StateMachine
from pystator.generator.diagnostics import CompileError
from pystator.generator.pipeline import compile_path, generate
from tests.conftest import import_module_text

Write = Callable[..., Path]

MACHINE = """\
meta: {machine_name: till}
states:
  - {name: OPEN, type: initial}
  - {name: PAID}
transitions:
  - {trigger: pay, source: OPEN, dest: PAID}
  - {trigger: note, source: [OPEN, PAID], dest: OPEN}
  - {trigger: ping, source: [OPEN, PAID], dest: OPEN}
events:
  - name: pay
    payload:
      self: int
      dict: str
      Any: int
      str: {type: str, required: false}
      payload: {type: any, required: false}
      type: {type: int, required: false}
  - name: note
    payload:
      payload: {type: str, required: false}
      match: int
"""


def machines(write_yaml: Write, tmp_path: Path) -> tuple[Any, StateMachine[Any, Any, Any]]:
    path = write_yaml(MACHINE)
    module: ModuleType = import_module_text(generate(path).text, tmp_path)
    return module.TillMachine(), StateMachine.from_yaml(path)


def test_a_field_named_self_is_a_keyword_argument_of_the_generated_method(
    write_yaml: Write, tmp_path: Path
) -> None:
    generated, dynamic = machines(write_yaml, tmp_path)
    for machine in (generated, dynamic):
        session = machine.create()
        result = session.pay(self=1, dict="d", Any=2)
        assert result.target_state == "PAID"
        assert session.context == {"self": 1, "dict": "d", "Any": 2}


def test_an_optional_field_named_payload_is_stored_as_given(
    write_yaml: Write, tmp_path: Path
) -> None:
    generated, dynamic = machines(write_yaml, tmp_path)
    for machine in (generated, dynamic):
        session = machine.create()
        session.note(payload="hello", match=3)
        assert session.context == {"payload": "hello", "match": 3}


def test_optional_fields_left_out_are_not_sent(write_yaml: Write, tmp_path: Path) -> None:
    generated, _ = machines(write_yaml, tmp_path)
    session = generated.create()
    session.pay(self=1, dict="d", Any=2, type=7)
    assert session.context == {"self": 1, "dict": "d", "Any": 2, "type": 7}


def test_self_is_a_payload_key_of_a_trigger_without_declared_payload(
    write_yaml: Write, tmp_path: Path
) -> None:
    generated, dynamic = machines(write_yaml, tmp_path)
    for machine in (generated, dynamic):
        session = machine.create()
        session.ping(self=5, trigger="t")
        assert session.context == {"self": 5, "trigger": "t"}


USE = """\
from till import TillMachine

session = TillMachine().create()
session.pay(self=1, dict="d", Any=2, str="s", payload=[1], type=3)
session.note(payload="x", match=1)
session.ping(self=1)
"""


def test_generated_methods_with_awkward_fields_pass_mypy_strict(
    write_yaml: Write, tmp_path: Path
) -> None:
    from mypy import api

    (tmp_path / "till.py").write_text(generate(write_yaml(MACHINE)).text, encoding="utf-8")
    (tmp_path / "use.py").write_text(USE, encoding="utf-8")
    (tmp_path / "bad.py").write_text(USE.replace('dict="d"', "dict=1"), encoding="utf-8")
    options = ["--strict", "--no-incremental", "--cache-dir=/dev/null", "--config-file="]
    stdout, stderr, status = api.run(
        [*options, str(tmp_path / "till.py"), str(tmp_path / "use.py")]
    )
    assert status == 0, stdout + stderr
    stdout, _, status = api.run([*options, str(tmp_path / "bad.py")])
    assert status == 1 and 'Argument "dict" to "pay"' in stdout, stdout


@pytest.mark.parametrize("field", ["class", "None", "lambda", "_private", "qty-1", "ünïcode"])
def test_a_field_that_cannot_be_a_keyword_argument_is_refused_at_its_key(
    field: str, write_yaml: Write
) -> None:
    path = write_yaml(MACHINE.replace("      match: int", f'      "{field}": int'))
    with pytest.raises(CompileError) as caught:
        compile_path(path)
    (found,) = [d for d in caught.value.diagnostics if d.is_error]
    assert (found.code, found.line, found.col) == ("PS207", 21, 7)
    assert "cannot be a Python keyword argument" in found.message
