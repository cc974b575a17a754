"""Analysis: warnings about the behaviour of a lowered machine, positioned in its YAML.

Hierarchy, regions, history, timers and eventless transitions are all taken into account;
a guard the analysis cannot read is never the reason for a finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from pystator.generator import constraints
from pystator.generator.constraints import Conjunction, Domain, Effort
from pystator.generator.diagnostics import Diagnostic, Severity
from pystator.generator.graph import (
    FINAL_TYPES,
    Model,
    has_way_out,
    model_of,
    reachable,
    reaching,
)
from pystator.generator.load import Document, Path
from pystator.runtime.spec import AUTO_TRIGGER, Candidate, MachineSpec, StateType

#: The codes this module reports.
ANALYSIS_CODES = ("PS301", "PS302", "PS303", "PS306", "PS307", "PS308")


def analyze(spec: MachineSpec, document: Document) -> tuple[Diagnostic, ...]:
    """Every analysis finding for a machine, in a stable order."""
    model = model_of(spec)
    places = Places.of(document, model)
    found: list[Diagnostic] = []
    live = reachable(model)
    found += unreachable_states(model, places, live)
    found += dead_ends(model, places, live)
    found += trapped_states(model, places, live)
    domain = Domain(_declared_types(spec))
    # Comparing guards pairwise is the one part that grows faster than the machine; one
    # budget for the run keeps it bounded (what it cannot afford, it does not report).
    effort = Effort()
    shadows = shadowing(model, domain, effort)
    found += shadowed_transitions(model, places, shadows)
    found += overlapping_guards(model, places, domain, frozenset(shadows), effort)
    found += guard_gaps(model, places, domain, effort)
    return tuple(found)


# -- where things are written -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Places:
    """Source positions of states and transitions, including ones the YAML only implies."""

    document: Document
    states: Mapping[str, Path]
    transitions: Mapping[int, Path]

    @classmethod
    def of(cls, document: Document, model: Model) -> Places:
        data = document.data if isinstance(document.data, dict) else {}
        states: dict[str, Path] = {}
        raw_states = data.get("states")
        entries = raw_states if isinstance(raw_states, list) else []
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                states.setdefault(entry["name"], ("states", index, "name"))
        for index, entry in enumerate(entries):
            regions = entry.get("regions") if isinstance(entry, dict) else None
            for position, region in enumerate(regions if isinstance(regions, list) else ()):
                members = region.get("states") if isinstance(region, dict) else None
                for offset, name in enumerate(members if isinstance(members, list) else ()):
                    if isinstance(name, str):
                        path: Path = ("states", index, "regions", position, "states", offset)
                        states.setdefault(name, path)
        raw_transitions = data.get("transitions")
        declared = len(raw_transitions) if isinstance(raw_transitions, list) else 0
        transitions: dict[int, Path] = {}
        for transition in model.spec.transitions:
            if transition.index < declared:
                transitions[transition.index] = ("transitions", transition.index)
            elif transition.source and transition.source[0] in states:
                # A transition the compiler added for a state's `timeout:`.
                state_path = states[transition.source[0]]
                transitions[transition.index] = (*state_path[:2], "timeout")
        return cls(document, states, transitions)

    def state(self, code: str, name: str, message: str, hint: str) -> Diagnostic:
        return self._at(code, self.states.get(name, ("states",)), message, hint)

    def transition(
        self, code: str, index: int, message: str, hint: str, *, guards: bool = False
    ) -> Diagnostic:
        path = self.transitions.get(index, ("transitions",))
        if guards and path[:1] == ("transitions",) and len(path) == 2:
            path = (*path, "guards")
        return self._at(code, path, message, hint)

    def line_of(self, index: int) -> int:
        return self.document.position(self.transitions.get(index, ("transitions",))).line

    def _at(self, code: str, path: Path, message: str, hint: str) -> Diagnostic:
        position = self.document.position(path)
        return Diagnostic(
            code, message, self.document.file, position.line, position.col, Severity.WARNING, hint
        )


def _describe(model: Model, index: int) -> str:
    transition = model.spec.transitions[index]
    trigger = "(eventless)" if transition.trigger == AUTO_TRIGGER else transition.trigger
    return f"{trigger}: {', '.join(transition.source)} -> {transition.dest}"


# -- states ---------------------------------------------------------------------------------


def unreachable_states(model: Model, places: Places, live: frozenset[str]) -> list[Diagnostic]:
    """PS301: states no event, eventless step, timer or history can lead to."""
    return [
        places.state(
            "PS301",
            state.name,
            f"state {state.name!r} cannot be reached from the initial state.",
            "Add a transition into it, or remove it.",
        )
        for state in model.spec.states
        if state.name not in live
    ]


def _dead_ends(model: Model, live: frozenset[str]) -> list[str]:
    return [
        state.name
        for state in model.spec.states
        if state.name in live
        and model.is_decision_state(state.name)
        and state.type not in FINAL_TYPES
        and not has_way_out(model, state.name)
    ]


def dead_ends(model: Model, places: Places, live: frozenset[str]) -> list[Diagnostic]:
    """PS303: reachable non-final states that nothing moves an entity out of."""
    return [
        places.state(
            "PS303",
            name,
            f"state {name!r} is not terminal but has no way out.",
            "Add a transition out of it, or make it `type: terminal`.",
        )
        for name in _dead_ends(model, live)
    ]


def trapped_states(model: Model, places: Places, live: frozenset[str]) -> list[Diagnostic]:
    """PS306: reachable states from which no terminal state can ever be reached (dead ends
    are PS303 already; error states count as an end)."""
    if not any(s.type is StateType.TERMINAL for s in model.spec.states):
        return []
    ending = reaching(model, [s.name for s in model.spec.states if s.type in FINAL_TYPES])
    dead = set(_dead_ends(model, live))
    return [
        places.state(
            "PS306",
            state.name,
            f"no terminal state can be reached from state {state.name!r}: entities that "
            "get there never finish.",
            "Add a transition towards a terminal state, or switch PS306 off if the loop "
            "is intended.",
        )
        for state in model.spec.states
        if state.name in live
        and state.name not in ending
        and state.name not in dead
        and model.is_decision_state(state.name)
        and state.type not in FINAL_TYPES
    ]


# -- transitions ---------------------------------------------------------------------------


def _rows(model: Model) -> Iterator[tuple[str, str, tuple[Candidate, ...]]]:
    """(state, trigger, candidates) for every state an entity's decision can start from."""
    for state in model.spec.states:
        name = state.name
        if not (model.is_decision_state(name) or state.region is not None):
            continue
        for trigger, candidates in model.spec.table.get(name, {}).items():
            yield name, trigger, candidates


