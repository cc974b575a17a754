"""EntitySession: one entity's current state and context, driven by events.

Sessions hold the only mutable state in the runtime; the machine and engine they use are
shared by every entity of that machine.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from functools import partial
from types import FunctionType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

from pystator.runtime import parallel
from pystator.runtime.drivers import decide_async, run_sync
from pystator.runtime.errors import FSMError, UndefinedStateError
from pystator.runtime.guards import GuardRegistry
from pystator.runtime.machine import StateMachine
from pystator.runtime.parallel import ParallelStateConfig
from pystator.runtime.results import TransitionResult
from pystator.runtime.routes import Route
from pystator.runtime.spec import EMPTY, TimerSpec
from pystator.runtime.steps import active_states
from pystator.runtime.timers import timers_for

if TYPE_CHECKING:
    from pystator.runtime.stores.base import EntityRecord

S = TypeVar("S", bound=str)
T = TypeVar("T", bound=str)
C = TypeVar("C", bound=Mapping[str, Any])
SessionT = TypeVar("SessionT", bound="EntitySession[Any, Any, Any]")

# What a new entity's context starts from when none is given: only ever read (a plain dict
# because unpacking one is quicker than unpacking a read-only view).
_NO_CONTEXT: dict[str, Any] = {}

# `cls.__new__(cls)` without looking `__new__` up on the class: creating a session is
# per entity, and sessions define no `__new__` of their own.
_new_object = object.__new__

SNAPSHOT_KEYS = ("current_state", "context", "machine_name", "machine_version")


class EntitySession(Generic[S, T, C]):
    """The stateful wrapper around one entity: `send` events, read `current_state`.

    A payload given to `send` is merged into the context when the transition succeeds;
    guards see the merged view either way, and a failed event leaves the context as it was.
    """

    __slots__ = ("_context", "_history", "_machine", "_parallel", "_state")

    def __init__(
        self,
        machine: StateMachine[S, T, C],
        state: str,
        context: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(machine, StateMachine):
            raise TypeError(f"machine must be a StateMachine, got {type(machine).__name__}")
        if not machine._engine.has_state(state):
            raise UndefinedStateError(
                f"State {state!r} is not defined in machine {machine.name!r} "
                f"(version {machine.version})",
                state_name=str(state),
            )
        self._machine = machine
        self._state: str = str(state)
        self._context: dict[str, Any] = context if context is not None else {}
        # Shared and read-only until the entity first records history (see `_arrive`).
        self._history: Mapping[str, str] = EMPTY
        self._parallel: ParallelStateConfig | None = None
        spec_state = machine.states.get(self._state)
        if spec_state is not None and spec_state.is_parallel:
            self._parallel = parallel.enter(spec_state)

    # -- events ---------------------------------------------------------------

    def send(self, trigger: T, /, **payload: Any) -> TransitionResult:
        """Process one event; on success the state and context are updated."""
        machine = self._machine
        context = {**self._context, **payload} if payload else self._context
        if self._parallel is None:
            # The per-event hot path, decided and applied here without a call when the
            # engine's fast table has the pair (see `Engine.fast`; empty while the machine
            # has an observer). Generated trigger methods are this function too
            # (`trigger_method`).
            try:
                needs, rows = machine._fast[trigger]
                route: Route | None = rows[self._state]
            except (KeyError, TypeError):
                needs, route = (), None
            for key in needs:
                if key not in context:
                    route = None
                    break
            while route is not None:
                test = route.test
                try:
                    if test is not None and not test(context):
                        route = route.orelse
                        continue
                except Exception:  # the engine turns it into a rejection
                    break
                self._state = route.target
                if payload:
                    self._context = context
                sets = route.sets
                if sets is not None:
                    context.update(sets)
                elif route.apply_effects is not None:
                    route.apply_effects(context)
                if route.rare:
                    self._arrive(route)
                return route.result
        return self._send_fully(trigger, context, bool(payload))

    def _send_fully(self, trigger: T, context: dict[str, Any], merged: bool) -> TransitionResult:
        """`send` beyond the hot path: the rules, the observer, parallel regions, every guard."""
        machine = self._machine
        rules = machine._rules
        if rules is not None and (refused := rules.refusal(self._state, trigger, context)):
            return refused
        if self._parallel is not None or machine._observer is not None:
            return run_sync(self._deliver(trigger, context, merged, False))
        decision = machine._engine.decide(
            self._state, trigger, context, machine._guards, self._history
        )
        if isinstance(decision, Route):
            return self._apply(decision, context, merged)
        return decision

    async def asend(self, trigger: T, /, **payload: Any) -> TransitionResult:
        """Like `send`, awaiting asynchronous guards."""
        context = {**self._context, **payload} if payload else self._context
        rules = self._machine._rules
        if rules is not None and (refused := rules.refusal(self._state, trigger, context)):
            return refused
        return await self._deliver(trigger, context, bool(payload), True)

    async def _deliver(
        self, trigger: T, context: dict[str, Any], merged: bool, asynchronous: bool
    ) -> TransitionResult:
        """Decide, apply, and tell the observer: the one place either driver calls it.

        Synchronous callers run it without an event loop (`run_sync`): it awaits only when
        `asynchronous` is set."""
        machine = self._machine
        observer = machine._observer
        state = self._state
        started = observer.before_transition(state, trigger, context) if observer else 0.0
        try:
            if asynchronous:
                decision = await decide_async(
                    partial(self._decide, trigger, context), machine._guards
                )
            else:
                decision = self._decide(trigger, context, machine._guards)
        except Exception as exc:
            if observer is not None:
                observer.on_error(exc, state, trigger, context)
            raise
        if isinstance(decision, tuple):
            result = self._apply_parallel(decision, context, merged)
        elif isinstance(decision, Route):
            result = self._apply(decision, context, merged)
        else:
            result = decision
        if observer is not None:
            observer.after_transition(result, context, started)
        return result

    def _decide(
        self, trigger: str, context: dict[str, Any], guards: GuardRegistry
    ) -> Route | TransitionResult | parallel.Outcome:
        """The engine's decision for this entity (every region's, inside a parallel state)."""
        machine = self._machine
        engine = machine._engine
        if self._parallel is None:
            return engine.decide(self._state, trigger, context, guards, self._history)

        def decide(state: str) -> Route | TransitionResult:
            return engine.decide(state, trigger, context, guards, self._history)

        return parallel.step(engine, machine._states_by_name, self._parallel, decide)

    def _apply(self, route: Route, context: dict[str, Any], merged: bool) -> TransitionResult:
        """Move this entity along `route` (`send` does the same inline)."""
        self._state = route.target
        if merged:
            self._context = context
        if route.apply_effects is not None:
            route.apply_effects(context)
        if route.rare:
            self._arrive(route)
        return route.result

    def _enter_first(self, state: str) -> None:
        """Enter a new entity's first state, whose regions `_bare` entered: its effects and
        eventless chain."""
        machine = self._machine
        engine = machine._engine
        enter = engine.entry[state]
        if enter is not None:
            enter(self._context)
        if state in engine.settling:
            settled = engine.settle(state, self._context, machine._guards, self._history)
            if settled is not None:
                self._apply(settled, self._context, False)

    def _arrive(self, route: Route) -> None:
        """What few routes do on arrival: record history, enter a parallel state."""
        if route.remembers:
            self._history = {**self._history, **dict(route.remembers)}
        if route.enters_parallel:
            self._parallel = parallel.enter(self._machine._states_by_name[route.target])

    def _apply_parallel(
        self, outcome: parallel.Outcome, context: dict[str, Any], merged: bool
    ) -> TransitionResult:
        """Move this entity's regions (or take it out of its parallel state)."""
        following, results, routes, whole = outcome
        config = self._parallel
        assert config is not None
        if routes:
            if merged:
                self._context = context
            for route in routes:
                if route.remembers:
                    self._history = {**self._history, **dict(route.remembers)}
                if route.apply_effects is not None:
                    route.apply_effects(self._context)
            self._parallel = following
            self._state = following.parallel_state if following else routes[0].target
        return parallel.combine(config, following, results, whole)

    def _send_fields(
        self, trigger: T, required: Mapping[str, Any], optional: Mapping[str, Any], /
    ) -> TransitionResult:
        """`send` for a generated trigger method: optional fields left at None are not sent.

        The fields arrive as mappings so that the generated method needs no local names,
        which its parameters (the payload fields) could shadow.
        """
        payload = {**required, **{k: v for k, v in optional.items() if v is not None}}
        return self.send(trigger, **payload)

    # -- state ----------------------------------------------------------------

    @property
    def machine(self) -> StateMachine[S, T, C]:
        return self._machine

    @property
    def current_state(self) -> str:
        return self._state

    @property
    def context(self) -> C:
        return cast(C, self._context)

    @property
    def parallel_config(self) -> ParallelStateConfig | None:
        """Inside a parallel state: which state each region is in; else None."""
        return self._parallel

    def _in(self, state: str) -> bool:
        """True if `state` is the current state or an active region state."""
        return self._state == state or (
            self._parallel is not None and state in self._parallel.region_states.values()
        )

    @property
    def pending_timers(self) -> tuple[TimerSpec, ...]:
        """The timers of the active states, outermost first: what to arm for this entity.

        For applications that schedule timers themselves instead of using an Orchestrator.
        """
        spec = self._machine.spec
        if not spec.timers:
            return ()
        regions = self._parallel.region_states.values() if self._parallel is not None else ()
        active = active_states(self._machine._states_by_name, (self._state, *regions))
        return timers_for(spec, active)

    @property
    def history(self) -> dict[str, str]:
        """For each compound state the entity has left, the leaf it was in (a copy)."""
        return dict(self._history)

    @property
    def is_final(self) -> bool:
        """True when the entity is in a terminal state."""
        return self._machine.get_state(self._state).is_terminal

    @property
    def allowed_triggers(self) -> list[str]:
        """Triggers with a transition out of the current state (guards not evaluated).

        Timer events (`_timeout_...`, `_after_...`) are left out: schedulers send them.
        """
        engine = self._machine._engine
        found = set(engine.triggers_from(self._state))
        if self._parallel is not None:
            for active in self._parallel.region_states.values():
                found.update(engine.triggers_from(active))
        return sorted(trigger for trigger in found if not trigger.startswith("_"))

    def matches(self, state: S) -> bool:
        """True if the entity is in `state`: the active leaf or any of its ancestors."""
        if not self._machine._engine.has_state(state):
            raise UndefinedStateError(
                f"State {state!r} is not defined in machine {self._machine.name!r}",
                state_name=str(state),
            )
        engine = self._machine._engine
        if self._parallel is not None and any(
            engine.within(active, state) for active in self._parallel.region_states.values()
        ):
            return True
        return engine.within(self._state, state)

    def can_send(self, trigger: str) -> bool:
        """True if `trigger` has a transition from the current state (guards not evaluated)."""
        return bool(self._machine._engine.routes(self._state, trigger))

    # -- persistence ------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Plain data to persist; restore with `from_snapshot`."""
        return {
            "current_state": self._state,
            "context": copy.deepcopy(self._context),
            "history": dict(self._history),
            "parallel": self._parallel.to_string() if self._parallel else None,
            "machine_name": self._machine.name,
            "machine_version": self._machine.version,
            "fingerprint": self._machine.spec.fingerprint,
        }

    @classmethod
    def _bare(cls, machine: StateMachine[Any, Any, Any], state: str, data: dict[str, Any]) -> Self:
        """A session in `state`, a state of `machine`, holding the context `data` itself;
        nothing is checked, copied or run."""
        session = cls.__new__(cls)
        session._machine = machine
        session._state = state
        session._context = data
        session._history = EMPTY
        session._parallel = None
        if state in machine._engine.parallel_states:
            session._parallel = parallel.enter(machine._states_by_name[state])
        return session

    @classmethod
    def from_snapshot(
        cls: type[SessionT], machine: StateMachine[Any, Any, Any], snapshot: Mapping[str, Any]
    ) -> SessionT:
        """Rebuild a session from `snapshot()` data; a state the machine lacks is an error."""
        if not isinstance(snapshot, Mapping):
            raise TypeError(f"snapshot must be a mapping, got {type(snapshot).__name__}")
        state = snapshot.get("current_state")
        if not isinstance(state, str):
            raise FSMError(
                "snapshot has no 'current_state' string; it was not made by snapshot()",
                {"keys": sorted(map(str, snapshot))},
            )
        context = snapshot.get("context", {})
        if not isinstance(context, Mapping):
            raise FSMError(f"snapshot 'context' must be a mapping, got {type(context).__name__}")
        history = snapshot.get("history") or {}
        if not isinstance(history, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in history.items()
        ):
            raise _bad_history(machine)
        stored = snapshot.get("parallel")
        return cls._restore(
            machine, state, context, history, stored, snapshot.get("machine_version")
        )

    @classmethod
    def from_record(
        cls: type[SessionT], machine: StateMachine[Any, Any, Any], record: EntityRecord
    ) -> SessionT:
        """The session of an entity a store loaded: its state, context, history and parallel
        configuration, under the names this version of `machine` gives them. The record's
        fields are already typed, so only their fit to `machine` is checked."""
        return cls._restore(
            machine,
            record.state,
            record.context,
            record.history,
            record.parallel,
            record.machine_version,
        )

    @classmethod
    def _restore(
        cls: type[SessionT],
        machine: StateMachine[Any, Any, Any],
        state: str,
        context: Mapping[str, Any],
        history: Mapping[str, str],
        stored: str | None,
        machine_version: str | None,
    ) -> SessionT:
        """A session from saved parts, renamed states under their new names; a state, history
        or parallel configuration the machine lacks is an error."""
        spec = machine.spec
        # States renamed since the entity was saved load under their new names.
        state = spec.current_name(state)
        if not machine._engine.has_state(state):
            raise UndefinedStateError(
                f"Snapshot state {state!r} is not defined in machine {machine.name!r} "
                f"version {machine.version} (snapshot from version "
                f"{machine_version or 'unknown'}); migrate the entity or "
                f"declare `renamed_from: [{state}]` on the state that replaces it",
                state_name=state,
            )
        remembered = {spec.current_name(k): spec.current_name(v) for k, v in history.items()}
        if not all(machine._engine.has_state(v) for v in remembered.values()):
            raise _bad_history(machine)
        target = session_type(machine) if cls is EntitySession else cls
        session = cast(SessionT, target._bare(machine, state, copy.deepcopy(dict(context))))
        if remembered:
            session._history = remembered
        if stored is not None:
            try:
                config = ParallelStateConfig.from_string(stored)
            except ValueError as exc:
                raise FSMError(f"snapshot 'parallel' is not a configuration: {exc}") from None
            config = ParallelStateConfig(
                spec.current_name(config.parallel_state),
                {
                    region: spec.current_name(active)
                    for region, active in config.region_states.items()
                },
            )
            invalid = parallel.problems(machine.states, config)
            if invalid or config.parallel_state != state:
                raise FSMError(
                    "snapshot 'parallel' does not fit machine "
                    f"{machine.name!r}: " + "; ".join(invalid or ["wrong parallel state"])
                )
            session._parallel = config
        return session

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._machine.name!r} state={self._state!r}>"


