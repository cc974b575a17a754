"""Actions: side effects run after a transition has been committed.

`ActionRegistry` holds callables by name, `ActionExecutor` runs a result's actions in one
of three modes, and `apply_effect` performs the declarative context effects.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pystator.runtime.drivers import run_sync
from pystator.runtime.errors import ActionNotFoundError, ErrorCode, FSMError
from pystator.runtime.registry import Registry
from pystator.runtime.results import TransitionResult
from pystator.runtime.spec import ActionSpec, EffectType

ACTION_PARAMS_KEY = "_action_params"

ActionFn = Callable[[Any], Any]


class ExecutionMode(StrEnum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"
    PHASED = "phased"


class ActionRegistry(Registry[ActionFn]):
    """Actions by name. An action takes the context dict; it may be async."""

    kind = "action"

    def _missing(self, name: str) -> ActionNotFoundError:
        return ActionNotFoundError(f"Action {name!r} is not registered", action_name=name)


def apply_effect(spec: ActionSpec, context: MutableMapping[str, Any]) -> None:
    """Apply one declarative effect (`set`, `timestamp`, ...) to `context` in place."""
    params = spec.params
    effect = spec.effect
    if effect is EffectType.SET:
        context.update(copy.deepcopy(dict(params)) if _mutable(params) else params)
    elif effect is EffectType.TIMESTAMP:
        context[params["field"]] = datetime.now(UTC).isoformat()
    elif effect is EffectType.INCREMENT:
        context[params["field"]] = context.get(params["field"], 0) + 1
    elif effect is EffectType.DECREMENT:
        context[params["field"]] = context.get(params["field"], 0) - 1
    elif effect is EffectType.APPEND:
        current = context.get(params["field"])
        items = list(current) if isinstance(current, list | tuple) else []
        items.append(params["value"])
        context[params["field"]] = items
    elif effect is EffectType.CLEAR:
        for key in params["fields"]:
            context.pop(key, None)
    else:
        raise ValueError(f"{spec.name!r} is not a declarative effect")


def apply_effects(specs: Sequence[ActionSpec], context: MutableMapping[str, Any]) -> None:
    for spec in specs:
        if spec.effect is not None:
            apply_effect(spec, context)


EffectsFn = Callable[[dict[str, Any]], None]


def compile_effects(specs: Sequence[ActionSpec]) -> EffectsFn | None:
    """One function applying every effect in `specs`, or None when there are none.

    Built once per route so that an event pays for the effects it has and nothing else:
    effects that only set plain values are one `dict.update`, and any other list one
    function that runs its steps without calling out for the usual ones (sets and
    timestamps).
    """
    effects = [spec for spec in specs if spec.effect is not None]
    if not effects:
        return None
    merged = set_values(effects)
    if merged is not None:
        return merged_set(merged)
    steps = tuple(_effect_step(spec) for spec in effects)

    def apply(context: dict[str, Any]) -> None:
        for kind, value in steps:
            if kind is _SET:
                context.update(value)
            elif kind is _STAMP:
                context[value] = datetime.now(UTC).isoformat()
            else:
                apply_effect(value, context)

    return apply


def set_values(specs: Sequence[ActionSpec]) -> dict[str, Any] | None:
    """When the effects in `specs` only set plain values, all of them in one dict (which
    `context.update` applies, for callers that skip even `compile_effects`' call)."""
    effects = [spec for spec in specs if spec.effect is not None]
    if not effects or any(spec.effect is not EffectType.SET for spec in effects):
        return None
    merged: dict[str, Any] = {}
    for spec in effects:
        merged.update(spec.params)
    return None if _mutable(merged) else merged


_SET, _STAMP, _OTHER = "set", "stamp", "other"


def _effect_step(spec: ActionSpec) -> tuple[str, Any]:
    """One effect as (kind, what the kind needs), so that applying it does no dispatch."""
    params = spec.params
    if spec.effect is EffectType.SET and not _mutable(params):
        return _SET, dict(params)
    if spec.effect is EffectType.TIMESTAMP:
        return _STAMP, params["field"]
    return _OTHER, spec


def _mutable(values: Mapping[str, Any]) -> bool:
    """True if a value could be changed in place, so each context needs its own copy."""
    return any(not isinstance(v, str | int | float | bool | type(None)) for v in values.values())


def merged_set(values: dict[str, Any]) -> EffectsFn:
    def apply(context: dict[str, Any]) -> None:
        context.update(values)

    return apply


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What happened to one action."""

    name: str
    success: bool
    phase: str
    duration_ms: float
    error: FSMError | None = None
    value: Any = None


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """Every action's outcome; a failed action never undoes the transition itself."""

    outcomes: tuple[ActionOutcome, ...] = ()
    mode: ExecutionMode = ExecutionMode.SEQUENTIAL
    errors: tuple[FSMError, ...] = field(default=())

    @property
    def success(self) -> bool:
        return all(outcome.success for outcome in self.outcomes)

    @property
    def executed(self) -> tuple[str, ...]:
        return tuple(outcome.name for outcome in self.outcomes if outcome.success)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(outcome.name for outcome in self.outcomes if not outcome.success)


def _phases(result: TransitionResult) -> tuple[tuple[str, tuple[ActionSpec, ...]], ...]:
    return (
        ("exit", result.on_exit_actions),
        ("transition", result.actions_to_execute),
        ("enter", result.on_enter_actions),
    )


def _named(result: TransitionResult) -> Iterator[tuple[str, ActionSpec]]:
    """(phase, action) for every named action of `result`, in execution order; declarative
    effects are left out (they were applied with the transition)."""
    for phase, specs in _phases(result):
        for spec in specs:
            if spec.effect is None:
                yield phase, spec


def _action_context(spec: ActionSpec, context: Mapping[str, Any]) -> dict[str, Any]:
    ctx = dict(context)
    ctx[ACTION_PARAMS_KEY] = dict(spec.params)
    return ctx


def _failure(spec: ActionSpec, phase: str, started: float, exc: BaseException) -> ActionOutcome:
    if isinstance(exc, FSMError):
        error = exc
    else:
        error = FSMError(
            f"Action {spec.name!r} failed: {type(exc).__name__}: {exc}",
            {"action_name": spec.name, "phase": phase},
            code=ErrorCode.ACTION_FAILED,
        )
        error.__cause__ = exc
    return ActionOutcome(spec.name, False, phase, _elapsed(started), error)


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


class ActionExecutor:
    """Runs a transition's actions after the new state has been persisted.

    Declarative effects are skipped here: sessions and the orchestrator apply them to the
    context as part of the transition.
    """

    def __init__(
        self,
        registry: ActionRegistry,
        default_mode: ExecutionMode = ExecutionMode.SEQUENTIAL,
        *,
        stop_on_error: bool = False,
    ) -> None:
        self.registry = registry
        self.default_mode = ExecutionMode(default_mode)
        self.stop_on_error = stop_on_error

    def execute(
        self, result: TransitionResult, context: Mapping[str, Any] | None = None
    ) -> ExecutionResult:
        """Run every action in order (exit, transition, enter); async actions are refused."""
        return run_sync(self._sequential(result, context, asynchronous=False))

    async def async_execute_sequential(
        self, result: TransitionResult, context: Mapping[str, Any] | None = None
    ) -> ExecutionResult:
        return await self._sequential(result, context, asynchronous=True)

    async def _sequential(
        self, result: TransitionResult, context: Mapping[str, Any] | None, asynchronous: bool
    ) -> ExecutionResult:
        """Run the actions one after the other: the one loop of both drivers, which awaits
        only when `asynchronous` is set (synchronous callers run it without a loop)."""
        context = context or {}
        outcomes: list[ActionOutcome] = []
        if not result.success:
            return ExecutionResult((), ExecutionMode.SEQUENTIAL)
        for phase, spec in _named(result):
            outcome = await self._run(spec, phase, context, asynchronous)
            outcomes.append(outcome)
            if not outcome.success and self.stop_on_error:
                break
        return _collect(outcomes, ExecutionMode.SEQUENTIAL)

    async def _run(
        self, spec: ActionSpec, phase: str, context: Mapping[str, Any], asynchronous: bool
    ) -> ActionOutcome:
        started = time.perf_counter()
        try:
            fn = self.registry.get(spec.name)
            value = fn(_action_context(spec, context))
            if inspect.isawaitable(value):
                if not asynchronous:
                    if inspect.iscoroutine(value):
                        value.close()
                    raise FSMError(
                        f"Action {spec.name!r} is asynchronous; run it with an "
                        "async_execute_* method",
                        {"action_name": spec.name},
                        code=ErrorCode.ACTION_FAILED,
                    )
                value = await value
        except Exception as exc:  # reported in the outcome, never raised
            return _failure(spec, phase, started, exc)
        return ActionOutcome(spec.name, True, phase, _elapsed(started), value=value)

    async def async_execute_parallel(
        self, result: TransitionResult, context: Mapping[str, Any] | None = None
    ) -> ExecutionResult:
        import asyncio  # a running loop has loaded it already; sync callers never pay for it

        context = context or {}
        if not result.success:
            return ExecutionResult((), ExecutionMode.PARALLEL)
        jobs: list[Awaitable[ActionOutcome]] = [
            self._run(spec, phase, context, True) for phase, spec in _named(result)
        ]
        outcomes = await asyncio.gather(*jobs)
        return _collect(list(outcomes), ExecutionMode.PARALLEL)

    async def async_execute_phased(
        self, result: TransitionResult, context: Mapping[str, Any] | None = None
    ) -> ExecutionResult:
        import asyncio

        context = context or {}
        outcomes: list[ActionOutcome] = []
        if not result.success:
            return ExecutionResult((), ExecutionMode.PHASED)
        for phase, specs in _phases(result):
            batch = await asyncio.gather(
                *(self._run(spec, phase, context, True) for spec in specs if spec.effect is None)
            )
            outcomes.extend(batch)
            if self.stop_on_error and not all(outcome.success for outcome in batch):
                break
        return _collect(outcomes, ExecutionMode.PHASED)

    async def async_execute_with_mode(
        self,
        result: TransitionResult,
        context: Mapping[str, Any] | None = None,
        mode: ExecutionMode | None = None,
    ) -> ExecutionResult:
        chosen = ExecutionMode(mode) if mode is not None else self.default_mode
        if chosen is ExecutionMode.PARALLEL:
            return await self.async_execute_parallel(result, context)
        if chosen is ExecutionMode.PHASED:
            return await self.async_execute_phased(result, context)
        return await self.async_execute_sequential(result, context)

    async def async_execute(
        self, result: TransitionResult, context: Mapping[str, Any] | None = None
    ) -> ExecutionResult:
        return await self.async_execute_with_mode(result, context)


def _collect(outcomes: list[ActionOutcome], mode: ExecutionMode) -> ExecutionResult:
    errors = tuple(outcome.error for outcome in outcomes if outcome.error is not None)
    return ExecutionResult(tuple(outcomes), mode, errors)
