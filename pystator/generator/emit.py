"""Emit: render a MachineSpec as a typed Python module and format it with black.

Python decides every name, literal and annotation here; the jinja2 template only lays them
out. Every string from the YAML reaches the output through `escape`, one function per context.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import black
import jinja2

from pystator._version import __version__
from pystator.generator import escape, names, typemap
from pystator.generator.layout import layout_statements
from pystator.runtime import expr
from pystator.runtime.spec import (
    CHECK_SYMBOLS,
    ActionSpec,
    Candidate,
    CheckOp,
    GuardSpec,
    MachineSpec,
    StateSpec,
    TransitionSpec,
    TriggerSpec,
    handler_names,
)
from pystator.runtime.visualization import to_mermaid

BLACK_MODE = black.Mode(
    target_versions={black.mode.TargetVersion.PY311},
    line_length=88,
    string_normalization=True,
    magic_trailing_comma=True,
)


# Larger machines get no diagram in the module docstring: it would not help a reader.
MAX_DIAGRAM_STATES = 60


class EmitError(Exception):
    """The rendered module is not valid Python: a defect of the compiler, not the input."""


def jinja_env() -> jinja2.Environment:
    """The one template environment, shared by production code and tests."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pystator", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# -- literals --------------------------------------------------------------------------


def py_literal(value: Any) -> str:
    """Python source for a plain data value; strings always go through escape.literal()."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(value)
    if isinstance(value, str):
        return escape.literal(value)
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"cannot render {type(value).__name__} as a literal")


def _frozen(value: Mapping[str, Any]) -> str:
    return f"frozen_mapping({py_literal(dict(value))})"


def _call(callee: str, /, *args: str, **kwargs: str) -> str:
    parts = [*args, *(f"{key}={val}" for key, val in kwargs.items())]
    return f"{callee}({', '.join(parts)})"


# -- the render model --------------------------------------------------------------------


@dataclass
class Constants:
    """Shared ActionSpec/GuardSpec constants, so the tables stay readable."""

    defined: dict[str, str] = field(default_factory=dict)
    by_source: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def numbered(self, prefix: str, source: str) -> str:
        """`_PREFIX_<n>` for `source`, the same name for the same source."""
        existing = self.by_source.get(source)
        if existing is not None:
            return existing
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        name = f"_{prefix}_{self.counts[prefix]}"
        self.defined[name] = source
        self.by_source[source] = name
        return name

    def name_for(self, prefix: str, label: str, source: str) -> str:
        existing = self.by_source.get(source)
        if existing is not None:
            return existing
        base = f"_{prefix}_{names.member_name(label) or 'X'}"
        candidate = base
        counter = 2
        while candidate in self.defined:
            candidate = f"{base}_{counter}"
            counter += 1
        self.defined[candidate] = source
        self.by_source[source] = candidate
        return candidate


def _action_source(spec: ActionSpec) -> str:
    kwargs: dict[str, str] = {}
    if spec.params:
        kwargs["params"] = _frozen(spec.params)
    if spec.effect is not None:
        kwargs["effect"] = f"EffectType.{spec.effect.name}"
    return _call("ActionSpec", py_literal(spec.name), **kwargs)


def _guard_source(spec: GuardSpec) -> str:
    kwargs: dict[str, str] = {}
    if spec.name is not None:
        kwargs["name"] = py_literal(spec.name)
    if spec.expr is not None:
        kwargs["expr"] = py_literal(spec.expr)
    if spec.check is not None:
        check = spec.check
        kwargs["check"] = _call(
            "CheckSpec",
            py_literal(check.field),
            f"CheckOp.{check.op.name}",
            py_literal(check.value),
        )
    if spec.params:
        kwargs["params"] = _frozen(spec.params)
    return _call("GuardSpec", **kwargs)


@dataclass
class Renderer:
    spec: MachineSpec
    constants: Constants = field(default_factory=Constants)

    def action(self, spec: ActionSpec) -> str:
        label = spec.effect.value if spec.effect is not None else spec.name
        prefix = "EFFECT" if spec.effect is not None else "ACTION"
        return self.constants.name_for(prefix, label, _action_source(spec))

    def actions(self, specs: tuple[ActionSpec, ...]) -> str:
        if not specs:
            return "()"
        if len(specs) == 1:
            return f"({self.action(specs[0])},)"
        # Longer tuples repeat across the tables of nested machines: share them.
        text = "(" + ", ".join(self.action(spec) for spec in specs) + ")"
        return self.constants.numbered("ACTIONS", text)

    def guard(self, spec: GuardSpec) -> str:
        label = spec.name or ("expr" if spec.expr is not None else "check")
        return self.constants.name_for("GUARD", label, _guard_source(spec))

    def guards(self, specs: tuple[GuardSpec, ...]) -> str:
        return (
            "()"
            if not specs
            else "("
            + ", ".join(self.guard(spec) for spec in specs)
            + ("," if len(specs) == 1 else "")
            + ")"
        )

    def state(self, state: StateSpec) -> str:
        kwargs: dict[str, str] = {
            "name": py_literal(state.name),
            "type": f"StateType.{state.type.name}",
            "member": py_literal(state.member),
            "prop": py_literal(state.prop),
        }
        if state.description:
            kwargs["description"] = py_literal(state.description)
        if state.parent is not None:
            kwargs["parent"] = py_literal(state.parent)
        if state.initial_child is not None:
            kwargs["initial_child"] = py_literal(state.initial_child)
        if state.on_enter:
            kwargs["on_enter"] = self.actions(state.on_enter)
        if state.on_exit:
            kwargs["on_exit"] = self.actions(state.on_exit)
        if state.timeout is not None:
            kwargs["timeout"] = _call(
                "TimeoutSpec",
                py_literal(state.timeout.seconds),
                py_literal(state.timeout.destination),
            )
        if state.invoke:
            kwargs["invoke"] = _tuple_text(
                [
                    _call(
                        "InvokeSpec",
                        py_literal(item.id),
                        py_literal(item.src),
                        *([py_literal(item.on_done)] if item.on_done is not None else []),
                    )
                    for item in state.invoke
                ]
            )
        if state.regions:
            kwargs["regions"] = _tuple_text(
                [
                    _call(
                        "RegionSpec",
                        py_literal(region.name),
                        py_literal(region.initial),
                        py_literal(region.states),
                    )
                    for region in state.regions
                ]
            )
        if state.region is not None:
            kwargs["region"] = py_literal(state.region)
        if state.group is not None:
            kwargs["group"] = py_literal(state.group)
        if state.metadata:
            kwargs["metadata"] = _frozen(state.metadata)
        if state.renamed_from:
            kwargs["renamed_from"] = py_literal(state.renamed_from)
        if state.ancestors:
            kwargs["ancestors"] = py_literal(state.ancestors)
        return _call("StateSpec", **kwargs)

    def trigger(self, trigger: TriggerSpec) -> str:
        kwargs: dict[str, str] = {
            "name": py_literal(trigger.name),
            "member": py_literal(trigger.member),
            "method": py_literal(trigger.method),
        }
        if trigger.payload:
            kwargs["payload"] = (
                "("
                + ", ".join(
                    _call(
                        "PayloadField",
                        py_literal(f.name),
                        py_literal(f.type),
                        py_literal(f.required),
                    )
                    for f in trigger.payload
                )
                + ",)"
            )
        if trigger.description:
            kwargs["description"] = py_literal(trigger.description)
        return _call("TriggerSpec", **kwargs)

    def transition(self, transition: TransitionSpec) -> str:
        kwargs: dict[str, str] = {
            "index": py_literal(transition.index),
            "trigger": py_literal(transition.trigger),
            "source": py_literal(transition.source),
            "dest": py_literal(transition.dest),
        }
        if transition.guards:
            kwargs["guards"] = self.guards(transition.guards)
        if transition.actions:
            kwargs["actions"] = self.actions(transition.actions)
        if transition.after_ms is not None:
            kwargs["after_ms"] = py_literal(transition.after_ms)
        if transition.internal:
            kwargs["internal"] = "True"
        if transition.auto:
            kwargs["auto"] = "True"
        if transition.region is not None:
            kwargs["region"] = py_literal(transition.region)
        if transition.description:
            kwargs["description"] = py_literal(transition.description)
        return _call("TransitionSpec", **kwargs)

    def candidate_ref(self, candidate: Candidate) -> str:
        """A shared constant for the candidate: tables repeat them across states."""
        return self.constants.numbered("CANDIDATE", self.candidate(candidate))

    def candidate(self, candidate: Candidate) -> str:
        kwargs: dict[str, str] = {
            "transition": py_literal(candidate.transition),
            "target": py_literal(candidate.target),
        }
        if candidate.guards:
            kwargs["guards"] = self.guards(candidate.guards)
        if candidate.exit_actions:
            kwargs["exit_actions"] = self.actions(candidate.exit_actions)
        if candidate.actions:
            kwargs["actions"] = self.actions(candidate.actions)
        if candidate.enter_actions:
            kwargs["enter_actions"] = self.actions(candidate.enter_actions)
        if candidate.internal:
            kwargs["internal"] = "True"
        if candidate.remembers:
            kwargs["remembers"] = py_literal(candidate.remembers)
        if candidate.history_of is not None:
            kwargs["history_of"] = py_literal(candidate.history_of)
            alternatives = ", ".join(
                f"{py_literal(leaf)}: {self.candidate(alternative)}"
                for leaf, alternative in candidate.by_history.items()
            )
            kwargs["by_history"] = f"frozen_mapping({{{alternatives}}})"
        if candidate.exits:
            kwargs["exits"] = py_literal(candidate.exits)
        if candidate.enters:
            kwargs["enters"] = py_literal(candidate.enters)
        return _call("Candidate", **kwargs)


@dataclass(frozen=True, slots=True)
class PredicateFunction:
    """A compiled `expr:` or `check:` guard; `key` is the guard's label as a literal and
    `comment` the label as comment text."""

    name: str
    key: str
    comment: str
    body: tuple[str, ...]
    #: The functions of `pystator.runtime.expr` the body calls.
    helpers: tuple[str, ...] = ()


def _predicate_functions(spec: MachineSpec) -> list[PredicateFunction]:
    """One function per distinct expression or check guard, in document order.

    The checks mirror `pystator.runtime.guards.check_predicate` exactly.
    """
    functions: list[PredicateFunction] = []
    seen: set[str] = set()
    for transition in spec.transitions:
        for guard in transition.guards:
            if guard.name is not None or guard.label in seen:
                continue
            seen.add(guard.label)
            key = py_literal(guard.label)
            comment = escape.comment(guard.label)
            if guard.expr is not None:
                parsed = expr.parse_expression(guard.expr)
                python = expr.to_python(parsed, literal=py_literal)
                body: tuple[str, ...] = (f"return bool({_strip_outer_parens(python)})",)
                functions.append(
                    PredicateFunction(
                        f"_expr_{len(functions)}", key, comment, body, expr.helpers_used(parsed)
                    )
                )
                continue
            assert guard.check is not None
            check = guard.check
            field_value = f"ctx.get({py_literal(check.field)})"
            value = check.value
            if check.effective_op is CheckOp.IS_SET:
                body = (f"return {field_value} is not None",)
            elif check.effective_op is CheckOp.IS_NULL:
                body = (f"return {field_value} is None",)
            elif check.op in (CheckOp.IN, CheckOp.NOT_IN):
                options = tuple(value) if isinstance(value, list | tuple) else (value,)
                body = (f"return {field_value} {CHECK_SYMBOLS[check.op]} {py_literal(options)}",)
            elif check.op in (CheckOp.EQ, CheckOp.NE, CheckOp.NEQ):
                symbol = CHECK_SYMBOLS[check.op]
                body = (f"return bool({field_value} {symbol} {py_literal(value)})",)
            else:
                symbol = CHECK_SYMBOLS[check.op]
                body = (
                    f"value = {field_value}",
                    f"return value is not None and bool(value {symbol} {py_literal(value)})",
                )
            functions.append(PredicateFunction(f"_check_{len(functions)}", key, comment, body))
    return functions


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Method:
    """A trigger method; `trigger` and `routes` are docstring text, already escaped."""

    name: str
    trigger: str
    signature: str
    body: tuple[str, ...]
    routes: str


def _trigger_doc(spec: MachineSpec, trigger: str) -> str:
    routes = [
        f"{', '.join(t.source)} -> {t.dest}" for t in spec.transitions if t.trigger == trigger
    ]
    return "; ".join(routes)


def _method(spec: MachineSpec, trigger: TriggerSpec) -> Method:
    """The typed method of one trigger.

    Payload fields become keyword parameters, and a field may be any identifier that does
    not start with '_' (check.py refuses the rest), `self`, `payload` and builtin names
    included. So the body names nothing but its parameters: no locals and no globals,
    which a parameter would shadow; the session parameter is `_self` when a field is
    named `self`.
    """
    name = escape.docstring(trigger.name)
    doc = escape.docstring(_trigger_doc(spec, trigger.name))
    trigger_name = py_literal(trigger.name)
    if not trigger.payload:
        return Method(
            trigger.method,
            name,
            "self, /, **payload: Any",
            (f"return self.send({trigger_name}, **payload)",),
            doc,
        )
    session = "_self" if any(f.name == "self" for f in trigger.payload) else "self"
    required = [f for f in trigger.payload if f.required]
    optional = [f for f in trigger.payload if not f.required]
    params = [session, "*"]
    params += [f"{f.name}: {typemap.annotation(f.type) or 'Any'}" for f in required]
    params += [f"{f.name}: {_optional(f.type)} = None" for f in optional]
    if not optional:
        arguments = ", ".join(f"{f.name}={f.name}" for f in required)
        call = f"return {session}.send({trigger_name}, {arguments})"
        return Method(trigger.method, name, ", ".join(params), (call,), doc)
    given = ", ".join(f"{py_literal(f.name)}: {f.name}" for f in required)
    maybe = ", ".join(f"{py_literal(f.name)}: {f.name}" for f in optional)
    call = f"return {session}._send_fields({trigger_name}, {{{given}}}, {{{maybe}}})"
    return Method(trigger.method, name, ", ".join(params), (call,), doc)


def _optional(type_name: str) -> str:
    annotation = typemap.annotation(type_name) or "Any"
    return annotation if annotation in ("Any", "None") else f"{annotation} | None"


def _context_fields(spec: MachineSpec) -> list[tuple[str, str]]:
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
    return [
        (py_literal(key), f"Required[{annotation}]" if required else annotation)
        for key, (annotation, required) in fields.items()
    ]


def render(
    spec: MachineSpec, *, source_name: str, source_hash: str, class_name: str | None = None
) -> str:
    """The formatted module for `spec`; raises EmitError if the output would not parse."""
    prefix = class_name or names.class_prefix(spec.name)
    if prefix is None:
        raise EmitError(f"machine name {spec.name!r} has no class name")
    renderer = Renderer(spec)
    by_name = {state.name: state for state in spec.states}
    expressions = _predicate_functions(spec)
    states = [renderer.state(state) for state in spec.states]
    transitions = [renderer.transition(t) for t in spec.transitions]
    triggers = [renderer.trigger(t) for t in spec.triggers]
    # Rows are written on one line; black splits only those that do not fit.
    table = [
        (
            py_literal(state_name),
            "{"
            + ", ".join(
                f"{py_literal(trigger)}: "
                + _tuple_text([renderer.candidate_ref(c) for c in candidates])
                for trigger, candidates in by_trigger.items()
            )
            + "}",
        )
        for state_name, by_trigger in spec.table.items()
    ]
    guards, actions = handler_names(spec)
    policy = spec.error_policy
    context: dict[str, Any] = {
        "version": __version__,
        "source_name": escape.comment(source_name),
        "source_hash": source_hash,
        "prefix": prefix,
        "machine_name_doc": escape.docstring(repr(spec.name)),
        "docstring": _docstring(spec),
        "state_members": [Member(state.member, py_literal(state.name)) for state in spec.states],
        "trigger_members": [
            Member(trigger.member, py_literal(trigger.name)) for trigger in spec.triggers
        ],
        "state_literals": ", ".join(py_literal(state.name) for state in spec.states),
        "trigger_literals": ", ".join(py_literal(trigger.name) for trigger in spec.triggers),
        "context_fields": _context_fields(spec),
        # check.py guarantees handler names are identifiers, so they are their own methods.
        "guard_handlers": guards,
        "action_handlers": actions,
        "expressions": expressions,
        "constants": list(renderer.constants.defined.items()),
        "states": states,
        "triggers": triggers,
        "transitions": transitions,
        "table": table,
        "spec_fields": {
            "name": py_literal(spec.name),
            "version": py_literal(spec.version),
            "description": py_literal(spec.description),
            "initial_state": py_literal(spec.initial_state),
            "strict_mode": py_literal(spec.strict_mode),
            "event_normalizer": py_literal(spec.event_normalizer),
            "validate_context": py_literal(spec.validate_context),
            "fingerprint": py_literal(spec.fingerprint),
            "error_policy": _call(
                "ErrorPolicySpec",
                default_fallback=py_literal(policy.default_fallback),
                retry_attempts=py_literal(policy.retry_attempts),
            ),
        },
        "variables": [
            _call(
                "VariableSpec",
                key=py_literal(v.key),
                type=py_literal(v.type),
                required=py_literal(v.required),
                default=py_literal(v.default),
                description=py_literal(v.description),
            )
            for v in spec.variables
        ],
        "state_props": [
            (state.prop, py_literal(state.name), escape.docstring(state.name))
            for state in spec.states
        ],
        "methods": [_method(spec, t) for t in spec.triggers if not t.name.startswith("_")],
    }
    context["timers"] = [
        (
            f"{prefix}State.{by_name[state].member}",
            _tuple_text(
                [
                    _call(
                        "TimerSpec",
                        py_literal(timer.state),
                        py_literal(timer.event),
                        py_literal(timer.delay_ms),
                        py_literal(timer.transition),
                        py_literal(timer.kind),
                    )
                    for timer in timers
                ]
            ),
        )
        for state, timers in spec.timers.items()
    ]
    context["hierarchy"] = _hierarchy(spec)
    context["imports"] = _imports(context)
    environment = jinja_env()
    data = _parse(environment.get_template("data.py.jinja").render(**context), "data.py.jinja")
    context["data_placeholder"] = _PLACEHOLDER
    text = _parse(environment.get_template("module.py.jinja").render(**context), "module.py.jinja")
    # Black formats the code; the data statements, which dominate large machines, are
    # laid out in black's own style directly and put in place afterwards.
    formatted = black.format_str(text, mode=BLACK_MODE)
    return formatted.replace(_PLACEHOLDER + "\n", layout_statements(data), 1)


_PLACEHOLDER = "_PYSTATOR_DATA_ = None"


def _parse(text: str, template: str) -> str:
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise EmitError(
            f"template {template} rendered invalid Python at line {exc.lineno}: {exc.msg}"
        ) from exc
    return text


_SPEC_NAMES = (
    "ActionSpec",
    "Candidate",
    "CheckOp",
    "CheckSpec",
    "EffectType",
    "ErrorPolicySpec",
    "GuardSpec",
    "InvokeSpec",
    "MachineSpec",
    "PayloadField",
    "RegionSpec",
    "StateSpec",
    "StateType",
    "TimeoutSpec",
    "TimerSpec",
    "TransitionSpec",
    "TriggerSpec",
    "VariableSpec",
    "frozen_mapping",
)


def _imports(context: Mapping[str, Any]) -> list[str]:
    """Only the imports the module uses, so the output reads like hand-written code."""
    data = "\n".join(
        [
            *context["states"],
            *context["triggers"],
            *context["transitions"],
            *context["variables"],
            *(source for _, source in context["constants"]),
            *context["spec_fields"].values(),
            *(row for _, row in context["table"]),
            *(row for _, row in context["timers"]),
            "MachineSpec(",
            "frozen_mapping(",
        ]
    )
    used = [name for name in _SPEC_NAMES if re.search(rf"\b{name}\b", data)]
    abc = ["Mapping"]
    if context["guard_handlers"]:
        abc.insert(0, "Awaitable")
    typing_names = ["Any", "Final", "Literal", "Protocol", "TypeAlias"]
    fields = context["context_fields"]
    if fields:
        typing_names.append("TypedDict")
    if any(annotation.startswith("Required[") for _, annotation in fields):
        typing_names.append("Required")
    helpers = sorted({name for function in context["expressions"] for name in function.helpers})
    lines = [
        f"from collections.abc import {', '.join(abc)}",
        "from enum import StrEnum",
        f"from typing import {', '.join(sorted(typing_names))}",
        "",
        "from pystator.runtime.actions import ActionRegistry",
        *([f"from pystator.runtime.expr import {', '.join(helpers)}"] if helpers else []),
        "from pystator.runtime.guards import GuardRegistry, Predicate",
        "from pystator.runtime.hooks import TransitionObserver",
        "from pystator.runtime.machine import StateMachine",
        "from pystator.runtime.results import TransitionResult",
        "from pystator.runtime.session import EntitySession",
        f"from pystator.runtime.spec import ({', '.join(used)},)",
    ]
    return lines


def _tuple_text(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def _strip_outer_parens(text: str) -> str:
    """Drop one pair of parentheses around the whole text, if they enclose all of it."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    inner = text[1:-1]
    try:
        ast.parse(inner, mode="eval")
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return text
    # A one-item tuple "(x,)" must keep its parentheses.
    return text if isinstance(tree, ast.Tuple) else inner


