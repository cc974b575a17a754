"""Python source for plain values and spec calls, with the spec names each one uses.

Strings from the YAML reach the output only through `escape.literal`; `Code` remembers
which names of `pystator.runtime.spec` the rendered text calls, so imports are exact.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pystator.generator import escape, layout
from pystator.generator.layout import Expr

#: The names of `pystator.runtime.spec` a generated module may import.
SPEC_NAMES = frozenset(
    {
        "ActionSpec",
        "Candidate",
        "CheckOp",
        "CheckSpec",
        "EffectType",
        "ErrorPolicySpec",
        "GuardSpec",
        "InvokeSpec",
        "MachineSpec",
        "NameEnum",
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
        "lazy_mapping",
        "lazy_tuple",
    }
)


def py_literal(value: Any) -> str:
    """Python source for a plain data value; strings always go through escape.literal()."""
    if value is None or isinstance(value, bool | int):
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
        return tuple_of(py_literal(item) for item in value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{py_literal(str(k))}: {py_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"cannot render {type(value).__name__} as a literal")


def value_expr(value: Any) -> Expr:
    """`py_literal` as a tree for `layout`: the same value, strings in black's quotes."""
    if isinstance(value, str):
        return layout.string(value)
    if isinstance(value, tuple):
        return layout.tuple_(value_expr(item) for item in value)
    if isinstance(value, list):
        return layout.list_(value_expr(item) for item in value)
    if isinstance(value, Mapping):
        return layout.dict_((layout.string(str(k)), value_expr(v)) for k, v in value.items())
    return layout.atom(py_literal(value))


def tuple_of(items: Iterable[str]) -> str:
    """A tuple display of already-rendered items: `()`, `(x,)` or `(x, y)`."""
    parts = list(items)
    if not parts:
        return "()"
    return f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"


@dataclass
class Code:
    """Renders spec calls and remembers the spec names they use."""

    used: set[str] = field(default_factory=set)

    def call(self, callee: str, /, *args: Expr, **kwargs: Expr) -> Expr:
        """`callee(args..., key=value...)`."""
        self.name(callee)
        parts = [*(("", arg) for arg in args), *((f"{key}=", v) for key, v in kwargs.items())]
        return layout.call(callee, parts)

    def name(self, name: str) -> str:
        """A spec name used as written (an enum such as `StateType`)."""
        if name in SPEC_NAMES:
            self.used.add(name)
        return name

    def frozen(self, value: Mapping[str, Any]) -> Expr:
        return self.call("frozen_mapping", value_expr(dict(value)))

    def imports(self) -> tuple[str, ...]:
        return tuple(sorted(self.used, key=lambda name: (name[0].islower(), name)))


def strip_outer_parens(text: str) -> str:
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
