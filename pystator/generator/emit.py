"""Emit: render a machine's render model as a typed Python module, formatted by black.

`model.build` decides every name, literal and annotation; the jinja2 templates only lay
them out. Every string from the YAML reaches the output through `escape`.
"""

from __future__ import annotations

import ast
import dataclasses

import black
import jinja2

from pystator.generator import layout
from pystator.generator.formatting import format_code
from pystator.generator.layout import layout_assignment, layout_statement
from pystator.generator.model import ModelError, ModuleModel, build
from pystator.generator.pysource import py_literal
from pystator.generator.specsource import FUNCTIONS
from pystator.runtime.spec import MachineSpec

__all__ = ["BLACK_MODE", "EmitError", "jinja_env", "py_literal", "render", "render_model"]

BLACK_MODE = black.Mode(
    target_versions={black.mode.TargetVersion.PY311},
    line_length=88,
    string_normalization=True,
    magic_trailing_comma=True,
)


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


def render(
    spec: MachineSpec, *, source_name: str, source_hash: str, class_name: str | None = None
) -> str:
    """The formatted module for `spec`; raises EmitError if the output would not parse."""
    try:
        model = build(spec, source_name=source_name, source_hash=source_hash, class_name=class_name)
    except ModelError as exc:
        raise EmitError(str(exc)) from None
    return render_model(model)


def render_model(model: ModuleModel) -> str:
    """The module text of a render model, in black's style."""
    fields = {item.name: getattr(model, item.name) for item in dataclasses.fields(model)}
    fields["context_class"] = model.context_class
    fields["built_methods"] = model.built_methods
    fields["written_methods"] = model.written_methods
    fields["data_placeholder"] = _PLACEHOLDER
    text = jinja_env().get_template("module.py.jinja").render(**fields)
    # Black formats the code; the data statements, which dominate large machines, are
    # laid out in black's own style directly and put in place afterwards.
    formatted = format_code(text, _black)
    return formatted.replace(_PLACEHOLDER + "\n", data_statements(model), 1)


_PLACEHOLDER = "_PYSTATOR_DATA_ = None"


def _black(text: str) -> str:
    """Black over checked code: what black reads of the module (runs of members that
    `format_code` keeps from it were checked by black on a pair of their own)."""
    return black.format_str(_parse(text, "module.py.jinja"), mode=BLACK_MODE)


def data_statements(model: ModuleModel) -> str:
    """The constants, the functions that build SPEC's states, transitions and table,
    TIMERS, SPEC and the hierarchy tables, in black's layout."""
    lines: list[str] = []
    for name, value in model.constants:
        lines += layout_assignment(f"{name}: Final", value)
    if lines:
        lines += ["", ""]
    for name, value in model.built:
        lines += [*_function(name, value, model), "", ""]
    if model.timers:
        rows = layout.dict_((layout.atom(state), row) for state, row in model.timers)
        target = f"TIMERS: Final[Mapping[{model.prefix}State, tuple[TimerSpec, ...]]]"
        lines += [*layout_assignment(target, rows), ""]
    lines += layout_assignment("SPEC: Final", layout.call("MachineSpec", _keywords(model.spec)))
    if model.hierarchy is not None:
        lines.append("")
        tables = model.hierarchy
        lines += layout_assignment("_PARENTS: Final[Mapping[str, str | None]]", tables.parents)
        lines += layout_assignment(
            "_CHILDREN: Final[Mapping[str, tuple[str, ...]]]", tables.children
        )
        lines += layout_assignment(
            "_ANCESTORS: Final[Mapping[str, frozenset[str]]]", tables.ancestors
        )
    return "\n".join(lines) + "\n"


def _function(name: str, value: layout.Expr, model: ModuleModel) -> list[str]:
    """`def name()`, which returns a large part of SPEC when it is first read."""
    lines = [f"def {name}() -> {FUNCTIONS[name]}:", f'{layout.INDENT}"""{_PURPOSES[name]}"""']
    if name == "_table":
        for local, candidate in model.candidates:
            lines += layout_assignment(local, candidate, 1)
    return lines + layout_statement("return", value, 1)


_PURPOSES = {
    "_states": "Return the states, in the order of the source.",
    "_transitions": "Return the transitions, in the order of the source.",
    "_table": "Return the candidates of each state and trigger, in priority order.",
}


def _keywords(arguments: tuple[tuple[str, layout.Expr], ...]) -> list[tuple[str, layout.Expr]]:
    return [(f"{key}=", value) for key, value in arguments]


def _parse(text: str, template: str) -> str:
    try:
        ast.parse(text)
    except SyntaxError as exc:
        raise EmitError(
            f"template {template} rendered invalid Python at line {exc.lineno}: {exc.msg}"
        ) from exc
    return text
