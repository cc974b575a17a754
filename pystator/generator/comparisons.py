"""Comparisons: a declarative check as the Python comparison its operator stands for.

The one reading of the check-operator table that the docs pages and the SCXML export share.
"""

from __future__ import annotations

from pystator.runtime.spec import CHECK_SYMBOLS, CheckOp, CheckSpec

#: The operators whose comparison raises on a missing (None) field, so renderings guard it.
ORDERED_OPS = frozenset({CheckOp.LT, CheckOp.LTE, CheckOp.GT, CheckOp.GTE})


def comparison(check: CheckSpec) -> str | None:
    """`qty > 0`, `status in ('a', 'b')` for a check that takes a value, None for `is_set`
    and `is_null`; an `in` operand is always a tuple, as the runtime reads it."""
    symbol = CHECK_SYMBOLS.get(check.op)
    if symbol is None:
        return None
    value = check.value
    if check.op in (CheckOp.IN, CheckOp.NOT_IN):
        value = tuple(value) if isinstance(value, list | tuple) else (value,)
    return f"{check.field} {symbol} {value!r}"
