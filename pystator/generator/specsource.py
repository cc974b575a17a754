"""Spec source: a MachineSpec written as Python, with a named constant for each shared part.

Every field that differs from its default is written as a keyword, so fields added to the
spec's dataclasses reach the output without changes here. Actions, guards and timers
become constants named after what they hold (`Namer` settles clashes); candidates, named
the same way, are variables of the function that builds the table when it is first read.
"""

from __future__ import annotations

import dataclasses
import keyword
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pystator.generator import layout
from pystator.generator.layout import Expr
from pystator.generator.names import constant_words
from pystator.generator.pysource import Code, value_expr
from pystator.generator.symbols import Namer, joined
from pystator.runtime.spec import (
    ActionSpec,
    Candidate,
    GuardSpec,
    MachineSpec,
    StateSpec,
    TimerSpec,
    TransitionSpec,
)

#: Names the module template defines itself; no constant may take them.
RESERVED = frozenset({"SPEC", "TIMERS", "_PREDICATES", "_PARENTS", "_CHILDREN", "_ANCESTORS"})
#: The module's functions that build SPEC's large parts, with their return annotations:
#: the candidates are variables of `_table`.
FUNCTIONS = {
    "_states": "tuple[StateSpec, ...]",
    "_transitions": "tuple[TransitionSpec, ...]",
    "_table": "Mapping[str, Mapping[str, tuple[Candidate, ...]]]",
}


