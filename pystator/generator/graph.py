"""Graph: where an entity of a lowered machine can be, and where it can go from there.

Edges over-approximate the engine: every candidate, history alternative, eventless step,
timeout and region entry counts, so "cannot reach" answers are never wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pystator.generator.hierarchy import Tree, build_tree
from pystator.runtime.spec import MachineSpec, StateSpec, StateType

FINAL_TYPES = (StateType.TERMINAL, StateType.ERROR)


@dataclass(frozen=True, slots=True)
class Model:
    """A spec with its hierarchy resolved."""

    spec: MachineSpec
    tree: Tree
    states: Mapping[str, StateSpec]
    # Successors already found: `reachable` and `reaching` each ask for every state's.
    _successors: dict[str, tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def is_decision_state(self, name: str) -> bool:
        """True for states an entity's `current_state` can be: leaves outside regions and
        parallel states (whose regions each hold a leaf of their own)."""
        state = self.states[name]
        return state.is_parallel or (self.tree.is_leaf(name) and state.region is None)

    def region_states(self, name: str) -> tuple[str, ...]:
        """For a parallel state: every state of every region."""
        return tuple(member for region in self.states[name].regions for member in region.states)

    def timeouts(self, name: str) -> tuple[str, ...]:
        """Destinations of the timeouts armed while `name` is active (its own and its
        ancestors'), as the leaves they enter."""
        found = []
        for ancestor in (name, *self.states[name].ancestors):
            timeout = self.states[ancestor].timeout
            if timeout is not None and timeout.destination in self.states:
                found.append(self.tree.leaf_of(timeout.destination))
        return tuple(found)

    def successors(self, name: str) -> tuple[str, ...]:
        known = self._successors.get(name)
        if known is None:
            known = self._successors[name] = self._find_successors(name)
        return known

    def _find_successors(self, name: str) -> tuple[str, ...]:
        found: list[str] = []
        for candidates in self.spec.table.get(name, {}).values():
            for candidate in candidates:
                found.append(candidate.target)
                found.extend(alternative.target for alternative in candidate.by_history.values())
        state = self.states[name]
        if state.is_parallel:
            found.extend(region.initial for region in state.regions)
        if state.region is not None:
            # While a region state is active, so is its parallel state and its exits.
            parent = state.parent
            if parent is not None:
                found.append(parent)
        found.extend(self.timeouts(name))
        return tuple(dict.fromkeys(t for t in found if t in self.states))


def model_of(spec: MachineSpec) -> Model:
    tree = build_tree(
        [state.name for state in spec.states],
        {state.name: state.parent for state in spec.states},
        {state.name: state.initial_child for state in spec.states},
    )
    return Model(spec, tree, {state.name: state for state in spec.states})


def entry_points(model: Model) -> tuple[str, ...]:
    """Where entities start: the initial leaf, and the error policy's fallback state."""
    found = [model.spec.initial_state]
    fallback = model.spec.error_policy.default_fallback
    if fallback is not None and fallback in model.states:
        found.append(model.tree.leaf_of(fallback))
    return tuple(found)


def reachable(model: Model) -> frozenset[str]:
    """Every state an entity may be in (ancestors of an active state count as active)."""
    seen: set[str] = set()
    pending = list(entry_points(model))
    while pending:
        name = pending.pop()
        if name in seen or name not in model.states:
            continue
        seen.add(name)
        pending.extend(model.states[name].ancestors)
        pending.extend(model.successors(name))
    return frozenset(seen)


def reaching(model: Model, goals: Iterable[str]) -> frozenset[str]:
    """Every state from which one of `goals` can be reached (goals included)."""
    incoming: dict[str, set[str]] = {}
    fallback = model.spec.error_policy.default_fallback
    for name in model.states:
        targets = list(model.successors(name))
        if fallback is not None and fallback in model.states:
            # A failure while processing an event moves the entity to the fallback state.
            targets.append(model.tree.leaf_of(fallback))
        for target in targets:
            incoming.setdefault(target, set()).add(name)
    seen: set[str] = set()
    pending = list(goals)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(incoming.get(name, ()))
    return frozenset(seen)


def has_way_out(model: Model, name: str) -> bool:
    """True if some event, eventless step or timer can move an entity out of `name`."""
    if model.spec.table.get(name) or model.timeouts(name):
        return True
    state = model.states[name]
    if state.is_parallel:
        return any(
            model.spec.table.get(member) or model.timeouts(member)
            for member in model.region_states(name)
        )
    return False


def duration_text(milliseconds: int) -> str:
    """`250 ms`, `5 s`, `1.5 s`, `30 min`, `2 h`."""
    if milliseconds % 3_600_000 == 0 and milliseconds:
        return f"{milliseconds // 3_600_000} h"
    if milliseconds % 60_000 == 0 and milliseconds:
        return f"{milliseconds // 60_000} min"
    if milliseconds >= 1000:
        seconds = milliseconds / 1000
        return f"{seconds:g} s"
    return f"{milliseconds} ms"


def seconds_ms(seconds: float) -> int:
    return round(seconds * 1000)


def strongly_connected(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of a directed graph (Tarjan's algorithm, without
    recursion, so deep graphs are fine); each edge is followed once."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges.get(root, ())))]
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges.get(successor, ()))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found
