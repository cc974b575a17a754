"""Guards: named predicates registered in Python, and declarative `check:` predicates.

The engine asks this module for one callable per guard; named guards are looked up in a
`GuardRegistry` each time so that registering later still takes effect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

from pystator.runtime.errors import GuardNotFoundError
from pystator.runtime.spec import CheckOp, CheckSpec

GUARD_PARAMS_KEY = "_guard_params"

GuardResult = bool | Awaitable[bool]
GuardFn = Callable[[Any], GuardResult]
Predicate = Callable[[Mapping[str, Any]], bool]

F = TypeVar("F", bound=Callable[..., Any])


class GuardRegistry:
    """Guards by name. A guard takes the context dict and returns a bool (or awaitable)."""

    def __init__(self) -> None:
        self._guards: dict[str, GuardFn] = {}

    def register(self, name: str, fn: GuardFn) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"guard name must be a non-empty string, got {name!r}")
        if not callable(fn):
            raise TypeError(f"guard {name!r} must be callable, got {type(fn).__name__}")
        self._guards[name] = fn

    def decorator(self, name: str | None = None) -> Callable[[F], F]:
        """Register the decorated function under `name` (default: its own name)."""

        def wrap(fn: F) -> F:
            self.register(name or fn.__name__, fn)
            return fn

        return wrap

    def get(self, name: str) -> GuardFn:
        try:
            return self._guards[name]
        except KeyError:
            raise GuardNotFoundError(f"Guard {name!r} is not registered", guard_name=name) from None

    def unregister(self, name: str) -> None:
        self._guards.pop(name, None)

    def names(self) -> tuple[str, ...]:
        return tuple(self._guards)

    def update(self, other: GuardRegistry) -> None:
        self._guards.update(other._guards)

    def __contains__(self, name: object) -> bool:
        return name in self._guards

    def __iter__(self) -> Iterator[str]:
        return iter(self._guards)

    def __len__(self) -> int:
        return len(self._guards)


def check_predicate(check: CheckSpec) -> Predicate:
    """A predicate for a declarative check; comparisons with a missing field are False."""
    field, op, value = check.field, check.effective_op, check.value
    if op is CheckOp.IS_SET:
        return lambda ctx: ctx.get(field) is not None
    if op is CheckOp.IS_NULL:
        return lambda ctx: ctx.get(field) is None
    if op is CheckOp.IN:
        options = tuple(value) if isinstance(value, list | tuple) else (value,)
        return lambda ctx: ctx.get(field) in options
    if op is CheckOp.NOT_IN:
        options = tuple(value) if isinstance(value, list | tuple) else (value,)
        return lambda ctx: ctx.get(field) not in options
    if op is CheckOp.EQ:
        return lambda ctx: bool(ctx.get(field) == value)
    if op in (CheckOp.NE, CheckOp.NEQ):
        return lambda ctx: bool(ctx.get(field) != value)
    compare: Callable[[Any, Any], bool]
    if op is CheckOp.LT:
        compare = _lt
    elif op is CheckOp.LTE:
        compare = _lte
    elif op is CheckOp.GT:
        compare = _gt
    else:
        compare = _gte

    def ordered(ctx: Mapping[str, Any]) -> bool:
        current = ctx.get(field)
        return current is not None and compare(current, value)

    return ordered


def _lt(a: Any, b: Any) -> bool:
    return bool(a < b)


def _lte(a: Any, b: Any) -> bool:
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    return bool(a > b)


def _gte(a: Any, b: Any) -> bool:
    return bool(a >= b)
