"""Visualization: Mermaid and Graphviz DOT diagrams of a machine.

Drawn from the MachineSpec, so compound states nest as they do in the YAML; every piece of
YAML text is escaped before it reaches the diagram source.
"""

from __future__ import annotations

import re
from typing import Any

from pystator.runtime.spec import MachineSpec, StateSpec, TransitionSpec

__all__ = ["to_dot", "to_mermaid"]


def _spec_of(machine: Any) -> MachineSpec:
    if isinstance(machine, MachineSpec):
        return machine
    spec = getattr(machine, "spec", None)
    if isinstance(spec, MachineSpec):
        return spec
    raise TypeError(f"expected a StateMachine or MachineSpec, got {type(machine).__name__}")


def _identifier(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _children(spec: MachineSpec) -> dict[str | None, list[StateSpec]]:
    tree: dict[str | None, list[StateSpec]] = {}
    for state in spec.states:
        tree.setdefault(state.parent, []).append(state)
    return tree


def _edge_label(transition: TransitionSpec) -> str:
    label = transition.trigger
    if transition.guards:
        label += " [" + ", ".join(guard.label for guard in transition.guards) + "]"
    if transition.after_ms is not None:
        label += f" after {transition.after_ms} ms"
    return label


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
}


def _mermaid_text(text: str) -> str:
    text = " ".join(text.split())
    return "".join(_MERMAID_ESCAPES.get(char, char) for char in text)


def to_mermaid(machine: Any) -> str:
    """A Mermaid `stateDiagram-v2` of the machine, compound states drawn nested."""
    spec = _spec_of(machine)
    tree = _children(spec)
    lines = ["stateDiagram-v2"]

    def declare(state: StateSpec, indent: str) -> None:
        node = _identifier(state.name)
        kids = tree.get(state.name, [])
        if kids and state.regions:
            # Orthogonal regions are drawn side by side, separated by `--`.
            by_name = {child.name: child for child in kids}
            lines.append(f'{indent}state "{_mermaid_text(state.name)}" as {node} {{')
            for position, region in enumerate(state.regions):
                if position:
                    lines.append(f"{indent}    --")
                lines.append(f"{indent}    [*] --> {_identifier(region.initial)}")
                for name in region.states:
                    if name in by_name:
                        declare(by_name[name], indent + "    ")
            lines.append(f"{indent}}}")
        elif kids:
            lines.append(f'{indent}state "{_mermaid_text(state.name)}" as {node} {{')
            if state.initial_child is not None:
                lines.append(f"{indent}    [*] --> {_identifier(state.initial_child)}")
            for child in kids:
                declare(child, indent + "    ")
            lines.append(f"{indent}}}")
        else:
            lines.append(f'{indent}state "{_mermaid_text(state.name)}" as {node}')

    for state in tree.get(None, []):
        declare(state, "    ")
    top_initial = next(
        (s.name for s in spec.states if s.parent is None and s.type.value == "initial"),
        spec.initial_state,
    )
    lines.append(f"    [*] --> {_identifier(top_initial)}")
    for transition in spec.transitions:
        label = _mermaid_text(_edge_label(transition))
        for source in transition.source:
            lines.append(f"    {_identifier(source)} --> {_identifier(transition.dest)} : {label}")
    for state in spec.states:
        if state.is_terminal:
            lines.append(f"    {_identifier(state.name)} --> [*]")
    return "\n".join(lines) + "\n"


# -- DOT ---------------------------------------------------------------------------------------


def _dot_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\r", "").replace("\n", "\\n")


def to_dot(machine: Any) -> str:
    """A Graphviz `digraph` of the machine, compound states drawn as clusters."""
    spec = _spec_of(machine)
    tree = _children(spec)
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
            lines.append(f'{indent}subgraph "cluster_{_identifier(state.name)}" {{')
            lines.append(f'{indent}    label="{name}";')
            if state.regions:
                by_name = {child.name: child for child in kids}
                for region in state.regions:
                    cluster = _identifier(f"{state.name}__{region.name}")
                    lines.append(f'{indent}    subgraph "cluster_{cluster}" {{')
                    lines.append(f'{indent}        label="{_dot_text(region.name)}";')
                    lines.append(f"{indent}        style=dashed;")
                    for member in region.states:
                        if member in by_name:
                            declare(by_name[member], indent + "        ")
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
    lines.append(f'    "__start__" -> "{_dot_text(spec.initial_state)}";')
    leaf_of = {state.name: _leaf(spec, state.name, tree) for state in spec.states}
    for transition in spec.transitions:
        label = _dot_text(_edge_label(transition))
        for source in transition.source:
            attributes = [f'label="{label}"']
            tail, head = leaf_of[source], leaf_of[transition.dest]
            # Edges attach to leaves; clusters are named as the visible ends.
            if tail != source:
                attributes.append(f'ltail="cluster_{_identifier(source)}"')
            if head != transition.dest:
                attributes.append(f'lhead="cluster_{_identifier(transition.dest)}"')
            lines.append(
                f'    "{_dot_text(tail)}" -> "{_dot_text(head)}" [{", ".join(attributes)}];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _leaf(spec: MachineSpec, name: str, tree: dict[str | None, list[StateSpec]]) -> str:
    by_name = {state.name: state for state in spec.states}
    seen = {name}
    current = name
    while tree.get(current):
        state = by_name[current]
        child = state.initial_child or tree[current][0].name
        if child in seen:
            break
        seen.add(child)
        current = child
    return current
