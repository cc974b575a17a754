"""Orchestrator: load -> decide -> commit -> act for entities kept in a state store.

Actions run only after the commit succeeded; a write that lost a race is retried from a
fresh load; the machine's error policy retries unexpected failures with exponential
backoff and then moves the entity to its fallback state; a failing store or database is not the
entity's failure and raises StoreError instead. After a commit, the timers of
the states left are cancelled and those of the states entered are armed on the scheduler,
and invoked services are stopped and started.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pystator.runtime.actions import ActionExecutor, ActionRegistry, ExecutionResult
from pystator.runtime.errors import (
    ConfigurationError,
    DuplicateEventError,
    FSMError,
    StaleVersionError,
    ValidationError,
)
from pystator.runtime.guards import GuardRegistry
from pystator.runtime.hooks import TransitionObserver
from pystator.runtime.ids import check_entity_id, check_idempotency_key, check_machine_name
from pystator.runtime.invoke import InvokeAdapter, call_adapter
from pystator.runtime.machine import StateMachine
from pystator.runtime.parallel import ParallelStateConfig
from pystator.runtime.results import TransitionResult
from pystator.runtime.scheduler.base import Scheduler, now
from pystator.runtime.session import EntitySession
from pystator.runtime.spec import MachineSpec, after_trigger, frozen_mapping, timeout_trigger
from pystator.runtime.steps import Configuration, Step, active_states, jump
from pystator.runtime.stores._codec import storable_mapping
from pystator.runtime.stores._failures import (
    araising_store_errors,
    is_driver_error,
    raising_store_errors,
)
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, VersionedStateStore
from pystator.runtime.timers import ScheduledJob, due_at, timer_changes

ContextValidatorFn = Callable[[str, str, str, dict[str, Any]], tuple[bool, list[str]]]

MAX_CONFLICTS = 16

#: The trigger recorded in the history when an entity is created without an event.
CREATE_TRIGGER = "_create"

#: How many timer outcomes `Orchestrator.timer_log` keeps.
TIMER_LOG_SIZE = 10_000

logger = logging.getLogger("pystator.orchestrator")


@dataclass(frozen=True, slots=True)
class TimerOutcome:
    """What firing one scheduled job did: a transition, or a no-op for a stale timer."""

    job: ScheduledJob
    result: TransitionResult
    fired_at: float

    @property
    def stale(self) -> bool:
        return self.result.metadata.get("reason") == "stale_timer"


@dataclass(frozen=True, slots=True)
class _Commit:
    """What a committed event changed, for arming timers and starting services."""

    entity_id: str
    step: Step
    version: int


class Orchestrator:
    """Processes events for the entities of one machine, persisting them in `state_store`.

    An entity is the machine's name and an id: machines sharing a store never see each
    other's entities, histories, idempotency records or timers.
    """

    def __init__(
        self,
        machine: StateMachine[Any, Any, Any],
        state_store: VersionedStateStore,
        guards: GuardRegistry | None = None,
        actions: ActionRegistry | None = None,
        context_validator: ContextValidatorFn | None = None,
        scheduler: Scheduler | None = None,
        use_initial_state_when_missing: bool = True,
        observer: TransitionObserver | None = None,
        invoke_adapter: InvokeAdapter | None = None,
        *,
        retry_base_delay: float = 0.01,
    ) -> None:
        if not isinstance(machine, StateMachine):
            raise TypeError(f"machine must be a StateMachine, got {type(machine).__name__}")
        for method in ("load", "save", "history"):
            if not callable(getattr(state_store, method, None)):
                raise TypeError(
                    f"{type(state_store).__name__} is not a versioned state store (no {method}())"
                )
        if not _takes(state_store.load, "machine_name"):
            raise TypeError(
                f"{type(state_store).__name__}.load() takes no machine_name: a versioned store "
                "addresses an entity by machine and id, load(entity_id, *, machine_name)"
            )
        check_machine_name(machine.name)
        scope = getattr(state_store, "machine_name", None)
        if isinstance(scope, str) and scope != machine.name:
            raise ConfigurationError(
                f"the store is scoped to machine {scope!r}, not {machine.name!r}: give this "
                "Orchestrator a store of its own machine, or one without machine_name"
            )
        self.machine = machine
        self.store = state_store
        # Stores that take `outcome` write the idempotency record in the commit itself, so
        # two replicas racing with one event cannot both apply it.
        self._atomic_outcomes = _takes(state_store.save, "outcome")
        if guards is not None:
            machine.bind(guards=guards)
        self.actions = actions if actions is not None else machine.action_registry
        self.executor = ActionExecutor(self.actions)
        self.context_validator = context_validator
        if scheduler is not None:
            for method in ("register", "schedule", "cancel"):
                if not callable(getattr(scheduler, method, None)):
                    raise TypeError(
                        f"{type(scheduler).__name__} is not a scheduler (no {method}())"
                    )
            scheduler.register(machine.name, self.fire)
        self.scheduler = scheduler
        if invoke_adapter is not None:
            for method in ("start_services", "stop_services"):
                if not callable(getattr(invoke_adapter, method, None)):
                    raise TypeError(
                        f"{type(invoke_adapter).__name__} is not an invoke adapter (no {method}())"
                    )
        self.invoke_adapter = invoke_adapter
        self.use_initial_state_when_missing = use_initial_state_when_missing
        self.observer = observer
        self.retry_base_delay = retry_base_delay
        #: The latest outcomes of fired timers, oldest first.
        self.timer_log: deque[TimerOutcome] = deque(maxlen=TIMER_LOG_SIZE)

    # -- the loop -----------------------------------------------------------------------

    @raising_store_errors
    def process_event(
        self,
        entity_id: str,
        trigger: str,
        context: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TransitionResult:
        """Load the entity, decide, commit, then run the transition's actions."""
        payload = _check_arguments(entity_id, trigger, context, idempotency_key)
        self._refuse_sync()
        replay = self._replay(idempotency_key, entity_id)
        if replay is not None:
            return replay
        conflicts = failures = 0
        while True:
            try:
                result, session, commit = self._decide_and_commit(
                    entity_id, trigger, payload, idempotency_key
                )
                break
            except DuplicateEventError:
                # Another replica committed this very event while we decided: theirs stands.
                replay = self._replay(idempotency_key, entity_id)
                if replay is None:
                    raise
                return replay
            except StaleVersionError:
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise
                time.sleep(self._delay(conflicts))
            except FSMError:
                raise  # StoreError included: the database failed, not the entity
            except Exception as exc:  # an unexpected failure: the error policy decides
                if is_driver_error(exc):
                    # A database driver's own error, as from a custom store: neither retried
                    # (a write may have committed) nor sent to the fallback state (whose
                    # write needs the same database). Raised as StoreError on the way out.
                    raise
                failures += 1
                if failures <= self.machine.spec.error_policy.retry_attempts:
                    time.sleep(self._delay(failures))
                    continue
                fallen, moved, fallback_session = self._fall_back(entity_id, trigger, exc)
                return _with_problems(
                    fallen, self._sync_after_commit(moved, fallback_session, fallen)
                )
        if commit is not None:
            result = _with_problems(result, self._sync_after_commit(commit, session, result))
        return self._act(result, session, idempotency_key, entity_id, self.executor.execute)

    @araising_store_errors
    async def async_process_event(
        self,
        entity_id: str,
        trigger: str,
        context: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TransitionResult:
        """Like `process_event`, awaiting async guards and actions."""
        payload = _check_arguments(entity_id, trigger, context, idempotency_key)
        return await self._aprocess(entity_id, trigger, payload, idempotency_key, None)

    @raising_store_errors
    def create_entity(
        self, entity_id: str, context: Mapping[str, Any] | None = None
    ) -> EntityRecord:
        """Store a new entity in the initial state (an error if it exists already)."""
        self._refuse_sync()
        session, record, entry = self._new_entity(entity_id, context)
        try:
            version = self.store.save(record, 0, entry)
        except StaleVersionError:
            raise _exists(entity_id) from None
        commit = _Commit(entity_id, self._arrival(session, CREATE_TRIGGER), version)
        self._sync_after_commit(commit, session, _created(record))
        return replace(record, version=version)

    @araising_store_errors
    async def async_create_entity(
        self, entity_id: str, context: Mapping[str, Any] | None = None
    ) -> EntityRecord:
        """Store a new entity in the initial state and arm the initial state's timers.

        Entities also come into being with their first event; create them explicitly when
        the initial state has timers or invoked services, which start only on entry.
        """
        session, record, entry = self._new_entity(entity_id, context)
        asave = getattr(self.store, "asave", None)
        try:
            version = await asave(record, 0, entry) if asave else self.store.save(record, 0, entry)
        except StaleVersionError:
            raise _exists(entity_id) from None
        commit = _Commit(entity_id, self._arrival(session, CREATE_TRIGGER), version)
        await self._after_commit(commit, session, _created(record))
        return replace(record, version=version)

    def _new_entity(
        self, entity_id: str, context: Mapping[str, Any] | None
    ) -> tuple[EntitySession[Any, Any, Any], EntityRecord, HistoryEntry]:
        payload = _check_arguments(entity_id, CREATE_TRIGGER, context)
        session = self.machine.create(payload)
        config = session.parallel_config
        spec = self.machine.spec
        record = EntityRecord(
            timers={name: 1 for name in self._active(session) if name in spec.timers},
            entity_id=entity_id,
            state=session.current_state,
            context=dict(session.context),
            version=0,
            machine_name=self.machine.name,
            machine_version=self.machine.version,
            fingerprint=self.machine.spec.fingerprint,
            history=session.history,
            parallel=config.to_string() if config else None,
        )
        entry = HistoryEntry(
            entity_id,
            "",
            session.current_state,
            CREATE_TRIGGER,
            True,
            None,
            (),
            datetime.now(UTC).isoformat(),
            0.0,
        )
        return session, record, entry

    @araising_store_errors
    async def fire(self, job: ScheduledJob) -> TransitionResult:
        """Send a due timer's event, unless the entity has left the state that armed it.

        Schedulers call this. The check and the transition happen under the store's
        versioning, so a timer racing a normal event either wins or becomes a no-op; the
        job id is the idempotency key, so a job fired twice changes the entity once.
        """
        if not isinstance(job, ScheduledJob):
            raise TypeError(f"job must be a ScheduledJob, got {type(job).__name__}")
        if job.machine != self.machine.name:
            raise ValueError(
                f"job of machine {job.machine!r} sent to the orchestrator of {self.machine.name!r}"
            )
        result = await self._aprocess(job.entity_id, self._event_of(job), {}, _timer_key(job), job)
        outcome = TimerOutcome(job, result, now())
        self.timer_log.append(outcome)
        if outcome.stale:
            logger.info(
                "timer %r of entity %r is stale: it left %r", job.event, job.entity_id, job.armed_in
            )
        return result

    def _event_of(self, job: ScheduledJob) -> str:
        """The job's event in this machine version: a state renamed since the job was armed
        has its timer events renamed with it."""
        spec = self.machine.spec
        armed_in = spec.current_name(job.armed_in)
        if armed_in == job.armed_in:
            return job.event
        for timer in spec.timers.get(armed_in, ()):
            if job.event.lower() in (
                timeout_trigger(job.armed_in).lower(),
                after_trigger(job.armed_in, timer.delay_ms).lower(),
            ):
                return timer.event
        return job.event

    async def service_done(
        self, entity_id: str, service_id: str, context: Mapping[str, Any] | None = None
    ) -> TransitionResult | None:
        """An invoked service finished: send its `on_done` event, if the state declares one.

        Returns None when no active state invokes `service_id` with an `on_done` event.
        """
        record = self.store.load(check_entity_id(entity_id), machine_name=self.machine.name)
        if record is None:
            return None
        session, _ = self._from_record(entity_id, record)
        spec = self.machine.spec
        for name in reversed(self._active(session)):
            state = spec.state(name)
            for service in state.invoke if state is not None else ():
                if service.id == service_id and service.on_done is not None:
                    return await self.async_process_event(entity_id, service.on_done, context)
        return None

    async def _aprocess(
        self,
        entity_id: str,
        trigger: str,
        payload: dict[str, Any],
        idempotency_key: str | None,
        timer: ScheduledJob | None,
    ) -> TransitionResult:
        replay = self._replay(idempotency_key, entity_id)
        if replay is not None:
            return replay
        conflicts = failures = 0
        while True:
            try:
                result, session, commit = await self._adecide_and_commit(
                    entity_id, trigger, payload, timer, idempotency_key
                )
                break
            except DuplicateEventError:
                # Another replica committed this very event while we decided: theirs stands.
                replay = self._replay(idempotency_key, entity_id)
                if replay is None:
                    raise
                return replay
            except StaleVersionError:
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise
                await asyncio.sleep(self._delay(conflicts))
            except FSMError:
                raise  # StoreError included: the database failed, not the entity
            except Exception as exc:  # an unexpected failure: the error policy decides
                if is_driver_error(exc):
                    # A database driver's own error, as from a custom store: neither retried
                    # (a write may have committed) nor sent to the fallback state (whose
                    # write needs the same database). Raised as StoreError on the way out.
                    raise
                failures += 1
                if failures <= self.machine.spec.error_policy.retry_attempts:
                    await asyncio.sleep(self._delay(failures))
                    continue
                fallen, moved, fallback_session = self._fall_back(entity_id, trigger, exc)
                problems = await self._after_commit(moved, fallback_session, fallen)
                return _with_problems(fallen, problems)
        if commit is not None:
            result = _with_problems(result, await self._after_commit(commit, session, result))
        execution = await self.executor.async_execute_sequential(result, session.context)
        return self._act(result, session, idempotency_key, entity_id, lambda r, c: execution)

    async def close(self) -> None:
        """Stop the scheduler, if one was given; durable schedulers keep pending jobs."""
        if self.scheduler is not None:
            await self.scheduler.close()

    def history(self, entity_id: str) -> list[HistoryEntry]:
        return self.store.history(entity_id, machine_name=self.machine.name)

    # -- timers and invoked services ----------------------------------------------------

    def _active(self, session: EntitySession[Any, Any, Any]) -> tuple[str, ...]:
        return active_states(self.machine._states_by_name, _configuration(session))

    def _arrival(self, session: EntitySession[Any, Any, Any], trigger: str) -> Step:
        """The step of an entity coming into the store: every active state is entered."""
        return jump(self.machine._states_by_name, trigger, (), _configuration(session))

    def _step_of(
        self, result: TransitionResult, session: EntitySession[Any, Any, Any], version: int
    ) -> Step:
        """What the commit of `result` changes: the engine's step, or for an entity stored
        by this very commit (version 0) its arrival in every active state."""
        if version and result.step is not None:
            return result.step
        return self._arrival(session, result.trigger)

    def _armed(self, record: EntityRecord | None, commit: _Commit) -> dict[str, int]:
        """The record's `timers` after `commit`: entries of states left are dropped, states
        entered with timers get the version the commit writes."""
        spec = self.machine.spec
        left = commit.step.left
        armed = {
            name: version
            for name, version in _current_timers(spec, record).items()
            if name not in left
        }
        armed.update({name: commit.version for name in commit.step.arrived if name in spec.timers})
        return armed

    def _jobs(self, commit: _Commit) -> list[ScheduledJob]:
        spec = self.machine.spec
        start = now()
        return [
            ScheduledJob(
                machine=spec.name,
                version=spec.version,
                entity_id=commit.entity_id,
                event=timer.event,
                due_at=due_at(start, timer.delay_ms),
                armed_in=timer.state,
                armed_version=commit.version,
            )
            for timer in timer_changes(spec, commit.step)[1]
        ]

    async def _after_commit(
        self, commit: _Commit, session: EntitySession[Any, Any, Any], result: TransitionResult
    ) -> list[str]:
        """Cancel and arm timers, stop and start services; returns what failed.

        The commit already happened, so a failure here must not stop the actions or the
        idempotency record: it is logged and reported in the result's metadata.
        """
        problems: list[str] = []
        left, entered = commit.step.left, commit.step.arrived
        spec = self.machine.spec
        if self.scheduler is not None:
            timed = list(timer_changes(spec, commit.step)[0])
            steps: list[tuple[str, Callable[[], Awaitable[object]]]] = []
            if timed:
                steps.append(
                    (
                        "cancelling timers",
                        partial(self.scheduler.cancel, spec.name, commit.entity_id, timed),
                    )
                )
            steps += [
                (f"arming timer {job.event!r}", partial(self.scheduler.schedule, job))
                for job in self._jobs(commit)
            ]
            for what, step in steps:
                try:
                    await step()
                except Exception as exc:
                    problems.append(_problem(what, commit.entity_id, exc))
        adapter = self.invoke_adapter
        if adapter is not None:
            for name, _ in self._services(left):
                try:
                    await call_adapter(adapter.stop_services(commit.entity_id, name))
                except Exception as exc:
                    problems.append(
                        _problem(f"stopping services of {name!r}", commit.entity_id, exc)
                    )
            for name, services in self._services(entered):
                try:
                    await call_adapter(
                        adapter.start_services(
                            commit.entity_id, name, list(services), dict(session.context)
                        )
                    )
                except Exception as exc:
                    problems.append(
                        _problem(f"starting services of {name!r}", commit.entity_id, exc)
                    )
        return problems

    def _sync_after_commit(
        self, commit: _Commit, session: EntitySession[Any, Any, Any], result: TransitionResult
    ) -> list[str]:
        problems: list[str] = []
        adapter = self.invoke_adapter
        if adapter is None:
            return problems
        left, entered = commit.step.left, commit.step.arrived
        for name, _ in self._services(left):
            try:
                adapter.stop_services(commit.entity_id, name)
            except Exception as exc:
                problems.append(_problem(f"stopping services of {name!r}", commit.entity_id, exc))
        for name, services in self._services(entered):
            try:
                adapter.start_services(
                    commit.entity_id, name, list(services), dict(session.context)
                )
            except Exception as exc:
                problems.append(_problem(f"starting services of {name!r}", commit.entity_id, exc))
        return problems

    def _refuse_sync(self) -> None:
        """The synchronous API cannot arm timers or await adapters: say so before any work."""
        if self.scheduler is not None and self.machine.spec.timers:
            raise RuntimeError(
                f"machine {self.machine.name!r} has timers, which the scheduler arms in its "
                "event loop: use `await orchestrator.async_process_event(...)`."
            )
        adapter = self.invoke_adapter
        if adapter is not None and any(
            inspect.iscoroutinefunction(getattr(adapter, name))
            for name in ("start_services", "stop_services")
        ):
            raise RuntimeError(
                "the invoke adapter is async: use `await orchestrator.async_process_event(...)`."
            )

    def _services(self, names: Any) -> list[tuple[str, tuple[Any, ...]]]:
        spec = self.machine.spec
        found = []
        for name in names:
            state = spec.state(name)
            if state is not None and state.invoke:
                found.append((name, state.invoke))
        return found

    # -- steps ---------------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        return float(min(1.0, self.retry_base_delay * (2 ** (attempt - 1))))

    def _from_record(
        self, entity_id: str, record: EntityRecord | None
    ) -> tuple[EntitySession[Any, Any, Any], int]:
        machine = self.machine
        if record is None:
            if not self.use_initial_state_when_missing:
                raise FSMError(
                    f"entity {entity_id!r} is not in the store and "
                    "use_initial_state_when_missing is off",
                    {"entity_id": entity_id},
                )
            return machine.create(), 0
        if record.machine_name and record.machine_name != machine.name:
            raise FSMError(
                f"entity {entity_id!r} belongs to machine {record.machine_name!r}, "
                f"not {machine.name!r}",
                {"entity_id": entity_id, "machine_name": record.machine_name},
            )
        return EntitySession.from_snapshot(machine, record.snapshot()), record.version

    def _validate(
        self,
        entity_id: str,
        session: EntitySession[Any, Any, Any],
        trigger: str,
        merged: dict[str, Any],
    ) -> TransitionResult | None:
        errors: list[str] = []
        if self.context_validator is not None:
            ok, found = self.context_validator(entity_id, session.current_state, trigger, merged)
            if not ok:
                errors = list(found) or ["context rejected"]
        if not errors and self.machine.spec.validate_context:
            errors = [
                f"missing required context key {v.key!r}"
                for v in self.machine.spec.variables
                if v.required and v.key not in merged
            ]
        if not errors:
            return None
        error = ValidationError("context validation failed", errors)
        return TransitionResult.failure_result(
            session.current_state,
            trigger,
            error,
            {"reason": "context_validation", "errors": errors},
        )

    def _decide_and_commit(
        self, entity_id: str, trigger: str, payload: dict[str, Any], key: str | None = None
    ) -> tuple[TransitionResult, EntitySession[Any, Any, Any], _Commit | None]:
        record = self.store.load(entity_id, machine_name=self.machine.name)
        session, version = self._from_record(entity_id, record)
        refused = self._validate(entity_id, session, trigger, {**session.context, **payload})
        if refused is not None:
            return refused, session, None
        source = session.current_state
        started = self._before(entity_id, session, trigger, payload)
        result = session.send(trigger, **payload)
        commit = None
        if result.success:
            # Stores write version + 1; the timers map records that as the entry version.
            step = self._step_of(result, session, version)
            timers = self._armed(record, _Commit(entity_id, step, version + 1))
            write = self._write(entity_id, session, version, source, result, started, timers)
            outcome = self._outcome_of(key, entity_id, result)
            if outcome is not None:
                written = self.store.save(*write, outcome=outcome)
            else:
                written = self.store.save(*write)
            commit = _Commit(entity_id, step, written)
        self._after(result, session, started)
        return result, session, commit

    async def _adecide_and_commit(
        self,
        entity_id: str,
        trigger: str,
        payload: dict[str, Any],
        timer: ScheduledJob | None = None,
        key: str | None = None,
    ) -> tuple[TransitionResult, EntitySession[Any, Any, Any], _Commit | None]:
        aload = getattr(self.store, "aload", None)
        name = self.machine.name
        record = (
            await aload(entity_id, machine_name=name)
            if aload
            else self.store.load(entity_id, machine_name=name)
        )
        if timer is not None and record is None:
            return _stale(entity_id, "", trigger, timer.armed_in), self.machine.create(), None
        session, version = self._from_record(entity_id, record)
        source = session.current_state
        before = self._active(session) if version else ()
        if timer is not None:
            armed_in = self.machine.spec.current_name(timer.armed_in)
            entry = _current_timers(self.machine.spec, record).get(armed_in)
            # The timer belongs to one entry of its state: if the entity left the state, or
            # left and entered it again since, this job is not the state's timer any more.
            if armed_in not in before or entry != timer.armed_version:
                return _stale(entity_id, source, trigger, timer.armed_in), session, None
        refused = self._validate(entity_id, session, trigger, {**session.context, **payload})
        if refused is not None:
            return refused, session, None
        started = self._before(entity_id, session, trigger, payload)
        result = await session.asend(trigger, **payload)
        commit = None
        if result.success:
            step = self._step_of(result, session, version)
            timers = self._armed(record, _Commit(entity_id, step, version + 1))
            write = self._write(entity_id, session, version, source, result, started, timers)
            outcome = self._outcome_of(key, entity_id, result)
            asave = getattr(self.store, "asave", None)
            if asave is not None:
                written = await (asave(*write, outcome=outcome) if outcome else asave(*write))
            elif outcome is not None:
                written = self.store.save(*write, outcome=outcome)
            else:
                written = self.store.save(*write)
            commit = _Commit(entity_id, step, written)
        self._after(result, session, started)
        return result, session, commit

    def _before(
        self,
        entity_id: str,
        session: EntitySession[Any, Any, Any],
        trigger: str,
        payload: dict[str, Any],
    ) -> float:
        if self.observer is not None:
            context = {**session.context, **payload}
            self.observer.before_process(entity_id, session.current_state, trigger, context)
            return self.observer.before_transition(session.current_state, trigger, context)
        return time.perf_counter()

    def _after(
        self, result: TransitionResult, session: EntitySession[Any, Any, Any], started: float
    ) -> None:
        if self.observer is not None:
            self.observer.after_transition(result, dict(session.context), started)

    def _write(
        self,
        entity_id: str,
        session: EntitySession[Any, Any, Any],
        version: int,
        source: str,
        result: TransitionResult,
        started: float,
        timers: Mapping[str, int],
    ) -> tuple[EntityRecord, int, HistoryEntry]:
        config = session.parallel_config
        record = EntityRecord(
            timers=timers,
            entity_id=entity_id,
            state=session.current_state,
            context=dict(session.context),
            version=version,
            machine_name=self.machine.name,
            machine_version=self.machine.version,
            fingerprint=self.machine.spec.fingerprint,
            history=session.history,
            parallel=config.to_string() if config else None,
        )
        entry = HistoryEntry(
            entity_id=entity_id,
            source_state=source,
            target_state=result.target_state,
            trigger=result.trigger,
            success=result.success,
            error=None,
            actions=result.all_actions,
            timestamp=datetime.now(UTC).isoformat(),
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )
        return record, version, entry

    def _act(
        self,
        result: TransitionResult,
        session: EntitySession[Any, Any, Any],
        key: str | None,
        entity_id: str,
        run: Callable[[TransitionResult, dict[str, Any]], ExecutionResult],
    ) -> TransitionResult:
        if result.success and result.all_actions:
            execution = run(result, dict(session.context))
            if execution.errors:
                metadata = {
                    **result.metadata,
                    "action_errors": [str(error) for error in execution.errors],
                }
                result = TransitionResult(
                    result.success,
                    result.source_state,
                    result.target_state,
                    result.trigger,
                    result.actions_to_execute,
                    result.on_exit_actions,
                    result.on_enter_actions,
                    result.error,
                    frozen_mapping(metadata),
                )
        if key is not None and not self._atomic_outcomes:
            self.store.remember(self.machine.name, entity_id, key, _outcome(result))
        return result

    def _outcome_of(
        self, key: str | None, entity_id: str, result: TransitionResult
    ) -> tuple[str, dict[str, Any]] | None:
        """The idempotency record to write with the commit, when the store can."""
        if key is None or not self._atomic_outcomes:
            return None
        return key, _outcome(result)

    def _replay(self, key: str | None, entity_id: str) -> TransitionResult | None:
        if key is None:
            return None
        seen = self.store.recall(self.machine.name, entity_id, key)
        if seen is None:
            return None
        return TransitionResult(
            success=bool(seen["success"]),
            source_state=str(seen["source_state"]),
            target_state=seen["target_state"],
            trigger=str(seen["trigger"]),
            metadata=frozen_mapping({**seen["metadata"], "replayed": True}),
        )

    def _fall_back(
        self, entity_id: str, trigger: str, exc: Exception
    ) -> tuple[TransitionResult, _Commit, EntitySession[Any, Any, Any]]:
        """Move the entity to the error policy's fallback state, recording why.

        Returns the result, and what the commit changed so that the caller stops the left
        states' services and timers and starts the fallback state's.
        """
        fallback = self.machine.spec.error_policy.default_fallback
        error = FSMError(
            f"processing {trigger!r} for entity {entity_id!r} failed: {type(exc).__name__}: {exc}",
            {"entity_id": entity_id, "trigger": trigger},
        )
        if fallback is None:
            raise error from exc
        record = self.store.load(entity_id, machine_name=self.machine.name)
        source = record.state if record else self.machine.get_initial_state()
        context = dict(record.context) if record else {}
        context["_error"] = str(error)
        spec = self.machine.spec
        before: Configuration = ()
        if record is not None:
            before = (record.state,)
            if record.parallel:
                with contextlib.suppress(ValueError):
                    config = ParallelStateConfig.from_string(record.parallel)
                    before += tuple(config.region_states.values())
        step = jump(self.machine._states_by_name, trigger, before, (fallback,))
        entered = step.arrived
        moved = EntityRecord(
            timers={
                name: (record.version if record else 0) + 1
                for name in entered
                if name in spec.timers
            },
            entity_id=entity_id,
            state=fallback,
            context=context,
            version=record.version if record else 0,
            machine_name=self.machine.name,
            machine_version=self.machine.version,
            fingerprint=self.machine.spec.fingerprint,
            history=record.history if record else {},
        )
        entry = HistoryEntry(
            entity_id,
            source,
            fallback,
            trigger,
            False,
            str(error),
            (),
            datetime.now(UTC).isoformat(),
            0.0,
        )
        written = self.store.save(moved, moved.version, entry)
        result = TransitionResult(
            success=False,
            source_state=source,
            target_state=fallback,
            trigger=trigger,
            error=error,
            metadata=frozen_mapping({"reason": "error_fallback", "fallback_state": fallback}),
        )
        session: EntitySession[Any, Any, Any] = EntitySession.from_snapshot(
            self.machine, {"current_state": fallback, "context": context}
        )
        return result, _Commit(entity_id, step, written), session


def _problem(what: str, entity_id: str, exc: Exception) -> str:
    text = f"{what} for entity {entity_id!r} failed after the commit: {type(exc).__name__}: {exc}"
    logger.error(text)
    return text


def _with_problems(result: TransitionResult, problems: list[str]) -> TransitionResult:
    if not problems:
        return result
    return replace(
        result, metadata=frozen_mapping({**result.metadata, "after_commit_errors": problems})
    )


def _current_timers(spec: MachineSpec, record: EntityRecord | None) -> dict[str, int]:
    """The record's timer entries under this machine version's state names."""
    if record is None:
        return {}
    return {spec.current_name(name): version for name, version in record.timers.items()}


def _exists(entity_id: str) -> FSMError:
    return FSMError(f"entity {entity_id!r} already exists", {"entity_id": entity_id})


def _configuration(session: EntitySession[Any, Any, Any]) -> Configuration:
    config = session.parallel_config
    if config is None:
        return (session.current_state,)
    return (session.current_state, *config.region_states.values())


def _created(record: EntityRecord) -> TransitionResult:
    return TransitionResult.success_result("", record.state, CREATE_TRIGGER)


def _stale(entity_id: str, state: str, trigger: str, armed_in: str) -> TransitionResult:
    return TransitionResult(
        success=True,
        source_state=state,
        target_state=state or None,
        trigger=trigger,
        metadata=frozen_mapping(
            {"no_op": True, "reason": "stale_timer", "armed_in": armed_in, "entity_id": entity_id}
        ),
    )


def _check_arguments(
    entity_id: str,
    trigger: str,
    context: Mapping[str, Any] | None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """The event's payload; an id, key or context no store could keep is refused here,
    before any guard or store sees it."""
    if not isinstance(entity_id, str):
        raise TypeError(f"entity_id must be a string, got {entity_id!r}")
    check_entity_id(entity_id)
    if not isinstance(trigger, str) or not trigger:
        raise TypeError(f"trigger must be a non-empty string, got {trigger!r}")
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(f"context must be a mapping, got {type(context).__name__}")
    if idempotency_key is not None:
        check_idempotency_key(idempotency_key)
    return storable_mapping(context or {}, "context")


def _takes(method: Callable[..., Any], parameter: str) -> bool:
    try:
        return parameter in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _timer_key(job: ScheduledJob) -> str:
    """The idempotency key of one arming of a timer among its entity's keys, short whatever
    the lengths of the state and event names."""
    identity = json.dumps([job.armed_in, job.event, job.armed_version])
    return "timer:" + hashlib.sha256(identity.encode()).hexdigest()[:32]


def _outcome(result: TransitionResult) -> dict[str, Any]:
    return {
        "success": result.success,
        "source_state": result.source_state,
        "target_state": result.target_state,
        "trigger": result.trigger,
        "metadata": {"reason": result.metadata.get("reason")} if not result.success else {},
    }
