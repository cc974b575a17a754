"""Lower: turn a checked MachineConfig into the frozen MachineSpec the engine runs.

All the thinking happens here, once: names are chosen, the hierarchy is flattened, and
every (state, trigger) pair gets its ordered candidates with exit/enter actions resolved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pystator.generator import names
from pystator.generator.check import (
    Reporter,
    machine_name,
    region_of,
    variables,
)
from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.hierarchy import Tree, build_tree
from pystator.generator.load import Document, Limits, default_limits
from pystator.generator.loops import check_loops
from pystator.generator.schema import (
    ActionItem,
    CheckGuardDef,
    EffectDef,
    ExprGuardDef,
    GuardItem,
    MachineConfig,
    NamedActionDef,
    NamedGuardDef,
    PayloadFieldDef,
)
from pystator.runtime.durations import parse_duration_ms
from pystator.runtime.history import parse_history
from pystator.runtime.spec import (
    AUTO_TRIGGER,
    ActionSpec,
    Candidate,
    CheckOp,
    CheckSpec,
    EffectType,
    ErrorPolicySpec,
    GuardSpec,
    InvokeSpec,
    MachineSpec,
    PayloadField,
    RegionSpec,
    StateSpec,
    StateType,
    TimeoutSpec,
    TimerSpec,
    TransitionSpec,
    TriggerSpec,
    VariableSpec,
    after_trigger,
    event_normalizer,
    frozen_mapping,
    timeout_trigger,
)

DEFAULT_VERSION = "0.0.0"


@dataclass(frozen=True, slots=True)
class Lowered:
    spec: MachineSpec
    warnings: tuple[Diagnostic, ...]


class _TableTooLarge(Exception):
    """The transition table outgrew its limit; lowering stops where it is."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def lower(config: MachineConfig, document: Document, limits: Limits | None = None) -> Lowered:
    """The MachineSpec of a machine that passed `check`, plus graph warnings.

    Raises CompileError if the transition table would outgrow `limits`: every state holds
    the transitions of its ancestors, so the table can grow faster than the file.
    """
    normalize = event_normalizer(config.meta.event_normalizer) or str
    regions = region_of(config)
    states = tuple(
        _state(state_def, regions.get(state_def.name, (None, None))[1])
        for state_def in config.states
    )
    transitions = tuple(
        _transition(index, transition_def, normalize)
        for index, transition_def in enumerate(config.transitions)
    )
    transitions += _timeout_transitions(states, len(transitions), normalize)
    tree = build_tree(
        [state.name for state in states],
        {state.name: state.parent for state in states},
        {state.name: state.initial_child for state in states},
    )
    states = tuple(replace(state, ancestors=tree.ancestors(state.name)[1:]) for state in states)
    initial = next(state.name for state in states if state.type is StateType.INITIAL)
    chosen = limits if limits is not None else default_limits()
    try:
        table = _table(states, transitions, tree, _table_limit(config, chosen))
    except _TableTooLarge as exc:
        position = document.key_position(("transitions",))
        raise CompileError(
            [
                Diagnostic(
                    "PS003",
                    f"the machine's transition table would hold more than {exc.limit} entries: "
                    "each state repeats the transitions of every state that encloses it.",
                    document.file,
                    position.line,
                    position.col,
                    hint="Split the machine, or declare shared transitions on fewer "
                    "compound states.",
                )
            ]
        ) from None
    spec = MachineSpec(
        name=machine_name(config, document),
        version=config.meta.version or DEFAULT_VERSION,
        description=config.meta.description or config.description or "",
        states=states,
        triggers=_triggers(config, transitions, normalize),
        transitions=transitions,
        initial_state=tree.leaf_of(initial),
        table=table,
        strict_mode=config.meta.strict_mode,
        event_normalizer=config.meta.event_normalizer,
        error_policy=ErrorPolicySpec(
            default_fallback=config.error_policy.default_fallback,
            retry_attempts=config.error_policy.retry_attempts,
        )
        if config.error_policy is not None
        else ErrorPolicySpec(),
        variables=tuple(
            VariableSpec(
                key=variable.key,
                type=variable.type or "any",
                required=variable.required,
                default=variable.default,
                description=variable.description,
            )
            for _, variable in variables(config)
        ),
        validate_context=config.meta.validate_context,
        timers=_timers(states, transitions, len(config.transitions)),
    )
    spec = _with_fingerprint(spec)
    report = Reporter(document)
    check_loops(report, spec, config, tree)
    return Lowered(spec, tuple(report.found))


