"""Schedulers: the protocol the Orchestrator arms timers through, and shared plumbing.

A scheduler stores `ScheduledJob` data and, when a job is due, hands it to the firing
function registered for its machine; it never keeps a closure as the unit of work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, runtime_checkable

from pystator.runtime.registry import check_named
from pystator.runtime.timers import ScheduledJob

#: What a scheduler calls with a due job: normally `Orchestrator.fire`.
FireFn = Callable[[ScheduledJob], Awaitable[object]]

logger = logging.getLogger("pystator.scheduler")


@runtime_checkable
class Scheduler(Protocol):
    """What the Orchestrator needs from a scheduler; all schedulers implement it."""

    def register(self, machine: str, fire: FireFn) -> None:
        """Fire due jobs of `machine` with `fire` (one function per machine name)."""
        ...

    async def schedule(self, job: ScheduledJob) -> None:
        """Store `job`; it replaces any pending job with the same `key`."""
        ...

    async def cancel(
        self, machine: str, entity_id: str, states: Iterable[str] | None = None
    ) -> int:
        """Drop the entity's pending jobs armed in `states` (all when None); the count."""
        ...

    async def pending(
        self, machine: str | None = None, entity_id: str | None = None
    ) -> list[ScheduledJob]:
        """Jobs not yet fired, soonest first, optionally for one machine and entity."""
        ...

    async def close(self) -> None:
        """Stop firing and release resources; pending durable jobs stay stored."""
        ...


class SchedulerBase:
    """Keeps the firing function of each machine and dispatches due jobs to it."""

    def __init__(self) -> None:
        self._handlers: dict[str, FireFn] = {}

    def register(self, machine: str, fire: FireFn) -> None:
        check_named(machine, "machine", fire, "fire")
        self._handlers[machine] = fire

    @property
    def machines(self) -> tuple[str, ...]:
        """The machine names this scheduler fires jobs for."""
        return tuple(self._handlers)

    async def dispatch(self, job: ScheduledJob) -> bool:
        """Fire `job` with its machine's function; False if this process cannot fire it.

        A failure inside the firing function is logged, not raised: one bad job must not
        stop the scheduler's loop.
        """
        fire = self._handlers.get(job.machine)
        if fire is None:
            logger.warning(
                "no orchestrator registered for machine %r; job %r not fired",
                job.machine,
                job.job_id,
            )
            return False
        try:
            await fire(job)
        except Exception:
            logger.exception("firing timer %r of entity %r failed", job.event, job.entity_id)
        return True

    # The names of the PyStator documents' scheduler adapters.

    async def cancel_for_entity(self, entity_id: str, machine: str | None = None) -> int:
        """Drop every pending job of the entity (for one machine, or for all)."""
        names = [machine] if machine is not None else list(self._handlers)
        total = 0
        for name in names:
            total += await self.cancel(name, entity_id)
        return total

    async def get_pending_tasks(self, entity_id: str | None = None) -> list[ScheduledJob]:
        return await self.pending(entity_id=entity_id)

    async def cancel(
        self, machine: str, entity_id: str, states: Iterable[str] | None = None
    ) -> int:
        raise NotImplementedError

    async def pending(
        self, machine: str | None = None, entity_id: str | None = None
    ) -> list[ScheduledJob]:
        raise NotImplementedError


def now() -> float:
    """Wall-clock seconds since the epoch: due times must mean the same in every process."""
    return time.time()
