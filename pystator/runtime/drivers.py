"""Drivers: run the decision core, which never awaits, for asynchronous callers.

The engine decides synchronously, calling guards as it goes. The asynchronous driver gives
it a registry whose guards interrupt the decision at the first awaitable outcome; the
driver awaits it, and decides again with every outcome known so far answered from memory.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, TypeVar

from pystator.runtime.guards import GUARD_PARAMS_KEY, GuardFn, GuardRegistry

R = TypeVar("R")


class GuardPending(BaseException):
    """A guard returned an awaitable: the decision stops until the driver has awaited it.

    A BaseException so that the core, which counts a guard's exceptions as rejections,
    lets it through."""

    def __init__(self, key: tuple[str, int], awaitable: Awaitable[Any]) -> None:
        super().__init__(key)
        self.key = key
        self.awaitable = awaitable


class _Raised:
    """A guard's exception, kept to raise again each time the decision asks."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


class AwaitingGuards(GuardRegistry):
    """The guards of `registry`, each called at most once per decision: an outcome known
    from an earlier attempt is given again, an awaitable one raises GuardPending."""

    def __init__(self, registry: GuardRegistry) -> None:
        super().__init__()
        self._registry = registry
        self._answers: dict[tuple[str, int], Any] = {}

    def get(self, name: str) -> GuardFn:
        fn = self._registry.get(name)
        answers = self._answers

        def answer(context: Mapping[str, Any]) -> Any:
            # A named guard with parameters is a different question for each set of them.
            key = (name, id(context.get(GUARD_PARAMS_KEY)))
            if key in answers:
                known = answers[key]
                if isinstance(known, _Raised):
                    raise known.error
                return known
            try:
                outcome = fn(context)
            except Exception as exc:
                answers[key] = _Raised(exc)
                raise
            if outcome.__class__ is not bool and inspect.isawaitable(outcome):
                raise GuardPending(key, outcome)
            answers[key] = outcome
            return outcome

        return answer

    async def settle(self, pending: GuardPending) -> None:
        try:
            self._answers[pending.key] = await pending.awaitable
        except Exception as exc:  # a guard that raises rejects its transition
            self._answers[pending.key] = _Raised(exc)


async def decide_async(decide: Callable[[GuardRegistry], R], registry: GuardRegistry) -> R:
    """`decide(guards)`, awaiting each asynchronous guard it meets on the way."""
    guards = AwaitingGuards(registry)
    while True:
        try:
            return decide(guards)
        except GuardPending as pending:
            await guards.settle(pending)


def run_sync(coroutine: Coroutine[Any, Any, R]) -> R:
    """The value of a coroutine that never suspends (its synchronous mode refuses every
    awaitable before awaiting it), computed without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        value: R = stop.value
        return value
    coroutine.close()
    raise RuntimeError("a synchronous driver met an awaitable it should have refused")
