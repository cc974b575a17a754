"""The two drivers of the Orchestrator's loop: one performs its operations synchronously,
the other awaits them (async guards, async stores, the scheduler, async invoke adapters).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from pystator.runtime.actions import ActionExecutor
from pystator.runtime.invoke import InvokeAdapter, call_adapter
from pystator.runtime.orchestrator.loop import (
    Act,
    AfterCommit,
    Decide,
    Load,
    Loop,
    Op,
    Pause,
    Save,
)
from pystator.runtime.scheduler.base import Scheduler
from pystator.runtime.stores.base import (
    AsyncVersionedStateStore,
    EventReadingStore,
    RecordStore,
    VersionedStateStore,
)

R = TypeVar("R")

logger = logging.getLogger("pystator.orchestrator")


@dataclass(frozen=True, slots=True)
class _Done:
    value: Any


def _advance(loop: Loop[Any], value: Any, error: Exception | None) -> Op | _Done:
    """Send the answer to the last operation (or throw its error) and get the next one."""
    try:
        return loop.send(value) if error is None else loop.throw(error)
    except StopIteration as done:
        return _Done(done.value)


@dataclass(frozen=True, slots=True)
class Drivers:
    """Performs a loop's operations against one machine's store, executor, scheduler and
    invoke adapter. `astore` is the store again when it has coroutine methods, `reader`
    when it reads an entity and an idempotency record in one step, `recorder` when its
    writes compare whole records and return what they stored (the Orchestrator keeps it)."""

    machine_name: str
    store: VersionedStateStore
    astore: AsyncVersionedStateStore | None
    reader: EventReadingStore | None
    recorder: RecordStore | None
    executor: ActionExecutor
    scheduler: Scheduler | None
    invoke_adapter: InvokeAdapter | None

    def run(self, loop: Loop[R]) -> R:
        step = _advance(loop, None, None)
        while not isinstance(step, _Done):
            try:
                value, error = self.perform(step), None
            except Exception as exc:
                value, error = None, exc
            step = _advance(loop, value, error)
        result: R = step.value
        return result

    async def arun(self, loop: Loop[R]) -> R:
        step = _advance(loop, None, None)
        while not isinstance(step, _Done):
            try:
                value, error = await self.aperform(step), None
            except Exception as exc:
                value, error = None, exc
            step = _advance(loop, value, error)
        result: R = step.value
        return result

    def perform(self, op: Op) -> Any:
        store = self.store
        match op:
            case Load(entity_id, None):
                return store.load(entity_id, machine_name=self.machine_name), None
            case Load(entity_id, str() as key) if self.reader is not None:
                return self.reader.load_event(entity_id, key, machine_name=self.machine_name)
            case Load(entity_id, str() as key):
                seen = store.recall(self.machine_name, entity_id, key)
                if seen is not None:
                    return None, seen
                return store.load(entity_id, machine_name=self.machine_name), None
            case Decide(session, trigger, payload):
                return session.send(trigger, **payload)
            case Save(write, expected) if self.recorder is not None:
                return self.recorder.commit(
                    write.record,
                    expected if expected is not None else write.expected_version,
                    write.entry,
                    write.outcome,
                )
            case Save(write) if write.outcome is None:
                store.save(write.record, write.expected_version, write.entry)
                return None
            case Save(write):
                store.save(write.record, write.expected_version, write.entry, write.outcome)
                return None
            case Pause(seconds):
                time.sleep(seconds)
                return None
            case AfterCommit():
                return self._follow(op)
            case Act(result, context):
                return self.executor.execute(result, dict(context))

    def _follow(self, op: AfterCommit) -> list[str]:
        """Run the steps after a commit; what failed."""
        problems: list[str] = []
        for what, step in self._after_commit(op):
            try:
                step()
            except Exception as exc:
                problems.append(_problem(what, op.write.entity_id, exc))
        return problems

    async def aperform(self, op: Op) -> Any:
        store = self.astore
        match op:
            case Load(entity_id, None) if store is not None:
                return await store.aload(entity_id, machine_name=self.machine_name), None
            case Load(entity_id, str() as key) if self.reader is not None:
                return await self.reader.aload_event(entity_id, key, machine_name=self.machine_name)
            case Save(write, expected) if self.recorder is not None:
                return await self.recorder.acommit(
                    write.record,
                    expected if expected is not None else write.expected_version,
                    write.entry,
                    write.outcome,
                )
            case Save(write) if store is not None:
                await store.asave(write.record, write.expected_version, write.entry, write.outcome)
                return None
            case Decide(session, trigger, payload):
                return await session.asend(trigger, **payload)
            case Pause(seconds):
                await asyncio.sleep(seconds)
                return None
            case AfterCommit():
                problems: list[str] = []
                for what, step in self._after_commit(op):
                    try:
                        await call_adapter(step())
                    except Exception as exc:
                        problems.append(_problem(what, op.write.entity_id, exc))
                return problems
            case Act(result, context):
                return await self.executor.async_execute_sequential(result, dict(context))
        # A store without coroutine methods is called in line, as the sync driver does.
        return self.perform(op)

    def _after_commit(self, op: AfterCommit) -> list[tuple[str, Callable[[], object]]]:
        """The steps that follow a commit, each named for the report of its failure: the
        commit happened, so a failing step is logged and reported, never raised."""
        write, entity_id = op.write, op.write.entity_id
        steps: list[tuple[str, Callable[[], object]]] = []
        scheduler = self.scheduler
        if scheduler is not None:
            if write.cancel:
                cancel = partial(scheduler.cancel, self.machine_name, entity_id, write.cancel)
                steps.append(("cancelling timers", cancel))
            steps += [
                (f"arming timer {job.event!r}", partial(scheduler.schedule, job))
                for job in write.arm
            ]
        adapter = self.invoke_adapter
        if adapter is not None:
            steps += [
                (f"stopping services of {name!r}", partial(adapter.stop_services, entity_id, name))
                for name in write.stop
            ]
            steps += [
                (
                    f"starting services of {name!r}",
                    partial(
                        adapter.start_services, entity_id, name, list(services), dict(op.context)
                    ),
                )
                for name, services in write.start
            ]
        return steps


def _problem(what: str, entity_id: str, exc: Exception) -> str:
    text = f"{what} for entity {entity_id!r} failed after the commit: {type(exc).__name__}: {exc}"
    logger.error(text)
    return text
