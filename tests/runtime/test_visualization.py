"""Mermaid and DOT diagrams: structure, nesting, escaping."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner

from pystator import StateMachine, to_dot, to_mermaid
from pystator.generator import cli
from tests.conftest import EXAMPLES, ROOT

SMALL: dict[str, Any] = {
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

NESTED: dict[str, Any] = {
    "meta": {"machine_name": "scanner"},
    "states": [
        {"name": "idle", "type": "initial"},
        {"name": "active", "initial_child": "active.scanning"},
        {"name": "active.scanning", "parent": "active"},
        {"name": "active.analyzing", "parent": "active"},
        {"name": "halted", "type": "terminal"},
    ],
    "transitions": [
        {"trigger": "start", "source": "idle", "dest": "active"},
        {"trigger": "found", "source": "active.scanning", "dest": "active.analyzing"},
        {"trigger": "halt", "source": "active", "dest": "halted"},
    ],
}

HOSTILE: dict[str, Any] = {
    "meta": {"machine_name": "hostile"},
    "states": [
        {"name": "A-start", "type": "initial", "description": 'line one\n"quoted" }; # end'},
        {"name": "b.End", "type": "terminal", "description": "} {\r\n;"},
    ],
    "transitions": [
        {
            "trigger": "go-now",
            "source": "A-start",
            "dest": "b.End",
            "description": 'a\n"b"; }',
            "guards": [{"expr": "x == '}\"; ]\\n' or y == '#:{'"}, "ok"],
        }
    ],
}

QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


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
    assert to_dot(StateMachine.from_dict(SMALL)) == (
        'digraph "door" {\n'
        "    rankdir=LR;\n"
        "    compound=true;\n"
        '    node [shape=box, style=rounded, fontname="Helvetica"];\n'
        '    edge [fontname="Helvetica"];\n'
        '    "__start__" [shape=point, label=""];\n'
        '    "CLOSED" [label="CLOSED"];\n'
        '    "OPEN" [label="OPEN"];\n'
        '    "BROKEN" [label="BROKEN", shape=doublecircle];\n'
        '    "__start__" -> "CLOSED";\n'
        '    "CLOSED" -> "OPEN" [label="open [has_key]"];\n'
        '    "OPEN" -> "CLOSED" [label="close"];\n'
        '    "OPEN" -> "BROKEN" [label="kick"];\n'
        '    "CLOSED" -> "BROKEN" [label="kick"];\n'
        "}\n"
    )


def test_a_machine_spec_is_accepted_like_its_machine() -> None:
    machine = StateMachine.from_dict(SMALL)
    assert to_mermaid(machine.spec) == to_mermaid(machine)
    assert to_dot(machine.spec) == to_dot(machine)


def test_guard_labels_are_shown_on_edges() -> None:
    config = {**SMALL, "transitions": [dict(SMALL["transitions"][0])]}
    config["transitions"][0]["guards"] = ["has_key", {"expr": "x > 1"}]
    machine = StateMachine.from_dict(config)
    assert "    CLOSED --> OPEN : open [has_key, expr#58; x #gt; 1]\n" in to_mermaid(machine)
    assert '"CLOSED" -> "OPEN" [label="open [has_key, expr: x > 1]"];' in to_dot(machine)


def test_terminal_states_are_marked() -> None:
    machine = StateMachine.from_dict(SMALL)
    mermaid = to_mermaid(machine)
    assert "    BROKEN --> [*]\n" in mermaid
    assert "OPEN --> [*]" not in mermaid
    dot = to_dot(machine)
    assert '"BROKEN" [label="BROKEN", shape=doublecircle];' in dot
    assert dot.count("doublecircle") == 1


def test_hierarchical_states_nest_with_sanitised_ids() -> None:
    mermaid = to_mermaid(StateMachine.from_dict(NESTED))
    assert (
        '    state "active" as active {\n'
        "        [*] --> active_scanning\n"
        '        state "active.scanning" as active_scanning\n'
        '        state "active.analyzing" as active_analyzing\n'
        "    }\n"
    ) in mermaid
    assert "    active_scanning --> active_analyzing : found\n" in mermaid
    assert "    active --> halted : halt\n" in mermaid
    assert "    halted --> [*]\n" in mermaid


def test_hierarchical_states_are_dot_clusters() -> None:
    dot = to_dot(StateMachine.from_dict(NESTED))
    assert (
        '    subgraph "cluster_active" {\n'
        '        label="active";\n'
        '        "active.scanning" [label="active.scanning"];\n'
        '        "active.analyzing" [label="active.analyzing"];\n'
        "    }\n"
    ) in dot
    assert '"idle" -> "active.scanning" [label="start", lhead="cluster_active"];' in dot
    assert '"active.scanning" -> "halted" [label="halt", ltail="cluster_active"];' in dot


def test_example_compound_states_nest() -> None:
    machine = StateMachine.from_yaml(EXAMPLES / "trading_fsm.yaml")
    mermaid = to_mermaid(machine)
    assert '    state "active" as active {\n        [*] --> active_scanning\n' in mermaid
    assert '        state "active.trading" as active_trading {\n' in mermaid
    assert 'subgraph "cluster_active_trading" {' in to_dot(machine)


def test_hostile_text_cannot_break_the_mermaid_syntax() -> None:
    mermaid = to_mermaid(StateMachine.from_dict(HOSTILE))
    assert '    state "A-start" as A_start\n' in mermaid
    assert '    state "b.End" as b_End\n' in mermaid
    assert "\r" not in mermaid
    assert mermaid.count("{") == mermaid.count("}")
    edge = next(line for line in mermaid.splitlines() if line.startswith("    A_start --> "))
    _, label = edge.split(" : ", 1)
    assert label.startswith("go-now [")
    assert not set(re.sub(r"#\w+;", "", label)) & set(':;{}"#\\')


def test_hostile_text_cannot_break_the_dot_syntax() -> None:
    dot = to_dot(StateMachine.from_dict(HOSTILE))
    assert "\r" not in dot
    body = QUOTED.sub("", dot)
    assert '"' not in body
    assert body.count("{") == body.count("}") == 1
    for line in dot.splitlines():
        assert line.count('"') % 2 == line.count('\\"') % 2
    edge = next(line for line in dot.splitlines() if '"A-start" -> "b.End"' in line)
    assert len(QUOTED.findall(edge)) == 3


def test_every_mermaid_line_is_well_formed_despite_hostile_text() -> None:
    label = r"(?:[^:;{}\"#\\]|#\w+;)*"
    grammar = re.compile(
        r"stateDiagram-v2|\}|--"
        rf'|state "{label}" as \w+(?: \{{)?'
        rf"|(?:\[\*\]|\w+) --> (?:\[\*\]|\w+)(?: : {label})?"
    )
    for line in to_mermaid(StateMachine.from_dict(HOSTILE)).splitlines():
        assert grammar.fullmatch(line.strip()), line


def test_reserved_mermaid_words_get_a_suffixed_id() -> None:
    config = {
        "meta": {"machine_name": "words"},
        "states": [{"name": "note", "type": "initial"}, {"name": "end", "type": "terminal"}],
        "transitions": [{"trigger": "stop", "source": "note", "dest": "end"}],
    }
    mermaid = to_mermaid(StateMachine.from_dict(config))
    assert '    state "note" as note_\n' in mermaid
    assert '    state "end" as end_\n' in mermaid
    assert "    note_ --> end_ : stop\n" in mermaid
    assert "    end_ --> [*]\n" in mermaid


def test_ids_that_sanitise_alike_stay_distinct() -> None:
    spec = StateMachine.from_dict(SMALL).spec
    names = ("a.b", "a_b", "a-b")
    states = tuple(replace(s, name=n) for s, n in zip(spec.states, names, strict=True))
    mermaid = to_mermaid(replace(spec, states=states, transitions=(), initial_state="a.b"))
    assert '    state "a.b" as a_b\n' in mermaid
    assert '    state "a_b" as a_b_2\n' in mermaid
    assert '    state "a-b" as a_b_3\n' in mermaid


def test_history_destinations_point_at_their_compound_state() -> None:
    machine = StateMachine.from_yaml(ROOT / "tests" / "fixtures" / "player_history.yaml")
    mermaid = to_mermaid(machine)
    assert "    off --> on : power_shallow (history)\n" in mermaid
    assert "    off --> on : power_deep (deep history)\n" in mermaid
    assert "H_on" not in mermaid
    dot = to_dot(machine)
    assert '"off" -> "on.radio" [label="power_deep (deep history)", lhead="cluster_on"];' in dot


def test_output_is_deterministic() -> None:
    first = StateMachine.from_yaml(EXAMPLES / "trading_fsm.yaml")
    second = StateMachine.from_yaml(EXAMPLES / "trading_fsm.yaml")
    assert to_mermaid(first) == to_mermaid(second)
    assert to_dot(first) == to_dot(second)
    assert to_mermaid(first) == to_mermaid(first)


def test_anything_else_is_a_type_error() -> None:
    bad: Any = {"states": []}
    with pytest.raises(TypeError, match="StateMachine or MachineSpec, got dict"):
        to_mermaid(bad)
    with pytest.raises(TypeError, match="StateMachine or MachineSpec, got dict"):
        to_dot(bad)


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
    assert 'subgraph "cluster_active__risk_monitor" {' in to_dot(machine)


def test_highlighted_states_get_the_current_class_in_document_order() -> None:
    machine = StateMachine.from_yaml(EXAMPLES / "day_trading_fsm.yaml")
    mermaid = to_mermaid(machine, highlight={"connected", "scanning"})
    assert mermaid.endswith(
        "    classDef current fill:#ffe08a,stroke:#8a5a00,stroke-width:3px\n"
        "    class scanning,connected current\n"
    )
    assert mermaid.startswith(to_mermaid(machine).rstrip("\n"))


def test_highlighted_ids_are_the_sanitised_ones() -> None:
    mermaid = to_mermaid(StateMachine.from_dict(NESTED), highlight=["active.scanning"])
    assert mermaid.endswith("    class active_scanning current\n")


def test_highlighting_a_state_the_machine_lacks_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot highlight 'AJAR': not a state of 'door'"):
        to_mermaid(StateMachine.from_dict(SMALL), highlight=["OPEN", "AJAR"])


def test_dollar_signs_are_escaped_so_mermaid_typesets_no_formula() -> None:
    config = {**SMALL, "transitions": [dict(SMALL["transitions"][0])]}
    config["transitions"][0]["guards"] = [{"expr": "price == '$$x$$'"}]
    mermaid = to_mermaid(StateMachine.from_dict(config))
    assert "    CLOSED --> OPEN : open [expr#58; price == '#36;#36;x#36;#36;']\n" in mermaid
