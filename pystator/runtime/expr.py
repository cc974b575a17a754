"""Expr: the one definition of the inline guard expression language (`expr:` in YAML).

The compiler validates expressions and renders them as Python for generated modules;
the dynamic runtime evaluates the same validated tree. Both give the same answer.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from pystator.runtime.errors import ConfigurationError

ALLOWED_FUNCTIONS: Final = ("abs", "len", "max", "min", "sum")
MAX_SOURCE_LENGTH: Final = 1000
MAX_DEPTH: Final = 50

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "len": len,
    "max": max,
    "min": min,
    "sum": sum,
}
_BINARY: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}
#: The comparison operators guard expressions allow, as Python writes them.
COMPARE_SYMBOLS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_DESCRIPTIONS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment expressions",
    ast.IfExp: "conditional expressions",
    ast.Dict: "dict displays",
    ast.Set: "set displays",
    ast.Starred: "starred expressions",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(ValueError):
    """The expression is not in the language; `col` is the 1-based offending column."""

    def __init__(self, message: str, col: int) -> None:
        super().__init__(f"{message} (column {col})")
        self.message = message
        self.col = col


class ExpressionEvalError(Exception):
    """Evaluation failed at run time: missing name, type error, zero division, oversize."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A validated expression and the context names it reads."""

    source: str
    names: tuple[str, ...]
    tree: ast.expr = field(compare=False, repr=False)


def parse_expression(source: str) -> Expression:
    """Validate `source` against the allowlist; raises ExpressionError."""
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string, got {type(source).__name__}", 1)
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"the expression is longer than {MAX_SOURCE_LENGTH} characters", MAX_SOURCE_LENGTH
        )
    if not source.strip():
        raise ExpressionError("the expression is empty", 1)
    try:
        module = ast.parse(source.strip("\n"), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"invalid syntax: {exc.msg}", max(exc.offset or 1, 1)) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("the expression cannot be parsed", 1) from None
    names: dict[str, None] = {}
    _validate(module.body, 1, names, source)
    return Expression(source, tuple(names), module.body)


def _col(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


def _validate(node: ast.AST, depth: int, names: dict[str, None], source: str) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError(
            f"the expression is nested deeper than {MAX_DEPTH} levels", _col(node)
        )
    deeper = depth + 1
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, bool | int | float | str):
            return
        raise ExpressionError(f"{type(node.value).__name__} literals are not allowed", _col(node))
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExpressionError(
                f"names starting with '_' are not allowed ({node.id})", _col(node)
            )
        if node.id in _FUNCTIONS:
            raise ExpressionError(f"{node.id} can only be called", _col(node))
        names.setdefault(node.id, None)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _validate(value, deeper, names, source)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
            raise ExpressionError("bitwise operators are not allowed", _col(node))
        _validate(node.operand, deeper, names, source)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(
                "only the arithmetic operators + - * / are allowed", _operator_col(node, source)
            )
        _validate(node.left, deeper, names, source)
        _validate(node.right, deeper, names, source)
        return
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in COMPARE_SYMBOLS:
                raise ExpressionError(
                    "'is' and 'is not' are not allowed; use == and !=", _col(node)
                )
        _validate(node.left, deeper, names, source)
        for comparator in node.comparators:
            _validate(comparator, deeper, names, source)
        return
    if isinstance(node, ast.List | ast.Tuple):
        for element in node.elts:
            _validate(element, deeper, names, source)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            raise ExpressionError("only len, min, max, abs and sum may be called", _col(node.func))
        if node.keywords:
            raise ExpressionError("keyword arguments are not allowed", _col(node.keywords[0]))
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise ExpressionError("starred arguments are not allowed", _col(argument))
            _validate(argument, deeper, names, source)
        return
    if isinstance(node, ast.Attribute):
        # Point at the attribute itself, the part after the dot.
        raise ExpressionError("attribute access is not allowed", _col(node))
    description = _DESCRIPTIONS.get(type(node), f"{type(node).__name__} expressions")
    raise ExpressionError(f"{description} are not allowed", _col(node))


def _operator_col(node: ast.BinOp, source: str) -> int:
    """The column of a binary operator: the first non-blank after its left operand."""
    end = getattr(node.left, "end_col_offset", None)
    if end is None or getattr(node.left, "end_lineno", 1) != 1:
        return _col(node)
    index: int = end
    while index < len(source) and source[index] in " )\t":
        index += 1
    return index + 1


