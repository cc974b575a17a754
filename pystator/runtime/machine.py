"""StateMachine: a MachineSpec plus bound guards and actions, processing events.

Generated modules subclass it with a baked-in spec and precise types; `from_yaml` and
`from_dict` build the spec at run time through the same compiler front end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from pystator.runtime import parallel
from pystator.runtime.actions import ActionRegistry
from pystator.runtime.drivers import decide_async, run_sync
from pystator.runtime.engine import Engine
from pystator.runtime.errors import (
    ActionNotFoundError,
    ConfigurationError,
    FSMError,
    GuardNotFoundError,
    UndefinedStateError,
)
from pystator.runtime.guards import GuardRegistry, Predicate
from pystator.runtime.hooks import TransitionObserver
from pystator.runtime.parallel import ParallelStateConfig
from pystator.runtime.results import TransitionResult
from pystator.runtime.routes import Route
from pystator.runtime.spec import (
    MachineSpec,
    StateSpec,
    TransitionSpec,
    frozen_mapping,
    handler_names,
)
from pystator.runtime.validation import ContextRules

if TYPE_CHECKING:
    from pystator.runtime.definition import State, Transition
    from pystator.runtime.session import EntitySession

S = TypeVar("S", bound=str)
T = TypeVar("T", bound=str)
C = TypeVar("C", bound=Mapping[str, Any])
F = TypeVar("F", bound=Callable[..., Any])

_NO_CONTEXT: Mapping[str, Any] = {}


class StateMachine(Generic[S, T, C]):
    """One machine definition. Stateless: every call takes the current state.

    Type parameters: S, the accepted state names; T, the accepted triggers; C, the
    context type of its sessions. `StateMachine.from_yaml` gives `StateMachine[str, str,
    dict[str, Any]]`; generated classes narrow all three.
    """

    _spec: ClassVar[MachineSpec | None] = None
    _predicates: ClassVar[Mapping[str, Predicate]] = {}
    #: The session class `EntitySession.from_snapshot` builds for this machine.
    session_class: ClassVar[type[Any] | None] = None

    def __init__(
        self,
        spec: MachineSpec | None = None,
        *,
        guards: GuardRegistry | object | None = None,
        actions: ActionRegistry | object | None = None,
        observer: TransitionObserver | None = None,
    ) -> None:
        chosen = spec if spec is not None else type(self)._spec
        if chosen is None:
            raise TypeError(
                "StateMachine needs a MachineSpec: use StateMachine.from_yaml(), "
                "StateMachine.from_dict() or a generated machine class"
            )
        if not isinstance(chosen, MachineSpec):
            raise TypeError(f"spec must be a MachineSpec, got {type(chosen).__name__}")
        self._machine_spec = chosen
        self._engine = Engine(chosen, type(self)._predicates)
        #: The engine's fast table while no observer is set, else empty: the per-event
        #: paths look here alone, and leave observed machines to the full path.
        self._fast = self._engine.fast
        from pystator.runtime.session import DynamicSession

        engine = self._engine
        #: What `start_session` needs to start most entities: the initial state, the plain
        #: defaults, `Engine.opening_sets` and the session class.
        self._opening: tuple[
            str, dict[str, Any], dict[str, Any] | None, type[EntitySession[Any, Any, Any]]
        ] = (
            engine.initial,
            engine.plain_defaults,
            engine.opening_sets,
            type(self).session_class or DynamicSession,
        )
        normalize = self._engine.normalize if chosen.event_normalizer else None
        self._rules = ContextRules.of(chosen, normalize)
        self._states_by_name = {state.name: state for state in chosen.states}
        self._guards = GuardRegistry()
        self._actions = ActionRegistry()
        self._observer: TransitionObserver | None = None
        self.observer = observer
        if guards is not None or actions is not None:
            self.bind(guards=guards, actions=actions)

    # -- construction ---------------------------------------------------------

    @classmethod
    def from_yaml(
        cls, path: str | os.PathLike[str], **kwargs: Any
    ) -> StateMachine[str, str, dict[str, Any]]:
        """Compile a YAML or JSON file; errors raise ConfigurationError with diagnostics."""
        from pystator.generator.pipeline import spec_from_file

        return StateMachine(_compile(spec_from_file, path), **kwargs)

    @classmethod
    def from_dict(
        cls, config: Mapping[str, Any], **kwargs: Any
    ) -> StateMachine[str, str, dict[str, Any]]:
        """Compile an already-parsed configuration mapping."""
        from pystator.generator.pipeline import spec_from_data

        return StateMachine(_compile(spec_from_data, config), **kwargs)

    @classmethod
    def from_objects(
        cls,
        states: Iterable[State],
        transitions: Iterable[Transition],
        meta: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> StateMachine[str, str, dict[str, Any]]:
        """Compile a machine written as `State` and `Transition` values."""
        from pystator.runtime.definition import machine_config

        return cls.from_dict(machine_config(states, transitions, meta), **kwargs)

    # -- processing -----------------------------------------------------------

    @overload
    def process(
        self,
        current_state: S,
        trigger: T,
        context: Mapping[str, Any] | None = None,
        history: Mapping[str, str] | None = None,
    ) -> TransitionResult: ...

    @overload
    def process(
        self,
        current_state: S,
        *,
        event: T,
        context: Mapping[str, Any] | None = None,
        history: Mapping[str, str] | None = None,
    ) -> TransitionResult: ...

    def process(
        self,
        current_state: S,
        trigger: T | None = None,
        context: Mapping[str, Any] | None = None,
        history: Mapping[str, str] | None = None,
        *,
        event: T | None = None,
    ) -> TransitionResult:
        """Compute the transition for `trigger` from `current_state`; pure, no side effects.

        The trigger may be passed as `event=` too, as the documents name it. Machines with
        `H(p)` destinations read the entity's `history`; when it is given,
        `result.metadata["history"]` holds the record updated by this transition.
        """
        if trigger is None or event is not None:  # inlined test: process() is the hot path
            trigger = one_trigger(trigger, event)
        if history is None:
            # The per-event hot path, decided here without a call when the engine's fast
            # table has the pair (see `Engine.fast`; empty while an observer is set).
            try:
                needs, rows = self._fast[trigger]
                route: Route | None = rows[current_state]
            except (KeyError, TypeError):
                needs, route = (), None
            given = context if context is not None else _NO_CONTEXT
            for key in needs:
                if key not in given:
                    route = None
                    break
            while route is not None:
                test = route.test
                try:
                    if test is None or test(given):
                        return route.result
                except Exception:  # the engine turns it into a rejection
                    break
                route = route.orelse
        return self._process_fully(current_state, trigger, context, history)

    def _process_fully(
        self,
        state: S,
        trigger: T,
        context: Mapping[str, Any] | None,
        history: Mapping[str, str] | None,
    ) -> TransitionResult:
        """`process` beyond the hot path: the rules, the observer, history, every guard."""
        if self._rules is not None and (
            refused := self._rules.refusal(state, trigger, context or {})
        ):
            return refused
        if history is not None or self._observer is not None:
            return run_sync(self._process(state, trigger, context, history, False))
        decision = self._engine.decide(state, trigger, context, self._guards)
        if isinstance(decision, Route):
            return decision.result
        return decision

    @overload
    async def aprocess(
        self, current_state: S, trigger: T, context: Mapping[str, Any] | None = None
    ) -> TransitionResult: ...

    @overload
    async def aprocess(
        self, current_state: S, *, event: T, context: Mapping[str, Any] | None = None
    ) -> TransitionResult: ...

    async def aprocess(
        self,
        current_state: S,
        trigger: T | None = None,
        context: Mapping[str, Any] | None = None,
        *,
        event: T | None = None,
    ) -> TransitionResult:
        """Like `process`, awaiting asynchronous guards."""
        if trigger is None or event is not None:  # inlined test: process() is the hot path
            trigger = one_trigger(trigger, event)
        if self._rules is not None and (
            refused := self._rules.refusal(current_state, trigger, context or {})
        ):
            return refused
        return await self._process(current_state, trigger, context, None, True)

    async def _process(
        self,
        state: str,
        trigger: str,
        context: Mapping[str, Any] | None,
        history: Mapping[str, str] | None,
        asynchronous: bool,
    ) -> TransitionResult:
        """Decide and tell the observer: the one place either driver calls it.

        Synchronous callers run it without an event loop (`run_sync`): it awaits only when
        `asynchronous` is set."""
        if history is not None and not isinstance(history, Mapping):
            raise TypeError(f"history must be a mapping, got {type(history).__name__}")
        observer = self._observer
        ctx = dict(context) if observer is not None and context else {}
        started = observer.before_transition(state, trigger, ctx) if observer else 0.0
        decide = partial(self._engine.decide, state, trigger, context)
        try:
            if asynchronous:
                decision = await decide_async(lambda guards: decide(guards, history), self._guards)
            else:
                decision = decide(self._guards, history)
        except Exception as exc:
            if observer is not None:
                observer.on_error(exc, state, trigger, ctx)
            raise
        result = decision.result if isinstance(decision, Route) else decision
        if history is not None and isinstance(decision, Route):
            updated = {**history, **dict(decision.remembers)}
            metadata = frozen_mapping({**result.metadata, "history": updated})
            result = replace(result, metadata=metadata)
        if observer is not None:
            observer.after_transition(result, ctx, started)
        return result

    #: The documents' name for `aprocess`.
    async_process = aprocess

    def create(
        self, context: C | None = None, initial_state: S | None = None
    ) -> EntitySession[S, T, C]:
        """A stateful session for one entity, starting in `initial_state` (default: initial)."""
        from pystator.runtime.session import start_session

        return start_session(self, context, initial_state)

    # -- guards and actions -----------------------------------------------------

    def guard(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator registering a guard on this machine."""
        return self._guards.decorator(name)

    def action(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator registering an action on this machine."""
        return self._actions.decorator(name)

    def bind_guards(self, guards: GuardRegistry | object) -> None:
        """Use `guards`: a GuardRegistry, or an object with one method per named guard."""
        self.bind(guards=guards)

    def bind_actions(self, actions: ActionRegistry | object) -> None:
        """Use `actions`: an ActionRegistry, or an object with one method per named action."""
        self.bind(actions=actions)

    def bind(
        self,
        *,
        guards: GuardRegistry | object | None = None,
        actions: ActionRegistry | object | None = None,
    ) -> None:
        """Bind handlers. Objects (e.g. implementing the generated Guards/Actions Protocols)
        must supply every name the machine uses; all missing names are reported at once."""
        missing_guards: list[str] = []
        missing_actions: list[str] = []
        guard_registry = _as_registry(guards, GuardRegistry, self.guard_names, missing_guards)
        action_registry = _as_registry(actions, ActionRegistry, self.action_names, missing_actions)
        if missing_guards or missing_actions:
            parts = []
            if missing_guards:
                parts.append("guards " + ", ".join(missing_guards))
            if missing_actions:
                parts.append("actions " + ", ".join(missing_actions))
            message = f"Handlers for machine {self.name!r} are missing " + " and ".join(parts)
            context = {"missing_guards": missing_guards, "missing_actions": missing_actions}
            if missing_guards:
                raise GuardNotFoundError(message, missing_guards[0], context)
            raise ActionNotFoundError(message, missing_actions[0], context)
        if guard_registry is not None:
            self._guards = guard_registry
        if action_registry is not None:
            self._actions = action_registry

    @property
    def guard_names(self) -> tuple[str, ...]:
        """Every named guard the machine calls, sorted."""
        return handler_names(self._machine_spec)[0]

    @property
    def action_names(self) -> tuple[str, ...]:
        """Every named action the machine's transitions and states run, sorted."""
        return handler_names(self._machine_spec)[1]

    @property
    def observer(self) -> TransitionObserver | None:
        """The observer whose hooks see every transition this machine computes."""
        return self._observer

    @observer.setter
    def observer(self, observer: TransitionObserver | None) -> None:
        if observer is not None and not isinstance(observer, TransitionObserver):
            raise TypeError(f"expected a TransitionObserver, got {type(observer).__name__}")
        self._observer = observer
        self._fast = self._engine.fast if observer is None else {}

    @property
    def guard_registry(self) -> GuardRegistry:
        return self._guards

    @property
    def action_registry(self) -> ActionRegistry:
        return self._actions

    # -- queries --------------------------------------------------------------

    @property
    def spec(self) -> MachineSpec:
        return self._machine_spec

    @property
    def name(self) -> str:
        return self._machine_spec.name

    @property
    def version(self) -> str:
        return self._machine_spec.version

    @property
    def strict_mode(self) -> bool:
        return self._machine_spec.strict_mode

    @property
    def meta(self) -> dict[str, Any]:
        spec = self._machine_spec
        return {
            "machine_name": spec.name,
            "version": spec.version,
            "description": spec.description,
            "strict_mode": spec.strict_mode,
            "event_normalizer": spec.event_normalizer,
            "validate_context": spec.validate_context,
        }

    @property
    def states(self) -> dict[str, StateSpec]:
        return dict(self._states_by_name)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(self._states_by_name)

    @property
    def trigger_names(self) -> tuple[str, ...]:
        return tuple(trigger.name for trigger in self._machine_spec.triggers)

    @property
    def transitions(self) -> Sequence[TransitionSpec]:
        return self._machine_spec.transitions

    @property
    def terminal_states(self) -> frozenset[str]:
        return frozenset(s.name for s in self._machine_spec.states if s.is_terminal)

    def get_state(self, name: str) -> StateSpec:
        try:
            return self._states_by_name[name]
        except (KeyError, TypeError):
            raise UndefinedStateError(
                f"State {name!r} is not defined in machine {self.name!r}", state_name=str(name)
            ) from None

    # -- parallel states --------------------------------------------------------

    def is_parallel_state(self, name: str) -> bool:
        return self.get_state(name).is_parallel

    def enter_parallel_state(self, name: str) -> ParallelStateConfig:
        """The configuration on entering parallel state `name`: each region at its initial."""
        state = self.get_state(name)
        if not state.is_parallel:
            raise FSMError(f"{name!r} is not a parallel state of machine {self.name!r}")
        return parallel.enter(state)

    def validate_parallel_config(self, config: ParallelStateConfig) -> bool:
        """True if `config` names a parallel state of this machine and a state per region."""
        return not parallel.problems(self._states_by_name, config)

    def get_parallel_exit_actions(self, config: ParallelStateConfig) -> tuple[str, ...]:
        """Exit actions of leaving the parallel state now: regions first, then its own."""
        invalid = parallel.problems(self._states_by_name, config)
        if invalid:
            raise FSMError("invalid parallel configuration: " + "; ".join(invalid))
        own = self._states_by_name[config.parallel_state].on_exit
        return tuple(a.name for a in (*parallel.exit_actions(self._states_by_name, config), *own))

    def process_parallel(
        self, config: ParallelStateConfig, event: T, context: Mapping[str, Any] | None = None
    ) -> tuple[ParallelStateConfig | None, list[TransitionResult]]:
        """Process `event` in every region of `config`; see `pystator.runtime.parallel.step`."""
        return self._step_parallel(config, event, context, self._guards)

    async def async_process_parallel(
        self, config: ParallelStateConfig, event: T, context: Mapping[str, Any] | None = None
    ) -> tuple[ParallelStateConfig | None, list[TransitionResult]]:
        """Like `process_parallel`, awaiting asynchronous guards."""
        step = partial(self._step_parallel, config, event, context)
        return await decide_async(step, self._guards)

    def _step_parallel(
        self,
        config: ParallelStateConfig,
        event: str,
        context: Mapping[str, Any] | None,
        guards: GuardRegistry,
    ) -> tuple[ParallelStateConfig | None, list[TransitionResult]]:
        decide = parallel.sync_decider(self._engine, event, context, guards)
        following, results, _, _ = parallel.step(self._engine, self._states_by_name, config, decide)
        return following, results

    def get_initial_state(self) -> str:
        return self._machine_spec.initial_state

    def get_available_transitions(self, state: str) -> list[TransitionSpec]:
        """Transitions that could fire from `state`, in priority order, one per trigger path."""
        self.get_state(state)
        transitions = self._machine_spec.transitions
        seen: set[int] = set()
        found: list[TransitionSpec] = []
        for candidates in self._machine_spec.table.get(state, {}).values():
            for candidate in candidates:
                if candidate.transition not in seen:
                    seen.add(candidate.transition)
                    found.append(transitions[candidate.transition])
        found.sort(key=lambda transition: transition.index)
        return found

    def get_available_triggers(self, state: str) -> list[str]:
        self.get_state(state)
        return list(self._engine.triggers_from(state))

    def is_terminal(self, state: str) -> bool:
        return self.get_state(state).is_terminal

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} v{self.version}>"


