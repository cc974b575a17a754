"""Guards: named predicates registered in Python, and declarative `check:` predicates.

The engine asks this module for one callable per guard; named guards are looked up in a
`GuardRegistry` each time so that registering later still takes effect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pystator.runtime.errors import GuardNotFoundError
from pystator.runtime.registry import Registry
from pystator.runtime.spec import CheckOp, CheckSpec

GUARD_PARAMS_KEY = "_guard_params"

GuardResult = bool | Awaitable[bool]
GuardFn = Callable[[Any], GuardResult]
Predicate = Callable[[Mapping[str, Any]], bool]


class GuardRegistry(Registry[GuardFn]):
    """Guards by name. A guard takes the context dict and returns a bool (or awaitable)."""

    kind = "guard"

    def _missing(self, name: str) -> GuardNotFoundError:
        return GuardNotFoundError(f"Guard {name!r} is not registered", guard_name=name)


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
