"""Orchestrator: load -> decide -> commit -> act for entities kept in a state store.

Actions run only after the commit succeeded; a write that lost a race is retried from a
fresh load; the machine's error policy retries unexpected failures with exponential
backoff and then moves the entity to its fallback state; a failing store or database is
not the entity's failure and raises StoreError instead. After a commit, the timers of
the states left are cancelled and those of the states entered are armed on the scheduler,
and invoked services are stopped and started.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pystator.runtime.actions import ActionExecutor, ActionRegistry
from pystator.runtime.errors import ConfigurationError
from pystator.runtime.guards import GuardRegistry
from pystator.runtime.hooks import TransitionObserver
from pystator.runtime.ids import check_entity_id, check_idempotency_key, check_machine_name
from pystator.runtime.invoke import InvokeAdapter
from pystator.runtime.machine import StateMachine
from pystator.runtime.orchestrator.cache import DEFAULT_SIZE, RecordCache
from pystator.runtime.orchestrator.drivers import Drivers
from pystator.runtime.orchestrator.layers import with_actions, with_guards
from pystator.runtime.orchestrator.loop import (
    CREATE_TRIGGER,
    ContextValidatorFn,
    Event,
    Load,
    Rules,
)
from pystator.runtime.orchestrator.stores import versioned_store
from pystator.runtime.results import TransitionResult
from pystator.runtime.scheduler.base import Scheduler, now
from pystator.runtime.spec import after_trigger, timeout_trigger
from pystator.runtime.stores._codec import storable_mapping
from pystator.runtime.stores._failures import araising_store_errors, raising_store_errors
from pystator.runtime.stores.base import (
    AsyncVersionedStateStore,
    EntityRecord,
    EventReadingStore,
    HistoryEntry,
    RecordStore,
    VersionedStateStore,
)
from pystator.runtime.timers import ScheduledJob

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


class Orchestrator:
    """Processes events for the entities of one machine, persisting them in `state_store`.

    An entity is the machine's name and an id: machines sharing a store never see each
    other's entities, histories, idempotency records or timers. `state_store` is a
    VersionedStateStore; a store implementing only the documents' StateStore or
    AsyncStateStore is wrapped in a StateStoreAdapter (last writer wins; it warns).

    `guards` and `actions` are layered over the machine's registries for this
    Orchestrator's calls: the machine, which other sessions and Orchestrators share, is
    not changed, and handlers bound with `@machine.guard` / `@machine.action` still run
    unless these registries name the same handler.

    The records of the last `cache_size` entities it committed are kept (0 keeps none), so
    an entity's next event is decided without reading it: one round trip instead of two.
    With a store that `compares_records` (SQLite, PostgreSQL, Redis), such a write applies
    only if the stored entity still equals the kept record in every field; if another
    process changed it, the event is decided again from a fresh read.
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
        cache_size: int = DEFAULT_SIZE,
    ) -> None:
        if not isinstance(machine, StateMachine):
            raise TypeError(f"machine must be a StateMachine, got {type(machine).__name__}")
        check_machine_name(machine.name)
        store = versioned_store(state_store)
        if isinstance(store, RecordStore) and store.machine_name not in (None, machine.name):
            raise ConfigurationError(
                f"the store is scoped to machine {store.machine_name!r}, not "
                f"{machine.name!r}: give this Orchestrator a store of its own machine, or "
                "one without machine_name"
            )
        if scheduler is not None and not isinstance(scheduler, Scheduler):
            raise TypeError(
                f"{type(scheduler).__name__} is not a scheduler (register, schedule, cancel, "
                "pending, close)"
            )
        if invoke_adapter is not None and not isinstance(invoke_adapter, InvokeAdapter):
            raise TypeError(
                f"{type(invoke_adapter).__name__} is not an invoke adapter "
                "(start_services, stop_services)"
            )
        self.machine = machine
        self.store = store
        self.actions = with_actions(machine, actions)
        self.executor = ActionExecutor(self.actions)
        self.context_validator = context_validator
        self.scheduler = scheduler
        self.invoke_adapter = invoke_adapter
        self.use_initial_state_when_missing = use_initial_state_when_missing
        self.observer = observer
        self.retry_base_delay = retry_base_delay
        if type(cache_size) is not int or cache_size < 0:
            raise ValueError(f"cache_size must be an int >= 0, got {cache_size!r}")
        recorder = _compares_records(store) if cache_size else None
        self._rules = Rules(
            with_guards(machine, guards),
            context_validator,
            observer,
            use_initial_state_when_missing,
            retry_base_delay,
            cache=RecordCache(cache_size) if recorder is not None else None,
        )
        self._drivers = Drivers(
            machine.name,
            store,
            store if isinstance(store, AsyncVersionedStateStore) else None,
            store if isinstance(store, EventReadingStore) else None,
            recorder,
            self.executor,
            scheduler,
            invoke_adapter,
        )
        self._async_adapter = invoke_adapter is not None and (
            inspect.iscoroutinefunction(invoke_adapter.start_services)
            or inspect.iscoroutinefunction(invoke_adapter.stop_services)
        )
        #: The latest outcomes of fired timers, oldest first.
        self.timer_log: deque[TimerOutcome] = deque(maxlen=TIMER_LOG_SIZE)
        if scheduler is not None:
            scheduler.register(machine.name, self.fire)

    # -- events ---------------------------------------------------------------------------

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
        event = _event(entity_id, trigger, context, idempotency_key)
        self._refuse_sync()
        return self._drivers.run(self._rules.process(event))

    @araising_store_errors
    async def async_process_event(
        self,
        entity_id: str,
        trigger: str,
        context: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TransitionResult:
        """Like `process_event`, awaiting async guards, actions, stores and the scheduler."""
        event = _event(entity_id, trigger, context, idempotency_key)
        return await self._drivers.arun(self._rules.process(event))

    @raising_store_errors
    def create_entity(
        self, entity_id: str, context: Mapping[str, Any] | None = None
    ) -> EntityRecord:
        """Store a new entity in the initial state (an error if it exists already)."""
        self._refuse_sync()
        event = _event(entity_id, CREATE_TRIGGER, context)
        return self._drivers.run(self._rules.create(entity_id, event.payload))

    @araising_store_errors
    async def async_create_entity(
        self, entity_id: str, context: Mapping[str, Any] | None = None
    ) -> EntityRecord:
        """Store a new entity in the initial state and arm the initial state's timers.

        Entities also come into being with their first event; create them explicitly when
        the initial state has timers or invoked services, which start only on entry.
        """
        event = _event(entity_id, CREATE_TRIGGER, context)
        return await self._drivers.arun(self._rules.create(entity_id, event.payload))

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
        event = Event(job.entity_id, self._event_of(job), {}, _timer_key(job), job)
        result = await self._drivers.arun(self._rules.process(event))
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
        record, _ = await self._drivers.aperform(Load(check_entity_id(entity_id)))
        if record is None:
            return None
        session = self._rules.session_of(entity_id, record)
        spec = self.machine.spec
        for name in reversed(self._rules.active(session)):
            state = spec.state(name)
            for service in state.invoke if state is not None else ():
                if service.id == service_id and service.on_done is not None:
                    return await self.async_process_event(entity_id, service.on_done, context)
        return None

    async def close(self) -> None:
        """Stop the scheduler, if one was given; durable schedulers keep pending jobs."""
        if self.scheduler is not None:
            await self.scheduler.close()

    def history(self, entity_id: str) -> list[HistoryEntry]:
        return self.store.history(entity_id, machine_name=self.machine.name)

    def _refuse_sync(self) -> None:
        """The synchronous API cannot arm timers or await adapters: say so before any work."""
        if self.scheduler is not None and self.machine.spec.timers:
            raise RuntimeError(
                f"machine {self.machine.name!r} has timers, which the scheduler arms in its "
                "event loop: use `await orchestrator.async_process_event(...)`."
            )
        if self._async_adapter:
            raise RuntimeError(
                "the invoke adapter is async: use `await orchestrator.async_process_event(...)`."
            )


def _compares_records(store: VersionedStateStore) -> RecordStore | None:
    """`store` if kept records may decide events for it: it compares whole records, and
    its `commit` does what its `save` does (no subclass changed `save` or `asave`)."""
    if not isinstance(store, RecordStore) or not store.compares_records:
        return None
    kind = type(store)
    if kind.save is not RecordStore.save or kind.asave is not RecordStore.asave:
        return None
    return store


def _event(
    entity_id: str,
    trigger: str,
    context: Mapping[str, Any] | None,
    idempotency_key: str | None = None,
) -> Event:
    """The event; an id, key or context no store could keep is refused here, before any
    guard or store sees it."""
    if not isinstance(entity_id, str):
        raise TypeError(f"entity_id must be a string, got {entity_id!r}")
    check_entity_id(entity_id)
    if not isinstance(trigger, str) or not trigger:
        raise TypeError(f"trigger must be a non-empty string, got {trigger!r}")
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(f"context must be a mapping, got {type(context).__name__}")
    if idempotency_key is not None:
        check_idempotency_key(idempotency_key)
    return Event(entity_id, trigger, storable_mapping(context or {}, "context"), idempotency_key)


def _timer_key(job: ScheduledJob) -> str:
    """The idempotency key of one arming of a timer among its entity's keys, short whatever
    the lengths of the state and event names."""
    identity = json.dumps([job.armed_in, job.event, job.armed_version])
    return "timer:" + hashlib.sha256(identity.encode()).hexdigest()[:32]
