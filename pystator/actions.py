"""Public home of the action API (`from pystator.actions import ActionExecutor`).

The implementation lives in `pystator.runtime.actions`.
"""

from pystator.runtime.actions import (
    ACTION_PARAMS_KEY,
    ActionExecutor,
    ActionOutcome,
    ActionRegistry,
    ExecutionMode,
    ExecutionResult,
    apply_effect,
)

__all__ = [
    "ACTION_PARAMS_KEY",
    "ActionExecutor",
    "ActionOutcome",
    "ActionRegistry",
    "ExecutionMode",
    "ExecutionResult",
    "apply_effect",
]
