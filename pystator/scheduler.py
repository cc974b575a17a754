"""Schedulers for delayed transitions (`after:`) and state timeouts.

`from pystator.scheduler import AsyncioScheduler, RedisScheduler, CeleryScheduler`.
"""

from pystator.runtime.scheduler import (
    AsyncioScheduler,
    CeleryScheduler,
    FireFn,
    RedisScheduler,
    ScheduledJob,
    Scheduler,
    SchedulerBase,
)

__all__ = [
    "AsyncioScheduler",
    "CeleryScheduler",
    "FireFn",
    "RedisScheduler",
    "ScheduledJob",
    "Scheduler",
    "SchedulerBase",
]
