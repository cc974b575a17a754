"""Parallel states: the configuration of an entity inside one, and events across regions.

Each region's transitions are ordinary table rows; this module moves every region that has
a transition for the event, or leaves the parallel state when none does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pystator.runtime.engine import Engine
from pystator.runtime.errors import FSMError
from pystator.runtime.guards import GuardRegistry
from pystator.runtime.results import TransitionResult
from pystator.runtime.routes import Route
from pystator.runtime.spec import ActionSpec, StateSpec, frozen_mapping
from pystator.runtime.steps import Step


@dataclass(frozen=True, slots=True)
class ParallelStateConfig:
    """Which state each region of a parallel state is in."""

    parallel_state: str
    region_states: dict[str, str] = field(default_factory=dict)

    def get_region_state(self, region: str) -> str | None:
        return self.region_states.get(region)

    def is_in_state(self, state: str) -> bool:
        return state == self.parallel_state or state in self.region_states.values()

    def get_all_active(self) -> list[str]:
        """The parallel state and the active state of every region."""
        return [self.parallel_state, *self.region_states.values()]

    def to_string(self) -> str:
        """`active:trading=scanning,risk=normal`; `from_string` reads it back."""
        regions = ",".join(f"{region}={state}" for region, state in self.region_states.items())
        return f"{self.parallel_state}:{regions}"

    @classmethod
    def from_string(cls, text: str) -> ParallelStateConfig:
        if not isinstance(text, str) or ":" not in text:
            raise ValueError(f"{text!r} is not a parallel configuration like 'p:region=state'")
        parallel, _, body = text.partition(":")
        regions: dict[str, str] = {}
        for part in filter(None, body.split(",")):
            region, equals, state = part.partition("=")
            if not equals or not region or not state:
                raise ValueError(f"{part!r} in {text!r} is not 'region=state'")
            regions[region] = state
        return cls(parallel, regions)


def enter(spec_state: StateSpec) -> ParallelStateConfig:
    """The configuration on entering a parallel state: every region in its initial state."""
    return ParallelStateConfig(
        spec_state.name, {region.name: region.initial for region in spec_state.regions}
    )


def problems(states: Mapping[str, StateSpec], config: Any) -> list[str]:
    """What is wrong with a configuration for this machine; empty when it is valid."""
    if not isinstance(config, ParallelStateConfig):
        return [f"expected a ParallelStateConfig, got {type(config).__name__}"]
    parallel = states.get(config.parallel_state)
    if parallel is None or not parallel.is_parallel:
        return [f"{config.parallel_state!r} is not a parallel state"]
    found = []
    regions = {region.name: region for region in parallel.regions}
    for name, state in config.region_states.items():
        if name not in regions:
            found.append(f"{name!r} is not a region of {config.parallel_state!r}")
        elif state not in regions[name].states:
            found.append(f"{state!r} is not a state of region {name!r}")
    for name in regions.keys() - config.region_states.keys():
        found.append(f"region {name!r} has no state")
    return found


def exit_actions(
    states: Mapping[str, StateSpec], config: ParallelStateConfig
) -> tuple[ActionSpec, ...]:
    """Exit actions of every region's active state, in region order (the parallel state's
    own exit actions follow them when it is left)."""
    return tuple(
        action for state in config.region_states.values() for action in states[state].on_exit
    )


Decide = Callable[[str], Route | TransitionResult]

#: What one event does to a configuration: the configuration after it (None when the
#: entity left the parallel state for an ordinary one), the results of the regions that
#: moved (or the one result of leaving, or the failure), the routes that fired, and the
#: event's whole step (None when nothing fired).
Outcome = tuple[ParallelStateConfig | None, list[TransitionResult], list[Route], Step | None]


def step(
    engine: Engine,
    states: Mapping[str, StateSpec],
    config: ParallelStateConfig,
    decide: Decide,
) -> Outcome:
    """One event for a configuration.

    Every region with a transition for the event moves. When none does, the parallel
    state's own transitions apply (leaving it), after the regions' states are exited.
    """
    invalid = problems(states, config)
    if invalid:
        raise FSMError("invalid parallel configuration: " + "; ".join(invalid))
    source = (config.parallel_state, *config.region_states.values())
    moved = dict(config.region_states)
    results: list[TransitionResult] = []
    routes: list[Route] = []
    failures: list[TransitionResult] = []
    for region, current in config.region_states.items():
        decision = decide(current)
        if isinstance(decision, Route):
            moved[region] = decision.target
            results.append(decision.result)
            routes.append(decision)
        else:
            failures.append(decision)
    if results:
        micro = (m for r in results if r.step is not None for m in r.step.micro_steps)
        whole = Step.of(results[0].trigger, source, (config.parallel_state, *moved.values()), micro)
        return ParallelStateConfig(config.parallel_state, moved), results, routes, whole
    decision = decide(config.parallel_state)
    if isinstance(decision, Route):
        left = decision.result
        whole = _leaving(states, config, source, left)
        result = replace(
            left,
            on_exit_actions=exit_actions(states, config) + left.on_exit_actions,
            step=whole,
        )
        target = states[decision.target]
        return enter(target) if target.is_parallel else None, [result], [decision], whole
    rejected = next(
        (f for f in (*failures, decision) if f.metadata.get("reason") == "guard_rejected"), None
    )
    return config, [rejected or decision], [], None


def _leaving(
    states: Mapping[str, StateSpec],
    config: ParallelStateConfig,
    source: tuple[str, ...],
    left: TransitionResult,
) -> Step:
    """The step of leaving the parallel state: every region's states are exited (in region
    order) before the parallel state's own transition exits the rest."""
    assert left.step is not None
    parallel_state = config.parallel_state
    regions: list[str] = []
    for leaf in config.region_states.values():
        chain = (leaf, *states[leaf].ancestors)
        regions += chain[: chain.index(parallel_state)] if parallel_state in chain else chain
    first, *rest = left.step.micro_steps
    first = replace(
        first,
        exited=(*regions, *first.exited),
        actions=exit_actions(states, config) + first.actions,
    )
    return Step.of(left.trigger, source, left.step.target, (first, *rest))


def combine(
    before: ParallelStateConfig,
    after: ParallelStateConfig | None,
    results: list[TransitionResult],
    whole: Step | None = None,
) -> TransitionResult:
    """One result for an event in a parallel state: the one result when a single region
    moved (or the state was left), else one for every region that moved (in region order)."""
    if len(results) == 1:
        only = results[0]
        return only if whole is None or only.step is whole else replace(only, step=whole)
    moved = {
        region: (before.region_states[region], state)
        for region, state in (after.region_states.items() if after else ())
        if before.region_states.get(region) != state
    }
    return TransitionResult(
        success=True,
        source_state=before.parallel_state,
        target_state=after.parallel_state if after else results[0].target_state,
        trigger=results[0].trigger,
        actions_to_execute=tuple(a for r in results for a in r.all_action_specs),
        metadata=frozen_mapping({"regions": moved}),
        step=whole,
    )


def sync_decider(
    engine: Engine, trigger: str, context: Mapping[str, Any] | None, registry: GuardRegistry
) -> Decide:
    return lambda state: engine.decide(state, trigger, context, registry)
