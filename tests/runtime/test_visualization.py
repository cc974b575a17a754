"""Mermaid and DOT diagrams: structure, nesting, escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner

from pystator import StateMachine, to_dot, to_mermaid
from pystator.generator import cli
from tests.conftest import EXAMPLES

SMALL = {
    "meta": {"machine_name": "door"},
    "states": [
        {"name": "CLOSED", "type": "initial"},
        {"name": "OPEN"},
        {"name": "BROKEN", "type": "terminal"},
    ],
    "transitions": [
        {"trigger": "open", "source": "CLOSED", "dest": "OPEN", "guards": ["has_key"]},
        {"trigger": "close", "source": "OPEN", "dest": "CLOSED"},
        {"trigger": "kick", "source": ["OPEN", "CLOSED"], "dest": "BROKEN"},
    ],
}


def test_flat_machine_as_mermaid() -> None:
    assert to_mermaid(StateMachine.from_dict(SMALL)) == (
        "stateDiagram-v2\n"
        '    state "CLOSED" as CLOSED\n'
        '    state "OPEN" as OPEN\n'
        '    state "BROKEN" as BROKEN\n'
        "    [*] --> CLOSED\n"
        "    CLOSED --> OPEN : open [has_key]\n"
        "    OPEN --> CLOSED : close\n"
        "    OPEN --> BROKEN : kick\n"
        "    CLOSED --> BROKEN : kick\n"
        "    BROKEN --> [*]\n"
    )


def test_flat_machine_as_dot() -> None:
    text = to_dot(StateMachine.from_dict(SMALL))
    assert text.startswith('digraph "door" {\n    rankdir=LR;\n')
    assert '    "BROKEN" [label="BROKEN", shape=doublecircle];\n' in text
    assert '    "__start__" -> "CLOSED";\n' in text
    assert '    "CLOSED" -> "OPEN" [label="open [has_key]"];\n' in text
    assert text.endswith("}\n")


def test_compound_states_nest() -> None:
    machine = StateMachine.from_yaml(EXAMPLES / "trading_fsm.yaml")
    mermaid = to_mermaid(machine)
    assert '    state "active" as active {\n        [*] --> active_scanning\n' in mermaid
    assert '        state "active.trading" as active_trading {\n' in mermaid
    dot = to_dot(machine)
    assert 'subgraph "cluster_active_trading" {' in dot
    assert '"idle" -> "active.scanning" [label="start", lhead="cluster_active"];' in dot


def test_hostile_text_cannot_break_the_diagrams() -> None:
    config: dict[str, Any] = {
        "meta": {"machine_name": "hostile"},
        "states": [{"name": "A", "type": "initial"}, {"name": "B", "type": "terminal"}],
        "transitions": [
            {
                "trigger": "go",
                "source": "A",
                "dest": "B",
                "guards": [{"expr": "x == '}\"; ]\\n' or y == '#:{'"}],
            }
        ],
    }
    machine = StateMachine.from_dict(config)
    mermaid = to_mermaid(machine)
    edge = next(line for line in mermaid.splitlines() if "-->" in line and "go" in line)
    _, label_text = edge.split(" : ", 1)
    bare = re.sub(r"#\w+;", "", label_text)
    assert not set(bare) & set(':;{}"#')
    dot = to_dot(machine)
    label = next(line for line in dot.splitlines() if '"A" -> "B"' in line)
    assert label.count('"') - label.count('\\"') == 6  # three quoted strings, nothing else


def test_output_is_deterministic() -> None:
    first = StateMachine.from_yaml(EXAMPLES / "trading_fsm.yaml")
    second = StateMachine.from_yaml(EXAMPLES / "trading_fsm.yaml")
    assert to_mermaid(first) == to_mermaid(second)
    assert to_dot(first) == to_dot(second)


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="StateMachine or MachineSpec"):
        to_mermaid({"states": []})


def test_generated_module_docstring_embeds_the_mermaid_diagram() -> None:
    from pystator.generator.pipeline import generate

    text = generate(EXAMPLES / "trading_fsm.yaml").text
    assert "```mermaid\nstateDiagram-v2\n" in text


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_diagram_command(fmt: str) -> None:
    result = CliRunner().invoke(
        cli.main, ["diagram", str(EXAMPLES / "order_fsm.yaml"), "--format", fmt]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("stateDiagram-v2" if fmt == "mermaid" else "digraph")


def test_parallel_regions_are_drawn_side_by_side() -> None:
    machine = StateMachine.from_yaml(EXAMPLES / "day_trading_fsm.yaml")
    mermaid = to_mermaid(machine)
    assert '    state "active" as active {\n        [*] --> scanning\n' in mermaid
    assert mermaid.count("        --\n") == 2
    assert "        [*] --> connecting\n" in mermaid
    dot = to_dot(machine)
    assert 'subgraph "cluster_active__risk_monitor" {' in dot
