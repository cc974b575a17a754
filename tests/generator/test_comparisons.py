"""Comparisons: a check reads as the Python comparison of its operator, `in` over a tuple."""

from __future__ import annotations

import pytest

from pystator.generator.comparisons import comparison
from pystator.runtime.spec import CheckOp, CheckSpec


@pytest.mark.parametrize(
    ("check", "text"),
    [
        (CheckSpec("qty", CheckOp.GT, 0), "qty > 0"),
        (CheckSpec("qty", CheckOp.NEQ, 2), "qty != 2"),
        (CheckSpec("status", CheckOp.EQ, "open"), "status == 'open'"),
        (CheckSpec("status", CheckOp.IN, ("a", "b")), "status in ('a', 'b')"),
        (CheckSpec("status", CheckOp.NOT_IN, ["a"]), "status not in ('a',)"),
    ],
)
def test_a_value_check_reads_as_its_python_comparison(check: CheckSpec, text: str) -> None:
    assert comparison(check) == text


def test_an_in_check_of_one_value_compares_with_a_one_tuple() -> None:
    assert comparison(CheckSpec("status", CheckOp.IN, "a")) == "status in ('a',)"


@pytest.mark.parametrize("op", [CheckOp.IS_SET, CheckOp.IS_NULL])
def test_checks_without_a_value_have_no_comparison(op: CheckOp) -> None:
    assert comparison(CheckSpec("qty", op)) is None
