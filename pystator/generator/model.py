"""Model: the render model of a machine, the one description its outputs are made from.

`build` decides every name, annotation, escaped string and value; the module template,
the scaffold and the generated tests only lay out what the frozen dataclasses here hold.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from pystator._version import __version__
from pystator.generator import escape, layout, names, typemap
from pystator.generator.layout import Expr
from pystator.generator.predicates import Predicate, predicates
from pystator.generator.pysource import py_literal, value_expr
from pystator.generator.specsource import SpecSource
from pystator.runtime.spec import ActionSpec, MachineSpec, TransitionSpec, TriggerSpec
from pystator.runtime.visualization import to_mermaid

Kind = Literal["guard", "action"]
# Larger machines get no diagram in the module docstring: it would not help a reader.
MAX_DIAGRAM_STATES = 60
#: Longest list of routes or uses a docstring shows.
MAX_LISTED = 20
#: The width a generated line keeps to (black's and ruff's default).
LINE_LENGTH = 88


class ModelError(Exception):
    """The machine cannot be described as a module (no class name maps from its name)."""


@dataclass(frozen=True, slots=True)
class Binding:
    """A name and the source bound to it: an enum member and its value as a literal, or
    a module constant and its expression."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class StateView:
    """A state: enum member, `is_<state>` property, name as a literal and in docstrings."""

    member: str
    prop: str
    literal: str
    doc: str


@dataclass(frozen=True, slots=True)
class ContextField:
    """A key of the context TypedDict; `name` is the key when it can be an attribute."""

    key: str
    name: str | None
    annotation: str


@dataclass(frozen=True, slots=True)
class Handler:
    """A named guard or action: the Protocol's method, and the stub scaffolding writes.

    `doc` holds the docstring's lines, escaped; `returns` is the Protocol's return type
    and `stub_returns` the concrete one a stub declares.
    """

    name: str
    kind: Kind
    parameters: str
    returns: str
    stub_returns: str
    uses: tuple[str, ...]
    doc: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Method:
    """A trigger method of the session class; `doc` holds its docstring's lines.

    `built` holds the trigger's literal when the runtime builds the method
    (`pystator.runtime.session.trigger_method`) and the module declares its signature for
    type checkers only; the method then has no `body`.
    """

    name: str
    signature: str
    body: tuple[str, ...]
    doc: tuple[str, ...]
    built: str | None = None


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """Literal tables behind the state enum's `parent`, `children` and `is_ancestor_of`."""

    parents: Expr
    children: Expr
    ancestors: Expr


@dataclass(frozen=True, slots=True)
class ModuleModel:
    """Everything the module template receives; `imports` are whole import lines, in
    groups that are separated by a blank line."""

    version: str
    source_name: str
    source_hash: str
    docstring: str
    prefix: str
    module_name: str
    machine_doc: str
    exports: tuple[str, ...]
    imports: tuple[tuple[str, ...], ...]
    states: tuple[StateView, ...]
    triggers: tuple[Binding, ...]
    state_literals: str
    trigger_literals: str
    context: tuple[ContextField, ...]
    #: The context's keys, none required: the keywords of the trigger methods.
    payload: tuple[ContextField, ...]
    guards: tuple[Handler, ...]
    actions: tuple[Handler, ...]
    predicates: tuple[Predicate, ...]
    #: The data statements' values, laid out by `layout`: constants by name, the TIMERS
    #: rows by state member and the keyword arguments of `MachineSpec(...)`.
    constants: tuple[tuple[str, Expr], ...]
    #: The variables of the function that builds the candidate table, and what each of
    #: the functions that build SPEC's large parts returns, by name.
    candidates: tuple[tuple[str, Expr], ...]
    built: tuple[tuple[str, Expr], ...]
    timers: tuple[tuple[str, Expr], ...]
    spec: tuple[tuple[str, Expr], ...]
    hierarchy: Hierarchy | None
    methods: tuple[Method, ...]
    #: name -> module for the names the handlers' signatures use, e.g. Mapping.
    handler_imports: tuple[tuple[str, str], ...]

    @property
    def context_class(self) -> bool:
        """Whether the context TypedDict can use the class syntax (every key a name)."""
        return bool(self.context) and all(field.name is not None for field in self.context)

    @property
    def handlers(self) -> tuple[Handler, ...]:
        return (*self.guards, *self.actions)

    @property
    def built_methods(self) -> tuple[Method, ...]:
        """The trigger methods the runtime builds; one named `trigger_method` last, as it
        shadows the function that builds them in the class body."""
        built = [method for method in self.methods if method.built]
        return tuple(sorted(built, key=lambda method: method.name == "trigger_method"))

    @property
    def written_methods(self) -> tuple[Method, ...]:
        """The trigger methods written out: those with declared fields."""
        return tuple(method for method in self.methods if not method.built)

    def with_context_handlers(self, module: str) -> ModuleModel:
        """This model with its handlers taking `<Prefix>Context`, imported from `module`
        (the compiled module's import path), exactly as the Protocols declare them."""
        context = f"{self.prefix}Context"
        parameters = f"self, ctx: {context}, /"
        return replace(
            self,
            guards=tuple(replace(h, parameters=parameters) for h in self.guards),
            actions=tuple(replace(h, parameters=parameters) for h in self.actions),
            handler_imports=((context, module),),
        )


