"""Check guards: expressions the runtime may evaluate, and checks whose operator, values
and declared types agree; names a guard reads that nothing declares are warnings."""

from __future__ import annotations

import ast
import itertools

from pystator.generator import typemap
from pystator.generator.checking import Reporter
from pystator.generator.load import Path
from pystator.generator.schema import CheckGuardDef, ExprGuardDef
from pystator.runtime import expr


def check_guard(report: Reporter, path: Path, guard: object, declared: dict[str, str]) -> None:
    if isinstance(guard, ExprGuardDef):
        try:
            parsed = expr.parse_expression(guard.expr)
            if declared:
                _check_expression_names(report, (*path, "expr"), parsed, declared)
        except expr.ExpressionError as exc:
            value_path = (*path, "expr")
            position = report.document.position(value_path)
            offset = _quote_offset(report.source_line(position.line), position.col)
            report.error_at(
                "PS206",
                position.line,
                position.col + offset + exc.col - 1,
                f"guard expression {guard.expr!r} is not allowed: {exc.message}.",
                "Expressions may use context names, literals, comparisons, and/or/not, "
                "+ - * /, in / not in and len/min/max/abs/sum.",
            )
    elif isinstance(guard, CheckGuardDef):
        check = guard.check
        value_path = (*path, "check")
        if declared and check.field not in declared:
            report.warning(
                "PS304",
                (*value_path, "field"),
                f"check field {check.field!r} is not a declared state variable or payload.",
                report.did_you_mean(check.field, declared, "declared")
                or "Declare it under state_variables.",
            )
        declared_type = declared.get(check.field)
        if declared_type is not None and check.op not in ("is_set", "is_null"):
            options = check.values if check.values is not None else check.value
            values = options if isinstance(options, list) else [options]
            wrong = [v for v in values if not typemap.python_type_matches(declared_type, v)]
            if wrong:
                report.error(
                    "PS211",
                    value_path,
                    f"check compares {check.field!r} (declared {declared_type}) with {wrong[0]!r}.",
                    f"Use a {declared_type} value.",
                )
        if check.op in ("in", "not_in"):
            if check.values is None and not isinstance(check.value, list):
                report.error(
                    "PS211",
                    value_path,
                    f"check {check.op!r} on {check.field!r} needs a list of values.",
                    "Give `value: [a, b]` or `values: [a, b]`.",
                )
        elif check.op in ("is_set", "is_null"):
            if check.value is not None or check.values is not None:
                report.error(
                    "PS211",
                    value_path,
                    f"check {check.op!r} takes no value.",
                    "Remove `value:`.",
                )
        elif check.values is not None:
            report.error(
                "PS211",
                value_path,
                f"check {check.op!r} compares with one `value`, not `values`.",
                "Use `value:`.",
            )
        elif check.value is None and check.op in ("lt", "lte", "gt", "gte"):
            report.error(
                "PS211",
                value_path,
                f"check {check.op!r} on {check.field!r} has no value to compare with.",
                "Add `value:`.",
            )
        if check.value is not None and isinstance(check.value, dict):
            report.error(
                "PS211",
                value_path,
                "a check value must be a scalar or a list, not a mapping.",
                "Compare against a string, number, boolean or list.",
            )


def _check_expression_names(
    report: Reporter, path: Path, parsed: expr.Expression, declared: dict[str, str]
) -> None:
    """Warn about undeclared names and about comparing declared text with numbers."""
    for name in parsed.names:
        if name not in declared:
            report.warning(
                "PS304",
                path,
                f"expression name {name!r} is not a declared state variable or payload.",
                report.did_you_mean(name, declared, "declared")
                or "Declare it under state_variables.",
            )
    for node in ast.walk(parsed.tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, right in itertools.pairwise(operands):
            for name_node, other in ((left, right), (right, left)):
                if not isinstance(name_node, ast.Name) or not isinstance(other, ast.Constant):
                    continue
                kind = declared.get(name_node.id, "any").lower()
                value = other.value
                text_vs_number = typemap.is_text(kind) and isinstance(value, int | float)
                number_vs_text = typemap.is_number(kind) and isinstance(value, str)
                if (text_vs_number or number_vs_text) and not isinstance(value, bool):
                    report.warning(
                        "PS305",
                        path,
                        f"expression compares {name_node.id!r} (declared {kind}) with "
                        f"{value!r}; the comparison is never true or fails at run time.",
                        f"Compare with a {kind} value.",
                    )


def _quote_offset(text: str, col: int) -> int:
    """1 if the scalar at `col` of the line `text` starts with a quote, so columns land
    inside it."""
    return 1 if text[col - 1 : col] in ("'", '"') else 0