RegistryT = TypeVar("RegistryT", GuardRegistry, ActionRegistry)


def one_trigger(trigger: T | None, event: T | None) -> T:
    """The trigger given positionally, as `trigger=` or as `event=` (the documents' name)."""
    if event is None:
        if trigger is None:
            raise TypeError("process() needs the trigger: pass it second, or as event=...")
        return trigger
    if trigger is not None:
        raise TypeError("process() got the trigger twice: pass it as trigger or as event")
    return event


def _as_registry(
    handlers: object | None,
    kind: type[RegistryT],
    required: tuple[str, ...],
    missing: list[str],
) -> RegistryT | None:
    """`handlers` as a registry of `kind`; names an object lacks are appended to `missing`."""
    if handlers is None:
        return None
    if isinstance(handlers, kind):
        return handlers
    if isinstance(handlers, GuardRegistry | ActionRegistry):
        raise TypeError(f"expected a {kind.__name__}, got {type(handlers).__name__}")
    registry = kind()
    for name in required:
        method = getattr(handlers, name, None)
        if callable(method):
            registry.register(name, method)
        else:
            missing.append(name)
    return registry


def _compile(build: Callable[[Any], MachineSpec], source: Any) -> MachineSpec:
    from pystator.generator.diagnostics import CompileError

    try:
        return build(source)
    except CompileError as exc:
        errors = [d for d in exc.diagnostics if d.is_error] or list(exc.diagnostics)
        lines = "\n".join(d.format() for d in errors)
        raise ConfigurationError(
            f"invalid machine definition:\n{lines}", diagnostics=exc.diagnostics
        ) from None
