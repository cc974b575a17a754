"""Expr: the one definition of the inline guard expression language (`expr:` in YAML).

The compiler validates expressions and renders them as Python for generated modules;
the dynamic runtime evaluates the same validated tree. Both give the same answer.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final

from pystator.runtime.errors import ConfigurationError

ALLOWED_FUNCTIONS: Final = ("abs", "len", "max", "min", "sum")
MAX_SOURCE_LENGTH: Final = 1000
MAX_DEPTH: Final = 50
#: The most items (characters of a string) a sequence built by `+` or `*` may hold, at
#: build time for literals and at run time for context values, on both paths alike.
MAX_SEQUENCE_LENGTH: Final = 100_000
#: The most decimal digits an integer may have, whatever base it is written in: in a
#: machine file or in an expression. Longer ones could not even be printed (Python
#: refuses to turn them into text) and only make a machine slow.
MAX_INTEGER_DIGITS: Final = 4300
_INTEGER_BOUND: Final = 10**MAX_INTEGER_DIGITS

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


def integer_fits(value: int) -> bool:
    """True if `value` has at most MAX_INTEGER_DIGITS decimal digits."""
    return -_INTEGER_BOUND < value < _INTEGER_BOUND


# -- bounded operations ------------------------------------------------------------------
# `+` and `*` build strings and lists from context values; both paths (the interpreter
# below and generated modules) call these, so a guard refuses an oversize result with the
# same error instead of allocating it.

_TOO_LONG = (
    "the {what} would build a sequence longer than {limit} items; guard expressions "
    "do not build sequences that large"
)


# Operands of these exact types cannot build a sequence: the common case, checked first.
_NUMBERS: frozenset[type[Any]] = frozenset({int, float, bool})


def bounded_add(left: Any, right: Any) -> Any:
    """`left + right`, refusing a concatenation longer than MAX_SEQUENCE_LENGTH."""
    if left.__class__ in _NUMBERS or right.__class__ in _NUMBERS:
        return left + right
    if (
        hasattr(left, "__len__")
        and hasattr(right, "__len__")
        and len(left) + len(right) > MAX_SEQUENCE_LENGTH
    ):
        raise ExpressionEvalError(_TOO_LONG.format(what="concatenation", limit=MAX_SEQUENCE_LENGTH))
    return left + right


def bounded_mul(left: Any, right: Any) -> Any:
    """`left * right`, refusing a repetition longer than MAX_SEQUENCE_LENGTH."""
    if left.__class__ in _NUMBERS and right.__class__ in _NUMBERS:
        return left * right
    for sequence, count in ((left, right), (right, left)):
        if (
            isinstance(count, int)
            and hasattr(sequence, "__len__")
            and count * len(sequence) > MAX_SEQUENCE_LENGTH
        ):
            raise ExpressionEvalError(
                _TOO_LONG.format(what="repetition", limit=MAX_SEQUENCE_LENGTH)
            )
    return left * right


@dataclass(frozen=True, slots=True)
class Expression:
    """A validated expression and the context names it reads."""

    source: str
    names: tuple[str, ...]
    tree: ast.expr = field(compare=False, repr=False)


def _syntax_message(detail: str) -> str:
    """Python's own words for a syntax error, as one clause that says "invalid syntax" once."""
    detail = " ".join(detail.split()).rstrip(".")
    if detail.lower().startswith("invalid syntax"):
        return "invalid syntax" + detail[len("invalid syntax") :].replace(". ", "; ").lower()
    return f"invalid syntax: {detail}"


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
        raise ExpressionError(_syntax_message(exc.msg), max(exc.offset or 1, 1)) from None
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
        constant = node.value
        if isinstance(constant, int) and not integer_fits(constant):
            raise ExpressionError(
                f"the integer has more than {MAX_INTEGER_DIGITS} digits", _col(node)
            )
        if isinstance(constant, float) and not math.isfinite(constant):
            # `1e999` reads as infinity, which has no literal to render it back with.
            raise ExpressionError("the number is too large for a float", _col(node))
        if constant is None or isinstance(constant, bool | int | float | str):
            return
        raise ExpressionError(f"{type(constant).__name__} literals are not allowed", _col(node))
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
        length = _literal_length(node)
        if length is not None and length > MAX_SEQUENCE_LENGTH:
            what = "repetition" if isinstance(node.op, ast.Mult) else "concatenation"
            raise ExpressionError(
                f"the {what} builds a sequence longer than {MAX_SEQUENCE_LENGTH} items",
                _operator_col(node, source),
            )
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
        if node.func.id == "sum" and len(node.args) > 1:
            # A start value would let sum() concatenate lists of lists without bound.
            raise ExpressionError("sum takes one argument, the values to add", _col(node.args[1]))
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


