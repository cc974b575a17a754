"""The event loop of the Orchestrator, written once: replay, load, decide, commit, retry,
fall back, act. It never performs I/O; it yields the operations it needs (`Op`).

A driver (`drivers.py`) runs a loop by performing each operation, synchronously or
awaiting it, and sending back its answer or throwing its exception into the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from pystator.runtime.actions import ExecutionResult
from pystator.runtime.errors import (
    DuplicateEventError,
    FSMError,
    StaleVersionError,
)
from pystator.runtime.hooks import TransitionObserver
from pystator.runtime.machine import StateMachine
from pystator.runtime.orchestrator.cache import RecordCache
from pystator.runtime.orchestrator.plan import (
    Entity,
    Landing,
    WriteSet,
    active_in,
    current_timers,
    plan,
)
from pystator.runtime.results import TransitionResult
from pystator.runtime.scheduler.base import now
from pystator.runtime.session import EntitySession, start_session
from pystator.runtime.spec import frozen_mapping
from pystator.runtime.steps import active_states
from pystator.runtime.stores._failures import is_driver_error
from pystator.runtime.stores.base import EntityRecord
from pystator.runtime.timers import ScheduledJob
from pystator.runtime.validation import refused

ContextValidatorFn = Callable[[str, str, str, dict[str, Any]], tuple[bool, list[str]]]

#: How many lost races one event may run into before StaleVersionError is raised.
MAX_CONFLICTS = 16

#: The trigger recorded in the history when an entity is created without an event.
CREATE_TRIGGER = "_create"

Session = EntitySession[Any, Any, Any]
R = TypeVar("R")


# -- the operations a loop asks its driver for ------------------------------------------


@dataclass(frozen=True, slots=True)
class Load:
    """The entity's record, and the stored outcome of its event `key` when a key is given:
    (record, None), or (None or the record, outcome) if that event was processed before."""

    entity_id: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Decide:
    """`session.send(trigger, **payload)`, awaiting async guards in the async driver."""

    session: Session
    trigger: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Save:
    """The write set's versioned write. With `expected`, the record the write was decided
    from, kept since an earlier commit instead of read: the stored entity must still equal
    it. The answer is the record as stored, or None from a store that does not return it."""

    write: WriteSet
    expected: EntityRecord | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait before the next attempt."""

    seconds: float


@dataclass(frozen=True, slots=True)
class AfterCommit:
    """Cancel and arm timers, stop and start services; the answer lists what failed."""

    write: WriteSet
    context: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Act:
    """Run the result's actions; the answer is their ExecutionResult."""

    result: TransitionResult
    context: Mapping[str, Any]


Op = Load | Decide | Save | Pause | AfterCommit | Act
Loop = Generator[Op, Any, R]

#: A decision: the result, the session it left, its write (None: nothing to write) and the
#: observer's start time (None: the engine was not asked, and the observer is not told).
Decided = tuple[TransitionResult, Session, WriteSet | None, float | None]

#: An attempt's result, the session it left and what it wrote.
Attempt = tuple[TransitionResult, Session, WriteSet | None]


@dataclass(frozen=True, slots=True)
class Event:
    """One event to process; `timer` is the scheduled job that sent it, if one did."""

    entity_id: str
    trigger: str
    payload: Mapping[str, Any]
    key: str | None = None
    timer: ScheduledJob | None = None


@dataclass(slots=True)
class Tries:
    """The attempts an event has used: lost races, and unexpected failures."""

    conflicts: int = 0
    failures: int = 0


