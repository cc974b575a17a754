"""AsyncioScheduler: timers kept in this process's event loop, for one replica or dev.

Jobs are lost when the process exits; use RedisScheduler or CeleryScheduler to keep them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from pystator.runtime.scheduler.base import SchedulerBase, now
from pystator.runtime.timers import ScheduledJob


class AsyncioScheduler(SchedulerBase):
    """Fires jobs with `loop.call_later` in the running event loop."""

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[str, tuple[ScheduledJob, asyncio.TimerHandle]] = {}
        # The keys of each entity's jobs, so that cancelling is not a scan of every job.
        self._by_entity: dict[tuple[str, str], set[str]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False

    async def start(self) -> None:
        """Nothing to start: jobs fire from the loop that scheduled them."""

    async def schedule(self, job: ScheduledJob) -> None:
        if self._closed:
            raise RuntimeError("the scheduler is closed")
        loop = asyncio.get_running_loop()
        previous = self._jobs.pop(job.key, None)
        if previous is not None:
            previous[1].cancel()
        handle = loop.call_later(max(0.0, job.due_at - now()), self._launch, job)
        self._jobs[job.key] = (job, handle)
        self._by_entity.setdefault((job.machine, job.entity_id), set()).add(job.key)

    def _forget(self, job: ScheduledJob) -> None:
        del self._jobs[job.key]
        keys = self._by_entity.get((job.machine, job.entity_id))
        if keys is not None:
            keys.discard(job.key)
            if not keys:
                del self._by_entity[(job.machine, job.entity_id)]

    def _launch(self, job: ScheduledJob) -> None:
        current = self._jobs.get(job.key)
        if current is None or current[0] is not job:
            return
        early = job.due_at - now()
        if early > 0:
            # The loop may run a timer up to its clock resolution early; never fire early.
            loop = asyncio.get_running_loop()
            self._jobs[job.key] = (job, loop.call_later(early, self._launch, job))
            return
        self._forget(job)
        task = asyncio.get_running_loop().create_task(self._fire(job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _fire(self, job: ScheduledJob) -> None:
        await self.dispatch(job)

    async def cancel(
        self, machine: str, entity_id: str, states: Iterable[str] | None = None
    ) -> int:
        wanted = None if states is None else set(states)
        dropped = 0
        for key in list(self._by_entity.get((machine, entity_id), ())):
            job, handle = self._jobs[key]
            if wanted is not None and job.armed_in not in wanted:
                continue
            handle.cancel()
            self._forget(job)
            dropped += 1
        return dropped

    async def pending(
        self, machine: str | None = None, entity_id: str | None = None
    ) -> list[ScheduledJob]:
        jobs = [
            job
            for job, _ in self._jobs.values()
            if (machine is None or job.machine == machine)
            and (entity_id is None or job.entity_id == entity_id)
        ]
        return sorted(jobs, key=lambda job: (job.due_at, job.key))

    @property
    def pending_count(self) -> int:
        return len(self._jobs)

    async def close(self) -> None:
        """Cancel pending jobs and wait for the ones already firing."""
        self._closed = True
        for _, handle in self._jobs.values():
            handle.cancel()
        self._jobs.clear()
        self._by_entity.clear()
        if self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