@dataclass
class SpecSource:
    """Writes one MachineSpec; call `collect()` once, then the render methods."""

    spec: MachineSpec
    code: Code = field(default_factory=Code)
    namer: Namer = field(default_factory=lambda: Namer(RESERVED))
    #: Constant name -> its value, in the order they are first used.
    constants: dict[str, Expr] = field(default_factory=dict)
    #: The candidates, local to the function that builds the table: name -> value.
    candidates: dict[str, Expr] = field(default_factory=dict)
    #: What each of `FUNCTIONS` returns, once `machine()` has run.
    built: dict[str, Expr] = field(default_factory=dict)
    _names: dict[str, str] | None = None
    _timer_of: dict[tuple[str, int], TimerSpec] = field(default_factory=dict)
    _requested: set[str] = field(default_factory=set)
    _keys: dict[int, tuple[Any, str]] = field(default_factory=dict)
    _atoms: dict[str, Expr] = field(default_factory=dict)

    def collect(self) -> None:
        """Name every constant: a dry run of the rendering, then one resolution."""
        for timers in self.spec.timers.values():
            for timer in timers:
                self._timer_of.setdefault(("transition", timer.transition), timer)
                if timer.kind == "timeout":
                    self._timer_of.setdefault((timer.state, -1), timer)
        self.machine()
        self.timers()
        self._names = self.namer.resolve()
        self.code = Code()

    # -- the statements ---------------------------------------------------------------

    def machine(self) -> dict[str, Expr]:
        """The keyword arguments of `MachineSpec(...)`."""
        spec = self.spec
        self.code.name("MachineSpec")
        timers = self.code.call("frozen_mapping", layout.atom("TIMERS"))
        # The states, transitions and table are built when first read: they are most of a
        # large machine's objects, and importing its module should not wait for them.
        self.code.name("Candidate")  # in the table function's return annotation
        states = layout.tuple_(self.state(state) for state in spec.states)
        transitions = layout.tuple_(self.transition(t) for t in spec.transitions)
        overrides = {
            "states": self._built("_states", "lazy_tuple", states),
            "triggers": layout.tuple_(self.struct(t) for t in spec.triggers),
            "transitions": self._built("_transitions", "lazy_tuple", transitions),
            "table": self._built("_table", "lazy_mapping", self.table()),
            "timers": timers if spec.timers else None,
        }
        return self.keywords(spec, overrides)

    def _built(self, function: str, wrapper: str, value: Expr) -> Expr:
        """`wrapper(function)`, where `function` returns `value`."""
        self.built[function] = value
        return self.code.call(wrapper, layout.atom(function))

    def timers(self) -> list[tuple[str, Expr]]:
        """(state name, tuple of timer constants) for the TIMERS mapping."""
        return [
            (state, layout.tuple_(self.timer(timer) for timer in timers))
            for state, timers in self.spec.timers.items()
        ]

    def table(self) -> Expr:
        rows = []
        for state, by_trigger in self.spec.table.items():
            cells = layout.dict_(
                (
                    layout.string(trigger),
                    layout.tuple_(self.candidate(state, trigger, c) for c in candidates),
                )
                for trigger, candidates in by_trigger.items()
            )
            rows.append((layout.string(state), self.code.call("frozen_mapping", cells)))
        return self.code.call("frozen_mapping", layout.dict_(rows))

    def state(self, state: StateSpec) -> Expr:
        timer = self._timer_of.get((state.name, -1))
        overrides: dict[str, Expr | None] = {}
        if state.timeout is not None and timer is not None:
            seconds = state.timeout.seconds
            if timer.delay_ms / 1000 == seconds and round(seconds * 1000) == timer.delay_ms:
                overrides["timeout"] = self.code.call(
                    "TimeoutSpec",
                    seconds=layout.atom(f"{self.timer(timer).flat}.delay_ms / 1000"),
                    destination=layout.string(state.timeout.destination),
                )
        return self.struct(state, overrides)

    def transition(self, transition: TransitionSpec) -> Expr:
        timer = self._timer_of.get(("transition", transition.index))
        overrides: dict[str, Expr | None] = {}
        if timer is not None and timer.delay_ms == transition.after_ms:
            overrides["after_ms"] = layout.atom(f"{self.timer(timer).flat}.delay_ms")
        return self.struct(transition, overrides)

    # -- the constants ----------------------------------------------------------------

    def action(self, action: ActionSpec) -> Expr:
        def options() -> list[str]:
            params = " ".join(
                str(value) if key == "field" else f"{key} {value}"
                for key, value in action.params.items()
            )
            if action.effect is not None:
                return [joined(constant_words(f"{action.effect.value} {params}"))]
            found = [joined("ACTION", constant_words(action.name))]
            if params:
                found.append(joined("ACTION", constant_words(f"{action.name} {params}")))
            return found

        return self._constant("action", action, options)

    def guard(self, guard: GuardSpec) -> Expr:
        def options() -> list[str]:
            if guard.name is not None:
                found = [joined("GUARD", constant_words(guard.name))]
                if guard.params:
                    params = " ".join(f"{k} {v}" for k, v in guard.params.items())
                    found.append(joined("GUARD", constant_words(f"{guard.name} {params}")))
                return found
            kind, _, text = guard.label.partition(": ")
            return [
                joined("GUARD", constant_words(text)),
                joined("GUARD", constant_words(f"{kind} {text}")),
            ]

        return self._constant("guard", guard, options)

    def candidate(self, state: str, trigger: str, candidate: Candidate) -> Expr:
        def options() -> list[str]:
            event, target = constant_words(trigger), constant_words(candidate.target)
            source = constant_words(state)
            written = self.spec.transitions[candidate.transition].source
            found = [joined(event, "FROM", source), joined(event, "FROM", source, "TO", target)]
            if len(written) == 1 and event.endswith(constant_words(written[0])):
                # A state's own timer event: `_TIMEOUT_A`, not `_TIMEOUT_A_FROM_A`.
                found.insert(0, joined(event))
            elif len(written) == 1:
                # `_GO_FROM_A` for a transition from one state, a compound one included.
                found.insert(0, joined(event, "FROM", constant_words(written[0])))
            else:
                found.insert(0, joined(event, "TO", target))
            if candidate.guards:
                labels = " ".join(guard.label for guard in candidate.guards)
                found.append(
                    joined(event, "FROM", source, "TO", target, "IF", constant_words(labels))
                )
            return found

        return self._constant("candidate", candidate, options, self.candidates)

    def timer(self, timer: TimerSpec) -> Expr:
        def options() -> list[str]:
            event = constant_words(timer.event)
            return [
                joined("TIMER", event),
                joined("TIMER", event, "IN", constant_words(timer.state)),
            ]

        return self._constant("timer", timer, options)

    def _constant(
        self,
        kind: str,
        value: Any,
        options: Callable[[], Sequence[str]],
        local: dict[str, Expr] | None = None,
    ) -> Expr:
        """The name of the constant that holds `value` (equal values share one);
        `options` are its names from plain to specific, asked for once per value. With
        `local`, it is a variable of the table function, kept there by its name in
        lower case."""
        seen = self._keys.get(id(value))
        if seen is None:
            key = f"{kind}:{value!r}"
            # The value is kept with its key, so that its id is not reused.
            self._keys[id(value)] = (value, key)
        else:
            key = seen[1]
        if self._names is None:
            if key not in self._requested:
                self._requested.add(key)
                self.namer.request(key, options())
                self.struct(value)  # the parts of this constant need names too
            return _UNNAMED
        name = self._names[key]
        found = self._atoms.get(name)
        if found is None:
            if local is None:
                self.constants[name] = self.struct(value)
            else:
                name = local_name(name)
                local[name] = self.struct(value)
            found = self._atoms[self._names[key]] = layout.atom(name)
        return found

    # -- any spec value ---------------------------------------------------------------

    def struct(self, value: Any, overrides: Mapping[str, Expr | None] | None = None) -> Expr:
        """`Type(field=value, ...)` for a spec dataclass, fields at their default left out."""
        keywords = self.keywords(value, overrides or {})
        if self._names is None:
            return _UNNAMED  # the dry run only visits the parts
        return self.code.call(type(value).__name__, **keywords)

    def keywords(self, value: Any, overrides: Mapping[str, Expr | None]) -> dict[str, Expr]:
        out: dict[str, Expr] = {}
        fields, read = _fields(type(value))
        for (name, default), current in zip(fields, read(value), strict=True):
            if name in overrides:
                override = overrides[name]
                if override is not None:
                    out[name] = override
                continue
            if default is not _REQUIRED and bool(current == default):
                continue
            out[name] = self.value(current)
        return out

    def value(self, value: Any) -> Expr:
        kind = _KINDS.get(type(value)) or _kind(type(value))
        if kind == "plain":
            return _UNNAMED if self._names is None else value_expr(value)
        if kind == "action":
            return self.action(value)
        if kind == "guard":
            return self.guard(value)
        if kind == "enum":
            return layout.atom(f"{self.code.name(type(value).__name__)}.{value.name}")
        if kind == "struct":
            return self.struct(value)
        if kind == "tuple":
            return layout.tuple_([self.value(item) for item in value])
        # A spec's own mappings are frozen; a plain dict is user data (a default).
        if any(_kind(type(item)) == "struct" for item in value.values()):
            items = layout.dict_([(value_expr(k), self.value(v)) for k, v in value.items()])
            return self.code.call("frozen_mapping", items)
        return self.code.frozen(value)