# -- pieces ---------------------------------------------------------------------------------


def _action(item: ActionItem) -> ActionSpec:
    if isinstance(item, str):
        return ActionSpec(item)
    if isinstance(item, NamedActionDef):
        return ActionSpec(item.name, frozen_mapping(item.params))
    return _effect(item)


def _effect(item: EffectDef) -> ActionSpec:
    params: dict[str, Any]
    if item.set is not None:
        kind, params = EffectType.SET, dict(item.set)
    elif item.timestamp is not None:
        kind, params = EffectType.TIMESTAMP, {"field": item.timestamp}
    elif item.increment is not None:
        kind, params = EffectType.INCREMENT, {"field": item.increment}
    elif item.decrement is not None:
        kind, params = EffectType.DECREMENT, {"field": item.decrement}
    elif item.append is not None:
        kind, params = EffectType.APPEND, {"field": item.append.field, "value": item.append.value}
    else:
        cleared = item.clear
        fields = [cleared] if isinstance(cleared, str) else list(cleared or ())
        kind, params = EffectType.CLEAR, {"fields": tuple(fields)}
    return ActionSpec(f"_effect.{kind}", frozen_mapping(params), kind)


def _guard(item: GuardItem) -> GuardSpec:
    if isinstance(item, str):
        return GuardSpec(name=item)
    if isinstance(item, NamedGuardDef):
        return GuardSpec(name=item.name, params=frozen_mapping(item.params))
    if isinstance(item, ExprGuardDef):
        return GuardSpec(expr=item.expr)
    assert isinstance(item, CheckGuardDef)
    check = item.check
    value = check.value
    if check.values is not None:
        value = tuple(check.values)
    elif isinstance(value, list):
        value = tuple(value)
    return GuardSpec(check=CheckSpec(check.field, CheckOp(check.op), value))


def _state(state_def: Any, region: str | None) -> StateSpec:
    mapped = names.map_state(state_def.name)
    timeout = state_def.timeout
    return StateSpec(
        name=state_def.name,
        type=StateType(state_def.type),
        member=mapped.member,
        prop=mapped.attribute,
        description=state_def.description,
        parent=state_def.parent,
        initial_child=state_def.initial_child,
        on_enter=tuple(_action(item) for item in state_def.on_enter),
        on_exit=tuple(_action(item) for item in state_def.on_exit),
        timeout=TimeoutSpec(timeout.seconds, timeout.destination) if timeout else None,
        invoke=tuple(InvokeSpec(item.id, item.src, item.on_done) for item in state_def.invoke),
        regions=tuple(
            RegionSpec(region_def.name, region_def.initial, tuple(region_def.states))
            for region_def in state_def.regions
        ),
        region=region,
        group=state_def.group,
        metadata=frozen_mapping(state_def.metadata),
        renamed_from=tuple(state_def.renamed_from),
    )


def _transition(index: int, transition_def: Any, normalize: Callable[[str], str]) -> TransitionSpec:
    sources = (
        (transition_def.source,)
        if isinstance(transition_def.source, str)
        else tuple(transition_def.source)
    )
    after_ms = parse_duration_ms(transition_def.after) if transition_def.after is not None else None
    # `auto` beside `after` is a delayed eventless transition (check warns, PS309).
    auto = transition_def.auto and after_ms is None
    if auto:
        trigger = AUTO_TRIGGER
    elif transition_def.trigger:
        trigger = normalize(transition_def.trigger)
    else:
        # The scheduler fires delayed transitions by this synthetic trigger.
        trigger = normalize(after_trigger(sources[0], after_ms or 0))
    return TransitionSpec(
        index=index,
        trigger=trigger,
        source=sources,
        dest=transition_def.dest,
        guards=tuple(_guard(item) for item in transition_def.guards),
        actions=tuple(_action(item) for item in transition_def.actions),
        after_ms=after_ms,
        internal=transition_def.internal,
        auto=auto,
        region=transition_def.region,
        description=transition_def.description,
    )


def _timeout_transitions(
    states: tuple[StateSpec, ...], first_index: int, normalize: Callable[[str], str]
) -> tuple[TransitionSpec, ...]:
    """A state's `timeout:` is a delayed transition out of it, by an event of its own
    (normalised like every event, so the engine finds it whatever the normaliser)."""
    timed = [state for state in states if state.timeout is not None]
    return tuple(
        TransitionSpec(
            index=first_index + offset,
            trigger=normalize(timeout_trigger(state.name)),
            source=(state.name,),
            dest=state.timeout.destination,
            after_ms=round(state.timeout.seconds * 1000),
            description=f"timeout of {state.name}",
        )
        for offset, state in enumerate(timed)
        if state.timeout is not None
    )