class DynamicSession(EntitySession[Any, Any, Any]):
    """The session of a machine built at run time (`StateMachine.from_yaml` and the like):
    it answers `is_<state>` and `<trigger>()` by name.

    Generated sessions define them as real, typed members instead. Only this class has a
    `__getattr__`, which would slow every attribute read of a session that had one.
    """

    __slots__ = ()

    if not TYPE_CHECKING:
        # Type checkers never see this fallback.
        def __getattr__(self, name: str) -> Any:
            members = _dynamic_members(self._machine)
            kind = members.get(name)
            if kind is None:
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {name!r}"
                ) from None
            if kind[0] == "state":
                return self._in(kind[1])
            trigger = kind[1]

            def fire(**payload: Any) -> TransitionResult:
                return self.send(trigger, **payload)

            return fire


def trigger_method(trigger: str) -> Callable[..., TransitionResult]:
    """The session method of `trigger`, a trigger that declares no fields: it does what
    `send(trigger, **payload)` does.

    Generated session classes take these as their methods at run time, and declare their
    typed signatures for type checkers only.
    """
    # `send` itself with its trigger given: the same code, with `trigger` as the default of
    # its first parameter. A method calling `send` would cost a frame and a keyword dict
    # per event (a fifth of one); a second copy of the hot path would have to be kept in
    # step with the first by hand. (A positional argument, which the typed signature
    # forbids, would take the trigger's place.)
    send = EntitySession.send
    method = FunctionType(send.__code__, send.__globals__, trigger, (trigger,), send.__closure__)
    method.__kwdefaults__ = send.__kwdefaults__
    method.__qualname__ = trigger
    method.__doc__ = f"Send {trigger!r}: the same as `send({trigger!r}, **payload)`."
    return method


