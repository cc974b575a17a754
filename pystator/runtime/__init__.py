"""The runtime: what generated modules import, and all that runs at event time.

Standard library only. Each public name below loads its module on first use, so a generated
module pulls in the engine it needs and never the stores, schedulers or orchestrator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pystator._lazy import lazy_exports

if TYPE_CHECKING:
    from pystator.runtime.actions import ACTION_PARAMS_KEY as ACTION_PARAMS_KEY
    from pystator.runtime.actions import ActionExecutor as ActionExecutor
    from pystator.runtime.actions import ActionRegistry as ActionRegistry
    from pystator.runtime.actions import ExecutionMode as ExecutionMode
    from pystator.runtime.actions import ExecutionResult as ExecutionResult
    from pystator.runtime.definition import Event as Event
    from pystator.runtime.definition import GuardEvaluator as GuardEvaluator
    from pystator.runtime.definition import GuardResult as GuardResult
    from pystator.runtime.definition import Region as Region
    from pystator.runtime.definition import State as State
    from pystator.runtime.definition import Timeout as Timeout
    from pystator.runtime.definition import Transition as Transition
    from pystator.runtime.errors import ActionNotFoundError as ActionNotFoundError
    from pystator.runtime.errors import AmbiguousEntityError as AmbiguousEntityError
    from pystator.runtime.errors import ConfigurationError as ConfigurationError
    from pystator.runtime.errors import ErrorCode as ErrorCode
    from pystator.runtime.errors import FSMError as FSMError
    from pystator.runtime.errors import GuardNotFoundError as GuardNotFoundError
    from pystator.runtime.errors import GuardRejectedError as GuardRejectedError
    from pystator.runtime.errors import InvalidIdentifierError as InvalidIdentifierError
    from pystator.runtime.errors import InvalidTransitionError as InvalidTransitionError
    from pystator.runtime.errors import StaleVersionError as StaleVersionError
    from pystator.runtime.errors import StoreError as StoreError
    from pystator.runtime.errors import StoreUnavailableError as StoreUnavailableError
    from pystator.runtime.errors import TerminalStateError as TerminalStateError
    from pystator.runtime.errors import TimeoutExpiredError as TimeoutExpiredError
    from pystator.runtime.errors import UndefinedStateError as UndefinedStateError
    from pystator.runtime.errors import UndefinedTriggerError as UndefinedTriggerError
    from pystator.runtime.errors import UnstorableValueError as UnstorableValueError
    from pystator.runtime.errors import ValidationError as ValidationError
    from pystator.runtime.guards import GUARD_PARAMS_KEY as GUARD_PARAMS_KEY
    from pystator.runtime.guards import GuardRegistry as GuardRegistry
    from pystator.runtime.hooks import LoggingHook as LoggingHook
    from pystator.runtime.hooks import MetricsCollector as MetricsCollector
    from pystator.runtime.hooks import TransitionHook as TransitionHook
    from pystator.runtime.hooks import TransitionMetrics as TransitionMetrics
    from pystator.runtime.hooks import TransitionObserver as TransitionObserver
    from pystator.runtime.invoke import InvokeAdapter as InvokeAdapter
    from pystator.runtime.invoke import NoOpInvokeAdapter as NoOpInvokeAdapter
    from pystator.runtime.machine import StateMachine as StateMachine
    from pystator.runtime.orchestrator import ContextValidatorFn as ContextValidatorFn
    from pystator.runtime.orchestrator import Orchestrator as Orchestrator
    from pystator.runtime.orchestrator import TimerOutcome as TimerOutcome
    from pystator.runtime.parallel import ParallelStateConfig as ParallelStateConfig
    from pystator.runtime.results import TransitionResult as TransitionResult
    from pystator.runtime.scheduler import AsyncioScheduler as AsyncioScheduler
    from pystator.runtime.scheduler import CeleryScheduler as CeleryScheduler
    from pystator.runtime.scheduler import RedisScheduler as RedisScheduler
    from pystator.runtime.scheduler import ScheduledJob as ScheduledJob
    from pystator.runtime.scheduler import Scheduler as Scheduler
    from pystator.runtime.session import EntitySession as EntitySession
    from pystator.runtime.spec import ActionSpec as ActionSpec
    from pystator.runtime.spec import GuardSpec as GuardSpec
    from pystator.runtime.spec import InvokeSpec as InvokeSpec
    from pystator.runtime.spec import MachineSpec as MachineSpec
    from pystator.runtime.spec import StateType as StateType
    from pystator.runtime.spec import TimeoutSpec as TimeoutSpec
    from pystator.runtime.spec import TimerSpec as TimerSpec
    from pystator.runtime.stores import AsyncStateStore as AsyncStateStore
    from pystator.runtime.stores import InMemoryStateStore as InMemoryStateStore
    from pystator.runtime.stores import PostgresStateStore as PostgresStateStore
    from pystator.runtime.stores import RedisStateStore as RedisStateStore
    from pystator.runtime.stores import SQLiteStateStore as SQLiteStateStore
    from pystator.runtime.stores import StateStore as StateStore
    from pystator.runtime.visualization import to_dot as to_dot
    from pystator.runtime.visualization import to_mermaid as to_mermaid

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
    __getattr__, __dir__, __all__ = lazy_exports(__name__, _SOURCES)
