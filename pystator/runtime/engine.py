"""The engine: per-event transition computation over a MachineSpec.

It turns the spec's candidate table into routes with prebuilt results once, so that an
event costs one table lookup, the guards of its candidates, and nothing else.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from pystator.runtime import expr
from pystator.runtime.actions import EffectsFn, compile_effects, set_values
from pystator.runtime.errors import (
    ConfigurationError,
    FSMError,
    GuardRejectedError,
    InvalidTransitionError,
    TerminalStateError,
    UndefinedStateError,
    UndefinedTriggerError,
)
from pystator.runtime.guards import GUARD_PARAMS_KEY, GuardRegistry, Predicate, check_predicate
from pystator.runtime.results import TransitionResult
from pystator.runtime.routes import BoundGuard, Route, bind_guard, chained, fresh, recall, tested
from pystator.runtime.spec import (
    AUTO_TRIGGER,
    MAX_AUTO_CHAIN,
    Candidate,
    GuardSpec,
    MachineSpec,
    StateSpec,
    event_normalizer,
)
from pystator.runtime.steps import Configuration, MicroStep, Step
from pystator.runtime.validation import required_fields, required_variables

_EMPTY_CONTEXT: Mapping[str, Any] = {}


class Engine:
    """Decides transitions for one machine; holds no entity state."""

    __slots__ = (
        "_ancestors",
        "_autos",
        "_normalize",
        "_strict",
        "_table",
        "_terminal",
        "_triggers",
        "copied_defaults",
        "entry",
        "entry_sets",
        "fast",
        "initial",
        "opening_sets",
        "parallel_states",
        "plain_defaults",
        "required",
        "settling",
        "spec",
    )

    def __init__(self, spec: MachineSpec, compiled: Mapping[str, Predicate] | None = None) -> None:
        self.spec = spec
        self._strict = spec.strict_mode
        self._normalize = event_normalizer(spec.event_normalizer)
        self._triggers = frozenset(trigger.name for trigger in spec.triggers)
        self._terminal = frozenset(state.name for state in spec.states if state.is_terminal)
        predicates: dict[str, Predicate] = {}
        transitions = spec.transitions
        by_name = {state.name: state for state in spec.states}
        table: dict[str, dict[str, tuple[Route, ...]]] = {}
        for state_name, by_trigger in spec.table.items():
            table[state_name] = {
                trigger: tuple(
                    self._route(
                        state_name,
                        trigger,
                        candidate,
                        transitions[candidate.transition].description,
                        predicates,
                        compiled or {},
                        by_name,
                    )
                    for candidate in candidates
                )
                for trigger, candidates in by_trigger.items()
            }
        for state in spec.states:
            table.setdefault(state.name, {})
        self._table = table
        parallel = {state.name for state in spec.states if state.is_parallel}
        self.parallel_states = frozenset(parallel)
        self._autos = {
            state: rows[AUTO_TRIGGER] for state, rows in table.items() if AUTO_TRIGGER in rows
        }
        #: The states with eventless transitions out of them, which `settle` follows.
        self.settling = self._autos.keys()
        self.initial = spec.initial_state
        for rows in table.values():
            for routes in rows.values():
                for route in routes:
                    for each in (route, *(route.by_history or {}).values()):
                        each.autos = self._autos.get(each.target)
                        each.enters_parallel = each.target in parallel
                        each.plain = each.autos is None and each.by_history is None
                        each.rare = bool(each.remembers) or each.enters_parallel
        #: The effects of entering each state from outside (outermost ancestor first), and
        #: their values when they only set plain values (see `Route.sets`).
        self.entry, self.entry_sets = _entry_effects(spec)
        #: The (state, trigger) pairs that per-event callers may decide themselves, by
        #: trigger: the keys its events must hold (`ContextRules`), and by state the first
        #: of the routes, linked by `Route.orelse`, every one plain and guarded by nothing
        #: or by its `test` only. When the keys are there, taking the first route whose
        #: test passes is the decision; when a key is missing, no test passes or one
        #: raises, the callers' full path says why. Trigger first: one state table per
        #: trigger, looked up like a hand-written dict of (state, trigger) pairs. Empty
        #: when trigger names are normalized (callers may give them in any form).
        self.fast: dict[str, tuple[tuple[str, ...], dict[str, Route]]] = {}
        if self._normalize is None:
            variables = required_variables(spec)
            needs = {t.name: variables + required_fields(t) for t in spec.triggers}
            found: dict[str, dict[str, tuple[Route, ...]]] = {}
            for name, rows in table.items():
                for trigger, routes in rows.items():
                    # Eventless routes stay out: other routes refer to them (`Route.autos`)
                    # and no caller sends them.
                    if (
                        routes
                        and trigger != AUTO_TRIGGER
                        and all(route.plain and tested(route) for route in routes)
                    ):
                        found.setdefault(trigger, {})[name] = routes
            for trigger, by_state in self._laid_out(found).items():
                self.fast[trigger] = (needs.get(trigger, variables), by_state)
        self._ancestors = {
            state.name: frozenset((state.name, *state.ancestors)) for state in spec.states
        }
        #: The variables' defaults a new context takes when it lacks them: plain values
        #: shared, and the others (lists, dicts) copied for each entity.
        self.plain_defaults: dict[str, Any] = {}
        copied: list[tuple[str, Any]] = []
        for v in spec.variables:
            if isinstance(v.default, str | int | float | bool):
                self.plain_defaults[v.key] = v.default
            elif v.default is not None:
                copied.append((v.key, v.default))
        self.copied_defaults = tuple(copied)
        #: The variables a new context must hold (`ContextRules.required`).
        self.required = required_variables(spec)
        #: What entering the initial state does to a new context, when that is only to
        #: set values (no regions, no eventless transitions) and the context needs
        #: nothing else (no required variable to check, no default to copy): the values;
        #: else None.
        self.opening_sets: dict[str, Any] | None = None
        simple = not self.required and not self.copied_defaults
        if simple and self.initial not in parallel and self.initial not in self._autos:
            if self.entry[self.initial] is None:
                self.opening_sets = {}
            else:
                self.opening_sets = self.entry_sets[self.initial]

    def _laid_out(
        self, found: dict[str, dict[str, tuple[Route, ...]]]
    ) -> dict[str, dict[str, Route]]:
        """The fast table's routes, by trigger and state, in fresh objects made one after
        another in table order (the engine's table takes them too): a state's first
        route, linked to the others by `Route.orelse`.

        Each route was built among the steps, configurations and metadata of its result,
        so in a large machine the routes of neighbouring states lay far apart in memory,
        and an event paid a cache miss for its route, one for its result and one for the
        tuple holding the routes; laid out together, and without the tuple, they are read
        like a hand-written table.
        """
        copies: dict[int, Route] = {}
        for by_state in found.values():
            for routes in by_state.values():
                for route in routes:
                    twin = copies[id(route)] = fresh(route)
                    twin.result = fresh(route.result)
        # Swapped in only now: made while the originals were freed, the copies would fill
        # the holes they leave, scattered again.
        laid_out: dict[str, dict[str, Route]] = {}
        for trigger, by_state in found.items():
            firsts = laid_out[trigger] = {}
            for state, routes in by_state.items():
                placed = tuple([copies[id(route)] for route in routes])
                for route, following in pairwise(placed):
                    route.orelse = following
                self._table[state][trigger] = placed
                firsts[state] = placed[0]
        return laid_out

    @staticmethod
    def _route(
        state: str,
        trigger: str,
        candidate: Candidate,
        description: str,
        predicates: dict[str, Predicate],
        compiled: Mapping[str, Predicate],
        states: Mapping[str, StateSpec],
    ) -> Route:
        guards = []
        for guard in candidate.guards:
            predicate: Predicate | None = None
            if guard.name is None:
                key = guard.label
                predicate = predicates.get(key)
                if predicate is None:
                    predicate = _predicate_for(guard, compiled)
                    predicates[key] = predicate
            guards.append(bind_guard(guard, predicate))
        metadata: dict[str, Any] = {}
        if description:
            metadata["transition_description"] = description
        if candidate.internal:
            metadata["internal"] = True
        micro = MicroStep(
            candidate.transition,
            state,
            candidate.target,
            candidate.exits,
            candidate.enters,
            candidate.exit_actions + candidate.actions + candidate.enter_actions,
            candidate.remembers,
        )
        result = TransitionResult.success_result(
            source_state=state,
            target_state=candidate.target,
            trigger=trigger,
            actions=candidate.actions,
            on_exit=candidate.exit_actions,
            on_enter=candidate.enter_actions,
            metadata=metadata,
            step=Step.of(trigger, (state,), configuration(states, candidate.target), (micro,)),
        )
        route = Route(tuple(guards), result, candidate.target)
        route.remembers = candidate.remembers
        if candidate.history_of is not None:
            route.history_of = candidate.history_of
            route.by_history = {
                leaf: Engine._route(
                    state, trigger, alternative, description, predicates, compiled, states
                )
                for leaf, alternative in candidate.by_history.items()
            }
        return route

    # -- deciding -----------------------------------------------------------------

    def decide(
        self,
        state: str,
        trigger: str,
        context: Mapping[str, Any] | None,
        registry: GuardRegistry,
        history: Mapping[str, str] | None = None,
    ) -> Route | TransitionResult:
        """The route that fires, or a failure result saying why none does.

        This is the decision core: it never awaits. Guards are called through `registry`;
        `pystator.runtime.drivers.decide_async` drives it for asynchronous guards.

        `history` is the entity's record of the last active leaf of each compound state
        it left, which `H(p)` / `H*(p)` destinations read."""
        if self._normalize is not None and trigger.__class__ is str:
            trigger = self._normalize(trigger)
        try:
            routes = self._table[state][trigger]
        except (KeyError, TypeError):
            return self._no_route(state, trigger)
        if context is None:
            context = _EMPTY_CONTEXT
        rejection: tuple[str, Any] | None = None
        for route in routes:
            if route.guards:
                rejected: tuple[str, Any] | None = None
                # The guard loop is inlined: this is the per-event hot path.
                for predicate, name, params, label in route.guards:
                    fn = predicate if predicate is not None else registry.get(name)
                    try:
                        outcome = fn(
                            context if params is None else {**context, GUARD_PARAMS_KEY: params}
                        )
                    except Exception as exc:  # a guard that raises rejects its transition
                        rejected = (label, exc)
                        break
                    if outcome.__class__ is not bool and inspect.isawaitable(outcome):
                        _refuse_awaitable(label, outcome)
                    if not outcome:
                        rejected = (label, outcome)
                        break
                if rejected is not None:
                    if rejection is None:
                        rejection = rejected
                    continue
            if route.plain:
                return route
            return self._follow(recall(route, history), context, registry, history)
        assert rejection is not None
        return self._rejected(state, trigger, rejection)

    def _follow(
        self,
        route: Route,
        context: Mapping[str, Any],
        registry: GuardRegistry,
        history: Mapping[str, str] | None = None,
    ) -> Route:
        """Fire the eventless transitions that `route`'s target (and theirs) lead to."""
        chain = [route]
        autos = route.autos
        for _ in range(MAX_AUTO_CHAIN):
            if autos is None:
                break
            step = None
            for candidate in autos:
                if _run_guards(candidate.guards, context, registry) is None:
                    step = recall(candidate, history)
                    break
            if step is None:
                break
            chain.append(step)
            autos = step.autos
        else:
            self._too_long(chain)
        return route if len(chain) == 1 else chained(chain)

    def _too_long(self, chain: list[Route]) -> None:
        states = " -> ".join(route.target for route in chain[-6:])
        raise FSMError(
            f"Eventless transitions of machine {self.spec.name!r} did not settle after "
            f"{MAX_AUTO_CHAIN} steps (last: {states}); their guards never become false",
            {"chain": [route.target for route in chain]},
        )

    def settle(
        self,
        state: str,
        context: Mapping[str, Any],
        registry: GuardRegistry,
        history: Mapping[str, str] | None = None,
    ) -> Route | None:
        """The eventless chain that fires on entering `state` (e.g. at create), if any."""
        autos = self._autos.get(state)
        if autos is None:
            return None
        entry = Route((), TransitionResult.success_result(state, state, AUTO_TRIGGER), state)
        entry.autos = autos
        chained = self._follow(entry, context, registry, history)
        return None if chained is entry else chained

    def routes(self, state: str, trigger: str) -> tuple[Route, ...]:
        if self._normalize is not None:
            trigger = self._normalize(trigger)
        return self._table.get(state, {}).get(trigger, ())

    def within(self, leaf: str, state: str) -> bool:
        """True if `state` is `leaf` or one of its ancestors."""
        return state in self._ancestors.get(leaf, ())

    def triggers_from(self, state: str) -> tuple[str, ...]:
        """Triggers with at least one transition out of `state`, in table order."""
        return tuple(t for t in self._table.get(state, {}) if t != AUTO_TRIGGER)

    def entry_effects(self, state: str) -> EffectsFn | None:
        """The effects of entering `state` from outside (outermost ancestor first)."""
        return self.entry.get(state)

    def normalize(self, trigger: str) -> str:
        return self._normalize(trigger) if self._normalize is not None else trigger

    def has_state(self, state: str) -> bool:
        return isinstance(state, str) and state in self._table

    # -- failures -----------------------------------------------------------------

    def _no_route(self, state: Any, trigger: Any) -> TransitionResult:
        if not isinstance(state, str):
            raise TypeError(f"current state must be a state name (str), got {type(state).__name__}")
        if not isinstance(trigger, str):
            raise TypeError(f"trigger must be a trigger name (str), got {type(trigger).__name__}")
        if state not in self._table:
            raise UndefinedStateError(
                f"State {state!r} is not defined in machine {self.spec.name!r}",
                state_name=state,
            )
        if state in self._terminal:
            return TransitionResult.failure_result(
                state,
                trigger,
                TerminalStateError(state, trigger),
                {"reason": "terminal_state"},
            )
        if not self._strict:
            return TransitionResult.no_op_result(state, trigger)
        if trigger not in self._triggers:
            return TransitionResult.failure_result(
                state,
                trigger,
                UndefinedTriggerError(
                    f"Trigger {trigger!r} is not defined in machine {self.spec.name!r}",
                    trigger=trigger,
                    available_triggers=sorted(self._triggers),
                ),
                {"reason": "undefined_trigger"},
            )
        return TransitionResult.failure_result(
            state,
            trigger,
            InvalidTransitionError(
                f"No transition for trigger {trigger!r} from state {state!r}",
                current_state=state,
                trigger=trigger,
            ),
            {"reason": "invalid_transition"},
        )

    @staticmethod
    def _rejected(state: str, trigger: str, rejection: tuple[str, Any]) -> TransitionResult:
        label, outcome = rejection
        metadata: dict[str, Any] = {"reason": "guard_rejected", "guard_name": label}
        if isinstance(outcome, BaseException):
            metadata["guard_error"] = f"{type(outcome).__name__}: {outcome}"
            outcome = None
        error = GuardRejectedError(
            f"Guard {label!r} rejected trigger {trigger!r} from state {state!r}",
            current_state=state,
            trigger=trigger,
            guard_name=label,
            guard_result=outcome,
        )
        return TransitionResult.failure_result(state, trigger, error, metadata)


def _run_guards(
    guards: tuple[BoundGuard, ...], context: Mapping[str, Any], registry: GuardRegistry
) -> tuple[str, Any] | None:
    """None if every guard passes, else (label, outcome) of the first that does not."""
    for predicate, name, params, label in guards:
        fn = predicate if predicate is not None else registry.get(name)
        try:
            outcome = fn(context if params is None else {**context, GUARD_PARAMS_KEY: params})
        except Exception as exc:  # a guard that raises rejects its transition
            return label, exc
        if outcome.__class__ is not bool and inspect.isawaitable(outcome):
            _refuse_awaitable(label, outcome)
        if not outcome:
            return label, outcome
    return None


def _entry_effects(
    spec: MachineSpec,
) -> tuple[dict[str, EffectsFn | None], dict[str, dict[str, Any] | None]]:
    by_name = {state.name: state for state in spec.states}
    found: dict[str, EffectsFn | None] = {}
    values: dict[str, dict[str, Any] | None] = {}
    for state in spec.states:
        chain = (*reversed(state.ancestors), state.name)
        actions = [action for name in chain for action in by_name[name].on_enter]
        found[state.name] = compile_effects(actions)
        values[state.name] = set_values(actions)
    return found, values


def configuration(states: Mapping[str, StateSpec], target: str) -> Configuration:
    """The configuration on arriving in `target`: a parallel state brings its regions'
    initial states with it."""
    state = states.get(target)
    if state is None or not state.is_parallel:
        return (target,)
    return (target, *(region.initial for region in state.regions))


def _predicate_for(guard: GuardSpec, compiled: Mapping[str, Predicate]) -> Predicate:
    # Generated modules supply compiled predicates keyed by guard label.
    predicate = compiled.get(guard.label)
    if predicate is not None:
        return predicate
    if guard.expr is not None:
        return expr.compile_predicate(expr.parse_expression(guard.expr))
    assert guard.check is not None
    return check_predicate(guard.check)


def _refuse_awaitable(label: str, outcome: Any) -> None:
    if inspect.iscoroutine(outcome):
        outcome.close()
    raise ConfigurationError(
        f"Guard {label!r} is asynchronous; use aprocess() or asend() so that it can be awaited"
    )
