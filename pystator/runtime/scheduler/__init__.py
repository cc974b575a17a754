"""Schedulers for delayed transitions and state timeouts: asyncio, Redis and Celery.

Each scheduler loads on first use; Redis and Celery themselves only when one is started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pystator._lazy import lazy_exports

if TYPE_CHECKING:
    from pystator.runtime.scheduler.asyncio_scheduler import AsyncioScheduler as AsyncioScheduler
    from pystator.runtime.scheduler.base import FireFn as FireFn
    from pystator.runtime.scheduler.base import Scheduler as Scheduler
    from pystator.runtime.scheduler.base import SchedulerBase as SchedulerBase
    from pystator.runtime.scheduler.celery_scheduler import CeleryScheduler as CeleryScheduler
    from pystator.runtime.scheduler.redis_scheduler import RedisScheduler as RedisScheduler
    from pystator.runtime.timers import ScheduledJob as ScheduledJob

# Must name exactly what the block above imports; tests/test_lazy.py holds them together.
_SOURCES: dict[str, tuple[str, ...]] = {
    "pystator.runtime.scheduler.asyncio_scheduler": ("AsyncioScheduler",),
    "pystator.runtime.scheduler.base": ("FireFn", "Scheduler", "SchedulerBase"),
    "pystator.runtime.scheduler.celery_scheduler": ("CeleryScheduler",),
    "pystator.runtime.scheduler.redis_scheduler": ("RedisScheduler",),
    "pystator.runtime.timers": ("ScheduledJob",),
}

if not TYPE_CHECKING:  # type checkers read the imports above and see no fallback lookup
    __getattr__, __dir__, __all__ = lazy_exports(__name__, _SOURCES)
