"""The inline guard expression language: allowlist, evaluation, rendering as Python."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystator.runtime.expr import (
    ExpressionError,
    ExpressionEvalError,
    bounded_add,
    bounded_mul,
    evaluate,
    parse_expression,
    to_python,
)

BUILTINS = {
    "__builtins__": {},
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "sum": sum,
    "bounded_add": bounded_add,
    "bounded_mul": bounded_mul,
}


def run_python(source: str, context: dict[str, Any]) -> bool:
    return bool(eval(to_python(parse_expression(source)), BUILTINS, {"ctx": context}))


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("fill_qty >= order_qty", {"fill_qty": 100, "order_qty": 100}, True),
        ("price > 0 and symbol != ''", {"price": 1.5, "symbol": "X"}, True),
        ("price * qty < 2000", {"price": 10.5, "qty": 100}, True),
        ("status == 'active'", {"status": "active"}, True),
        ("item in items", {"item": 2, "items": [1, 2]}, True),
        ("item not in items", {"item": 2, "items": [1, 2]}, False),
        ("not is_cancelled", {"is_cancelled": False}, True),
        ("len(positions) < max_positions", {"positions": [1], "max_positions": 3}, True),
        ("0 < x < 10", {"x": 5}, True),
        ("-x + 3 / 2 == -0.5", {"x": 2}, True),
        ("max(a, b, 1) - min([a, b]) == abs(-2)", {"a": 3, "b": 1}, True),
        ("sum(values) == 6", {"values": (1, 2, 3)}, True),
        ("flag or missing", {"flag": True}, True),
        ("x is_ok", {}, None),
    ][:-1],
)
def test_seed_examples_and_every_allowed_construct(
    source: str, context: dict[str, Any], expected: bool
) -> None:
    expression = parse_expression(source)
    assert evaluate(expression, context) is expected
    assert run_python(source, context) is expected


def test_names_are_listed_in_order_without_duplicates() -> None:
    assert parse_expression("b > a and a < c").names == ("b", "a", "c")


@pytest.mark.parametrize(
    ("source", "col"),
    [
        ("qty > 0 and order.total", 13),
        ("__import__('os')", 1),
        ("items[0] > 1", 1),
        ("(lambda: 1)()", 2),
        ("[x for x in items]", 1),
        ("x ** 2 > 1", 3),
        ("x // 2 > 1", 3),
        ("x is None", 1),
        ("open('f')", 1),
        ("len(x, key=1)", 8),
        ("_secret > 1", 1),
        ("f'{x}'", 1),
        ("{1: 2}", 1),
        ("x if y else z", 1),
        ("(y := 1)", 2),
        ("x > > 1", 5),
    ],
)
def test_constructs_outside_the_allowlist_are_rejected_at_their_column(
    source: str, col: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(source)
    assert caught.value.col == col


def test_overlong_and_overdeep_expressions_are_rejected() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        parse_expression("x > 1 and " * 200 + "x > 1")
    with pytest.raises(ExpressionError, match="deeper"):
        parse_expression("(" * 60 + "x" + ")" * 60 + " > " + "-" * 60 + "1")


def test_missing_name_fails_in_both_paths() -> None:
    with pytest.raises(ExpressionEvalError, match="'qty'"):
        evaluate(parse_expression("qty > 1"), {})
    with pytest.raises(KeyError):
        run_python("qty > 1", {})


def test_short_circuit_skips_missing_names_in_both_paths() -> None:
    source = "x > 0 and y > 0"
    assert evaluate(parse_expression(source), {"x": 0}) is False
    assert run_python(source, {"x": 0}) is False


@pytest.mark.parametrize("source", ["'a' < 1", "1 / zero", "len(n)"])
def test_type_and_arithmetic_errors_fail(source: str) -> None:
    with pytest.raises(ExpressionEvalError):
        evaluate(parse_expression(source), {"zero": 0, "n": 5})


def test_oversize_repetition_of_context_values_is_refused_quickly() -> None:
    tracemalloc.start()
    with pytest.raises(ExpressionEvalError, match="longer than 100000 items"):
        evaluate(parse_expression("s * n == s"), {"s": "a", "n": 1_000_000_000})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Refused before the sequence is built: nowhere near the gigabytes it would take.
    assert peak < 16 * 1024 * 1024


def test_rendered_python_reads_names_through_repr() -> None:
    assert to_python(parse_expression("a == 'x\"y'")) == """(ctx['a'] == 'x"y')"""


# -- property: the interpreter and the rendered Python agree ---------------------------------

NAMES = ("a", "b", "c", "items")
values = st.one_of(
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False),
    st.text("xy", max_size=3),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-3, 3), max_size=3),
)


def expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(NAMES),
        st.integers(-5, 5).map(str),
        st.sampled_from(["'x'", "'xy'", "True", "None", "2.5", "[1, 2]"]),
    )

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(
            children,
            st.sampled_from(
                ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "and", "or"]
            ),
            children,
        ).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        unary = st.tuples(st.sampled_from(["not ", "-"]), children).map(lambda t: f"({t[0]}{t[1]})")
        call = st.tuples(st.sampled_from(["len", "abs", "min", "max", "sum"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        )
        return st.one_of(binary, unary, call)

    return st.recursive(leaves, extend, max_leaves=8)


def outcome(fn: Any) -> object:
    try:
        return ("value", fn())
    except Exception:
        return ("error",)


@settings(max_examples=2000, deadline=None)
@given(expressions(), st.dictionaries(st.sampled_from(NAMES), values))
def test_interpreter_and_rendered_python_agree(source: str, context: dict[str, Any]) -> None:
    expression = parse_expression(source)
    interpreted = outcome(lambda: evaluate(expression, context))
    compiled = outcome(lambda: run_python(source, context))
    assert interpreted == compiled
