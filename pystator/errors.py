"""Public home of the exception hierarchy (`from pystator.errors import FSMError`).

The implementation lives in `pystator.runtime.errors`.
"""

from pystator.runtime.errors import (
    ActionNotFoundError,
    ConfigurationError,
    ErrorCode,
    FSMError,
    GuardNotFoundError,
    GuardRejectedError,
    InvalidTransitionError,
    StaleVersionError,
    StoreError,
    StoreUnavailableError,
    TerminalStateError,
    TimeoutExpiredError,
    UndefinedStateError,
    UndefinedTriggerError,
    ValidationError,
)

__all__ = [
    "ActionNotFoundError",
    "ConfigurationError",
    "ErrorCode",
    "FSMError",
    "GuardNotFoundError",
    "GuardRejectedError",
    "InvalidTransitionError",
    "StaleVersionError",
    "StoreError",
    "StoreUnavailableError",
    "TerminalStateError",
    "TimeoutExpiredError",
    "UndefinedStateError",
    "UndefinedTriggerError",
    "ValidationError",
]
