"""StateMachine: a MachineSpec plus bound guards and actions, processing events.

Generated modules subclass it with a baked-in spec and precise types; `from_yaml` and
`from_dict` build the spec at run time through the same compiler front end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pystator.runtime.actions import ActionRegistry
from pystator.runtime.engine import Engine, Route
from pystator.runtime.errors import ConfigurationError, UndefinedStateError
from pystator.runtime.guards import GuardRegistry, Predicate
from pystator.runtime.results import TransitionResult
from pystator.runtime.spec import MachineSpec, StateSpec, TransitionSpec

if TYPE_CHECKING:
    from pystator.runtime.session import EntitySession

S = TypeVar("S", bound=str)
T = TypeVar("T", bound=str)
C = TypeVar("C", bound=Mapping[str, Any])
F = TypeVar("F", bound=Callable[..., Any])


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
        guards: GuardRegistry | None = None,
        actions: ActionRegistry | None = None,
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
        self._guards = guards if guards is not None else GuardRegistry()
        self._actions = actions if actions is not None else ActionRegistry()
        self._states_by_name = {state.name: state for state in chosen.states}

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

    # -- processing -----------------------------------------------------------

    def process(
        self, current_state: S, trigger: T, context: Mapping[str, Any] | None = None
    ) -> TransitionResult:
        """Compute the transition for `trigger` from `current_state`; pure, no side effects."""
        decision = self._engine.decide(current_state, trigger, context, self._guards)
        if isinstance(decision, Route):
            return decision.result
        return decision

    async def aprocess(
        self, current_state: S, trigger: T, context: Mapping[str, Any] | None = None
    ) -> TransitionResult:
        """Like `process`, awaiting asynchronous guards."""
        decision = await self._engine.adecide(current_state, trigger, context, self._guards)
        if isinstance(decision, Route):
            return decision.result
        return decision

    async def async_process(
        self, current_state: S, trigger: T, context: Mapping[str, Any] | None = None
    ) -> TransitionResult:
        """Alias of `aprocess`."""
        return await self.aprocess(current_state, trigger, context)

    def create(
        self, context: C | None = None, initial_state: S | None = None
    ) -> EntitySession[S, T, C]:
        """A stateful session for one entity, starting in `initial_state` (default: initial)."""
        from pystator.runtime.session import EntitySession

        return EntitySession._start(self, context, initial_state)

    # -- guards and actions -----------------------------------------------------

    def guard(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator registering a guard on this machine."""
        return self._guards.decorator(name)

    def action(self, name: str | None = None) -> Callable[[F], F]:
        """Decorator registering an action on this machine."""
        return self._actions.decorator(name)

    def bind_guards(self, registry: GuardRegistry) -> None:
        if not isinstance(registry, GuardRegistry):
            raise TypeError(f"expected a GuardRegistry, got {type(registry).__name__}")
        self._guards = registry

    def bind_actions(self, registry: ActionRegistry) -> None:
        if not isinstance(registry, ActionRegistry):
            raise TypeError(f"expected an ActionRegistry, got {type(registry).__name__}")
        self._actions = registry

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
    def transitions(self) -> tuple[TransitionSpec, ...]:
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