@dataclass(frozen=True, slots=True)
class HierarchyTables:
    parents: list[tuple[str, str]]
    children: list[tuple[str, str]]
    ancestors: list[tuple[str, str]]


def _hierarchy(spec: MachineSpec) -> HierarchyTables | None:
    """Literal tables for the state enum's hierarchy helpers; None for flat machines."""
    if all(state.parent is None for state in spec.states):
        return None
    parents = {state.name: state.parent for state in spec.states}
    # One pass over the states: asking each state for its children would be quadratic.
    listed: dict[str, list[str]] = {state.name: [] for state in spec.states}
    for state in spec.states:
        if state.parent is not None:
            listed[state.parent].append(state.name)
    children = {name: tuple(names) for name, names in listed.items()}
    ancestors = {}
    for name in parents:
        chain: list[str] = []
        current = parents[name]
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        ancestors[name] = tuple(chain)
    return HierarchyTables(
        parents=[(py_literal(k), py_literal(v)) for k, v in parents.items()],
        children=[(py_literal(k), py_literal(v)) for k, v in children.items()],
        ancestors=[(py_literal(k), py_literal(v)) for k, v in ancestors.items()],
    )


def _docstring(spec: MachineSpec) -> str:
    lines = [f"State machine {spec.name!r}, version {spec.version}."]
    if spec.description:
        lines += ["", spec.description]
    lines += ["", f"Initial state: {spec.initial_state}."]
    if len(spec.states) <= MAX_DIAGRAM_STATES:
        lines += ["", "```mermaid", *to_mermaid(spec).rstrip("\n").splitlines(), "```"]
    else:
        lines += ["", f"{len(spec.states)} states: `pystator-gen diagram` draws them."]
    return escape.docstring("\n".join(lines) + "\n")