@dataclass(frozen=True, slots=True)
class Rules:
    """What the loop needs to know of its Orchestrator."""

    machine: StateMachine[Any, Any, Any]
    context_validator: ContextValidatorFn | None = None
    observer: TransitionObserver | None = None
    use_initial_state_when_missing: bool = True
    retry_base_delay: float = 0.01
    #: The records this Orchestrator committed last, when its store compares whole records.
    cache: RecordCache | None = None

    def delay(self, attempt: int) -> float:
        return float(min(1.0, self.retry_base_delay * (2 ** (attempt - 1))))

    # -- processing an event ------------------------------------------------------------

    def process(self, event: Event) -> Loop[TransitionResult]:
        """Replay the event if its key was seen, else decide and commit it, retrying lost
        races and, under the error policy, unexpected failures; then run its actions."""
        # The first attempt decides from the read that looked for the event's outcome, or
        # from the entity's kept record: a key stored before then fails the write instead.
        loaded: tuple[EntityRecord | None] | None = None
        cache = self.cache
        if event.key is not None and (cache is None or cache.get(event.entity_id) is None):
            record, seen = yield Load(event.entity_id, event.key)
            if seen is not None:
                return replayed(seen)
            loaded = (record,)
        tries = Tries()
        while True:
            try:
                result, session, write = yield from self._attempt(event, loaded)
                break
            except DuplicateEventError:
                self.forget(event.entity_id)
                # Another replica committed this very event while we decided: theirs stands.
                key = event.key
                seen = None if key is None else (yield Load(event.entity_id, key))[1]
                if seen is None:
                    raise
                return replayed(seen)
            except Exception as exc:
                self.forget(event.entity_id)
                loaded = None
                wait = self.retry(exc, tries)
                if wait is None:
                    return (yield from self._fall_back(event, exc))
                yield Pause(wait)
        if write is not None and write.effects:
            result = with_problems(result, (yield AfterCommit(write, session.context)))
        if result.success and result.all_actions:
            execution = yield Act(result, dict(session.context))
            result = with_action_errors(result, execution)
        return result

    def retry(self, exc: Exception, tries: Tries) -> float | None:
        """How long to wait before trying again after `exc`, or None to fall back to the
        error policy's fallback state; `exc` itself when it must reach the caller."""
        if isinstance(exc, StaleVersionError):
            tries.conflicts += 1
            if tries.conflicts > MAX_CONFLICTS:
                raise exc
            return self.delay(tries.conflicts)
        if isinstance(exc, FSMError) or is_driver_error(exc):
            # FSMError includes StoreError: the database failed, not the entity. A driver's
            # own error, as from a custom store, is neither retried (a write may have
            # committed) nor sent to the fallback state (whose write needs the same
            # database); it leaves as StoreError.
            raise exc
        # An unexpected failure: the error policy decides.
        tries.failures += 1
        if tries.failures > self.machine.spec.error_policy.retry_attempts:
            return None
        return self.delay(tries.failures)

    def forget(self, entity_id: str) -> None:
        """Stop deciding `entity_id` from its kept record: what it holds is unknown now."""
        if self.cache is not None:
            self.cache.drop(entity_id)

    def _attempt(self, event: Event, loaded: tuple[EntityRecord | None] | None) -> Loop[Attempt]:
        """Decide the event and commit the decision: from the entity's kept record when it
        has one and nothing was read yet, else from the record `loaded` or a fresh read."""
        kept = None
        if loaded is None and self.cache is not None:
            kept = self.cache.get(event.entity_id)
        if kept is not None:
            confirmed = yield from self._from_kept(event, kept)
            if confirmed is not None:
                return confirmed
            self.forget(event.entity_id)
            if event.key is not None:
                record, seen = yield Load(event.entity_id, event.key)
                if seen is not None:
                    return replayed(seen), _blank(self.machine), None
                loaded = (record,)
        record = loaded[0] if loaded is not None else (yield Load(event.entity_id))[0]
        decided = yield from self._decide(event, record)
        return (yield from self._commit(decided, None))

    def _from_kept(self, event: Event, kept: EntityRecord) -> Loop[Attempt | None]:
        """The event decided from the entity's kept record and committed; None when it must
        be decided again from the stored entity. Only a write confirms such a decision: a
        refusal, a failure or a stale timer might be an outdated record's, and a write that
        finds the entity changed lost no race, so it is tried again at once."""
        try:
            decided = yield from self._decide(event, kept)
        except Exception:
            return None
        if decided[2] is None:
            return None
        try:
            return (yield from self._commit(decided, kept))
        except StaleVersionError:
            return None

    def _commit(self, decided: Decided, kept: EntityRecord | None) -> Loop[Attempt]:
        """Write the decision, if it has a write, keep the record written, tell the observer."""
        result, session, write, started = decided
        if write is not None:
            stored = yield Save(write, kept)
            if self.cache is not None and stored is not None:
                self.cache.put(stored)
        if self.observer is not None and started is not None:
            self.observer.after_transition(result, dict(session.context), started)
        return result, session, write

    def _decide(self, event: Event, record: EntityRecord | None) -> Loop[Decided]:
        """The engine's decision on the event for the entity as `record` holds it, and the
        write that commits it (None when nothing is to be written)."""
        timer = event.timer
        if timer is not None and record is None:
            return stale(event, "", timer.armed_in), _blank(self.machine), None, None
        session = self.session_of(event.entity_id, record)
        entity = Entity(
            event.entity_id,
            record,
            session.current_state,
            self.active(session) if record is not None else (),
        )
        armed_in = ""
        if timer is not None:
            armed_in = self.machine.spec.current_name(timer.armed_in)
            entry = current_timers(self.machine.spec, record).get(armed_in)
            # The timer belongs to one entry of its state: if the entity left the state, or
            # left and entered it again since, this job is not the state's timer any more.
            if armed_in not in entity.active or entry != timer.armed_version:
                return stale(event, entity.source, timer.armed_in), session, None, None
        merged: dict[str, Any] = {}
        if self.context_validator is not None or self.machine._rules is not None:
            merged = {**session.context, **event.payload}
            refused = self.validate(event.entity_id, session.current_state, event.trigger, merged)
            if refused is not None:
                return refused, session, None, None
        started = time.perf_counter()
        if self.observer is not None:
            merged = merged or {**session.context, **event.payload}
            self.observer.before_process(event.entity_id, entity.source, event.trigger, merged)
            started = self.observer.before_transition(entity.source, event.trigger, merged)
        result: TransitionResult = yield Decide(session, event.trigger, event.payload)
        if not result.success:
            return result, session, None, started
        write = plan(
            self.machine,
            entity,
            Landing.of(session),
            result,
            key=event.key,
            duration_ms=(time.perf_counter() - started) * 1000.0,
            stamp=datetime.now(UTC).isoformat(),
            now=now(),
            fired=armed_in if timer is not None else None,
        )
        return result, session, write, started

    def _fall_back(self, event: Event, exc: Exception) -> Loop[TransitionResult]:
        """Move the entity to the error policy's fallback state, recording why."""
        fallback = self.machine.spec.error_policy.default_fallback
        entity_id, trigger = event.entity_id, event.trigger
        error = FSMError(
            f"processing {trigger!r} for entity {entity_id!r} failed: {type(exc).__name__}: {exc}",
            {"entity_id": entity_id, "trigger": trigger},
        )
        if fallback is None:
            raise error from exc
        record: EntityRecord | None
        record, _ = yield Load(entity_id)
        source = record.state if record is not None else self.machine.get_initial_state()
        context = {**(record.context if record is not None else {}), "_error": str(error)}
        result = TransitionResult(
            success=False,
            source_state=source,
            target_state=fallback,
            trigger=trigger,
            error=error,
            metadata=frozen_mapping({"reason": "error_fallback", "fallback_state": fallback}),
        )
        entity = Entity(entity_id, record, source, active_in(self.machine, record))
        history = record.history if record is not None else {}
        write = plan(
            self.machine,
            entity,
            Landing(fallback, context, history),
            result,
            key=None,
            error=str(error),
            duration_ms=0.0,
            stamp=datetime.now(UTC).isoformat(),
            now=now(),
        )
        stored = yield Save(write)
        if self.cache is not None and stored is not None:
            self.cache.put(stored)
        if not write.effects:
            return result
        return with_problems(result, (yield AfterCommit(write, context)))

    # -- creating an entity -------------------------------------------------------------

    def create(self, entity_id: str, payload: Mapping[str, Any]) -> Loop[EntityRecord]:
        """Store a new entity in the initial state, then arm its timers and services."""
        session = self.machine.create(payload)
        result = TransitionResult.success_result("", session.current_state, CREATE_TRIGGER)
        write = plan(
            self.machine,
            Entity(entity_id, None, "", ()),
            Landing.of(session),
            result,
            key=None,
            duration_ms=0.0,
            stamp=datetime.now(UTC).isoformat(),
            now=now(),
        )
        try:
            stored = yield Save(write)
        except StaleVersionError:
            raise FSMError(
                f"entity {entity_id!r} already exists", {"entity_id": entity_id}
            ) from None
        if self.cache is not None and stored is not None:
            self.cache.put(stored)
        if write.effects:
            yield AfterCommit(write, session.context)
        return write.record.evolve(version=write.version)

    # -- steps ----------------------------------------------------------------------------

    def active(self, session: Session) -> tuple[str, ...]:
        """The states active in `session`: its state, with the regions' of a parallel one."""
        state, parallel = session.current_state, session.parallel_config
        states = (state,) if parallel is None else (state, *parallel.region_states.values())
        return active_states(self.machine._states_by_name, states)

    def session_of(self, entity_id: str, record: EntityRecord | None) -> Session:
        """The session of a loaded entity; a missing one starts in the initial state."""
        machine = self.machine
        if record is None:
            if not self.use_initial_state_when_missing:
                raise FSMError(
                    f"entity {entity_id!r} is not in the store and "
                    "use_initial_state_when_missing is off",
                    {"entity_id": entity_id},
                )
            return _blank(machine)
        if record.machine_name and record.machine_name != machine.name:
            raise FSMError(
                f"entity {entity_id!r} belongs to machine {record.machine_name!r}, "
                f"not {machine.name!r}",
                {"entity_id": entity_id, "machine_name": record.machine_name},
            )
        return EntitySession.from_record(machine, record)

    def validate(
        self, entity_id: str, state: str, trigger: str, merged: dict[str, Any]
    ) -> TransitionResult | None:
        """A failure result when the context validator or the required variables refuse
        the event's context; None when it may be decided."""
        errors: list[str] = []
        if self.context_validator is not None:
            ok, found = self.context_validator(entity_id, state, trigger, merged)
            if not ok:
                errors = list(found) or ["context rejected"]
        rules = self.machine._rules
        if not errors and rules is not None:
            errors = rules.problems(trigger, merged)
        if not errors:
            return None
        return TransitionResult.failure_result(
            state,
            trigger,
            refused(errors),
            {"reason": "context_validation", "errors": errors},
        )