def _literal_length(node: ast.expr) -> int | None:
    """The length of the sequence a literal (sub)expression builds, None if not a literal
    sequence: the build-time side of the rule `bounded_add` / `bounded_mul` apply."""
    if isinstance(node, ast.Constant):
        return len(node.value) if isinstance(node.value, str) else None
    if isinstance(node, ast.List | ast.Tuple):
        return len(node.elts)
    if not isinstance(node, ast.BinOp):
        return None
    left, right = _literal_length(node.left), _literal_length(node.right)
    if isinstance(node.op, ast.Add):
        return left + right if left is not None and right is not None else None
    if isinstance(node.op, ast.Mult):
        for length, other in ((left, node.right), (right, node.left)):
            count = _literal_count(other)
            if length is not None and count is not None:
                return max(length * count, 0)
    return None


def _literal_count(node: ast.expr) -> int | None:
    """The integer a literal (sub)expression stands for, if it is one."""
    if isinstance(node, ast.Constant):
        value = node.value
        return value if isinstance(value, int) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _literal_count(node.operand)
        if inner is None:
            return None
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
        left, right = _literal_count(node.left), _literal_count(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        return left - right if isinstance(node.op, ast.Sub) else left * right
    return None


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
        from pystator.runtime.extras import install_hint

        raise ConfigurationError(
            "inline guard expressions on the dynamic path need simpleeval: "
            f"{install_hint('recipes')} (generated modules compile expressions and do not "
            "need it)"
        ) from None
    allowed = (
        ast.Sub, ast.Div, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In,
        ast.NotIn, ast.Not, ast.USub, ast.UAdd,
    )  # fmt: skip
    operators: dict[Any, Any] = {op: simpleeval.DEFAULT_OPERATORS[op] for op in allowed}
    # The operators that build sequences are the same bounded ones generated code calls.
    operators[ast.Add] = bounded_add
    operators[ast.Mult] = bounded_mul
    return simpleeval, operators


def evaluate(expression: Expression, context: Mapping[str, Any]) -> bool:
    """The truth of `expression` over `context`; raises ExpressionEvalError on any failure."""
    try:
        return compile_predicate(expression)(context)
    except ExpressionEvalError:
        raise
    except Exception as exc:
        raise ExpressionEvalError(f"{type(exc).__name__}: {exc}") from exc


def compile_predicate(expression: Expression) -> Callable[[Mapping[str, Any]], bool]:
    """A guard predicate for the dynamic path, evaluated by simpleeval.

    It fails exactly as the Python that `to_python` renders does, with the same exception
    (a missing name is a KeyError), so a rejected guard reads the same on both paths;
    `+` and `*` go through `bounded_add` and `bounded_mul`, so machine files that nobody
    reviewed cannot exhaust memory through an expression.
    """
    simpleeval, operators = _evaluator_parts()
    current: ContextVar[Mapping[str, Any]] = ContextVar("pystator_expr_context")

    def lookup(node: ast.Name) -> Any:
        return current.get()[node.id]

    # One evaluator per expression; the context of each call travels in a context
    # variable, so threads and tasks sharing a machine never see each other's values.
    evaluator = simpleeval.EvalWithCompoundTypes(
        operators=operators, functions=dict(_FUNCTIONS), names=lookup
    )

    def predicate(context: Mapping[str, Any]) -> bool:
        token = current.set(context)
        try:
            # The tree `parse_expression` validated, which `to_python` renders too.
            return bool(evaluator.eval(expression.source, previously_parsed=expression.tree))
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
    `+` and `*` that may build a sequence become calls of `bounded_add` / `bounded_mul`
    (see `helpers_used`); the code must run where those names are imported from here.
    """
    if not context_var.isidentifier():
        raise ValueError(f"{context_var!r} is not an identifier")
    return _render(expression.tree, context_var, literal)


def helpers_used(expression: Expression) -> tuple[str, ...]:
    """The functions of this module that `to_python(expression)` calls, sorted."""
    found = {
        _HELPERS[type(node.op)]
        for node in ast.walk(expression.tree)
        if isinstance(node, ast.BinOp) and _needs_helper(node)
    }
    return tuple(sorted(found))


_HELPERS: dict[type[ast.operator], str] = {ast.Add: "bounded_add", ast.Mult: "bounded_mul"}


def _is_number(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int | float)


def _needs_helper(node: ast.BinOp) -> bool:
    """Whether `node` may build a sequence, so that plain `+` / `*` would be unbounded.

    `+` concatenates only two sequences, so a number on either side rules it out; `*`
    repeats a sequence by any integer, so only two numbers rule it out.
    """
    if isinstance(node.op, ast.Add):
        return not (_is_number(node.left) or _is_number(node.right))
    if isinstance(node.op, ast.Mult):
        return not (_is_number(node.left) and _is_number(node.right))
    return False


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
        if _needs_helper(node):
            helper = _HELPERS[type(node.op)]
            return f"{helper}({render(node.left)}, {render(node.right)})"
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
