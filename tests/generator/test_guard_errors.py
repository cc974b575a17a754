"""A guard that raises reports one `guard_error` text, in generated modules and on the
dynamic path alike: the exception's type and message, never a wrapper's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystator import StateMachine

GUARDED = """\
meta: {machine_name: guarded}
states:
  - {name: OPEN, type: initial}
  - {name: FILLED, type: terminal}
transitions:
  - trigger: fill
    source: OPEN
    dest: FILLED
    guards:
      - expr: "fill_qty >= order_qty and len(note) < 5"
  - trigger: check
    source: OPEN
    dest: FILLED
    guards:
      - check: {field: qty, op: gt, value: 3}
"""

Machines = tuple[StateMachine[Any, Any, Any], StateMachine[Any, Any, Any]]


@pytest.fixture
def machines(write_yaml: Callable[..., Path], generated: Callable[[Path], ModuleType]) -> Machines:
    path = write_yaml(GUARDED)
    return StateMachine.from_yaml(path), generated(path).GuardedMachine()


def _outcome(machine: StateMachine[Any, Any, Any], trigger: str, ctx: dict[str, Any]) -> Any:
    result = machine.process("OPEN", trigger, ctx)
    return result.success, dict(result.metadata), str(result.error)


@pytest.mark.parametrize(
    ("trigger", "context", "text"),
    [
        ("fill", {"fill_qty": 1}, "KeyError: 'order_qty'"),
        ("fill", {}, "KeyError: 'fill_qty'"),
        (
            "fill",
            {"fill_qty": "a", "order_qty": 1},
            "TypeError: '>=' not supported between instances of 'str' and 'int'",
        ),
        (
            "fill",
            {"fill_qty": 2, "order_qty": 1, "note": 3},
            "TypeError: object of type 'int' has no len()",
        ),
        (
            "check",
            {"qty": "a"},
            "TypeError: '>' not supported between instances of 'str' and 'int'",
        ),
    ],
)
def test_a_raising_guard_reports_the_same_text_on_both_paths(
    machines: Machines, trigger: str, context: dict[str, Any], text: str
) -> None:
    dynamic, generated = machines
    assert _outcome(dynamic, trigger, context) == _outcome(generated, trigger, context)
    assert dynamic.process("OPEN", trigger, context).metadata["guard_error"] == text


VALUES = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=3), st.lists(st.integers()))


# The machines are read-only: sharing them between examples is safe.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(context=st.dictionaries(st.sampled_from(["fill_qty", "order_qty", "note", "qty"]), VALUES))
def test_any_context_gives_one_outcome_on_both_paths(
    machines: Machines, context: dict[str, Any]
) -> None:
    dynamic, generated = machines
    for trigger in ("fill", "check"):
        assert _outcome(dynamic, trigger, context) == _outcome(generated, trigger, context)
