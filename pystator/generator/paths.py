"""Paths: shortest event sequences that reach every state and fire every transition.

A breadth-first walk over the engine's own decisions — regions, history, eventless chains
— where each step also chooses which guards pass, as a test that controls them can.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pystator.generator.graph import Model, model_of
from pystator.runtime import parallel
from pystator.runtime.engine import Engine
from pystator.runtime.errors import FSMError
from pystator.runtime.guards import GuardRegistry, Predicate
from pystator.runtime.parallel import ParallelStateConfig
from pystator.runtime.routes import Route
from pystator.runtime.spec import AUTO_TRIGGER, Candidate, GuardSpec, MachineSpec
from pystator.runtime.steps import Step as RuntimeStep
from pystator.runtime.steps import active_states

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
        return active_states(model.states, (self.state, *(state for _, state in self.regions)))


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


class Simulator:
    """The engine's own decisions over a spec, with guard outcomes given as a set of labels:
    every guard answers whether its label is among those chosen to pass."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._passing: frozenset[str] = frozenset()
        guards = {guard.label: guard for t in model.spec.transitions for guard in t.guards}
        self._registry = GuardRegistry()
        compiled: dict[str, Predicate] = {}
        for label, guard in guards.items():
            predicate = self._chosen(label)
            if guard.name is not None:
                self._registry.register(guard.name, predicate)
            else:
                compiled[label] = predicate
        self._engine = Engine(model.spec, compiled)

    def _chosen(self, label: str) -> Predicate:
        return lambda context: label in self._passing

    @property
    def table(self) -> Mapping[str, Mapping[str, tuple[Candidate, ...]]]:
        return self.model.spec.table

    def _autos(self, state: str) -> tuple[Candidate, ...]:
        return self.table.get(state, {}).get(AUTO_TRIGGER, ())

    def _decide(
        self, state: str, trigger: str, passing: frozenset[str], history: Mapping[str, str]
    ) -> Route | None:
        """The route the engine takes (None: no transition, or eventless transitions that
        never settle, on which the engine gives up)."""
        self._passing = passing
        try:
            decision = self._engine.decide(state, trigger, _NO_CONTEXT, self._registry, history)
        except FSMError:
            return None
        return decision if isinstance(decision, Route) else None

    def _arrive(self, target: str, history: Mapping[str, str], step: RuntimeStep | None) -> Node:
        state = self.model.states.get(target)
        regions = (
            tuple(parallel.enter(state).region_states.items())
            if state and state.is_parallel
            else ()
        )
        return Node(target, regions, _remember(history, step))

    def create(self, passing: frozenset[str]) -> Step | None:
        initial = self.model.spec.initial_state
        self._passing = passing
        try:
            settled = self._engine.settle(initial, _NO_CONTEXT, self._registry, {})
        except FSMError:
            return None
        if settled is None:
            return Step(None, passing, self._arrive(initial, {}, None), ())
        step = settled.result.step
        assert step is not None
        return Step(None, passing, self._arrive(settled.target, {}, step), step.transitions)

    def send(self, node: Node, trigger: str, passing: frozenset[str]) -> Step | None:
        history = dict(node.history)
        if node.regions:
            config = ParallelStateConfig(node.state, dict(node.regions))
            self._passing = passing
            try:
                following, _, routes, whole = parallel.step(
                    self._engine,
                    self.model.states,
                    config,
                    lambda state: self._engine.decide(
                        state, trigger, _NO_CONTEXT, self._registry, history
                    ),
                )
            except FSMError:
                return None
            if whole is None:
                return None
            if following is not None:
                after = Node(
                    following.parallel_state,
                    tuple(following.region_states.items()),
                    _remember(history, whole),
                )
            else:
                after = self._arrive(routes[-1].target, history, whole)
            return Step(trigger, passing, after, whole.transitions)
        route = self._decide(node.state, trigger, passing, history)
        if route is None:
            return None
        step = route.result.step
        assert step is not None
        return Step(trigger, passing, self._arrive(route.target, history, step), step.transitions)

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


_NO_CONTEXT: Mapping[str, object] = {}


def _remember(history: Mapping[str, str], step: RuntimeStep | None) -> tuple[tuple[str, str], ...]:
    updated = dict(history)
    if step is not None:
        updated.update(step.history)
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
