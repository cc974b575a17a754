"""MachineSpec: the compiled, frozen description of one state machine.

The generator's `lower` stage builds it; generated modules embed it as a literal (its
large parts made on first read) and the engine runs on it. Plain data only: no references
to the front end. NameEnum is the base of a generated module's State and Trigger classes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import EnumType, StrEnum
from types import MappingProxyType
from typing import Any, TypeVar, cast, overload

T = TypeVar("T")

EMPTY: Mapping[str, Any] = MappingProxyType({})

#: The table key under which a state's eventless (`auto: true`) transitions are listed.
AUTO_TRIGGER = "_auto"


def timeout_trigger(state: str) -> str:
    """The event a state's `timeout:` sends when it expires."""
    return f"_timeout_{state}"


def after_trigger(source: str, after_ms: int) -> str:
    """The event of a delayed transition written without `trigger:`."""
    return f"_after_{source}_{after_ms}_ms"


#: How many eventless transitions may follow one another before the engine gives up.
MAX_AUTO_CHAIN = 32


def event_normalizer(kind: str | None) -> Callable[[str], str] | None:
    """The function a machine's `event_normalizer` setting applies to every event name
    (None when events are taken as written): the compiler and the engine share it."""
    if kind == "lower":
        return str.lower
    if kind == "upper":
        return str.upper
    return None


def empty_mapping() -> Mapping[str, Any]:
    return EMPTY