def _bad_history(machine: StateMachine[Any, Any, Any]) -> FSMError:
    return FSMError(
        f"snapshot 'history' must map compound states to leaf states of machine {machine.name!r}"
    )


def start_session(
    machine: StateMachine[Any, Any, Any],
    context: Mapping[str, Any] | None = None,
    initial_state: str | None = None,
    *,
    validate: bool = True,
) -> EntitySession[Any, Any, Any]:
    """A new entity's session, of the machine's `session_type`.

    Generated machines take it as their `create` method, so that creating a session is one
    call. `validate=False` skips the required-variable check, for an entity the
    Orchestrator starts on behalf of an event it validates itself.
    """
    state, defaults, sets, cls = machine._opening
    if context is None:
        context = _NO_CONTEXT
    elif type(context) is not dict and not isinstance(context, Mapping):
        raise TypeError(f"context must be a mapping, got {type(context).__name__}")
    if sets is None or initial_state is not None or not validate:
        return _start(machine, cls, context, initial_state, validate)
    # The common case (see `Engine.opening_sets`): entering the first state only sets
    # values, which the new context takes in one go with the defaults and the given ones.
    session = _new_object(cls)
    session._machine = machine
    session._state = state
    session._context = {**defaults, **context, **sets}
    session._history = EMPTY
    session._parallel = None
    return session