def build(
    spec: MachineSpec,
    *,
    source_name: str,
    source_hash: str,
    class_name: str | None = None,
) -> ModuleModel:
    """The render model of `spec`; `class_name` overrides the prefix of its classes."""
    prefix = class_name or names.class_prefix(spec.name)
    if prefix is None:
        raise ModelError(f"machine name {spec.name!r} has no class name")
    source = SpecSource(spec)
    source.collect()
    spec_fields = source.machine()
    source.code.name("NameEnum")  # the base of the State and Trigger classes
    members = {state.name: state.member for state in spec.states}
    timers = [(f"{prefix}State.{members[state]}", row) for state, row in source.timers()]
    found = predicates(spec)
    guards, actions = _handlers(spec, source_name)
    context = _context_fields(spec)
    methods = tuple(
        _method(spec, t, f"Unpack[{prefix}Payload]" if context else "Any")
        for t in spec.triggers
        if _public(t)
    )
    exports = [f"{prefix}{suffix}" for suffix in _CLASS_SUFFIXES]
    exports += [f"{prefix}Payload"] if context else []
    exports += ["SPEC", *(["TIMERS"] if timers else [])]
    return ModuleModel(
        version=__version__,
        source_name=escape.comment(source_name),
        source_hash=source_hash,
        docstring=_docstring(spec),
        prefix=prefix,
        module_name=names.module_name(prefix) or "machine",
        machine_doc=escape.docstring(repr(spec.name)),
        exports=tuple(sorted(exports, key=_export_order)),
        imports=_imports(source.code.imports(), found, bool(guards), context, methods),
        states=tuple(
            StateView(s.member, s.prop, layout.black_string(s.name), escape.docstring(s.name))
            for s in spec.states
        ),
        triggers=tuple(Binding(t.member, layout.black_string(t.name)) for t in spec.triggers),
        state_literals=", ".join(layout.black_string(state.name) for state in spec.states),
        # Timer events are the scheduler's to send: no literal offers them to users.
        trigger_literals=", ".join(
            layout.black_string(trigger.name)
            for trigger in spec.triggers
            if not trigger.name.startswith("_")
        ),
        context=context,
        payload=tuple(_not_required(field) for field in context),
        guards=guards,
        actions=actions,
        predicates=found,
        constants=tuple(source.constants.items()),
        candidates=tuple(source.candidates.items()),
        built=tuple(source.built.items()),
        timers=tuple(timers),
        spec=tuple(spec_fields.items()),
        hierarchy=_hierarchy(spec),
        methods=methods,
        handler_imports=(("Any", "typing"), ("Mapping", "collections.abc")),
    )