def replayed(seen: Mapping[str, Any]) -> TransitionResult:
    """The result an idempotency record stored, marked as replayed."""
    return TransitionResult(
        success=bool(seen["success"]),
        source_state=str(seen["source_state"]),
        target_state=seen["target_state"],
        trigger=str(seen["trigger"]),
        metadata=frozen_mapping({**seen["metadata"], "replayed": True}),
    )


def stale(event: Event, state: str, armed_in: str) -> TransitionResult:
    """The no-op result of a timer whose state was left (or left and entered again)."""
    return TransitionResult(
        success=True,
        source_state=state,
        target_state=state or None,
        trigger=event.trigger,
        metadata=frozen_mapping(
            {
                "no_op": True,
                "reason": "stale_timer",
                "armed_in": armed_in,
                "entity_id": event.entity_id,
            }
        ),
    )


def with_problems(result: TransitionResult, problems: list[str]) -> TransitionResult:
    """`result` reporting what failed after its commit, if anything did."""
    if not problems:
        return result
    return replace(
        result, metadata=frozen_mapping({**result.metadata, "after_commit_errors": problems})
    )


def with_action_errors(result: TransitionResult, execution: ExecutionResult) -> TransitionResult:
    """`result` reporting the actions that failed, if any did."""
    if not execution.errors:
        return result
    errors = [str(error) for error in execution.errors]
    return replace(result, metadata=frozen_mapping({**result.metadata, "action_errors": errors}))


def _blank(machine: StateMachine[Any, Any, Any]) -> Session:
    """A session for an entity the store lacks, started for an event. The event's context
    is validated with the entity's, so the empty one is not refused first."""
    session: Session = start_session(machine, validate=False)
    return session
