"""Testgen: a pytest module for a machine's generated module, from its lowered spec.

Shortest paths fire every transition and reach every state with guards switched on per
step, and a hypothesis state machine checks invariants; the text is black-formatted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import black

from pystator.generator import typemap
from pystator.generator.emit import BLACK_MODE, jinja_env, py_literal
from pystator.generator.graph import model_of
from pystator.generator.model import ModelError, build
from pystator.generator.paths import Plan, Step, plan
from pystator.runtime.spec import MachineSpec, TriggerSpec

_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")

#: A value of each annotation the generated module uses, for payloads and context.
SAMPLES = {
    "str": "'text'",
    "float": "1.0",
    "int": "1",
    "bool": "True",
    "list[Any]": "[]",
    "dict[str, Any]": "{}",
    "None": "None",
    "Any": "None",
}


class OptionError(ValueError):
    """The options cannot produce a test module (a bad module path or class name)."""


@dataclass(frozen=True, slots=True)
class GeneratedTests:
    """A test module's name and text, and the transition coverage of its paths."""

    file_name: str
    text: str
    plan: Plan

    @property
    def covered(self) -> int:
        return len(self.plan.transitions)

    @property
    def total(self) -> int:
        return self.plan.total_transitions


def render_tests(
    spec: MachineSpec,
    *,
    source_name: str,
    module: str | None = None,
    class_name: str | None = None,
) -> GeneratedTests:
    """The test module for `spec`'s generated module (imported as `module`)."""
    prefix = class_name.removesuffix("Machine") or class_name if class_name else None
    if prefix is not None and not (prefix.isidentifier() and prefix.isascii()):
        raise OptionError(f"class name {class_name!r} is not a Python class name")
    try:
        names = build(spec, source_name=source_name, source_hash="", class_name=prefix)
    except ModelError:
        raise OptionError(f"class name {spec.name!r} is not a Python class name") from None
    stem = names.module_name
    module = module or stem
    if not _MODULE.fullmatch(module):
        raise OptionError(f"module {module!r} is not a dotted Python module path")
    model = model_of(spec)
    found = plan(spec)
    guards = _guard_labels(spec)
    named = sorted({label for label, is_named in guards if is_named})
    inline = sorted({label for label, is_named in guards if not is_named})
    context = {
        "version": names.version,
        "source_name": names.source_name,
        "covered": len(found.transitions),
        "total": found.total_transitions,
        "machine_doc": names.machine_doc,
        "module": module,
        "prefix": names.prefix,
        "named_guards": py_literal(tuple(named)),
        "inline_guards": py_literal(tuple(inline)),
        "leaves": _frozenset(model.tree.leaves()),
        "parallel_states": _frozenset(s.name for s in spec.states if s.is_parallel),
        "strict": py_literal(spec.strict_mode),
        "context": "{"
        + ", ".join(
            f"{py_literal(v.key)}: {SAMPLES.get(typemap.annotation(v.type) or 'Any', 'None')}"
            for v in spec.variables
            if v.required
        )
        + "}",
        "senders": [(py_literal(t.name), _call(t)) for t in spec.triggers],
        "passing_strategy": "st.frozensets(st.sampled_from(NAMED_GUARDS + INLINE_GUARDS))"
        if guards
        else "st.just(frozenset[str]())",
        "transition_paths": [
            (
                py_literal(_transition_id(spec, index)),
                [_step(step) for step in found.transitions[index]],
            )
            for index in sorted(found.transitions)
        ],
        "state_paths": [
            (
                py_literal(f"state-{state.name}"),
                py_literal(state.name),
                [_step(step) for step in found.states[state.name]],
            )
            for state in spec.states
            if state.name in found.states
        ],
    }
    text = jinja_env().get_template("tests.py.jinja").render(**context)
    formatted = black.format_str(text, mode=BLACK_MODE)
    return GeneratedTests(f"test_{stem}.py", formatted, found)


def coverage_line(name: str, tests: GeneratedTests) -> str:
    """`order_fsm.yaml: transition coverage 6/6 (100%)`."""
    percent = 100 * tests.covered // tests.total if tests.total else 100
    return f"{name}: transition coverage {tests.covered}/{tests.total} ({percent}%)"


def _guard_labels(spec: MachineSpec) -> list[tuple[str, bool]]:
    return [
        (guard.label, guard.name is not None)
        for transition in spec.transitions
        for guard in transition.guards
    ]


def _call(trigger: TriggerSpec) -> str:
    if trigger.name.startswith("_"):
        # Synthetic events (delays, timeouts) have no typed method; schedulers send them.
        return f"session.send({py_literal(trigger.name)})"
    arguments = ", ".join(
        f"{field.name}={SAMPLES.get(typemap.annotation(field.type) or 'Any', 'None')}"
        for field in trigger.payload
        if field.required
    )
    return f"session.{trigger.method}({arguments})"


def _step(step: Step) -> str:
    parts = [
        py_literal(step.trigger),
        _frozenset(step.passing),
        py_literal(step.node.state),
    ]
    if step.node.regions:
        parts.append(py_literal(step.node.regions))
    return f"Step({', '.join(parts)})"


def _frozenset(items: Iterable[str]) -> str:
    ordered = sorted(items)
    if not ordered:
        return "frozenset()"
    return "frozenset({" + ", ".join(py_literal(item) for item in ordered) + "})"


def _transition_id(spec: MachineSpec, index: int) -> str:
    transition = spec.transitions[index]
    trigger = "eventless" if transition.auto else transition.trigger.lstrip("_")
    return f"transition-{index + 1}-{trigger}"
