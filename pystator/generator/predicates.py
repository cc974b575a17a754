"""Predicates: one compiled Python function per distinct `expr:` or `check:` guard.

A function is named after its guard (`fill_qty > 0` -> `_expr_fill_qty_gt_0`), and its
checks mirror `pystator.runtime.guards.check_predicate` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from pystator.generator import escape
from pystator.generator.names import constant_words
from pystator.generator.pysource import py_literal, strip_outer_parens
from pystator.generator.symbols import Namer
from pystator.runtime import expr
from pystator.runtime.spec import CHECK_SYMBOLS, CheckOp, CheckSpec, GuardSpec, MachineSpec

# Short enough that `_PREDICATES` maps a guard of average length to it on one line.
PREDICATE_WORDS = 24


@dataclass(frozen=True, slots=True)
class Predicate:
    """A compiled guard; `key` is the guard's label as a literal and `comment` the label
    as comment text."""

    name: str
    key: str
    comment: str
    body: tuple[str, ...]
    #: The functions of `pystator.runtime.expr` the body calls.
    helpers: tuple[str, ...] = ()


def predicates(spec: MachineSpec) -> tuple[Predicate, ...]:
    """One function per distinct expression or check guard, in document order."""
    guards: dict[str, GuardSpec] = {}
    for transition in spec.transitions:
        for guard in transition.guards:
            if guard.name is None:
                guards.setdefault(guard.label, guard)
    namer = Namer()
    for label in guards:
        kind, _, text = label.partition(": ")
        words = constant_words(text, PREDICATE_WORDS).lower()
        namer.request(label, [f"_{kind}_{words}"])
    chosen = namer.resolve()
    return tuple(_predicate(chosen[label], guard) for label, guard in guards.items())


def _predicate(name: str, guard: GuardSpec) -> Predicate:
    key, comment = py_literal(guard.label), escape.comment(guard.label)
    if guard.expr is not None:
        parsed = expr.parse_expression(guard.expr)
        python = expr.to_python(parsed, literal=py_literal)
        body = (f"return bool({strip_outer_parens(python)})",)
        return Predicate(name, key, comment, body, expr.helpers_used(parsed))
    assert guard.check is not None
    return Predicate(name, key, comment, _check_body(guard.check))


def _check_body(check: CheckSpec) -> tuple[str, ...]:
    field_value = f"ctx.get({py_literal(check.field)})"
    value = check.value
    if check.effective_op is CheckOp.IS_SET:
        return (f"return {field_value} is not None",)
    if check.effective_op is CheckOp.IS_NULL:
        return (f"return {field_value} is None",)
    symbol = CHECK_SYMBOLS[check.op]
    if check.op in (CheckOp.IN, CheckOp.NOT_IN):
        options = tuple(value) if isinstance(value, list | tuple) else (value,)
        return (f"return {field_value} {symbol} {py_literal(options)}",)
    if check.op in (CheckOp.EQ, CheckOp.NE, CheckOp.NEQ):
        return (f"return bool({field_value} {symbol} {py_literal(value)})",)
    return (
        f"value = {field_value}",
        f"return value is not None and bool(value {symbol} {py_literal(value)})",
    )
