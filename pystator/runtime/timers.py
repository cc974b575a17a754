"""Timers: which timers an entity's active states arm, and scheduled work as plain data.

Shared by sessions (their pending timers), the Orchestrator (arming and cancelling timers
when a transition commits) and every scheduler (which stores and fires `ScheduledJob`s).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pystator.runtime.history import destination_state
from pystator.runtime.spec import (
    AUTO_TRIGGER,
    MAX_AUTO_CHAIN,
    MachineSpec,
    TimerSpec,
    TransitionSpec,
)

#: Timers fire no sooner than this many milliseconds after they are armed, whatever the
#: machine declares. A delayed transition back into its own state (`after: 0` on a
#: self-loop, or a guarded one the compiler cannot refuse) would otherwise fire as fast as
#: a scheduler can run it, thousands of times a second for every entity.
MIN_DELAY_MS = 10


def due_at(armed_at: float, delay_ms: int) -> float:
    """When a timer armed at `armed_at` (seconds since the epoch) with `delay_ms` is due:
    the one place every scheduled timer gets its time, so `MIN_DELAY_MS` holds for all."""
    return armed_at + max(delay_ms, MIN_DELAY_MS) / 1000.0


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    """One armed timer, as data: any replica can fire it after any restart.

    `armed_in` is the state whose timer this is; when the job is due, the entity is sent
    `event` only if that state is still active, so a timer that outlived its state is a
    no-op. `armed_version` is the entity's stored version written by the arming commit.
    """

    machine: str
    version: str
    entity_id: str
    event: str
    due_at: float
    armed_in: str
    armed_version: int = 0

    @property
    def key(self) -> str:
        """Identifies the timer slot: arming the same timer again replaces the job."""
        return "\x1f".join((self.machine, self.entity_id, self.armed_in, self.event))

    @property
    def job_id(self) -> str:
        """Identifies this arming of the timer (unique across re-entries of the state)."""
        return f"{self.key}\x1f{self.armed_version}"

    def to_json(self) -> str:
        import json  # only schedulers that persist jobs need it

        return json.dumps(
            {
                "machine": self.machine,
                "version": self.version,
                "entity_id": self.entity_id,
                "event": self.event,
                "due_at": self.due_at,
                "armed_in": self.armed_in,
                "armed_version": self.armed_version,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ScheduledJob:
        """Read `to_json()` output; anything else raises ValueError saying what is wrong."""
        import json

        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"a scheduled job must be JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("a scheduled job must be a JSON object")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduledJob:
        strings = ("machine", "version", "entity_id", "event", "armed_in")
        for name in strings:
            if not isinstance(data.get(name), str):
                raise ValueError(f"scheduled job field {name!r} must be a string")
        due_at = data.get("due_at")
        if isinstance(due_at, bool) or not isinstance(due_at, int | float):
            raise ValueError("scheduled job field 'due_at' must be a number")
        if not math.isfinite(due_at):
            raise ValueError("scheduled job field 'due_at' must be finite")
        armed_version = data.get("armed_version", 0)
        if isinstance(armed_version, bool) or not isinstance(armed_version, int):
            raise ValueError("scheduled job field 'armed_version' must be an integer")
        return cls(
            machine=data["machine"],
            version=data["version"],
            entity_id=data["entity_id"],
            event=data["event"],
            due_at=float(due_at),
            armed_in=data["armed_in"],
            armed_version=armed_version,
        )


def active_states(
    spec: MachineSpec, state: str, region_states: Iterable[str] = ()
) -> tuple[str, ...]:
    """The states active for an entity in `state` (and region states): outermost first."""
    parents = _parents(spec)
    found: list[str] = []
    for leaf in (state, *region_states):
        chain: list[str] = []
        current: str | None = leaf
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        for name in reversed(chain):
            if name not in found:
                found.append(name)
    return tuple(found)


def timers_for(spec: MachineSpec, states: Iterable[str]) -> tuple[TimerSpec, ...]:
    """The timers that `states` arm, in the order of `states`."""
    timers = spec.timers
    return tuple(timer for name in states for timer in timers.get(name, ()))


def entered_states(
    spec: MachineSpec,
    source: str,
    trigger: str,
    target: str,
    before: tuple[str, ...],
    after: tuple[str, ...],
) -> tuple[str, ...]:
    """The states a committed transition entered, re-entered ones included.

    Active states that were not active before were entered. A transition back into an
    active state (an external self-transition, one to an ancestor, one inside a region,
    or an eventless step that comes back) also leaves and enters it again; that is found
    from the transitions the table picks for the step.
    """
    entered = [name for name in after if name not in before]
    for transition, _ in _steps(spec, source, trigger, target, before, after):
        if transition.internal:
            continue
        dest = destination_state(transition.dest)
        if dest in after:
            # An external transition enters its destination and what lies below it, even
            # when the entity was there before the step (it left and came back).
            entered += [
                name for name in after[after.index(dest) :] if dest in active_states(spec, name)
            ]
    order = {name: index for index, name in enumerate(after)}
    return tuple(sorted(set(entered), key=lambda name: order.get(name, len(order))))


def _steps(
    spec: MachineSpec,
    source: str,
    trigger: str,
    target: str,
    before: tuple[str, ...],
    after: tuple[str, ...],
) -> list[tuple[TransitionSpec, str]]:
    """The transitions a step took, each with the state it left from: the one the table
    picks for `trigger` (from the state, or from a region state of a parallel state),
    then any eventless transitions that led on to `target`."""
    sources = [source, *(name for name in before if name != source)]
    for origin in sources:
        for candidate in spec.table.get(origin, {}).get(trigger, ()):
            options = [candidate, *candidate.by_history.values()]
            for option in options:
                landed = option.target
                if landed == target or (origin != source and landed in after):
                    return [(spec.transitions[option.transition], origin)]
                chain = _eventless(spec, landed, target)
                if chain is not None:
                    return [(spec.transitions[option.transition], origin), *chain]
    return []


def _eventless(
    spec: MachineSpec, start: str, target: str
) -> list[tuple[TransitionSpec, str]] | None:
    """Eventless transitions from `start` that reach `target` (first candidates only)."""
    steps: list[tuple[TransitionSpec, str]] = []
    current = start
    for _ in range(MAX_AUTO_CHAIN):
        candidates = spec.table.get(current, {}).get(AUTO_TRIGGER, ())
        if not candidates:
            return None
        steps.append((spec.transitions[candidates[0].transition], current))
        current = candidates[0].target
        if current == target:
            return steps
    return None


_PARENT_CACHE: dict[int, tuple[MachineSpec, dict[str, str | None]]] = {}


def _parents(spec: MachineSpec) -> dict[str, str | None]:
    # Specs are immutable and few; keeping the map per spec avoids rebuilding it per event.
    cached = _PARENT_CACHE.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1]
    parents = {state.name: state.parent for state in spec.states}
    if len(_PARENT_CACHE) >= 64:
        _PARENT_CACHE.clear()
    _PARENT_CACHE[id(spec)] = (spec, parents)
    return parents