def local_name(constant: str) -> str:
    """The variable a table function holds constant `_NAME` in: `name`, or `_name` when
    `name` is not one (it starts with a digit or is a keyword)."""
    name = constant[1:].lower()
    return name if name.isidentifier() and not keyword.iskeyword(name) else constant.lower()


def _kind(kind: type) -> str:
    """How `SpecSource.value` writes values of a type."""
    known = _KINDS.get(kind)
    if known is None:
        known = _KINDS[kind] = _find_kind(kind)
    return known


def _find_kind(kind: type) -> str:
    if issubclass(kind, ActionSpec):
        return "action"
    if issubclass(kind, GuardSpec):
        return "guard"
    if issubclass(kind, Enum):
        return "enum"
    if dataclasses.is_dataclass(kind):
        return "struct"
    if issubclass(kind, tuple):
        return "tuple"
    if issubclass(kind, Mapping) and not issubclass(kind, dict):
        return "frozen"
    return "plain"


#: What a constant stands for during the dry run that names them.
_UNNAMED = layout.atom("_")


_REQUIRED = object()


Fields = tuple[tuple[tuple[str, Any], ...], Callable[[Any], tuple[Any, ...]]]
_FIELDS: dict[type, Fields] = {}
_KINDS: dict[type, str] = {}


def _fields(kind: type) -> Fields:
    """(name, default) of each init field of a spec dataclass (`_REQUIRED` if none), and a
    function that reads them all from a value."""
    known = _FIELDS.get(kind)
    if known is not None:
        return known
    found = []
    for item in dataclasses.fields(kind):
        if not item.init:
            continue
        if item.default is not dataclasses.MISSING:
            default = item.default
        elif item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        else:
            default = _REQUIRED
        found.append((item.name, default))
    names = [name for name, _ in found]
    getter = operator.attrgetter(*names)
    read = (lambda value: (getter(value),)) if len(names) == 1 else getter
    known = _FIELDS[kind] = (tuple(found), read)
    return known
