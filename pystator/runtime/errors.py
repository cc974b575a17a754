"""Errors raised or reported by the runtime.

Every exception derives from `FSMError` and carries a machine-readable `ErrorCode`;
soft failures travel inside `TransitionResult.error` instead of being raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    GUARD_REJECTED = "guard_rejected"
    VALIDATION_FAILED = "validation_failed"
    INVALID_STATE = "invalid_state"
    INVALID_TRIGGER = "invalid_trigger"
    TERMINAL_STATE = "terminal_state"
    TIMEOUT = "timeout"
    CONFIG = "config"
    ACTION_FAILED = "action_failed"
    STALE_VERSION = "stale_version"
    GUARD_NOT_FOUND = "guard_not_found"
    ACTION_NOT_FOUND = "action_not_found"
    UNDEFINED_STATE = "undefined_state"
    INVALID_ID = "invalid_id"
    UNSTORABLE_VALUE = "unstorable_value"
    AMBIGUOUS_ENTITY = "ambiguous_entity"
    STORE_ERROR = "store_error"
    STORE_UNAVAILABLE = "store_unavailable"


class FSMError(Exception):
    """Base of every pystator error."""

    code: ErrorCode | None = None

    def __init__(
        self,
        message: str,
        context: dict[str, Any] | None = None,
        *,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = dict(context or {})
        if code is not None:
            self.code = code

    def _keep(self, message: str, context: dict[str, Any] | None, /, **fields: Any) -> None:
        """Initialise with `fields` kept as attributes and added, in order, to the context."""
        FSMError.__init__(self, message, {**(context or {}), **fields})
        for name, value in fields.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        if self.context:
            details = ", ".join(f"{key}={value!r}" for key, value in self.context.items())
            return f"{self.message} ({details})"
        return self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "message": self.message,
            "code": self.code.value if self.code else None,
            "context": self.context,
        }


class ConfigurationError(FSMError):
    """The machine definition is invalid; `diagnostics` holds the compiler's findings."""

    code = ErrorCode.CONFIG

    def __init__(
        self,
        message: str,
        path: str | None = None,
        context: dict[str, Any] | None = None,
        *,
        diagnostics: Sequence[Any] = (),
    ) -> None:
        ctx = dict(context or {})
        if path:
            ctx["path"] = path
        super().__init__(message, ctx)
        self.path = path
        self.diagnostics = tuple(diagnostics)

    def __str__(self) -> str:
        return self.message


class InvalidTransitionError(FSMError):
    """No transition can fire for this trigger from this state."""

    code = ErrorCode.INVALID_TRIGGER
    current_state: str
    trigger: str

    def __init__(
        self,
        message: str,
        current_state: str,
        trigger: str,
        context: dict[str, Any] | None = None,
    ) -> None:
        self._keep(message, context, current_state=current_state, trigger=trigger)


