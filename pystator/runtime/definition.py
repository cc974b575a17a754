"""Machines written as Python values: State, Transition, Timeout, Region, Event, and the
GuardEvaluator that checks a transition's guards outside the engine.

`StateMachine.from_objects(states, transitions)` turns these values into the same
configuration a YAML file holds and compiles it through the same front end.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pystator.runtime import expr
from pystator.runtime.guards import GUARD_PARAMS_KEY, GuardRegistry, Predicate, check_predicate
from pystator.runtime.spec import (
    ActionSpec,
    GuardSpec,
    InvokeSpec,
    RegionSpec,
    StateType,
    TimeoutSpec,
    TransitionSpec,
    empty_mapping,
)

#: A state's timeout: after `seconds` in the state, move to `destination`.
Timeout = TimeoutSpec
#: A region of a parallel state: its name, initial state and states.
Region = RegionSpec

GuardLike = str | GuardSpec
ActionLike = str | ActionSpec


@dataclass(frozen=True, slots=True)
class State:
    """One state of a machine written in Python; the fields mean what they mean in YAML."""

    name: str
    type: StateType = StateType.STABLE
    description: str = ""
    parent: str | None = None
    initial_child: str | None = None
    regions: tuple[RegionSpec, ...] = ()
    on_enter: tuple[ActionLike, ...] = ()
    on_exit: tuple[ActionLike, ...] = ()
    invoke: tuple[InvokeSpec, ...] = ()
    timeout: TimeoutSpec | None = None
    metadata: Mapping[str, Any] = field(default_factory=empty_mapping)

    def to_config(self) -> dict[str, Any]:
        """The state as a configuration mapping, as YAML would give it."""
        config: dict[str, Any] = {"name": self.name, "type": StateType(self.type).value}
        if self.description:
            config["description"] = self.description
        if self.parent is not None:
            config["parent"] = self.parent
        if self.initial_child is not None:
            config["initial_child"] = self.initial_child
        if self.regions:
            config["regions"] = [
                {"name": r.name, "initial": r.initial, "states": list(r.states)}
                for r in self.regions
            ]
        if self.on_enter:
            config["on_enter"] = [_action_config(a) for a in self.on_enter]
        if self.on_exit:
            config["on_exit"] = [_action_config(a) for a in self.on_exit]
        if self.invoke:
            config["invoke"] = [_invoke_config(service) for service in self.invoke]
        if self.timeout is not None:
            config["timeout"] = {
                "seconds": self.timeout.seconds,
                "destination": self.timeout.destination,
            }
        if self.metadata:
            config["metadata"] = dict(self.metadata)
        return config


@dataclass(frozen=True, slots=True)
class Transition:
    """One transition written in Python. `source` is a state name or a set of them;
    `trigger` may be None for eventless (`auto`) and implicit delayed (`after`) ones."""

    trigger: str | None
    source: str | frozenset[str] | tuple[str, ...]
    dest: str
    region: str | None = None
    guards: tuple[GuardLike, ...] = ()
    actions: tuple[ActionLike, ...] = ()
    after: int | str | None = None
    internal: bool = False
    auto: bool = False
    description: str = ""

    def to_config(self) -> dict[str, Any]:
        """The transition as a configuration mapping, as YAML would give it."""
        source = [self.source] if isinstance(self.source, str) else sorted(self.source)
        config: dict[str, Any] = {
            "source": source[0] if len(source) == 1 else source,
            "dest": self.dest,
        }
        if self.trigger is not None:
            config["trigger"] = self.trigger
        for key in ("region", "after", "description"):
            value = getattr(self, key)
            if value:
                config[key] = value
        if self.after == 0:
            config["after"] = 0
        if self.guards:
            config["guards"] = [_guard_config(g) for g in self.guards]
        if self.actions:
            config["actions"] = [_action_config(a) for a in self.actions]
        if self.internal:
            config["internal"] = True
        if self.auto:
            config["auto"] = True
        return config


@dataclass(frozen=True, slots=True)
class Event:
    """An event as a value: the trigger, its payload and where and when it happened.

    `machine.process(state, event.trigger, {**context, **event.payload})` and
    `session.send(event.trigger, **event.payload)` process it.
    """

    trigger: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    event_id: UUID = field(default_factory=uuid4)
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    source: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.trigger, str) or not self.trigger:
            raise ValueError(f"an event's trigger must be a non-empty string, not {self.trigger!r}")

    @classmethod
    def simple(cls, trigger: str, **payload: Any) -> Event:
        return cls(trigger, payload)

    def get(self, key: str, default: Any = None) -> Any:
        """A payload value, or `default`."""
        return self.payload.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data (`from_dict` reads it back)."""
        return {
            "trigger": self.trigger,
            "payload": dict(self.payload),
            "event_id": str(self.event_id),
            "timestamp": self.timestamp.isoformat(),
            "source": self.source,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(
            trigger=data["trigger"],
            payload=dict(data.get("payload") or {}),
            event_id=UUID(str(data["event_id"])) if "event_id" in data else uuid4(),
            timestamp=(
                datetime.fromisoformat(data["timestamp"])
                if "timestamp" in data
                else datetime.now(UTC)
            ),
            source=data.get("source", ""),
            metadata=dict(data.get("metadata") or {}),
        )


@dataclass(frozen=True, slots=True)
class GuardResult:
    """What a GuardEvaluator found: true when every guard passed."""

    passed: bool
    guard_name: str | None = None
    message: str = ""
    evaluated_guards: tuple[tuple[str, bool], ...] = ()

    def __bool__(self) -> bool:
        return self.passed


class GuardEvaluator:
    """Checks guards the way the engine does, for tools that ask "could this fire?".

    Named guards come from `registry`; inline expressions and checks need no registry.
    A guard that raises fails, with the exception in the message.
    """

    def __init__(self, registry: GuardRegistry | None = None) -> None:
        self.registry = registry if registry is not None else GuardRegistry()

    def can_transition(
        self, transition: Transition | TransitionSpec, context: Mapping[str, Any]
    ) -> GuardResult:
        return self.evaluate(transition.guards, context)

    def evaluate(self, guards: Iterable[GuardLike], context: Mapping[str, Any]) -> GuardResult:
        evaluated: list[tuple[str, bool]] = []
        for guard in guards:
            spec = GuardSpec(name=guard) if isinstance(guard, str) else guard
            label = spec.label
            ctx = {**context, GUARD_PARAMS_KEY: dict(spec.params)} if spec.params else context
            try:
                outcome = self._predicate(spec)(ctx)
                if inspect.isawaitable(outcome):
                    raise TypeError("it is asynchronous; the engine awaits it in aprocess()")
            except Exception as exc:
                evaluated.append((label, False))
                message = f"guard {label!r} raised {type(exc).__name__}: {exc}"
                return GuardResult(False, label, message, tuple(evaluated))
            evaluated.append((label, bool(outcome)))
            if not outcome:
                return GuardResult(False, label, f"guard {label!r} rejected", tuple(evaluated))
        return GuardResult(True, None, "all guards passed", tuple(evaluated))

    def _predicate(self, spec: GuardSpec) -> Predicate:
        if spec.expr is not None:
            return expr.compile_predicate(expr.parse_expression(spec.expr))
        if spec.check is not None:
            return check_predicate(spec.check)
        assert spec.name is not None
        named = self.registry.get(spec.name)
        return named  # type: ignore[return-value]  # an async guard is refused above


def machine_config(
    states: Iterable[State],
    transitions: Iterable[Transition],
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The configuration mapping that `StateMachine.from_dict` compiles."""
    config: dict[str, Any] = {
        "states": [_value(state, State).to_config() for state in states],
        "transitions": [_value(t, Transition).to_config() for t in transitions],
    }
    if meta:
        config["meta"] = dict(meta)
    return config


def _value(item: Any, kind: type[Any]) -> Any:
    if not isinstance(item, kind):
        raise TypeError(f"expected a {kind.__name__}, got {type(item).__name__}: {item!r}")
    return item


def _action_config(action: ActionLike) -> str | dict[str, Any]:
    if isinstance(action, str):
        return action
    if action.effect is not None:
        raise TypeError(
            f"effect {action.name!r} cannot be written as an ActionSpec; "
            "give effects in YAML or StateMachine.from_dict"
        )
    if action.params:
        return {"name": action.name, "params": dict(action.params)}
    return action.name


def _guard_config(guard: GuardLike) -> str | dict[str, Any]:
    if isinstance(guard, str):
        return guard
    if guard.expr is not None:
        return {"expr": guard.expr}
    if guard.check is not None:
        check = guard.check
        return {"check": {"field": check.field, "op": check.op.value, "value": check.value}}
    assert guard.name is not None
    if guard.params:
        return {"name": guard.name, "params": dict(guard.params)}
    return guard.name


def _invoke_config(service: InvokeSpec) -> dict[str, Any]:
    config = {"id": service.id, "src": service.src}
    if service.on_done is not None:
        config["on_done"] = service.on_done
    return config
