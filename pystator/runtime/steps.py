"""Steps: what one event did to an entity, as a frozen value built from `lower`'s tables.

Timers, invoked services, the Orchestrator and the generator's path search read a `Step`
instead of working out again which states an event exited and entered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pystator.runtime.spec import ActionSpec, StateSpec

#: Where an entity is: its current state, then (inside a parallel state) the active state of
#: each region in region order.
Configuration = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MicroStep:
    """One transition taken: the state it fired from, the states it exited (innermost
    first) and entered (outermost first), its actions in execution order, and the
    (compound state, leaf) pairs the entity's history records."""

    transition: int
    source: str
    target: str
    exited: tuple[str, ...] = ()
    entered: tuple[str, ...] = ()
    actions: tuple[ActionSpec, ...] = ()
    remembers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """Everything one event did: a macro step made of the micro steps it took.

    An event fires one transition (or one per region of a parallel state), then the
    eventless transitions that follow; each is a micro step. `exited_states` and
    `entered_states` list every exit and entry in the order they happen, so a state left
    and entered again appears in both. `left` and `arrived` are the net change: states
    active before the step that it exited (innermost first), and states active after it
    that it entered (outermost first) — a state passed through on the way is in neither.
    """

    trigger: str
    source: Configuration
    target: Configuration
    micro_steps: tuple[MicroStep, ...]
    transitions: tuple[int, ...]
    exited_states: tuple[str, ...]
    entered_states: tuple[str, ...]
    actions: tuple[ActionSpec, ...]
    history: tuple[tuple[str, str], ...]
    left: tuple[str, ...]
    arrived: tuple[str, ...]

    @classmethod
    def of(
        cls,
        trigger: str,
        source: Configuration,
        target: Configuration,
        micro_steps: Iterable[MicroStep],
    ) -> Step:
        micro = tuple(micro_steps)
        exited = tuple(name for m in micro for name in m.exited)
        entered = tuple(name for m in micro for name in m.entered)
        if len(micro) == 1:
            left, arrived = exited, entered
        else:
            left, arrived = _net(micro)
        return cls(
            trigger=trigger,
            source=source,
            target=target,
            micro_steps=micro,
            transitions=tuple(m.transition for m in micro),
            exited_states=exited,
            entered_states=entered,
            actions=tuple(action for m in micro for action in m.actions),
            history=tuple(pair for m in micro for pair in m.remembers),
            left=left,
            arrived=arrived,
        )


def _net(micro: tuple[MicroStep, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(states exited that were active before the step, states entered that are active
    after it), each in the order of their first exit / last entry."""
    left: dict[str, None] = {}
    entered_first: set[str] = set()
    last: dict[str, bool] = {}
    for m in micro:
        for name in m.exited:
            if name not in entered_first:
                left.setdefault(name, None)
            last[name] = False
        for name in m.entered:
            entered_first.add(name)
            last.pop(name, None)
            last[name] = True
    return tuple(left), tuple(name for name, entered in last.items() if entered)


def active_states(states: Mapping[str, StateSpec], configuration: Iterable[str]) -> tuple[str, ...]:
    """Every state active in `configuration`: each state there with its ancestors,
    outermost first, from the ancestors `lower` recorded."""
    found: dict[str, None] = {}
    for name in configuration:
        state = states.get(name)
        chain = (*reversed(state.ancestors), name) if state is not None else (name,)
        for each in chain:
            found.setdefault(each, None)
    return tuple(found)


def jump(
    states: Mapping[str, StateSpec],
    trigger: str,
    source: Configuration,
    target: Configuration,
    transition: int = -1,
) -> Step:
    """A step that leaves every state of `source` and enters every state of `target`,
    as creating an entity (from an empty configuration) or a fallback does."""
    exited = tuple(reversed(active_states(states, source)))
    entered = active_states(states, target)
    origin = source[0] if source else ""
    micro = MicroStep(transition, origin, target[0] if target else "", exited, entered)
    return Step.of(trigger, source, target, (micro,))
