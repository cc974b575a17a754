"""The runtime: what generated modules import, and all that runs at event time.

Standard library only. Each public name below loads its module on first use, so a generated
module pulls in the engine it needs and never the stores, schedulers or orchestrator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pystator._lazy import lazy_exports

if TYPE_CHECKING:
    from pystator.runtime.actions import (
        ACTION_PARAMS_KEY,
        ActionExecutor,
        ActionRegistry,
        ExecutionMode,
        ExecutionResult,
    )
    from pystator.runtime.definition import (
        Event,
        GuardEvaluator,
        GuardResult,
        Region,
        State,
        Timeout,
        Transition,
    )
    from pystator.runtime.errors import (
        ActionNotFoundError,
        AmbiguousEntityError,
        ConfigurationError,
        ErrorCode,
        FSMError,
        GuardNotFoundError,
        GuardRejectedError,
        InvalidIdentifierError,
        InvalidTransitionError,
        StaleVersionError,
        StoreError,
        StoreUnavailableError,
        TerminalStateError,
        TimeoutExpiredError,
        UndefinedStateError,
        UndefinedTriggerError,
        UnstorableValueError,
        ValidationError,
    )
    from pystator.runtime.guards import GUARD_PARAMS_KEY, GuardRegistry
    from pystator.runtime.hooks import (
        LoggingHook,
        MetricsCollector,
        TransitionHook,
        TransitionMetrics,
        TransitionObserver,
    )
    from pystator.runtime.invoke import InvokeAdapter, NoOpInvokeAdapter
    from pystator.runtime.machine import StateMachine
    from pystator.runtime.orchestrator import ContextValidatorFn, Orchestrator, TimerOutcome
    from pystator.runtime.parallel import ParallelStateConfig
    from pystator.runtime.results import TransitionResult
    from pystator.runtime.scheduler import (
        AsyncioScheduler,
        CeleryScheduler,
        RedisScheduler,
        ScheduledJob,
        Scheduler,
    )
    from pystator.runtime.session import EntitySession
    from pystator.runtime.spec import (
        ActionSpec,
        GuardSpec,
        InvokeSpec,
        MachineSpec,
        StateType,
        TimeoutSpec,
        TimerSpec,
    )
    from pystator.runtime.stores import (
        AsyncStateStore,
        InMemoryStateStore,
        PostgresStateStore,
        RedisStateStore,
        SQLiteStateStore,
        StateStore,
    )
    from pystator.runtime.visualization import to_dot, to_mermaid

# Must name exactly what the block above imports; tests/test_lazy.py holds them together.
_SOURCES: dict[str, tuple[str, ...]] = {
    "pystator.runtime.actions": (
        "ACTION_PARAMS_KEY",
        "ActionExecutor",
        "ActionRegistry",
        "ExecutionMode",
        "ExecutionResult",
    ),
    "pystator.runtime.definition": (
        "Event",
        "GuardEvaluator",
        "GuardResult",
        "Region",
        "State",
        "Timeout",
        "Transition",
    ),
    "pystator.runtime.errors": (
        "ActionNotFoundError",
        "AmbiguousEntityError",
        "ConfigurationError",
        "ErrorCode",
        "FSMError",
        "GuardNotFoundError",
        "GuardRejectedError",
        "InvalidIdentifierError",
        "InvalidTransitionError",
        "StaleVersionError",
        "StoreError",
        "StoreUnavailableError",
        "TerminalStateError",
        "TimeoutExpiredError",
        "UndefinedStateError",
        "UndefinedTriggerError",
        "UnstorableValueError",
        "ValidationError",
    ),
    "pystator.runtime.guards": ("GUARD_PARAMS_KEY", "GuardRegistry"),
    "pystator.runtime.hooks": (
        "LoggingHook",
        "MetricsCollector",
        "TransitionHook",
        "TransitionMetrics",
        "TransitionObserver",
    ),
    "pystator.runtime.invoke": ("InvokeAdapter", "NoOpInvokeAdapter"),
    "pystator.runtime.machine": ("StateMachine",),
    "pystator.runtime.orchestrator": ("ContextValidatorFn", "Orchestrator", "TimerOutcome"),
    "pystator.runtime.parallel": ("ParallelStateConfig",),
    "pystator.runtime.results": ("TransitionResult",),
    "pystator.runtime.scheduler": (
        "AsyncioScheduler",
        "CeleryScheduler",
        "RedisScheduler",
        "ScheduledJob",
        "Scheduler",
    ),
    "pystator.runtime.session": ("EntitySession",),
    "pystator.runtime.spec": (
        "ActionSpec",
        "GuardSpec",
        "InvokeSpec",
        "MachineSpec",
        "StateType",
        "TimeoutSpec",
        "TimerSpec",
    ),
    "pystator.runtime.stores": (
        "AsyncStateStore",
        "InMemoryStateStore",
        "PostgresStateStore",
        "RedisStateStore",
        "SQLiteStateStore",
        "StateStore",
    ),
    "pystator.runtime.visualization": ("to_dot", "to_mermaid"),
}

if not TYPE_CHECKING:  # type checkers read the imports above and see no fallback lookup
    __getattr__, __dir__ = lazy_exports(__name__, _SOURCES)

__all__ = [
    "ACTION_PARAMS_KEY",
    "GUARD_PARAMS_KEY",
    "ActionExecutor",
    "ActionNotFoundError",
    "ActionRegistry",
    "ActionSpec",
    "AmbiguousEntityError",
    "AsyncStateStore",
    "AsyncioScheduler",
    "CeleryScheduler",
    "ConfigurationError",
    "ContextValidatorFn",
    "EntitySession",
    "ErrorCode",
    "Event",
    "ExecutionMode",
    "ExecutionResult",
    "FSMError",
    "GuardEvaluator",
    "GuardNotFoundError",
    "GuardRegistry",
    "GuardRejectedError",
    "GuardResult",
    "GuardSpec",
    "InMemoryStateStore",
    "InvalidIdentifierError",
    "InvalidTransitionError",
    "InvokeAdapter",
    "InvokeSpec",
    "LoggingHook",
    "MachineSpec",
    "MetricsCollector",
    "NoOpInvokeAdapter",
    "Orchestrator",
    "ParallelStateConfig",
    "PostgresStateStore",
    "RedisScheduler",
    "RedisStateStore",
    "Region",
    "SQLiteStateStore",
    "ScheduledJob",
    "Scheduler",
    "StaleVersionError",
    "State",
    "StateMachine",
    "StateStore",
    "StateType",
    "StoreError",
    "StoreUnavailableError",
    "TerminalStateError",
    "Timeout",
    "TimeoutExpiredError",
    "TimeoutSpec",
    "TimerOutcome",
    "TimerSpec",
    "Transition",
    "TransitionHook",
    "TransitionMetrics",
    "TransitionObserver",
    "TransitionResult",
    "UndefinedStateError",
    "UndefinedTriggerError",
    "UnstorableValueError",
    "ValidationError",
    "to_dot",
    "to_mermaid",
]
