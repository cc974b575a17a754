"""CeleryScheduler: timers as Celery tasks with a countdown, fired by any Celery worker.

The task's only argument is the job's JSON; the worker process builds its own Orchestrator
with this scheduler, whose `register_task()` makes the task known to Celery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from pystator.runtime.scheduler.base import SchedulerBase, logger, now
from pystator.runtime.timers import ScheduledJob

TASK_NAME = "pystator.fire_timer"


class CeleryScheduler(SchedulerBase):
    """Sends one countdown task per armed timer to `celery_app`'s broker.

    Cancelling revokes the task; whether or not the revoke arrives in time, a timer whose
    state was left is a no-op when it fires. The broker's visibility timeout must be
    longer than the longest delay (Celery's own rule for countdown tasks on Redis).
    """

    def __init__(self, celery_app: Any, *, task_name: str = TASK_NAME) -> None:
        super().__init__()
        if not callable(getattr(celery_app, "send_task", None)):
            raise TypeError(f"celery_app must be a Celery app, got {type(celery_app).__name__}")
        self.app = celery_app
        self.task_name = task_name
        # What this process sent and has not seen cancelled, for `pending()`.
        self._sent: dict[str, ScheduledJob] = {}
        self.task: Any = None

    def register_task(self) -> Any:
        """Define the firing task on the Celery app (call it in the worker and the client)."""
        if self.task is not None:
            return self.task
        scheduler = self

        @self.app.task(name=self.task_name, ignore_result=True)  # type: ignore[untyped-decorator]
        def fire_timer(body: str) -> str:
            job = ScheduledJob.from_json(body)
            fire = scheduler._handlers.get(job.machine)
            if fire is None:
                logger.error(
                    "no orchestrator registered for machine %r in this worker", job.machine
                )
                return "no_handler"
            asyncio.run(_call(fire, job))
            return "fired"

        self.task = fire_timer
        return fire_timer

    async def schedule(self, job: ScheduledJob) -> None:
        previous = self._sent.pop(job.key, None)
        if previous is not None and previous.job_id != job.job_id:
            await asyncio.to_thread(self._revoke, previous.job_id)
        # Sending talks to the broker synchronously; keep it off the event loop.
        await asyncio.to_thread(
            self.app.send_task,
            self.task_name,
            args=[job.to_json()],
            countdown=max(0.0, job.due_at - now()),
            task_id=job.job_id,
        )
        self._sent[job.key] = job

    async def cancel(
        self, machine: str, entity_id: str, states: Iterable[str] | None = None
    ) -> int:
        wanted = None if states is None else set(states)
        dropped = 0
        for key, job in list(self._sent.items()):
            if job.machine != machine or job.entity_id != entity_id:
                continue
            if wanted is not None and job.armed_in not in wanted:
                continue
            del self._sent[key]
            await asyncio.to_thread(self._revoke, job.job_id)
            dropped += 1
        return dropped

    def _revoke(self, task_id: str) -> None:
        try:
            self.app.control.revoke(task_id)
        except Exception:
            # The firing-time check makes a missed revoke harmless; keep going.
            logger.warning("could not revoke timer task %r", task_id, exc_info=True)

    async def pending(
        self, machine: str | None = None, entity_id: str | None = None
    ) -> list[ScheduledJob]:
        """Jobs this process sent that are not yet due (Celery cannot list other senders')."""
        current = now()
        jobs = [
            job
            for job in self._sent.values()
            if job.due_at > current
            and (machine is None or job.machine == machine)
            and (entity_id is None or job.entity_id == entity_id)
        ]
        return sorted(jobs, key=lambda job: (job.due_at, job.key))

    async def close(self) -> None:
        self._sent.clear()


async def _call(fire: Any, job: ScheduledJob) -> None:
    await fire(job)