def _timers(
    states: tuple[StateSpec, ...], transitions: tuple[TransitionSpec, ...], declared: int
) -> Mapping[str, tuple[TimerSpec, ...]]:
    """Per state, the timers entering it arms, in document order.

    Transitions past the `declared` ones are the states' timeouts.
    """
    found: dict[str, list[TimerSpec]] = {}
    for transition in transitions:
        if transition.after_ms is None:
            continue
        kind = "timeout" if transition.index >= declared else "after"
        for source in transition.source:
            found.setdefault(source, []).append(
                TimerSpec(source, transition.trigger, transition.after_ms, transition.index, kind)
            )
    order = {state.name: position for position, state in enumerate(states)}
    return frozen_mapping(
        {name: tuple(found[name]) for name in sorted(found, key=order.__getitem__)}
    )


def _triggers(
    config: MachineConfig, transitions: tuple[TransitionSpec, ...], normalize: Callable[[str], str]
) -> tuple[TriggerSpec, ...]:
    payloads: dict[str, tuple[tuple[PayloadField, ...], str]] = {}
    for event in config.events or ():
        fields = []
        for field_name, hint in event.payload.items():
            if isinstance(hint, PayloadFieldDef):
                fields.append(PayloadField(field_name, hint.type, hint.required))
            else:
                fields.append(PayloadField(field_name, hint, True))
        payloads[normalize(event.name)] = (tuple(fields), event.description)
    ordered: dict[str, None] = {}
    for transition in transitions:
        if not transition.auto:
            ordered.setdefault(transition.trigger, None)
    triggers = []
    for name in ordered:
        mapped = names.map_trigger(name)
        payload, description = payloads.get(name, ((), ""))
        triggers.append(
            TriggerSpec(
                name=name,
                member=mapped.member,
                method=mapped.attribute,
                payload=payload,
                description=description,
            )
        )
    return tuple(triggers)


def _table_limit(config: MachineConfig, limits: Limits) -> int:
    """How many entries the transition table of `config` may hold (see `Limits`)."""
    items = len(config.states) + len(config.transitions)
    items += sum(len(state.on_enter) + len(state.on_exit) for state in config.states)
    return max(limits.max_table_entries, limits.table_growth * items)


def _entries(candidate: Candidate) -> int:
    """What a candidate adds to the table: itself, its history alternatives and the exit
    and entry actions each of them copies."""
    return sum(
        1 + len(option.exit_actions) + len(option.enter_actions)
        for option in (candidate, *candidate.by_history.values())
    )


def _table(
    states: tuple[StateSpec, ...],
    transitions: tuple[TransitionSpec, ...],
    tree: Tree,
    limit: int,
) -> Mapping[str, Mapping[str, tuple[Candidate, ...]]]:
    by_source: dict[str, list[TransitionSpec]] = {}
    for transition in transitions:
        for source in transition.source:
            by_source.setdefault(source, []).append(transition)
    by_name = {state.name: state for state in states}
    # Histories are recorded only by machines that read them back.
    remember = any(parse_history(t.dest) for t in transitions)
    routes = _Routes(tree, by_name, remember, {})
    below = _leaves_below(tree, transitions)
    entries = 0
    table: dict[str, Mapping[str, tuple[Candidate, ...]]] = {}
    for state in states:
        if state.is_terminal:
            table[state.name] = frozen_mapping({})
            continue
        rows: dict[str, list[Candidate]] = {}
        # Innermost state first, then document order: descendants take priority. A region
        # state answers only its own transitions: leaving the parallel state is decided
        # for the whole configuration.
        lineage = (state.name,) if state.region is not None else tree.ancestors(state.name)
        for declared in lineage:
            for transition in by_source.get(declared, ()):
                candidate = _candidate(state.name, transition, tree, routes, below)
                entries += _entries(candidate)
                if entries > limit:
                    raise _TableTooLarge(limit)
                rows.setdefault(transition.trigger, []).append(candidate)
        table[state.name] = frozen_mapping(
            {trigger: tuple(candidates) for trigger, candidates in rows.items()}
        )
    return frozen_mapping(table)


