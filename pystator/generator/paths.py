"""Paths: shortest event sequences that reach every state and fire every transition.

A breadth-first walk over what a session does — regions, history, eventless chains —
where each step also chooses which guards pass, as a test that controls them can.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pystator.generator.graph import Model, model_of
from pystator.runtime.spec import AUTO_TRIGGER, MAX_AUTO_CHAIN, Candidate, GuardSpec, MachineSpec

#: Configurations explored at most; larger machines get the paths found until then.
MAX_NODES = 20_000
#: How deep guarded eventless chains are followed when choosing guards to pass.
AUTO_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Node:
    """Where a session is: its current state, each region's state inside a parallel state,
    and the history it remembers (both as sorted pairs)."""

    state: str
    regions: tuple[tuple[str, str], ...] = ()
    history: tuple[tuple[str, str], ...] = ()

    def active(self, model: Model) -> tuple[str, ...]:
        """Every active state: the current ones and their ancestors."""
        found: dict[str, None] = {}
        for name in (self.state, *(state for _, state in self.regions)):
            for ancestor in model.tree.ancestors(name):
                found.setdefault(ancestor, None)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a path: `trigger` (None creates the session) with `passing` guard labels
    passing and all others failing; the session is then at `node`, having fired `fired`."""

    trigger: str | None
    passing: frozenset[str]
    node: Node
    fired: tuple[int, ...]


Path = tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The shortest path found to each state and to the firing of each transition."""

    states: Mapping[str, Path]
    transitions: Mapping[int, Path]
    total_transitions: int

    @property
    def uncovered(self) -> tuple[int, ...]:
        return tuple(i for i in range(self.total_transitions) if i not in self.transitions)


def labels(guards: Sequence[GuardSpec]) -> frozenset[str]:
    return frozenset(guard.label for guard in guards)


@dataclass(frozen=True, slots=True)
class Simulator:
    """The engine's decisions over a spec, with guard outcomes given as a set of labels."""

    model: Model

    @property
    def table(self) -> Mapping[str, Mapping[str, tuple[Candidate, ...]]]:
        return self.model.spec.table

    def _autos(self, state: str) -> tuple[Candidate, ...]:
        return self.table.get(state, {}).get(AUTO_TRIGGER, ())

    def _recall(self, candidate: Candidate, history: Mapping[str, str]) -> Candidate:
        if candidate.history_of is None or not candidate.by_history:
            return candidate
        remembered = history.get(candidate.history_of)
        if remembered is None:
            return candidate
        return candidate.by_history.get(remembered, candidate)

    def _follow(
        self,
        first: Candidate | None,
        start: str,
        passing: frozenset[str],
        history: Mapping[str, str],
    ) -> tuple[Candidate, ...] | None:
        """`first` and the eventless transitions that follow it (None: they never settle)."""
        chain = [first] if first is not None else []
        target = first.target if first is not None else start
        autos = self._autos(target)
        for _ in range(MAX_AUTO_CHAIN):
            if not autos:
                return tuple(chain)
            step = next(
                (self._recall(c, history) for c in autos if labels(c.guards) <= passing), None
            )
            if step is None:
                return tuple(chain)
            chain.append(step)
            autos = self._autos(step.target)
        # The engine gives up on chains this long (it raises), so no path goes this way.
        return None

    def decide(
        self, state: str, trigger: str, passing: frozenset[str], history: Mapping[str, str]
    ) -> tuple[Candidate, ...] | None:
        for candidate in self.table.get(state, {}).get(trigger, ()):
            if labels(candidate.guards) <= passing:
                return self._follow(self._recall(candidate, history), state, passing, history)
        return None

    def _enter(self, target: str) -> tuple[tuple[str, str], ...]:
        state = self.model.states.get(target)
        if state is None or not state.is_parallel:
            return ()
        return tuple((region.name, region.initial) for region in state.regions)

    def create(self, passing: frozenset[str]) -> Step | None:
        initial = self.model.spec.initial_state
        chain = self._follow(None, initial, passing, {})
        if chain is None:
            return None
        target = chain[-1].target if chain else initial
        history = _remember({}, chain)
        node = Node(target, self._enter(target), history)
        return Step(None, passing, node, tuple(c.transition for c in chain))

    def send(self, node: Node, trigger: str, passing: frozenset[str]) -> Step | None:
        history = dict(node.history)
        if node.regions:
            moved = dict(node.regions)
            chains = []
            for region, current in node.regions:
                chain = self.decide(current, trigger, passing, history)
                if chain:
                    moved[region] = chain[-1].target
                    chains.append(chain)
            if chains:
                steps = tuple(c for chain in chains for c in chain)
                after = Node(node.state, tuple(moved.items()), _remember(history, steps))
                return Step(trigger, passing, after, tuple(c.transition for c in steps))
        chain = self.decide(node.state, trigger, passing, history)
        if not chain:
            return None
        target = chain[-1].target
        after = Node(target, self._enter(target), _remember(history, chain))
        return Step(trigger, passing, after, tuple(c.transition for c in chain))

    def choices(self, states: Sequence[str], trigger: str | None) -> list[frozenset[str]]:
        """Guard outcomes worth trying: none passing, and for each candidate its own guards
        (plus those of the eventless chains after it)."""
        found: set[frozenset[str]] = {frozenset()}
        for state in states:
            if trigger is None:
                for base in self._chain_labels(state, frozenset(), AUTO_DEPTH):
                    found.add(base)
                continue
            for candidate in self.table.get(state, {}).get(trigger, ()):
                for variant in (candidate, *candidate.by_history.values()):
                    for option in self._chain_labels(
                        variant.target, labels(candidate.guards), AUTO_DEPTH
                    ):
                        found.add(option)
        return sorted(found, key=lambda option: (len(option), sorted(option)))

    def _chain_labels(
        self, target: str, base: frozenset[str], depth: int
    ) -> Iterator[frozenset[str]]:
        yield base
        if depth == 0:
            return
        for auto in self._autos(target):
            yield from self._chain_labels(auto.target, base | labels(auto.guards), depth - 1)


def _remember(
    history: Mapping[str, str], chain: Sequence[Candidate]
) -> tuple[tuple[str, str], ...]:
    updated = dict(history)
    for candidate in chain:
        updated.update(candidate.remembers)
    return tuple(sorted(updated.items()))


def plan(spec: MachineSpec, max_nodes: int = MAX_NODES) -> Plan:
    """Shortest paths (fewest events, then fewest passing guards) to every state and
    transition a session can reach."""
    model = model_of(spec)
    simulator = Simulator(model)
    triggers = [trigger.name for trigger in spec.triggers]
    state_paths: dict[str, Path] = {}
    transition_paths: dict[int, Path] = {}
    seen: set[Node] = set()
    queue: deque[Path] = deque()

    def arrive(path: Path) -> None:
        step = path[-1]
        for index in step.fired:
            transition_paths.setdefault(index, path)
        if step.node in seen or len(seen) >= max_nodes:
            return
        seen.add(step.node)
        for name in step.node.active(model):
            state_paths.setdefault(name, path)
        queue.append(path)

    for passing in simulator.choices([spec.initial_state], None):
        start = simulator.create(passing)
        if start is not None:
            arrive((start,))
    while queue:
        path = queue.popleft()
        node = path[-1].node
        deciding = [state for _, state in node.regions] + [node.state]
        for trigger in triggers:
            for passing in simulator.choices(deciding, trigger):
                step = simulator.send(node, trigger, passing)
                if step is not None:
                    arrive((*path, step))
    return Plan(state_paths, transition_paths, len(spec.transitions))
