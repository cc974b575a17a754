"""Public home of the store protocols (`from pystator.core.state_store import StateStore`).

The implementations live in `pystator.runtime.stores`.
"""

from pystator.runtime.stores.base import AsyncStateStore, StateStore, VersionedStateStore
from pystator.runtime.stores.memory import InMemoryStateStore

__all__ = ["AsyncStateStore", "InMemoryStateStore", "StateStore", "VersionedStateStore"]