def _leaves_below(
    tree: Tree, transitions: tuple[TransitionSpec, ...]
) -> Mapping[str, tuple[str, ...]]:
    """For each state a history destination names, the leaves inside it (document order)."""
    parents = set()
    for transition in transitions:
        history = parse_history(transition.dest)
        if history is not None:
            parents.add(history.parent)
    found: dict[str, list[str]] = {parent: [] for parent in parents}
    if parents:
        for leaf in tree.leaves():
            for ancestor in tree.ancestors(leaf)[1:]:
                if ancestor in found:
                    found[ancestor].append(leaf)
    return {parent: tuple(leaves) for parent, leaves in found.items()}


def _candidate(
    current: str,
    transition: TransitionSpec,
    tree: Tree,
    routes: _Routes,
    below: Mapping[str, tuple[str, ...]],
) -> Candidate:
    if transition.internal:
        return Candidate(
            transition=transition.index,
            target=current,
            guards=transition.guards,
            actions=transition.actions,
            internal=True,
        )
    history = parse_history(transition.dest)
    if history is None:
        dest = transition.dest
        return _external(current, transition, routes.of(current, dest, tree.leaf_of(dest)))
    parent = history.parent
    deep = history.deep
    default = _external(current, transition, routes.of(current, parent, tree.leaf_of(parent)))
    alternatives: dict[str, Candidate] = {}
    for leaf in below.get(parent, ()):
        chain = tree.ancestors(leaf)
        # Shallow history re-enters the remembered child of `parent` through its initial
        # children; deep history returns to the remembered leaf itself.
        child = chain[chain.index(parent) - 1]
        target = leaf if deep else tree.leaf_of(child)
        alternatives[leaf] = _external(current, transition, routes.of(current, parent, target))
    return replace(default, history_of=parent, by_history=frozen_mapping(alternatives))


def _external(current: str, transition: TransitionSpec, route: _Route) -> Candidate:
    return Candidate(
        transition=transition.index,
        target=route.target,
        guards=transition.guards,
        exit_actions=route.exit_actions,
        actions=transition.actions,
        enter_actions=route.enter_actions,
        remembers=route.remembers,
        exits=route.exits,
        enters=route.enters,
    )


@dataclass(frozen=True, slots=True)
class _Route:
    """What taking a transition from a state into a target changes besides the transition's
    own parts: the states exited and entered, the actions they copy, the histories kept."""

    target: str
    exits: tuple[str, ...]
    enters: tuple[str, ...]
    exit_actions: tuple[ActionSpec, ...]
    enter_actions: tuple[ActionSpec, ...]
    remembers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _Routes:
    """Routes by (state, destination, target), each found once: the transitions a compound
    state's children inherit, and those between the same states, share them."""

    tree: Tree
    states: Mapping[str, StateSpec]
    remember: bool
    known: dict[tuple[str, str, str], _Route]

    def of(self, current: str, dest: str, target: str) -> _Route:
        key = (current, dest, target)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self._find(current, dest, target)
        return found

    def _find(self, current: str, dest: str, target: str) -> _Route:
        tree, states = self.tree, self.states
        # A transition back into an active state is external: leave it and enter it again.
        top = (
            tree.parent.get(dest) if dest in tree.ancestors(current) else tree.lca(current, target)
        )
        exits = tree.path_up(current, top)
        enters = tree.path_down(top, target)
        if states[target].is_parallel:
            # Entering a parallel state enters the initial state of each region, in order.
            enters = (*enters, *(region.initial for region in states[target].regions))
        remembers = (
            tuple((name, current) for name in exits if not tree.is_leaf(name))
            if self.remember
            else ()
        )
        return _Route(
            target=target,
            exits=tuple(exits),
            enters=tuple(enters),
            exit_actions=tuple(action for name in exits for action in states[name].on_exit),
            enter_actions=tuple(action for name in enters for action in states[name].on_enter),
            remembers=remembers,
        )


def _with_fingerprint(spec: MachineSpec) -> MachineSpec:
    """A hash of the structure that persisted entities depend on (states and events)."""
    structure = {
        "states": [[s.name, s.type.value, s.parent] for s in spec.states],
        "transitions": [[t.trigger, list(t.source), t.dest] for t in spec.transitions],
    }
    digest = hashlib.sha256(json.dumps(structure, sort_keys=True).encode()).hexdigest()
    return replace(spec, fingerprint=digest[:16])