class ReadOnlyDict(dict[str, Any]):
    """A dict that refuses writes: JSON-serialisable and printable as the dict it is, yet
    safe to share between results (the engine reuses one result per unguarded route)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("result metadata is read-only; copy it with dict(...) to change it")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle rebuild it from a plain dict, never item by item.
        return (type(self), (dict(self),))


EMPTY_METADATA = ReadOnlyDict()


def empty_metadata() -> ReadOnlyDict:
    return EMPTY_METADATA


def read_only_dict(data: Mapping[str, Any] | None) -> ReadOnlyDict:
    """`data` as a ReadOnlyDict (itself when it already is one)."""
    if data.__class__ is ReadOnlyDict:
        return data
    return ReadOnlyDict(data) if data else EMPTY_METADATA


def frozen_mapping(data: Mapping[Any, Any] | None = None) -> Mapping[str, Any]:
    """A read-only view of a copy of `data`, so specs cannot be mutated through it.

    Keys may be a generated StrEnum, whose members are strings.
    """
    if not data:
        return EMPTY
    return MappingProxyType(dict(data))


class LazyMapping(Mapping[str, Any]):
    """A read-only mapping that `build` makes the first time it is read.

    Generated modules hold their candidate tables in one: importing a large machine
    then costs no objects for them, and the first engine that reads the table builds it.
    """

    __slots__ = ("_build", "_data")

    def __init__(self, build: Callable[[], Mapping[str, Any]]) -> None:
        self._build = build
        self._data: Mapping[str, Any] | None = None

    def _mapping(self) -> Mapping[str, Any]:
        data = self._data
        if data is None:
            # Two threads may both build it: the tables are equal, either one is kept.
            data = self._data = self._build()
        return data

    def __getitem__(self, key: str) -> Any:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())

    def __repr__(self) -> str:
        return repr(self._mapping())


def lazy_mapping(build: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    """The mapping `build` returns, built when it is first read."""
    return LazyMapping(build)


class LazyTuple(Sequence[T]):
    """A read-only sequence that `build` makes the first time it is read; equal to the
    tuple it holds, as the spec it is part of compares."""

    __slots__ = ("_build", "_items")

    def __init__(self, build: Callable[[], tuple[T, ...]]) -> None:
        self._build = build
        self._items: tuple[T, ...] | None = None

    def _tuple(self) -> tuple[T, ...]:
        items = self._items
        if items is None:
            items = self._items = self._build()
        return items

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        return self._tuple()[index]

    def __len__(self) -> int:
        return len(self._tuple())

    def __iter__(self) -> Iterator[T]:
        return iter(self._tuple())

    def __contains__(self, item: object) -> bool:
        return item in self._tuple()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyTuple):
            other = other._tuple()
        return self._tuple() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._tuple())


def lazy_tuple(build: Callable[[], tuple[T, ...]]) -> Sequence[T]:
    """The tuple `build` returns, built when it is first read."""
    return LazyTuple(build)


#: The standard library's quick constructor of enums (its own large enums use it); on a
#: Python without it, NameEnum classes are built the ordinary way.
_SIMPLE: Callable[..., Callable[[type], type]] | None = getattr(enum, "_simple_enum", None)


class NameEnumType(EnumType):
    """Builds each subclass of `NameEnum` from a plain namespace in one pass.

    A class statement under `EnumType` checks every member as it is assigned (an
    `_EnumDict`) and then sets each one up through a descriptor; the generator has
    already made the members unique and valid, so the body is collected as a plain dict
    and the members are made as the standard library makes its own large enums.
    """

    @classmethod
    def __prepare__(  # type: ignore[override]
        metacls, cls: str, bases: tuple[type, ...], **kwds: Any
    ) -> dict[str, Any]:
        if _SIMPLE is None or kwds or not _quick(bases):
            return super().__prepare__(cls, bases, **kwds)
        return {}

    def __new__(
        metacls,
        cls: str,
        bases: tuple[type, ...],
        classdict: dict[str, Any],
        **kwds: Any,
    ) -> NameEnumType:
        if _SIMPLE is None or kwds or not _quick(bases) or type(classdict) is not dict:
            # NameEnum itself, or the class `_SIMPLE` makes (it passes `_simple=True`).
            return super().__new__(metacls, cls, bases, classdict, **kwds)  # type: ignore[arg-type]
        made = cast(NameEnumType, _SIMPLE(bases[0])(type(cls, (), classdict)))
        # `_SIMPLE` reaches every member through a descriptor; a class statement stores
        # the member itself unless a base has the name, which makes `State.OPEN` quicker.
        taken = set().union(*(vars(base) for base in made.__mro__[1:]))
        for name, member in made._member_map_.items():
            if name not in taken:
                type.__setattr__(made, name, member)
        return made


def _quick(bases: tuple[type, ...]) -> bool:
    """Whether a class with `bases` is a generated one: exactly one base, a NameEnum."""
    return len(bases) == 1 and isinstance(bases[0], NameEnumType)


class NameEnum(StrEnum, metaclass=NameEnumType):
    """A StrEnum of names (states, triggers) whose subclasses are quick to build."""


class StateType(StrEnum):
    INITIAL = "initial"
    STABLE = "stable"
    TERMINAL = "terminal"
    ERROR = "error"
    PARALLEL = "parallel"


class EffectType(StrEnum):
    SET = "set"
    TIMESTAMP = "timestamp"
    INCREMENT = "increment"
    DECREMENT = "decrement"
    APPEND = "append"
    CLEAR = "clear"


class CheckOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    NEQ = "neq"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    NOT_IN = "not_in"
    IS_SET = "is_set"
    IS_NULL = "is_null"


#: The Python comparison each value-taking check operator stands for.
CHECK_SYMBOLS: Mapping[CheckOp, str] = MappingProxyType(
    {
        CheckOp.EQ: "==",
        CheckOp.NE: "!=",
        CheckOp.NEQ: "!=",
        CheckOp.LT: "<",
        CheckOp.LTE: "<=",
        CheckOp.GT: ">",
        CheckOp.GTE: ">=",
        CheckOp.IN: "in",
        CheckOp.NOT_IN: "not in",
    }
)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """A named action (looked up in a registry) or a declarative effect on the context."""

    name: str
    params: Mapping[str, Any] = field(default_factory=empty_mapping)
    effect: EffectType | None = None

    @property
    def is_effect(self) -> bool:
        return self.effect is not None


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A declarative comparison of one context field against a constant."""

    field: str
    op: CheckOp
    value: Any = None

    @property
    def effective_op(self) -> CheckOp:
        """The operator the check applies: `eq`/`ne` with null are identity tests."""
        if self.value is None and self.op in (CheckOp.EQ, CheckOp.NE, CheckOp.NEQ):
            return CheckOp.IS_NULL if self.op is CheckOp.EQ else CheckOp.IS_SET
        return self.op


@dataclass(frozen=True, slots=True)
class GuardSpec:
    """Exactly one of: a named guard, an inline expression, a declarative check."""

    name: str | None = None
    expr: str | None = None
    check: CheckSpec | None = None
    params: Mapping[str, Any] = field(default_factory=empty_mapping)

    @property
    def label(self) -> str:
        """How the guard is named in results and errors."""
        if self.name is not None:
            return self.name
        if self.expr is not None:
            return f"expr: {self.expr}"
        assert self.check is not None
        check = self.check
        if check.op in (CheckOp.IS_SET, CheckOp.IS_NULL):
            return f"check: {check.field} {check.op}"
        return f"check: {check.field} {check.op} {check.value!r}"


@dataclass(frozen=True, slots=True)
class TimeoutSpec:
    seconds: float
    destination: str


@dataclass(frozen=True, slots=True)
class TimerSpec:
    """A timer armed while `state` (or any state inside it) is active.

    When `delay_ms` has passed since `state` was entered, `event` is sent to the entity;
    it fires transition number `transition` (timeouts get a transition of their own).
    """

    state: str
    event: str
    delay_ms: int
    transition: int
    kind: str = "after"  # "after" for a delayed transition, "timeout" for a state timeout