_CLASS_SUFFIXES = (
    "Actions",
    "Context",
    "Guards",
    "Machine",
    "Session",
    "State",
    "StateLike",
    "StateName",
    "Trigger",
    "TriggerLike",
    "TriggerName",
)


def _public(trigger: TriggerSpec) -> bool:
    """Whether users send the trigger: timer events (`_timeout_<state>`) are internal."""
    return not trigger.name.startswith("_")


def _not_required(field: ContextField) -> ContextField:
    if not field.annotation.startswith("Required["):
        return field
    return ContextField(field.key, field.name, field.annotation[len("Required[") : -1])


def _export_order(name: str) -> tuple[int, str]:
    """`__all__` in isort's order, as ruff's RUF022 wants: constants, classes, the rest."""
    if name.isupper():
        return 0, name
    return (1 if name[:1].isupper() else 2), name


def _imports(
    spec_names: Iterable[str],
    found: tuple[Predicate, ...],
    has_guards: bool,
    context: tuple[ContextField, ...],
    methods: tuple[Method, ...],
) -> tuple[tuple[str, ...], ...]:
    """Only the imports the module uses, each decided by what the model holds."""
    built = any(method.built for method in methods)
    abc = ["Awaitable", "Mapping"] if has_guards else ["Mapping"]
    typing_names = {"TYPE_CHECKING", "Final", "Literal", "Protocol", "TypeAlias"}
    annotations = [field.annotation for field in context] + [m.signature for m in methods]
    if found or not context or any(re.search(r"\bAny\b", text) for text in annotations):
        typing_names.add("Any")
    if context:
        typing_names |= {"TypedDict", "Unpack"}
    if any(field.annotation.startswith("Required[") for field in context):
        typing_names.add("Required")
    helpers = sorted({name for function in found for name in function.helpers})
    standard = (
        f"from collections.abc import {', '.join(abc)}",
        # Constants first, as isort orders them.
        f"from typing import {', '.join(sorted(typing_names, key=lambda n: (not n.isupper(), n)))}",
    )
    runtime = (
        "from pystator.runtime.actions import ActionRegistry",
        *([f"from pystator.runtime.expr import {', '.join(helpers)}"] if helpers else []),
        "from pystator.runtime.guards import GuardRegistry, Predicate",
        "from pystator.runtime.hooks import TransitionObserver",
        "from pystator.runtime.machine import StateMachine",
        "from pystator.runtime.results import TransitionResult",
        "from pystator.runtime.session import "
        + ", ".join(["EntitySession", "start_session"] + ["trigger_method"] * built),
        f"from pystator.runtime.spec import ({', '.join(spec_names)},)",
    )
    return standard, runtime


# -- handlers ----------------------------------------------------------------------------


def _handlers(
    spec: MachineSpec, source_name: str
) -> tuple[tuple[Handler, ...], tuple[Handler, ...]]:
    uses = _uses(spec)
    guards = sorted(name for kind, name in uses if kind == "guard")
    actions = sorted(name for kind, name in uses if kind == "action")
    return (
        tuple(_handler(name, "guard", uses[("guard", name)], source_name) for name in guards),
        tuple(_handler(name, "action", uses[("action", name)], source_name) for name in actions),
    )


def _handler(name: str, kind: Kind, uses: tuple[str, ...], source_name: str) -> Handler:
    if kind == "guard":
        summary = f"Guard {'; '.join(uses)} in {source_name}."
        heading = f"Guard the transitions below, in {source_name}."
    else:
        summary = f"Act on {'; '.join(uses)} in {source_name}."
        heading = f"Act on the transitions and states below, in {source_name}."
    # Stubs and Protocol methods sit at the same depth: two indents into the module.
    if len(escape.docstring(summary)) + 8 + 6 <= LINE_LENGTH:
        doc: tuple[str, ...] = (escape.docstring(summary),)
    else:
        doc = (
            escape.docstring(heading),
            "",
            *(line for use in _listed(uses) for line in _wrapped(f"- {use}", 8, "  ")),
        )
    if kind == "guard":
        returns, stub_returns = "bool | Awaitable[bool]", "bool"
    else:
        returns, stub_returns = "object", "None"
    return Handler(name, kind, "self, ctx: Mapping[str, Any], /", returns, stub_returns, uses, doc)


