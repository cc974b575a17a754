"""Mermaid and Graphviz DOT diagrams of a machine, drawn from its MachineSpec.

Compound states nest as in the YAML; all YAML text is escaped before it reaches the source."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from pystator.runtime.history import parse_history
from pystator.runtime.machine import StateMachine
from pystator.runtime.spec import (
    MachineSpec,
    RegionSpec,
    StateSpec,
    TransitionSpec,
    after_trigger,
    timeout_trigger,
)

__all__ = ["to_dot", "to_mermaid"]

Tree = dict[str | None, list[StateSpec]]

#: `H(p)` / `H*(p)`: a destination that returns to the history of compound state `p`.

#: Words Mermaid's state-diagram grammar reserves; a state id equal to one gets a suffix.
_MERMAID_KEYWORDS = frozenset(
    {"as", "class", "classdef", "click", "direction", "end", "note", "state", "style"}
)


def _spec_of(machine: StateMachine[Any, Any, Any] | MachineSpec) -> MachineSpec:
    if isinstance(machine, MachineSpec):
        return machine
    if isinstance(machine, StateMachine):
        return machine.spec
    raise TypeError(f"expected a StateMachine or MachineSpec, got {type(machine).__name__}")


def _identifiers(spec: MachineSpec) -> dict[str, str]:
    """A distinct Mermaid-safe id per state, in document order (first come keeps the plain id)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for state in spec.states:
        base = re.sub(r"[^A-Za-z0-9_]", "_", state.name)
        if base.lower() in _MERMAID_KEYWORDS:
            base += "_"
        candidate, suffix = base, 2
        while candidate in taken:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        ids[state.name] = candidate
        taken.add(candidate)
    return ids


def _children(spec: MachineSpec) -> Tree:
    tree: Tree = {}
    for state in spec.states:
        tree.setdefault(state.parent, []).append(state)
    return tree


def _destination(transition: TransitionSpec) -> tuple[str, str]:
    """The state an edge points at, and a note for a history destination ('' otherwise)."""
    history = parse_history(transition.dest)
    if history is None:
        return transition.dest, ""
    return history.parent, " (deep history)" if history.deep else " (history)"


def edge_label(transition: TransitionSpec) -> str:
    label = transition.trigger
    # Synthetic timer events may have gone through the machine's event normaliser.
    written = transition.trigger.lower()
    if transition.after_ms is not None:
        if written in (timeout_trigger(source).lower() for source in transition.source):
            return f"timeout {_duration(transition.after_ms)}"
        if written == after_trigger(transition.source[0], transition.after_ms).lower():
            label = f"after {_duration(transition.after_ms)}"
        else:
            label += f" after {_duration(transition.after_ms)}"
    if transition.guards:
        label += " [" + ", ".join(guard.label for guard in transition.guards) + "]"
    return label + _destination(transition)[1]


def _duration(milliseconds: int) -> str:
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if milliseconds >= size and milliseconds % size == 0:
            return f"{milliseconds // size}{unit}"
    if milliseconds >= 1000:
        return f"{milliseconds / 1000:g}s"
    return f"{milliseconds}ms"


# -- Mermaid ---------------------------------------------------------------------------------

_MERMAID_ESCAPES = {
    "#": "#35;",
    ":": "#58;",
    ";": "#59;",
    '"': "#quot;",
    "{": "#123;",
    "}": "#125;",
    "<": "#lt;",
    ">": "#gt;",
    "%": "#37;",
    "\\": "#92;",
    # `$$…$$` would be typeset as a formula.
    "$": "#36;",
}

#: How `to_mermaid(..., highlight=...)` marks states: the class and its style.
CURRENT_CLASS = "current"
CURRENT_STYLE = "fill:#ffe08a,stroke:#8a5a00,stroke-width:3px"


def _mermaid_text(text: str) -> str:
    """One line of text with every character Mermaid could read as syntax replaced."""
    text = " ".join(text.split())
    return "".join(_MERMAID_ESCAPES.get(char, char) for char in text)


def _regions(state: StateSpec, kids: list[StateSpec]) -> list[tuple[RegionSpec, list[StateSpec]]]:
    """Each region of the parallel `state` with its states among `kids`, in region order."""
    by_name = {child.name: child for child in kids}
    return [
        (region, [by_name[name] for name in region.states if name in by_name])
        for region in state.regions
    ]


