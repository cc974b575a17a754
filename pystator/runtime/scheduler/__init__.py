"""Schedulers for delayed transitions and state timeouts: asyncio, Redis and Celery.

Redis and Celery are imported only when those schedulers are first used, so the runtime
stays standard-library only.
"""

from __future__ import annotations

from pystator.runtime.scheduler.asyncio_scheduler import AsyncioScheduler
from pystator.runtime.scheduler.base import FireFn, Scheduler, SchedulerBase
from pystator.runtime.scheduler.celery_scheduler import CeleryScheduler
from pystator.runtime.scheduler.redis_scheduler import RedisScheduler
from pystator.runtime.timers import ScheduledJob

__all__ = [
    "AsyncioScheduler",
    "CeleryScheduler",
    "FireFn",
    "RedisScheduler",
    "ScheduledJob",
    "Scheduler",
    "SchedulerBase",
]
