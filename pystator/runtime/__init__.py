"""The runtime: what generated modules import, and all that runs at event time.

Standard library only; the compiler front end is imported lazily by `from_yaml`.
"""

from pystator.runtime.actions import (
    ACTION_PARAMS_KEY,
    ActionExecutor,
    ActionRegistry,
    ExecutionMode,
    ExecutionResult,
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
from pystator.runtime.spec import InvokeSpec, MachineSpec, StateType, TimeoutSpec, TimerSpec
from pystator.runtime.stores import (
    AsyncStateStore,
    InMemoryStateStore,
    PostgresStateStore,
    RedisStateStore,
    SQLiteStateStore,
    StateStore,
)
from pystator.runtime.visualization import to_dot, to_mermaid

__all__ = [
    "ACTION_PARAMS_KEY",
    "GUARD_PARAMS_KEY",
    "ActionExecutor",
    "ActionNotFoundError",
    "ActionRegistry",
    "AmbiguousEntityError",
    "AsyncStateStore",
    "AsyncioScheduler",
    "CeleryScheduler",
    "ConfigurationError",
    "ContextValidatorFn",
    "EntitySession",
    "ErrorCode",
    "ExecutionMode",
    "ExecutionResult",
    "FSMError",
    "GuardNotFoundError",
    "GuardRegistry",
    "GuardRejectedError",
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
    "SQLiteStateStore",
    "ScheduledJob",
    "Scheduler",
    "StaleVersionError",
    "StateMachine",
    "StateStore",
    "StateType",
    "StoreError",
    "StoreUnavailableError",
    "TerminalStateError",
    "TimeoutExpiredError",
    "TimeoutSpec",
    "TimerOutcome",
    "TimerSpec",
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