def to_mermaid(
    machine: StateMachine[Any, Any, Any] | MachineSpec, *, highlight: Collection[str] = ()
) -> str:
    """A Mermaid `stateDiagram-v2` of the machine, compound states drawn nested and the
    regions of a parallel state side by side; the `highlight` states (an entity's current
    ones, say) get the class `current`."""
    spec = _spec_of(machine)
    unknown = sorted(set(highlight) - {state.name for state in spec.states})
    if unknown:
        raise ValueError(
            f"cannot highlight {', '.join(map(repr, unknown))}: not a state of {spec.name!r}"
        )
    tree = _children(spec)
    ids = _identifiers(spec)

    def node(name: str) -> str:
        return ids.get(name, re.sub(r"[^A-Za-z0-9_]", "_", name))

    lines = ["stateDiagram-v2"]

    def declare(state: StateSpec, indent: str) -> None:
        kids = tree.get(state.name, [])
        head = f'{indent}state "{_mermaid_text(state.name)}" as {node(state.name)}'
        if kids and state.regions:
            # Orthogonal regions are drawn side by side, separated by `--`.
            lines.append(head + " {")
            for position, (region, members) in enumerate(_regions(state, kids)):
                if position:
                    lines.append(f"{indent}    --")
                lines.append(f"{indent}    [*] --> {node(region.initial)}")
                for member in members:
                    declare(member, indent + "    ")
            lines.append(f"{indent}}}")
        elif kids:
            lines.append(head + " {")
            if state.initial_child is not None:
                lines.append(f"{indent}    [*] --> {node(state.initial_child)}")
            for child in kids:
                declare(child, indent + "    ")
            lines.append(f"{indent}}}")
        else:
            lines.append(head)

    for state in tree.get(None, []):
        declare(state, "    ")
    top_initial = next(
        (s.name for s in spec.states if s.parent is None and s.type.value == "initial"),
        spec.initial_state,
    )
    lines.append(f"    [*] --> {node(top_initial)}")
    for transition in spec.transitions:
        label = _mermaid_text(edge_label(transition))
        dest = node(_destination(transition)[0])
        for source in transition.source:
            lines.append(f"    {node(source)} --> {dest} : {label}")
    for state in spec.states:
        if state.is_terminal:
            lines.append(f"    {node(state.name)} --> [*]")
    if highlight:
        marked = ",".join(node(state.name) for state in spec.states if state.name in highlight)
        lines.append(f"    classDef {CURRENT_CLASS} {CURRENT_STYLE}")
        lines.append(f"    class {marked} {CURRENT_CLASS}")
    return "\n".join(lines) + "\n"


# -- DOT ---------------------------------------------------------------------------------------


def _dot_text(text: str) -> str:
    """Text for inside a DOT double-quoted string: one line, quotes and backslashes escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def to_dot(machine: StateMachine[Any, Any, Any] | MachineSpec) -> str:
    """A Graphviz `digraph` of the machine, compound states drawn as clusters."""
    spec = _spec_of(machine)
    tree = _children(spec)
    ids = _identifiers(spec)
    lines = [
        f'digraph "{_dot_text(spec.name)}" {{',
        "    rankdir=LR;",
        "    compound=true;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
        '    edge [fontname="Helvetica"];',
        '    "__start__" [shape=point, label=""];',
    ]

    def declare(state: StateSpec, indent: str) -> None:
        kids = tree.get(state.name, [])
        name = _dot_text(state.name)
        if kids:
            lines.append(f'{indent}subgraph "cluster_{ids[state.name]}" {{')
            lines.append(f'{indent}    label="{name}";')
            if state.regions:
                for region, members in _regions(state, kids):
                    cluster = re.sub(r"[^A-Za-z0-9_]", "_", f"{ids[state.name]}__{region.name}")
                    lines.append(f'{indent}    subgraph "cluster_{cluster}" {{')
                    lines.append(f'{indent}        label="{_dot_text(region.name)}";')
                    lines.append(f"{indent}        style=dashed;")
                    for member in members:
                        declare(member, indent + "        ")
                    lines.append(f"{indent}    }}")
            else:
                for child in kids:
                    declare(child, indent + "    ")
            lines.append(f"{indent}}}")
        else:
            shape = ", shape=doublecircle" if state.is_terminal else ""
            lines.append(f'{indent}"{name}" [label="{name}"{shape}];')

    for state in tree.get(None, []):
        declare(state, "    ")
    start = _leaf(spec.initial_state, spec, tree)
    into = "" if start == spec.initial_state else f' [lhead="cluster_{ids[spec.initial_state]}"]'
    lines.append(f'    "__start__" -> "{_dot_text(start)}"{into};')
    for transition in spec.transitions:
        label = _dot_text(edge_label(transition))
        dest = _destination(transition)[0]
        for source in transition.source:
            attributes = [f'label="{label}"']
            tail, head = _leaf(source, spec, tree), _leaf(dest, spec, tree)
            # Edges attach to leaves; clusters are named as the visible ends.
            if tail != source:
                attributes.append(f'ltail="cluster_{ids[source]}"')
            if head != dest:
                attributes.append(f'lhead="cluster_{ids[dest]}"')
            lines.append(
                f'    "{_dot_text(tail)}" -> "{_dot_text(head)}" [{", ".join(attributes)}];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _leaf(name: str, spec: MachineSpec, tree: Tree) -> str:
    """The leaf a compound state is entered at (its initial child, recursively)."""
    seen = {name}
    current = name
    while tree.get(current):
        state = spec.state(current)
        assert state is not None
        child = state.initial_child or tree[current][0].name
        if child in seen:
            break
        seen.add(child)
        current = child
    return current
