"""Limits: what a machine file may ask of the front end. The defaults are strict; callers
compiling their own large machines raise them through one keyword."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.load import Limits, default_limits, load_text
from pystator.generator.pipeline import compile_document, compile_path

Write = Callable[..., Path]


def failure(text: str, limits: Limits | None = None) -> Diagnostic:
    with pytest.raises(CompileError) as caught:
        compile_document(load_text(text, limits=limits), limits=limits)
    assert len(caught.value.diagnostics) == 1, caught.value.diagnostics
    return caught.value.diagnostics[0]


def nested(depth: int) -> str:
    """A chain of states, each the parent of the next: `depth` states enclose the last."""
    lines = ["states:", "  - {name: s0, type: initial, initial_child: s1}"]
    for index in range(1, depth + 1):
        child = f", initial_child: s{index + 1}" if index < depth else ""
        lines.append(f"  - {{name: s{index}, parent: s{index - 1}{child}}}")
    return "\n".join(lines) + "\ntransitions: []\n"


def test_the_default_limits_are_the_documented_constants() -> None:
    assert default_limits() == Limits()


def test_states_nested_past_the_limit_are_refused_at_the_first_too_deep_state() -> None:
    found = failure(nested(5), Limits(max_state_depth=4))
    assert (found.code, found.line, found.col) == ("PS004", 7, 24)
    assert found.message == "state 's5' is nested 5 levels deep, over the limit of 4 levels."
    assert found.hint.startswith("Flatten the hierarchy")


def test_states_nested_up_to_the_limit_compile() -> None:
    compiled = compile_document(load_text(nested(4)), limits=Limits(max_state_depth=4))
    assert compiled.spec.initial_state == "s4"


def test_the_default_state_depth_refuses_a_chain_of_a_hundred() -> None:
    assert failure(nested(100)).code == "PS004"


def inherited(children: int, shared: int) -> str:
    """A compound state whose `shared` transitions every one of its children repeats."""
    states = "\n".join(f"  - {{name: c{index}, parent: root}}" for index in range(children))
    transitions = "\n".join(
        f"  - {{trigger: t{index}, source: root, dest: c{index % children}}}"
        for index in range(shared)
    )
    return (
        f"states:\n  - {{name: root, type: initial, initial_child: c0}}\n{states}\n"
        f"transitions:\n{transitions}\n"
    )


def test_a_transition_table_past_the_limit_is_refused() -> None:
    found = failure(inherited(20, 20), Limits(max_table_entries=300, table_growth=1))
    assert (found.code, found.line, found.col) == ("PS003", 23, 1)
    assert "transition table would hold more than 300 entries" in found.message
    assert found.hint.startswith("Split the machine")


def test_the_table_limit_grows_with_the_machine() -> None:
    # 21 states and 20 transitions at 10 entries each allow 410 of the 420 needed.
    assert failure(inherited(20, 20), Limits(max_table_entries=0, table_growth=10)).code == (
        "PS003"
    )
    roomy = Limits(max_table_entries=0, table_growth=11)
    assert compile_document(load_text(inherited(20, 20)), limits=roomy).spec.table["c3"]


def test_the_default_table_limit_refuses_every_state_repeating_a_thousand_transitions() -> None:
    assert failure(inherited(500, 1000)).code == "PS003"


def test_raised_byte_limit_accepts_a_larger_file(write_yaml: Write) -> None:
    path = write_yaml("states:\n  - {name: a, type: initial}\n" + "# padding\n" * 200)
    with pytest.raises(CompileError) as caught:
        compile_path(path, limits=Limits(max_bytes=1000))
    assert caught.value.diagnostics[0].code == "PS003"
    assert "over the limit of 1000 bytes" in caught.value.diagnostics[0].message
    assert compile_path(path, limits=Limits(max_bytes=5000)).spec.initial_state == "a"


def test_raised_node_limit_accepts_more_nodes() -> None:
    text = "states:\n" + "".join(f"  - {{name: s{i}, type: stable}}\n" for i in range(30))
    text = text.replace("type: stable", "type: initial", 1)
    assert failure(text, Limits(max_nodes=50)).code == "PS004"
    assert len(compile_document(load_text(text, limits=Limits(max_nodes=200))).spec.states) == 30