# -- evaluation -------------------------------------------------------------------------------


def _evaluator_parts() -> tuple[Any, dict[Any, Any]]:
    """simpleeval, imported on first use (it is the `recipes` extra), and its operators
    restricted to the language; `parse_expression` has already refused everything else."""
    try:
        import simpleeval
    except ImportError:
        raise ConfigurationError(
            "inline guard expressions on the dynamic path need simpleeval: install "
            "pystator[recipes] (generated modules compile expressions and do not need it)"
        ) from None
    allowed = (
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt,
        ast.GtE, ast.In, ast.NotIn, ast.Not, ast.USub, ast.UAdd,
    )  # fmt: skip
    operators = {op: simpleeval.DEFAULT_OPERATORS[op] for op in allowed}
    return simpleeval, operators


def evaluate(expression: Expression, context: Mapping[str, Any]) -> bool:
    """The truth of `expression` over `context`; raises ExpressionEvalError on any failure."""
    return compile_predicate(expression)(context)


def compile_predicate(expression: Expression) -> Callable[[Mapping[str, Any]], bool]:
    """A guard predicate for the dynamic path, evaluated by simpleeval.

    simpleeval bounds the size of strings and sequences it builds, so machine files that
    nobody reviewed cannot exhaust memory through an expression.
    """
    simpleeval, operators = _evaluator_parts()
    parsed = simpleeval.SimpleEval().parse(expression.source.strip("\n"))
    current: ContextVar[Mapping[str, Any]] = ContextVar("pystator_expr_context")

    def lookup(node: ast.Name) -> Any:
        try:
            return current.get()[node.id]
        except KeyError:
            raise simpleeval.NameNotDefined(node.id, expression.source) from None

    # One evaluator per expression; the context of each call travels in a context
    # variable, so threads and tasks sharing a machine never see each other's values.
    evaluator = simpleeval.EvalWithCompoundTypes(
        operators=operators, functions=dict(_FUNCTIONS), names=lookup
    )

    def predicate(context: Mapping[str, Any]) -> bool:
        token = current.set(context)
        try:
            return bool(evaluator.eval(expression.source, previously_parsed=parsed))
        except Exception as exc:
            raise ExpressionEvalError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            current.reset(token)

    predicate.__name__ = "expr_guard"
    predicate.__doc__ = expression.source
    return predicate


# -- rendering as Python ---------------------------------------------------------------------


def to_python(
    expression: Expression, context_var: str = "ctx", literal: Callable[[Any], str] = repr
) -> str:
    """Python source equivalent to `expression`, reading names from `context_var`.

    `literal` writes constants and context keys; the generator passes its escaping function.
    """
    if not context_var.isidentifier():
        raise ValueError(f"{context_var!r} is not an identifier")
    return _render(expression.tree, context_var, literal)


def _render(node: ast.expr, ctx: str, literal: Callable[[Any], str]) -> str:
    def render(child: ast.expr) -> str:
        return _render(child, ctx, literal)

    if isinstance(node, ast.Constant):
        return literal(node.value)
    if isinstance(node, ast.Name):
        return f"{ctx}[{literal(node.id)}]"
    if isinstance(node, ast.BoolOp):
        word = " and " if isinstance(node.op, ast.And) else " or "
        return "(" + word.join(render(value) for value in node.values) + ")"
    if isinstance(node, ast.UnaryOp):
        symbol = (
            "not "
            if isinstance(node.op, ast.Not)
            else ("-" if isinstance(node.op, ast.USub) else "+")
        )
        return f"({symbol}{render(node.operand)})"
    if isinstance(node, ast.BinOp):
        symbol = _BINARY[type(node.op)]
        return f"({render(node.left)} {symbol} {render(node.right)})"
    if isinstance(node, ast.Compare):
        parts = [render(node.left)]
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            parts.append(COMPARE_SYMBOLS[type(op)])
            parts.append(render(comparator))
        return "(" + " ".join(parts) + ")"
    if isinstance(node, ast.List):
        return "[" + ", ".join(render(element) for element in node.elts) + "]"
    if isinstance(node, ast.Tuple):
        inner = ", ".join(render(element) for element in node.elts)
        return f"({inner},)" if len(node.elts) == 1 else f"({inner})"
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
        return f"{node.func.id}(" + ", ".join(render(arg) for arg in node.args) + ")"
    raise ValueError(f"cannot render {type(node).__name__}")