class GuardRejectedError(InvalidTransitionError):
    """Every candidate transition was rejected by a guard; `guard_name` names the last one."""

    code = ErrorCode.GUARD_REJECTED
    guard_name: str
    guard_result: Any

    def __init__(
        self,
        message: str,
        current_state: str,
        trigger: str,
        guard_name: str,
        guard_result: Any = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        self._keep(
            message,
            context,
            guard_name=guard_name,
            guard_result=guard_result,
            current_state=current_state,
            trigger=trigger,
        )


class TerminalStateError(InvalidTransitionError):
    """The entity is in a terminal state and accepts no further events."""

    code = ErrorCode.TERMINAL_STATE

    def __init__(
        self, current_state: str, trigger: str, context: dict[str, Any] | None = None
    ) -> None:
        super().__init__(
            f"Cannot transition from terminal state {current_state!r}",
            current_state,
            trigger,
            context,
        )


class UndefinedStateError(FSMError):
    """A state name that the machine does not define."""

    code = ErrorCode.UNDEFINED_STATE
    state_name: str

    def __init__(
        self, message: str, state_name: str, context: dict[str, Any] | None = None
    ) -> None:
        self._keep(message, context, state_name=state_name)


class UndefinedTriggerError(FSMError):
    """A trigger name that no transition of the machine uses."""

    code = ErrorCode.INVALID_TRIGGER
    trigger: str

    def __init__(
        self,
        message: str,
        trigger: str,
        available_triggers: Sequence[str] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        listed = {"available_triggers": list(available_triggers)} if available_triggers else {}
        self._keep(message, context, trigger=trigger, **listed)
        self.available_triggers = list(available_triggers or ())


class GuardNotFoundError(FSMError):
    """A guard named in the machine has no implementation bound."""

    code = ErrorCode.GUARD_NOT_FOUND
    guard_name: str

    def __init__(
        self, message: str, guard_name: str, context: dict[str, Any] | None = None
    ) -> None:
        self._keep(message, context, guard_name=guard_name)


class ActionNotFoundError(FSMError):
    """An action named in the machine has no implementation bound."""

    code = ErrorCode.ACTION_NOT_FOUND
    action_name: str

    def __init__(
        self, message: str, action_name: str, context: dict[str, Any] | None = None
    ) -> None:
        self._keep(message, context, action_name=action_name)


class TimeoutExpiredError(FSMError):
    """A state's timeout passed before the entity left it."""

    code = ErrorCode.TIMEOUT
    state_name: str
    timeout_seconds: float
    elapsed_seconds: float

    def __init__(
        self,
        message: str,
        state_name: str,
        timeout_seconds: float,
        elapsed_seconds: float,
        context: dict[str, Any] | None = None,
    ) -> None:
        self._keep(
            message,
            context,
            state_name=state_name,
            timeout_seconds=timeout_seconds,
            elapsed_seconds=elapsed_seconds,
        )


class StaleVersionError(FSMError):
    """Another writer changed the entity since it was read (optimistic locking)."""

    code = ErrorCode.STALE_VERSION
    entity_id: str
    expected_version: int | None
    actual_version: int | None

    def __init__(
        self,
        message: str,
        entity_id: str,
        expected_version: int | None = None,
        actual_version: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        self._keep(
            message,
            context,
            entity_id=entity_id,
            expected_version=expected_version,
            actual_version=actual_version,
        )


class ValidationError(FSMError):
    """The context failed validation before guards ran."""

    code = ErrorCode.VALIDATION_FAILED

    def __init__(
        self, message: str, errors: Sequence[str] = (), context: dict[str, Any] | None = None
    ) -> None:
        ctx = dict(context or {})
        if errors:
            ctx["errors"] = list(errors)
        super().__init__(message, ctx)
        self.errors = list(errors)


class InvalidIdentifierError(FSMError):
    """An entity id, machine name or idempotency key that no store could address.

    Raised before anything reaches a store; `kind` says which identifier it was.
    """

    code = ErrorCode.INVALID_ID

    def __init__(self, kind: str, value: object, reason: str, hint: str) -> None:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"{kind} {shown} {reason}; {hint}")
        self.kind = kind
        self.value = value
        self.reason = reason


class UnstorableValueError(FSMError):
    """A value that no store could write and read back identically (NaN, a tuple, a
    non-string key, a lone surrogate...); `path` names where it is, e.g. `context.items[3]`.
    """

    code = ErrorCode.UNSTORABLE_VALUE

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class AmbiguousEntityError(FSMError):
    """An entity id that several machines use, addressed without naming the machine."""

    code = ErrorCode.AMBIGUOUS_ENTITY

    def __init__(self, entity_id: str, machines: Sequence[str]) -> None:
        names = ", ".join(repr(name) for name in machines)
        super().__init__(
            f"entity {entity_id!r} exists under machines {names}; name the machine "
            "(machine_name=...) to address one of them"
        )
        self.entity_id = entity_id
        self.machines = tuple(machines)


class DuplicateEventError(StaleVersionError):
    """An event with this idempotency key was already committed; its outcome is stored."""

    def __init__(self, entity_id: str, key: str) -> None:
        super().__init__(
            f"an event with idempotency key {key!r} was already processed for entity {entity_id!r}",
            entity_id,
            context={"idempotency_key": key},
        )
        self.key = key


class StoreError(FSMError):
    """A state store or the service database failed an operation.

    The driver's exception is the `__cause__`; the message never repeats its text, which
    can hold SQL, connection strings or passwords.
    """

    code = ErrorCode.STORE_ERROR
    operation: str

    def __init__(self, message: str, operation: str, context: dict[str, Any] | None = None) -> None:
        self._keep(message, context, operation=operation)


class StoreUnavailableError(StoreError):
    """The store could not be reached or lost its connection; trying later may succeed.

    `maybe_committed` is True when a write was sent and the connection died before its
    answer arrived: it may have been applied. An event sent again with the same
    idempotency key is then applied at most once.
    """

    code = ErrorCode.STORE_UNAVAILABLE

    def __init__(
        self,
        message: str,
        operation: str,
        *,
        maybe_committed: bool = False,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, operation, context)
        self.maybe_committed = maybe_committed