def _start(
    machine: StateMachine[Any, Any, Any],
    cls: type[EntitySession[Any, Any, Any]],
    context: Mapping[str, Any],
    initial_state: str | None,
    validate: bool,
) -> EntitySession[Any, Any, Any]:
    """`start_session` in general: any first state, required variables, copied defaults."""
    engine = machine._engine
    data = {**engine.plain_defaults, **context}
    for key, value in engine.copied_defaults:
        if key not in data:
            data[key] = copy.deepcopy(value)
    if validate and machine._rules is not None:
        machine._rules.check_create(data)
    if initial_state is None:
        state = engine.initial
    elif engine.has_state(initial_state):
        state = str(initial_state)
    else:
        raise UndefinedStateError(
            f"State {initial_state!r} is not defined in machine {machine.name!r} "
            f"(version {machine.version})",
            state_name=str(initial_state),
        )
    session = cls._bare(machine, state, data)
    session._enter_first(state)
    return session


def session_type(machine: StateMachine[Any, Any, Any]) -> type[EntitySession[Any, Any, Any]]:
    """The session class of `machine`: its generated one, else `DynamicSession`."""
    kind: type[EntitySession[Any, Any, Any]] | None = machine.session_class
    return kind if kind is not None else DynamicSession


def _dynamic_members(machine: StateMachine[Any, Any, Any]) -> dict[str, tuple[str, str]]:
    members: dict[str, tuple[str, str]] | None = machine.__dict__.get("_dynamic_members")
    if members is None:
        members = {}
        for trigger in machine.spec.triggers:
            # Timer events (`_timeout_...`, `_after_...`) have no method, as in generated
            # sessions: their method name could be a user trigger's.
            if not trigger.name.startswith("_"):
                members[trigger.method] = ("trigger", trigger.name)
        for state in machine.spec.states:
            members[state.prop] = ("state", state.name)
        machine.__dict__["_dynamic_members"] = members
    return members
