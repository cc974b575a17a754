"""Schedulers for delayed transitions and state timeouts: asyncio, Redis and Celery.

Each scheduler loads on first use; Redis and Celery themselves only when one is started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pystator._lazy import lazy_exports

if TYPE_CHECKING:
    from pystator.runtime.scheduler.asyncio_scheduler import AsyncioScheduler
    from pystator.runtime.scheduler.base import FireFn, Scheduler, SchedulerBase
    from pystator.runtime.scheduler.celery_scheduler import CeleryScheduler
    from pystator.runtime.scheduler.redis_scheduler import RedisScheduler
    from pystator.runtime.timers import ScheduledJob

# Must name exactly what the block above imports; tests/test_lazy.py holds them together.
_SOURCES: dict[str, tuple[str, ...]] = {
    "pystator.runtime.scheduler.asyncio_scheduler": ("AsyncioScheduler",),
    "pystator.runtime.scheduler.base": ("FireFn", "Scheduler", "SchedulerBase"),
    "pystator.runtime.scheduler.celery_scheduler": ("CeleryScheduler",),
    "pystator.runtime.scheduler.redis_scheduler": ("RedisScheduler",),
    "pystator.runtime.timers": ("ScheduledJob",),
}

if not TYPE_CHECKING:  # type checkers read the imports above and see no fallback lookup
    __getattr__, __dir__ = lazy_exports(__name__, _SOURCES)

__all__ = [
    "AsyncioScheduler",
    "CeleryScheduler",
    "FireFn",
    "RedisScheduler",
    "ScheduledJob",
    "Scheduler",
    "SchedulerBase",
]
