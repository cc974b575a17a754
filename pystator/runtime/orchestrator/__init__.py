"""The Orchestrator: load -> decide -> commit -> act for entities kept in a state store.

`runner` is the public class; `loop` the event loop written once, without I/O; `plan`
the pure commit planner; `drivers` runs a loop synchronously or awaiting; `stores` checks
the store protocol and adapts minimal stores; `layers` stacks registries over a machine's.
"""

from __future__ import annotations

from pystator.runtime.orchestrator.layers import LayeredActions, LayeredGuards
from pystator.runtime.orchestrator.loop import (
    CREATE_TRIGGER,
    MAX_CONFLICTS,
    ContextValidatorFn,
)
from pystator.runtime.orchestrator.plan import Entity, Landing, WriteSet, plan, step_of
from pystator.runtime.orchestrator.runner import TIMER_LOG_SIZE, Orchestrator, TimerOutcome
from pystator.runtime.orchestrator.stores import (
    LastWriterWinsWarning,
    StateStoreAdapter,
    versioned_store,
)

__all__ = [
    "CREATE_TRIGGER",
    "MAX_CONFLICTS",
    "TIMER_LOG_SIZE",
    "ContextValidatorFn",
    "Entity",
    "Landing",
    "LastWriterWinsWarning",
    "LayeredActions",
    "LayeredGuards",
    "Orchestrator",
    "StateStoreAdapter",
    "TimerOutcome",
    "WriteSet",
    "plan",
    "step_of",
    "versioned_store",
]