def _listed(items: Sequence[str]) -> list[str]:
    """The items a docstring lists: all of them, or the first `MAX_LISTED` and a count of
    the rest (a docstring is for reading; `pystator-gen docs` lists every one)."""
    if len(items) <= MAX_LISTED:
        return list(items)
    return [*items[:MAX_LISTED], f"... and {len(items) - MAX_LISTED} more"]


def _wrapped(text: str, indent: int, hanging: str = "") -> list[str]:
    """`text` in lines that fit at `indent`, each escaped for a docstring."""
    lines = textwrap.wrap(
        text,
        width=max(LINE_LENGTH - indent, 20),
        subsequent_indent=hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )
    # The hanging indent is layout, not text: only what follows it is escaped.
    return [
        line[: len(line) - len(line.lstrip(" "))] + escape.docstring(line.lstrip(" "))
        for line in lines
    ] or [""]


def _route(transition: TransitionSpec) -> str:
    route = f"{', '.join(transition.source)} -> {transition.dest}"
    if transition.auto or not transition.trigger:
        return f"automatic transition ({route})"
    return f"transition {transition.trigger} ({route})"


def _uses(spec: MachineSpec) -> dict[tuple[Kind, str], tuple[str, ...]]:
    """Where the YAML uses each named guard and action, in document order."""
    found: dict[tuple[Kind, str], list[str]] = {}

    def add(key: tuple[Kind, str], use: str) -> None:
        entries = found.setdefault(key, [])
        if use not in entries:
            entries.append(use)

    def named(actions: Iterable[ActionSpec]) -> list[str]:
        return [action.name for action in actions if action.effect is None]

    for transition in spec.transitions:
        for guard in transition.guards:
            if guard.name is not None:
                add(("guard", guard.name), _route(transition))
        for name in named(transition.actions):
            add(("action", name), _route(transition))
    for state in spec.states:
        for name in named(state.on_enter):
            add(("action", name), f"state {state.name} (on_enter)")
        for name in named(state.on_exit):
            add(("action", name), f"state {state.name} (on_exit)")
    return {key: tuple(value) for key, value in found.items()}


# -- the session's methods ---------------------------------------------------------------


def _method(spec: MachineSpec, trigger: TriggerSpec, keywords: str) -> Method:
    """The typed method of one trigger.

    Payload fields become keyword parameters, and a field may be any identifier that does
    not start with '_' (check.py refuses the rest), `self`, `payload` and builtin names
    included. So the body names nothing but its parameters: no locals and no globals,
    which a parameter would shadow; the session parameter is `_self` when a field is
    named `self`.
    """
    trigger_name = py_literal(trigger.name)
    if not trigger.payload:
        doc = _method_doc(spec, trigger, 12)
        # Built by the runtime: `send`'s steps without a call to `send`.
        return Method(trigger.method, f"self, /, **payload: {keywords}", (), doc, trigger_name)
    doc = _method_doc(spec, trigger, 8)
    session = "_self" if any(f.name == "self" for f in trigger.payload) else "self"
    required = [f for f in trigger.payload if f.required]
    optional = [f for f in trigger.payload if not f.required]
    params = [session, "*"]
    params += [f"{f.name}: {typemap.annotation(f.type) or 'Any'}" for f in required]
    params += [f"{f.name}: {_optional(f.type)} = None" for f in optional]
    if not optional:
        arguments = ", ".join(f"{f.name}={f.name}" for f in required)
        call = f"return {session}.send({trigger_name}, {arguments})"
        return Method(trigger.method, ", ".join(params), (call,), doc)
    given = ", ".join(f"{py_literal(f.name)}: {f.name}" for f in required)
    maybe = ", ".join(f"{py_literal(f.name)}: {f.name}" for f in optional)
    call = f"return {session}._send_fields({trigger_name}, {{{given}}}, {{{maybe}}})"
    return Method(trigger.method, ", ".join(params), (call,), doc)