@dataclass(frozen=True, slots=True)
class InvokeSpec:
    """A service started when a state is entered and stopped when it is left."""

    id: str
    src: str
    on_done: str | None = None


@dataclass(frozen=True, slots=True)
class RegionSpec:
    name: str
    initial: str
    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StateSpec:
    """One state, with the Python names the generator chose for it."""

    name: str
    type: StateType
    member: str
    prop: str
    description: str = ""
    parent: str | None = None
    initial_child: str | None = None
    on_enter: tuple[ActionSpec, ...] = ()
    on_exit: tuple[ActionSpec, ...] = ()
    timeout: TimeoutSpec | None = None
    invoke: tuple[InvokeSpec, ...] = ()
    regions: tuple[RegionSpec, ...] = ()
    #: For a state inside a parallel state: the region it belongs to.
    region: str | None = None
    group: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=empty_mapping)
    #: Names this state had in earlier versions; stored entities in them load here.
    renamed_from: tuple[str, ...] = ()
    #: The states enclosing this one, innermost first (its parent, then the parent's...).
    ancestors: tuple[str, ...] = ()

    @property
    def is_terminal(self) -> bool:
        return self.type is StateType.TERMINAL

    @property
    def is_parallel(self) -> bool:
        return self.type is StateType.PARALLEL


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """One trigger (event name) and its declared payload, if any."""

    name: str
    member: str
    method: str
    payload: tuple[PayloadField, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class PayloadField:
    name: str
    type: str = "any"
    required: bool = True


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """A declared context variable (`state_variables`)."""

    key: str
    type: str = "any"
    required: bool = False
    default: Any = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """A transition as written in the source, normalised (index = document order)."""

    index: int
    trigger: str
    source: tuple[str, ...]
    dest: str
    guards: tuple[GuardSpec, ...] = ()
    actions: tuple[ActionSpec, ...] = ()
    after_ms: int | None = None
    internal: bool = False
    auto: bool = False
    region: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One transition that may fire for a (state, trigger) pair, with its actions resolved.

    Candidates for a pair are stored in priority order; the first whose guards pass wins.
    """

    transition: int
    target: str
    guards: tuple[GuardSpec, ...] = ()
    exit_actions: tuple[ActionSpec, ...] = ()
    actions: tuple[ActionSpec, ...] = ()
    enter_actions: tuple[ActionSpec, ...] = ()
    internal: bool = False
    #: (compound state, leaf) pairs the entity's history records when this fires.
    remembers: tuple[tuple[str, str], ...] = ()
    #: For a `H(p)` / `H*(p)` destination: p, and the candidate to use for each leaf that
    #: the entity's history may remember for p (this candidate itself when none is).
    history_of: str | None = None
    by_history: Mapping[str, Candidate] = field(default_factory=empty_mapping)
    #: The states taking this transition exits, innermost first, and enters, outermost
    #: first (a parallel target's region initials last); both empty when internal.
    exits: tuple[str, ...] = ()
    enters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorPolicySpec:
    default_fallback: str | None = None
    retry_attempts: int = 0


@dataclass(frozen=True, slots=True)
class MachineSpec:
    """Everything the engine needs to run one machine, decided at build time."""

    name: str
    version: str
    #: States and transitions are tuples, or in a generated module `lazy_tuple`s.
    states: Sequence[StateSpec]
    triggers: tuple[TriggerSpec, ...]
    transitions: Sequence[TransitionSpec]
    initial_state: str
    table: Mapping[str, Mapping[str, tuple[Candidate, ...]]]
    description: str = ""
    strict_mode: bool = True
    event_normalizer: str | None = None
    error_policy: ErrorPolicySpec = field(default_factory=ErrorPolicySpec)
    variables: tuple[VariableSpec, ...] = ()
    validate_context: bool = False
    fingerprint: str = ""
    #: Per state, the timers it arms when entered (only states that have any).
    timers: Mapping[str, tuple[TimerSpec, ...]] = field(default_factory=empty_mapping)

    def current_name(self, state: str) -> str:
        """`state` as this version names it: an old name declared in `renamed_from` is
        replaced by the state's name; any other name is returned unchanged."""
        for candidate in self.states:
            if state in candidate.renamed_from:
                return candidate.name
        return state

    def state(self, name: str) -> StateSpec | None:
        for state in self.states:
            if state.name == name:
                return state
        return None


def handler_names(spec: MachineSpec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The named guards and the named actions (not effects) `spec` calls, each sorted."""
    guards = {
        guard.name
        for transition in spec.transitions
        for guard in transition.guards
        if guard.name is not None
    }
    actions = [action for transition in spec.transitions for action in transition.actions]
    actions += [action for state in spec.states for action in (*state.on_enter, *state.on_exit)]
    return tuple(sorted(guards)), tuple(sorted({a.name for a in actions if a.effect is None}))
