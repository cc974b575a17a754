"""Checks on the lowered table: eventless transitions and short timers that loop forever.

`lower` runs them once the table exists, since a loop is a property of the candidates the
table records (what each step enters), not of the YAML as written.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from pystator.generator.check import Reporter
from pystator.generator.graph import strongly_connected
from pystator.generator.hierarchy import Tree
from pystator.generator.load import Path
from pystator.generator.schema import MachineConfig
from pystator.runtime.spec import AUTO_TRIGGER, MachineSpec, TransitionSpec
from pystator.runtime.timers import MIN_DELAY_MS


def check_loops(report: Reporter, spec: MachineSpec, config: MachineConfig, tree: Tree) -> None:
    """PS219 for unguarded eventless loops, PS225 for delayed loops shorter than the
    runtime's minimum timer delay."""
    _auto_cycles(report, spec, tree)
    _fast_timer_loops(report, spec, tree, _timeout_places(config, len(config.transitions), spec))


# -- eventless loops -----------------------------------------------------------------------


def _auto_cycles(report: Reporter, spec: MachineSpec, tree: Tree) -> None:
    """Unguarded eventless transitions that lead back to where they started never settle."""
    step: dict[str, int] = {}
    goes_to: dict[str, str] = {}
    for state in tree.leaves():
        candidates = spec.table.get(state, {}).get(AUTO_TRIGGER, ())
        if candidates and not candidates[0].guards:
            step[state] = candidates[0].transition
            goes_to[state] = candidates[0].target
    reported: set[int] = set()
    # Each step is followed once: a walk stops where an earlier walk went.
    visited: set[str] = set()
    for start in step:
        walk: dict[str, int] = {}
        current: str | None = start
        while current is not None and current in step and current not in visited:
            walk[current] = len(walk)
            visited.add(current)
            current = goes_to[current]
        if current is None or current not in walk:
            continue
        cycle = list(walk)[walk[current] :]
        index = step[cycle[0]]
        if index in reported:
            continue
        reported.update(step[state] for state in cycle)
        report.error(
            "PS219",
            ("transitions", index),
            "unguarded auto transitions loop forever: " + " -> ".join((*cycle, cycle[0])) + ".",
            "Give one of them a guard that becomes false, or break the loop.",
        )


# -- timers that loop without waiting --------------------------------------------------------


def _timeout_places(config: MachineConfig, declared: int, spec: MachineSpec) -> Mapping[int, Path]:
    """Where each transition the compiler added for a state's `timeout:` is written."""
    first: dict[str, int] = {}
    for index, state in enumerate(config.states):
        first.setdefault(state.name, index)
    return {
        transition.index: ("states", first[transition.source[0]], "timeout", "seconds")
        for transition in spec.transitions[declared:]
        if transition.source[0] in first
    }


def _entered(spec: MachineSpec, source: str, transition: TransitionSpec) -> tuple[str, ...]:
    """The states taking `transition` from `source` enters (and so arms the timers of),
    as its candidate in the table records them."""
    for candidate in spec.table.get(source, {}).get(transition.trigger, ()):
        if candidate.transition == transition.index:
            return candidate.enters
    return ()


def _fast_timer_loops(
    report: Reporter, spec: MachineSpec, tree: Tree, timeouts: Mapping[int, Path]
) -> None:
    """Delayed transitions shorter than the runtime's minimum delay that lead back to where
    they started: every arrival arms the next timer, so an entity never rests. Eventless
    steps on the way count as no delay; loops of eventless steps alone are PS219."""
    # Edges from a state to the states a step out of it enters; `delayed` names the
    # transition behind each edge that waits for a timer (eventless steps have none).
    edges: dict[str, list[str]] = {}
    delayed: dict[tuple[str, str], TransitionSpec] = {}
    for state, timers in spec.timers.items():
        for timer in timers:
            transition = spec.transitions[timer.transition]
            if timer.delay_ms >= MIN_DELAY_MS or transition.guards or transition.internal:
                continue
            for entered in _entered(spec, state, transition):
                edges.setdefault(state, []).append(entered)
                delayed.setdefault((state, entered), transition)
    for leaf in tree.leaves():
        candidates = spec.table.get(leaf, {}).get(AUTO_TRIGGER, ())
        if candidates and not candidates[0].guards and not candidates[0].internal:
            edges.setdefault(leaf, []).extend(candidates[0].enters)
    if not delayed:
        return
    components = strongly_connected(edges)
    component_of = {name: number for number, members in enumerate(components) for name in members}
    # A delayed edge inside a strongly connected component lies on a loop.
    looping: dict[int, list[tuple[str, str]]] = {}
    for pair in delayed:
        number = component_of.get(pair[0])
        if number is not None and number == component_of.get(pair[1]):
            looping.setdefault(number, []).append(pair)
    for number, inside in sorted(looping.items()):
        start, first = min(inside, key=lambda pair: delayed[pair].index)
        cycle = [start, *_path(edges, set(components[number]), first, start)]
        steps = list(itertools.pairwise(cycle))
        total = sum(delayed[step].after_ms or 0 for step in steps if step in delayed)
        transition = delayed[(start, first)]
        place = timeouts.get(transition.index, ("transitions", transition.index, "after"))
        report.error(
            "PS225",
            place,
            f"delayed transitions loop back to {start!r} after {total} ms in all "
            f"({' -> '.join(cycle)}): an entity would go round and round without resting.",
            f"Give the loop a delay of at least {MIN_DELAY_MS} ms (no timer fires sooner), "
            "a guard that becomes false, or break the loop.",
        )


def _path(edges: Mapping[str, list[str]], within: set[str], start: str, goal: str) -> list[str]:
    """The states of a shortest path from `start` to `goal` inside `within`, both included."""
    previous: dict[str, str | None] = {start: None}
    pending = [start]
    for current in pending:
        if current == goal:
            break
        for following in edges.get(current, ()):
            if following in within and following not in previous:
                previous[following] = current
                pending.append(following)
    path = [goal]
    while (before := previous[path[-1]]) is not None:
        path.append(before)
    return path[::-1]