def _same_guards(earlier: Candidate, later: Candidate) -> bool:
    """True if every guard of `earlier` is also a guard of `later`."""
    return all(any(guard == other for other in later.guards) for guard in earlier.guards)


def _readings(model: Model) -> dict[int, Conjunction | None]:
    """Each guarded transition's guards as a conjunction (None when not understood)."""
    return {
        transition.index: constraints.read_guards(transition.guards)
        for transition in model.spec.transitions
        if transition.guards
    }


def _pairs(count: int, effort: Effort) -> Iterator[tuple[int, int]]:
    """(earlier, later) positions among `count` candidates, while `effort` lasts."""
    for later in range(count):
        for earlier in range(later):
            if not effort.spend(1):
                return
            yield earlier, later


def shadowing(
    model: Model, domain: Domain, effort: Effort | None = None
) -> dict[int, tuple[int, bool]]:
    """Transitions that can never fire: for each, the earlier transition that always takes
    the event first, and whether that one is guarded."""
    effort = effort if effort is not None else Effort()
    readings = _readings(model)
    covers: dict[tuple[int, int], bool] = {}

    def always_first(earlier: Candidate, later: Candidate) -> bool:
        key = (earlier.transition, later.transition)
        if key not in covers:
            mine, theirs = readings.get(later.transition), readings.get(earlier.transition)
            covers[key] = _same_guards(earlier, later) or (
                mine is not None
                and theirs is not None
                and constraints.implies(domain, mine, theirs, effort=effort)
            )
        return covers[key]

    appearances: dict[int, list[tuple[int, bool] | None]] = {}
    for _, _, candidates in _rows(model):
        unguarded: int | None = None  # the first unguarded candidate: it blocks all later
        for position, candidate in enumerate(candidates):
            blocker: tuple[int, bool] | None = None
            for earlier in range(position if unguarded is None else unguarded):
                if not effort.spend(1 + len(candidates[earlier].guards) * len(candidate.guards)):
                    break
                if always_first(candidates[earlier], candidate):
                    blocker = (candidates[earlier].transition, True)
                    break
            if blocker is None and unguarded is not None:
                blocker = (candidates[unguarded].transition, False)
            appearances.setdefault(candidate.transition, []).append(blocker)
            if unguarded is None and not candidate.guards:
                unguarded = position
    found: dict[int, tuple[int, bool]] = {}
    for index, blockers in sorted(appearances.items()):
        first = blockers[0] if blockers and all(b is not None for b in blockers) else None
        if first is not None:
            found[index] = first
    return found


def shadowed_transitions(
    model: Model, places: Places, shadows: Mapping[int, tuple[int, bool]]
) -> list[Diagnostic]:
    """PS302: transitions that an earlier candidate always takes the event from."""
    found = []
    for index, (by, guarded) in sorted(shadows.items()):
        trigger = model.spec.transitions[index].trigger
        shown = "(eventless)" if trigger == AUTO_TRIGGER else repr(trigger)
        if guarded:
            message = (
                f"transition {shown} can never fire: whenever its guards pass, those of an "
                f"earlier transition ({_describe(model, by)}) pass too."
            )
        else:
            message = (
                f"transition {shown} can never fire: an earlier unguarded transition "
                f"({_describe(model, by)}) always takes the event first."
            )
        found.append(
            places.transition(
                "PS302",
                index,
                message,
                "Add a guard to the earlier transition, reorder them, or remove this one.",
            )
        )
    return found


