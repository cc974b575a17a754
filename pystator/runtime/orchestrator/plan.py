"""The commit planner: an entity as loaded plus the engine's decision give the write set.

Pure: no store, scheduler or clock is touched here; the caller passes the times. Every
EntityRecord the Orchestrator writes is built by `plan`, for events, creations and falls
to the error policy's fallback state alike.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pystator.runtime.machine import StateMachine
from pystator.runtime.parallel import ParallelStateConfig
from pystator.runtime.results import TransitionResult
from pystator.runtime.session import EntitySession
from pystator.runtime.spec import InvokeSpec, MachineSpec
from pystator.runtime.steps import Configuration, Step, active_states, jump
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, Outcome
from pystator.runtime.timers import ScheduledJob, due_at, timer_changes


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity as the step found it: the stored record (None for a new one), the state
    the step started from ('' for a creation) and the states active then."""

    entity_id: str
    record: EntityRecord | None
    source: str
    active: tuple[str, ...]

    @property
    def version(self) -> int:
        return self.record.version if self.record is not None else 0


@dataclass(frozen=True, slots=True)
class Landing:
    """Where a step left the entity: state, context, history record, parallel regions."""

    state: str
    context: Mapping[str, Any]
    history: Mapping[str, str]
    parallel: ParallelStateConfig | None = None

    @classmethod
    def of(cls, session: EntitySession[Any, Any, Any]) -> Landing:
        return cls(session.current_state, session.context, session.history, session.parallel_config)


@dataclass(frozen=True, slots=True)
class WriteSet:
    """Everything one commit writes and what follows it once it succeeded.

    `record`, `entry` and `outcome` go to the store in one versioned write expecting
    `expected_version`; then the timers of `cancel` are dropped and the jobs of `arm`
    scheduled, the services of the states in `stop` stopped and those of `start` started.
    """

    record: EntityRecord
    expected_version: int
    entry: HistoryEntry
    outcome: Outcome | None
    cancel: tuple[str, ...]
    arm: tuple[ScheduledJob, ...]
    stop: tuple[str, ...]
    start: tuple[tuple[str, tuple[InvokeSpec, ...]], ...]

    @property
    def entity_id(self) -> str:
        return self.record.entity_id

    @property
    def version(self) -> int:
        """The version the write gives the entity."""
        return self.expected_version + 1

    @property
    def effects(self) -> bool:
        """Whether anything follows the commit: timers or services to stop or start."""
        return bool(self.cancel or self.arm or self.stop or self.start)


def plan(
    machine: StateMachine[Any, Any, Any],
    entity: Entity,
    landed: Landing,
    result: TransitionResult,
    *,
    key: str | None,
    error: str | None = None,
    duration_ms: float,
    stamp: str,
    now: float,
    fired: str | None = None,
) -> WriteSet:
    """The write set of `result`, decided for `entity`, which it left as `landed`.

    `key` is the event's idempotency key (its outcome is stored with the write), `stamp`
    the history row's ISO timestamp and `now` the scheduler clock timers are due from.
    `fired` is the state whose timer sent the event, if a timer did.
    """
    spec = machine.spec
    step = step_of(machine, entity, landed, result)
    left, entered = step.left, step.arrived
    read = entity.version
    version = read + 1
    timed = spec.timers
    cancel: tuple[str, ...] = ()
    arm: tuple[ScheduledJob, ...] = ()
    timers: dict[str, int] = {}
    # Positional construction throughout: this runs for every event.
    if timed:
        cancel, arming = timer_changes(spec, step)
        if fired is not None and fired in cancel and len(timed[fired]) == 1:
            # The state's one timer is the job being fired, which its scheduler handed
            # over when it fired it: nothing of that state is left to cancel.
            cancel = tuple(name for name in cancel if name != fired)
        timers = {
            name: armed
            for name, armed in current_timers(spec, entity.record).items()
            if name not in left
        }
        timers.update({name: version for name in entered if name in timed})
        arm = tuple(
            ScheduledJob(
                spec.name,
                spec.version,
                entity.entity_id,
                timer.event,
                due_at(now, timer.delay_ms),
                timer.state,
                version,
            )
            for timer in arming
        )
    record = EntityRecord(
        entity.entity_id,
        landed.state,
        dict(landed.context),
        read,
        machine.name,
        dict(landed.history),
        landed.parallel.to_string() if landed.parallel is not None else None,
        machine.version,
        spec.fingerprint,
        timers,
    )
    entry = HistoryEntry(
        entity.entity_id,
        entity.source,
        result.target_state,
        result.trigger,
        result.success,
        error,
        result.all_actions if result.success else (),
        stamp,
        duration_ms,
    )
    return WriteSet(
        record,
        read,
        entry,
        (key, outcome_of(result)) if key is not None else None,
        cancel,
        arm,
        tuple([name for name, _ in _services(machine, left)]),
        _services(machine, entered),
    )


def step_of(
    machine: StateMachine[Any, Any, Any],
    entity: Entity,
    landed: Landing,
    result: TransitionResult,
) -> Step:
    """What the commit changes: the engine's step for a stored entity; for one this commit
    stores (a creation, or a first event) or a fall to the fallback state, a step from
    every state active before to every state active after."""
    if entity.record is not None and result.step is not None:
        return result.step
    return jump(machine._states_by_name, result.trigger, entity.active, configuration(landed))


def configuration(landed: Landing) -> Configuration:
    """The states the entity is in: its state, then each region's inside a parallel one."""
    if landed.parallel is None:
        return (landed.state,)
    return (landed.state, *landed.parallel.region_states.values())


def active_in(machine: StateMachine[Any, Any, Any], record: EntityRecord | None) -> tuple[str, ...]:
    """The states active in a stored record, read without building a session: a record
    whose parallel configuration no longer parses counts its main state only."""
    if record is None:
        return ()
    regions: tuple[str, ...] = ()
    if record.parallel:
        with contextlib.suppress(ValueError):
            regions = tuple(ParallelStateConfig.from_string(record.parallel).region_states.values())
    return active_states(machine._states_by_name, (record.state, *regions))


def current_timers(spec: MachineSpec, record: EntityRecord | None) -> dict[str, int]:
    """The record's timer entries under this machine version's state names."""
    if record is None or not record.timers:
        return {}
    return {spec.current_name(name): version for name, version in record.timers.items()}


def outcome_of(result: TransitionResult) -> dict[str, Any]:
    """What an idempotency record keeps of a result, to replay it."""
    return {
        "success": result.success,
        "source_state": result.source_state,
        "target_state": result.target_state,
        "trigger": result.trigger,
        "metadata": {"reason": result.metadata.get("reason")} if not result.success else {},
    }


def _services(
    machine: StateMachine[Any, Any, Any], names: tuple[str, ...]
) -> tuple[tuple[str, tuple[InvokeSpec, ...]], ...]:
    """The states of `names` that invoke services, with their services, in that order."""
    states = machine._states_by_name
    found = []
    for name in names:
        state = states.get(name)
        if state is not None and state.invoke:
            found.append((name, state.invoke))
    return tuple(found)
