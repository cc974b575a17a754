"""Timers: which timers a step cancels and arms, and scheduled work as plain data.

Shared by sessions (their pending timers), the Orchestrator (arming and cancelling timers
when a transition commits) and every scheduler (which stores and fires `ScheduledJob`s).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pystator.runtime.spec import MachineSpec, TimerSpec
from pystator.runtime.steps import Step

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


def timers_for(spec: MachineSpec, states: Iterable[str]) -> tuple[TimerSpec, ...]:
    """The timers that `states` arm, in the order of `states`."""
    timers = spec.timers
    return tuple(timer for name in states for timer in timers.get(name, ()))


def timer_changes(spec: MachineSpec, step: Step) -> tuple[tuple[str, ...], tuple[TimerSpec, ...]]:
    """What `step` does to an entity's timers: the states whose timers it cancels (those it
    left) and the timers it arms (those of the states it entered), read from the step."""
    timers = spec.timers
    return tuple(name for name in step.left if name in timers), timers_for(spec, step.arrived)
