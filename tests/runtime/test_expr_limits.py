"""One rule for literals and for the sequences `+` and `*` build, on both paths.

Literals that Python could not render back (`1e999` is infinity) or that build a huge
sequence (`'a' * 1000000000`) are refused when the machine is built; a sequence built from
context values at run time goes through `bounded_add` / `bounded_mul`, which the dynamic
evaluator and generated modules both call, so the guard fails with the same error on both
paths instead of allocating gigabytes in one of them.
"""

from __future__ import annotations

import builtins
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystator.runtime import expr
from pystator.runtime.expr import (
    MAX_SEQUENCE_LENGTH,
    ExpressionError,
    ExpressionEvalError,
    bounded_add,
    bounded_mul,
    compile_predicate,
    parse_expression,
    to_python,
)

GLOBALS = {
    "__builtins__": {},
    **{name: getattr(builtins, name) for name in expr.ALLOWED_FUNCTIONS},
    "bounded_add": bounded_add,
    "bounded_mul": bounded_mul,
}


def generated(source: str) -> Any:
    """The predicate a generated module holds for `source`."""
    code = compile(to_python(parse_expression(source)), "<guard>", "eval")
    return lambda context: bool(eval(code, GLOBALS, {"ctx": context}))


def dynamic(source: str) -> Any:
    """The predicate `StateMachine.from_yaml` uses for `source`."""
    return compile_predicate(parse_expression(source))