def _method_doc(spec: MachineSpec, trigger: TriggerSpec, indent: int) -> tuple[str, ...]:
    """`Send go: A -> B.` on one line if it fits at `indent`, else the routes one per line."""
    routes = [
        f"{', '.join(t.source)} -> {t.dest}" for t in spec.transitions if t.trigger == trigger.name
    ]
    line = escape.docstring(f"Send {trigger.name}: {'; '.join(routes)}.")
    if len(line) + indent + 6 <= LINE_LENGTH:
        return (line,)
    lines = [escape.docstring(f"Send {trigger.name}."), ""]
    for route in _listed(routes):
        lines += _wrapped(f"- {route}", indent, "  ")
    return tuple(lines)


def _optional(type_name: str) -> str:
    annotation = typemap.annotation(type_name) or "Any"
    return annotation if annotation in ("Any", "None") else f"{annotation} | None"


def _context_fields(spec: MachineSpec) -> tuple[ContextField, ...]:
    fields: dict[str, tuple[str, bool]] = {}
    for variable in spec.variables:
        fields[variable.key] = (typemap.annotation(variable.type) or "Any", variable.required)
    for trigger in spec.triggers:
        for payload_field in trigger.payload:
            annotation = typemap.annotation(payload_field.type) or "Any"
            previous = fields.get(payload_field.name)
            if previous is None:
                fields[payload_field.name] = (annotation, False)
            elif previous[0] != annotation:
                fields[payload_field.name] = ("Any", previous[1])
    return tuple(
        ContextField(
            py_literal(key),
            key if names.is_identifier(key) and key.isascii() else None,
            f"Required[{annotation}]" if required else annotation,
        )
        for key, (annotation, required) in fields.items()
    )


# -- docstring and hierarchy -------------------------------------------------------------


def _hierarchy(spec: MachineSpec) -> Hierarchy | None:
    """Literal tables for the state enum's hierarchy helpers; None for flat machines."""
    if all(state.parent is None for state in spec.states):
        return None
    parents = {state.name: state.parent for state in spec.states}
    # One pass over the states: asking each state for its children would be quadratic.
    listed: dict[str, list[str]] = {state.name: [] for state in spec.states}
    for state in spec.states:
        if state.parent is not None:
            listed[state.parent].append(state.name)
    children = {name: tuple(found) for name, found in listed.items()}
    ancestors = {}
    for name in parents:
        chain: list[str] = []
        current = parents[name]
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        ancestors[name] = tuple(chain)
    return Hierarchy(
        parents=value_expr(parents),
        children=value_expr(children),
        ancestors=layout.dict_(
            (layout.string(k), layout.call("frozenset", [("", value_expr(v))]))
            for k, v in ancestors.items()
        ),
    )


def _docstring(spec: MachineSpec) -> str:
    lines = [f"State machine {spec.name!r}, version {spec.version}."]
    if spec.description:
        lines += ["", spec.description]
    lines += ["", f"Initial state: {spec.initial_state}."]
    diagram = _diagram(spec)
    if diagram:
        lines += ["", "```mermaid", *diagram, "```"]
    else:
        lines += ["", f"{len(spec.states)} states: `pystator-gen diagram` draws them."]
    return escape.docstring("\n".join(lines) + "\n")


def _diagram(spec: MachineSpec) -> list[str]:
    """The Mermaid diagram's lines, a guard label dropped where the line would not fit;
    none when the machine is too large or a line still does not fit."""
    if len(spec.states) > MAX_DIAGRAM_STATES:
        return []
    lines = []
    for line in to_mermaid(spec).rstrip("\n").splitlines():
        if len(escape.docstring(line)) > LINE_LENGTH and line.endswith("]") and " [" in line:
            line = line[: line.rindex(" [")]
        if len(escape.docstring(line)) > LINE_LENGTH:
            return []
        lines.append(line)
    return lines
