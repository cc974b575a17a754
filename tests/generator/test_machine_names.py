"""Machine names map to Python identifiers in one place, `generator/names.py`.

Names from `meta.machine_name` or the file name may start with a digit and hold `-`,
`.` or spaces; every such name gets a class prefix and a module name, the same ones
whichever command asks. Names with other characters are refused with PS212.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystator.generator import names
from pystator.generator.diagnostics import CompileError
from pystator.generator.pipeline import compile_path, generate

STATES = """\
states:
  - {name: A, type: initial}
  - {name: B, type: terminal}
transitions:
  - {trigger: go, source: A, dest: B}
"""


@pytest.mark.parametrize(
    ("name", "prefix", "module"),
    [
        ("order_management", "OrderManagement", "order_management"),
        ("2fa-flow", "_2faFlow", "_2fa_flow"),
        ("123", "_123", "_123"),
        ("Order Flow", "OrderFlow", "order_flow"),
        ("order-management", "OrderManagement", "order_management"),
        ("document.approval", "DocumentApproval", "document_approval"),
        ("class", "Class", "class_"),
    ],
)
def test_a_machine_name_maps_to_a_class_prefix_and_a_module(
    name: str, prefix: str, module: str
) -> None:
    assert (names.class_prefix(name), names.module_name(name)) == (prefix, module)


@pytest.mark.parametrize("name", ["2fa-flow", "Order Flow", "3 step approval"])
def test_a_machine_named_with_a_digit_or_spaces_compiles_and_runs(
    name: str, write_yaml: Callable[..., Path], generated: Callable[[Path], ModuleType]
) -> None:
    module = generated(write_yaml(f"meta: {{machine_name: '{name}'}}\n" + STATES))
    prefix = names.class_prefix(name)
    machine = getattr(module, f"{prefix}Machine")()
    assert machine.name == name  # the name itself stays data
    session = machine.create()
    session.go()
    assert session.is_b and session.is_final


def test_the_file_name_may_start_with_a_digit(write_yaml: Callable[..., Path]) -> None:
    generated = generate(write_yaml(STATES, "2fa-flow.yaml"))
    assert generated.module_name == "_2fa_flow"
    assert "class _2faFlowMachine(" in generated.text


@pytest.mark.parametrize("name", ["Bestellung-ü", "order/flow", 'order"""x', "---"])
def test_a_name_with_other_characters_is_refused_with_a_hint_that_says_what_is_allowed(
    name: str, write_yaml: Callable[..., Path]
) -> None:
    path = write_yaml(f"meta: {{machine_name: '{name}'}}\n" + STATES)
    with pytest.raises(CompileError) as caught:
        compile_path(path)
    (found,) = [d for d in caught.value.diagnostics if d.code == "PS212"]
    assert found.hint is not None and "'-', '.' and spaces" in found.hint


MACHINE_NAMES = st.from_regex(names.MACHINE_NAME, fullmatch=True).filter(
    lambda name: names.class_prefix(name) is not None
)


@given(MACHINE_NAMES)
def test_every_accepted_name_gets_identifiers(name: str) -> None:
    prefix = names.class_prefix(name)
    module = names.module_name(name)
    assert prefix is not None and prefix.isidentifier() and prefix.isascii()
    assert module is not None and module.isidentifier() and not keyword.iskeyword(module)


@given(MACHINE_NAMES)
def test_the_mapping_is_idempotent_so_every_command_agrees(name: str) -> None:
    prefix = names.class_prefix(name)
    assert prefix is not None
    assert names.class_prefix(prefix) == prefix
    assert names.module_name(prefix) == names.module_name(name)


def test_two_names_that_map_alike_cannot_write_one_module(
    tmp_path: Path, write_yaml: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from pystator.generator.cli import main

    first = write_yaml("meta: {machine_name: order-flow}\n" + STATES, "a.yaml")
    second = write_yaml("meta: {machine_name: order flow}\n" + STATES, "b.yaml")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exited:
        main(["compile", str(first), str(second), "--out-dir", str(out)])
    assert exited.value.code != 0
    assert "error[PS404]: the module of b.yaml would replace the module of a.yaml" in (
        capsys.readouterr().err
    )
    written = (out / "order_flow.py").read_text(encoding="utf-8")
    assert "order-flow" in written and "order flow" not in written
