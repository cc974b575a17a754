"""Routes: each candidate transition of a machine made ready to take, with its prebuilt
result; the engine builds them once per machine and decides among them per event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pystator.runtime.actions import compile_effects, set_values
from pystator.runtime.guards import Predicate
from pystator.runtime.results import TransitionResult
from pystator.runtime.spec import GuardSpec, frozen_mapping
from pystator.runtime.steps import Step

# A guard ready to call: (fixed predicate or None, registry name, params or None, label).
# A plain tuple because the engine unpacks it on every event.
BoundGuard = tuple[Predicate | None, str, dict[str, Any] | None, str]


def bind_guard(spec: GuardSpec, predicate: Predicate | None) -> BoundGuard:
    return (predicate, spec.name or "", dict(spec.params) if spec.params else None, spec.label)


class Route:
    """One candidate transition for a (state, trigger) pair, with its success result."""

    # What the per-event paths read first, so that it shares the object's first cache line.
    __slots__ = (  # noqa: RUF023
        "test",
        "target",
        "sets",
        "apply_effects",
        "rare",
        "result",
        "orelse",
        "autos",
        "by_history",
        "enters_parallel",
        "guards",
        "history_of",
        "plain",
        "remembers",
    )

    def __init__(
        self, guards: tuple[BoundGuard, ...], result: TransitionResult, target: str
    ) -> None:
        self.guards = guards
        # The route's one guard when that is a built-in predicate (a pure function of the
        # context, so asking it twice is harmless); None when the route has no guard.
        self.test: Predicate | None = None
        if len(guards) == 1 and guards[0][0] is not None and guards[0][2] is None:
            self.test = guards[0][0]
        self.result = result
        self.target = target
        self.apply_effects = compile_effects(result.all_action_specs)
        # The values `apply_effects` sets when that is all it does: per-event callers
        # update the context with them instead of calling it.
        self.sets = set_values(result.all_action_specs)
        # Eventless transitions out of `target`, which fire as soon as it is entered.
        self.autos: tuple[Route, ...] | None = None
        self.remembers: tuple[tuple[str, str], ...] = ()
        self.history_of: str | None = None
        self.by_history: dict[str, Route] | None = None
        # True when the route needs no history lookup and starts no eventless chain.
        self.plain = True
        self.enters_parallel = False
        # True when taking the route records history or enters a parallel state.
        self.rare = False
        # In the fast table: the route to try when this one's test fails, if any.
        self.orelse: Route | None = None


def chained(chain: list[Route]) -> Route:
    """One route standing for a transition and the eventless ones that followed it."""
    first = chain[0].result
    later = tuple(spec for route in chain[1:] for spec in route.result.all_action_specs)
    metadata = dict(first.metadata)
    metadata["auto_chain"] = tuple(route.target for route in chain[1:])
    last = chain[-1].result.step
    assert last is not None
    step = Step.of(
        first.trigger,
        (first.source_state,),
        last.target,
        (m for route in chain if route.result.step for m in route.result.step.micro_steps),
    )
    # The later steps happen after the first target was entered, so they extend the enter
    # phase; all_actions keeps the exact order exit, transition, enter, exit, ...
    result = TransitionResult(
        success=True,
        source_state=first.source_state,
        target_state=chain[-1].target,
        trigger=first.trigger,
        actions_to_execute=first.actions_to_execute,
        on_exit_actions=first.on_exit_actions,
        on_enter_actions=first.on_enter_actions + later,
        metadata=frozen_mapping(metadata),
        step=step,
    )
    route = Route((), result, chain[-1].target)
    route.enters_parallel = chain[-1].enters_parallel
    route.remembers = tuple(pair for step in chain for pair in step.remembers)
    route.rare = bool(route.remembers) or route.enters_parallel
    return route


_Slotted = TypeVar("_Slotted", Route, TransitionResult)


def fresh(item: _Slotted) -> _Slotted:
    """A copy of `item`, an object of a slotted class (frozen or not), made now."""
    twin = object.__new__(type(item))
    for name in type(item).__slots__:
        object.__setattr__(twin, name, getattr(item, name))
    return twin


def tested(route: Route) -> bool:
    """True if `route.test` alone decides whether the route's guards pass."""
    return route.test is not None if route.guards else True


def recall(route: Route, history: Mapping[str, str] | None) -> Route:
    """The variant of a history route that the entity's record selects."""
    if route.by_history is None or not history or route.history_of is None:
        return route
    remembered = history.get(route.history_of)
    if remembered is None:
        return route
    return route.by_history.get(remembered, route)
