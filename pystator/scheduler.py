"""Schedulers for delayed transitions (`after:`) and state timeouts.

`from pystator.scheduler import AsyncioScheduler, RedisScheduler, CeleryScheduler`: the names
of `pystator.runtime.scheduler`, each loaded on first use.
"""

from typing import TYPE_CHECKING

from pystator._lazy import reexports

if TYPE_CHECKING:
    from pystator.runtime.scheduler import *  # noqa: F403
else:  # type checkers read the import above and see no fallback lookup
    __getattr__, __dir__ = reexports(__name__, "pystator.runtime.scheduler")