def result(predicate: Any, context: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("value", predicate(context))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


# -- literals, at build time ----------------------------------------------------------------


@pytest.mark.parametrize("source", ["x < 1e999", "x > -1e999", "x == 1e400 - 1e400"])
def test_a_float_literal_too_large_to_be_finite_is_refused(source: str) -> None:
    with pytest.raises(ExpressionError, match="too large for a float") as caught:
        parse_expression(source)
    assert caught.value.col == source.index("1e") + 1


@pytest.mark.parametrize(
    "literal", ["1000", "0x3e8", "0o1750", "0b1111101000", "1_000", "0X3E8", "-0x3e8"]
)
def test_one_integer_limit_whatever_the_base(literal: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # With a limit of three digits, 1000 is too long however it is written.
    monkeypatch.setattr(expr, "_INTEGER_BOUND", 10**3)
    with pytest.raises(ExpressionError, match="more than"):
        parse_expression(f"x < {literal}")
    parse_expression("x < 999")


@pytest.mark.parametrize(
    "source",
    [
        "s == 'a' * 1000000000",
        "items == [0] * 100001",
        "s == 'ab' * 50001",
        "s == ('a' * 1000) * 1000",
        "s == 'a' * (1000 * 1000)",
        "items == [0, 0] * -1 + [0] * 100001",
        "items == [0] * 60000 + [0] * 60000",
        "s == 100001 * 'a'",
    ],
)
def test_a_literal_sequence_longer_than_the_limit_is_refused(source: str) -> None:
    with pytest.raises(ExpressionError, match=f"longer than {MAX_SEQUENCE_LENGTH} items"):
        parse_expression(source)


@pytest.mark.parametrize(
    "source", ["s == 'a' * 100000", "items == [0] * 50000 + [0] * 50000", "s == 'ab' * -5"]
)
def test_a_literal_sequence_within_the_limit_is_accepted(source: str) -> None:
    parse_expression(source)


def test_sum_with_a_start_value_is_refused() -> None:
    # sum(lists, []) would concatenate without bound.
    with pytest.raises(ExpressionError, match="sum takes one argument") as caught:
        parse_expression("sum(items, []) == []")
    assert caught.value.col == 12


# -- context values, at run time ------------------------------------------------------------

OVERSIZE = [
    ("s * n == s", {"s": "a", "n": 10**9}),
    ("n * s == s", {"s": "ab", "n": 50_001}),
    ("items * n == items", {"items": [0], "n": 10**30}),
    ("[0] * n == items", {"items": [], "n": 100_001}),
    ("s + s == s", {"s": "a" * 60_000}),
    ("items + [1] == items", {"items": [0] * MAX_SEQUENCE_LENGTH}),
    ("(s * 2) * n == s", {"s": "ab", "n": 25_001}),
]


@pytest.mark.parametrize(("source", "context"), OVERSIZE)
def test_an_oversize_sequence_from_context_values_fails_the_same_way_on_both_paths(
    source: str, context: dict[str, Any]
) -> None:
    tracemalloc.start()
    outcomes = [result(path(source), context) for path in (dynamic, generated)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Refused before the sequence is built: nowhere near the gigabytes it would take.
    assert peak < 16 * 1024 * 1024
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:2] == ("error", "ExpressionEvalError")
    assert f"longer than {MAX_SEQUENCE_LENGTH} items" in outcomes[0][2]


@pytest.mark.parametrize(
    ("source", "context"),
    [
        ("s * n == 'aaa'", {"s": "a", "n": 3}),
        ("items * n == [1, 1]", {"items": [1], "n": 2}),
        ("s + t == 'ab'", {"s": "a", "t": "b"}),
        ("x * y == 6", {"x": 2, "y": 3}),
        ("x + y == 5", {"x": 2, "y": 3}),
        ("s * n == ''", {"s": "a", "n": -5}),
    ],
)
def test_sequences_within_the_limit_are_built_on_both_paths(
    source: str, context: dict[str, Any]
) -> None:
    assert result(dynamic(source), context) == result(generated(source), context) == ("value", True)


def test_a_missing_name_fails_with_the_same_error_on_both_paths() -> None:
    outcomes = [result(path("qty > 1"), {}) for path in (dynamic, generated)]
    assert outcomes[0] == outcomes[1] == ("error", "KeyError", "'qty'")


def test_plain_numbers_keep_plain_operators_in_generated_code() -> None:
    assert to_python(parse_expression("x + 1 > 2 * 3")) == "((ctx['x'] + 1) > (2 * 3))"
    assert to_python(parse_expression("x * 2 > y + z")) == (
        "(bounded_mul(ctx['x'], 2) > bounded_add(ctx['y'], ctx['z']))"
    )


# -- property: both paths give the same value or the same error, text included -------------

NAMES = ("a", "b", "s", "n", "items")
values = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([10**6, 10**30, -(10**9), 0.5, 2.5, True, None]),
    st.text("xy", max_size=3),
    st.sampled_from(["x" * 70_000]),
    st.lists(st.integers(-3, 3), max_size=3),
)


def expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(NAMES),
        st.integers(-5, 5).map(str),
        st.sampled_from(["'x'", "'xy'", "True", "None", "2.5", "[1, 2]", "100000", "(1,)"]),
    )

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(
            children,
            st.sampled_from(["+", "-", "*", "/", "==", "<", ">=", "in", "not in", "and", "or"]),
            children,
        ).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
        unary = st.tuples(st.sampled_from(["not ", "-"]), children).map(lambda t: f"({t[0]}{t[1]})")
        call = st.tuples(st.sampled_from(["len", "abs", "min", "max", "sum"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        )
        return st.one_of(binary, unary, call)

    return st.recursive(leaves, extend, max_leaves=6)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(expressions(), st.dictionaries(st.sampled_from(NAMES), values))
def test_both_paths_give_the_same_value_or_the_same_error(
    source: str, context: dict[str, Any]
) -> None:
    try:
        parse_expression(source)
    except ExpressionError:
        return
    assert result(dynamic(source), context) == result(generated(source), context)


def test_evaluate_wraps_every_failure_in_expression_eval_error() -> None:
    with pytest.raises(ExpressionEvalError, match="ZeroDivisionError"):
        expr.evaluate(parse_expression("1 / x > 0"), {"x": 0})