def _understood_pairs(
    model: Model, *, events_only: bool
) -> Iterator[tuple[str, str, tuple[Candidate, ...], list[Conjunction | None]]]:
    readings = _readings(model)
    for state, trigger, candidates in _rows(model):
        if len(candidates) < 2 or (events_only and trigger == AUTO_TRIGGER):
            continue
        yield state, trigger, candidates, [readings.get(c.transition) for c in candidates]


def overlapping_guards(
    model: Model,
    places: Places,
    domain: Domain,
    hidden: frozenset[int],
    effort: Effort | None = None,
) -> list[Diagnostic]:
    """PS307: two guarded candidates of one event whose guards can pass together."""
    effort = effort if effort is not None else Effort()
    found: dict[tuple[int, int], Diagnostic] = {}
    checked: set[tuple[int, int]] = set()
    for state, trigger, candidates, readings in _understood_pairs(model, events_only=False):
        for earlier, later in _pairs(len(candidates), effort):
            first, second = candidates[earlier], candidates[later]
            key = (first.transition, second.transition)
            a, b = readings[earlier], readings[later]
            if key in checked or first.transition == second.transition:
                continue
            checked.add(key)
            if a is None or b is None or a.variables != b.variables:
                continue
            if second.transition in hidden:
                continue
            if constraints.implies(domain, b, a, effort=effort):
                continue
            point = constraints.find_point(domain, [a, b], [], effort=effort)
            if point is None:
                continue
            shown = "eventless transitions" if trigger == AUTO_TRIGGER else repr(trigger)
            found[key] = places.transition(
                "PS307",
                second.transition,
                f"guards of {shown} from {state!r} overlap with those of the earlier "
                f"transition on line {places.line_of(first.transition)} "
                f"({_describe(model, first.transition)}): for "
                f"{constraints.describe(point)} both pass, and the earlier one wins.",
                "Make the guards exclusive, or switch PS307 off if the order is intended.",
                guards=True,
            )
    return [found[key] for key in sorted(found)]


def _complementary(a: Conjunction, b: Conjunction) -> bool:
    """Guards that look like each other's negation: `x < 10` / `x > 10`, `== v` / `!= w`."""
    if len(a.atoms) != 1 or len(b.atoms) != 1:
        return False
    first, second = a.atoms[0], b.atoms[0]
    if first.variable != second.variable:
        return False
    senses = {first.sense, second.sense}
    if senses == {"upper", "lower"}:
        return first.values == second.values
    return senses == {"positive", "negative"}


def guard_gaps(
    model: Model, places: Places, domain: Domain, effort: Effort | None = None
) -> list[Diagnostic]:
    """PS308: complementary-looking guards of one event that leave values where none passes."""
    effort = effort if effort is not None else Effort()
    found: dict[tuple[int, int], Diagnostic] = {}
    for state, trigger, candidates, readings in _understood_pairs(model, events_only=True):
        if any(c.guards == () for c in candidates) or any(r is None for r in readings):
            continue
        understood: Sequence[Conjunction] = [r for r in readings if r is not None]
        # Where no guard of the event passes does not depend on the pair: ask once.
        gap: list[dict[str, constraints.Value] | None] = []
        for earlier, later in _pairs(len(candidates), effort):
            first, second = candidates[earlier], candidates[later]
            key = (first.transition, second.transition)
            if key in found or not _complementary(understood[earlier], understood[later]):
                continue
            if not gap:
                gap.append(constraints.find_point(domain, [], understood, effort=effort))
            point = gap[0]
            if point is None:
                continue
            numeric = understood[later].atoms[0].op in ("<", "<=", ">", ">=")
            found[key] = places.transition(
                "PS308",
                second.transition,
                f"guards of {trigger!r} from {state!r} leave a gap with those of the "
                f"transition on line {places.line_of(first.transition)} "
                f"({_describe(model, first.transition)}): for "
                f"{constraints.describe(point)} none passes, so the event is refused.",
                "Use <= or >= on one side, or add a transition for the value between."
                if numeric
                else "Add a transition for the values neither guard accepts.",
                guards=True,
            )
    return [found[key] for key in sorted(found)]


def _declared_types(spec: MachineSpec) -> dict[str, str]:
    declared = {variable.key: variable.type for variable in spec.variables}
    for trigger in spec.triggers:
        for payload in trigger.payload:
            previous = declared.get(payload.name)
            if previous is None:
                declared[payload.name] = payload.type
            elif previous != payload.type:
                declared[payload.name] = "any"
    return declared
