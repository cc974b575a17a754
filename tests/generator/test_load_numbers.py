"""One digit limit for integers, whatever base they are written in and however they arrive.

Python refuses to convert decimal text of more than 4300 digits, but hexadecimal, octal
and binary digits convert without a limit: such integers loaded, and the compiler then
crashed printing them (in a diagnostic, a guard label, the generated module).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator import ConfigurationError, StateMachine
from pystator.generator import cli
from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.load import load_data, load_text
from pystator.runtime.expr import MAX_INTEGER_DIGITS


def failure(text: str) -> Diagnostic:
    with pytest.raises(CompileError) as caught:
        load_text(text)
    (found,) = caught.value.diagnostics
    return found


TOO_LONG = {
    "decimal": "9" * (MAX_INTEGER_DIGITS + 1),
    "decimal with underscores": "1_" * MAX_INTEGER_DIGITS + "1",
    "hexadecimal": "0x" + "f" * 4000,
    "negative hexadecimal": "-0x" + "f" * 4000,
    "binary": "0b" + "1" * 15_000,
    "octal": "0" + "7" * 5000,
    "tagged hexadecimal": "!!int 0x" + "f" * 4000,
}


@pytest.mark.parametrize("number", TOO_LONG.values(), ids=TOO_LONG.keys())
def test_an_integer_over_the_digit_limit_is_refused_in_any_base(number: str) -> None:
    found = failure(f"a: 1\nb: {number}\n")
    assert (found.code, found.line, found.col) == ("PS001", 2, 4)
    assert f"more than {MAX_INTEGER_DIGITS} digits" in found.message


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("9" * MAX_INTEGER_DIGITS, int("9" * MAX_INTEGER_DIGITS)),
        ("0x" + "f" * 3500, int("f" * 3500, 16)),
        ("0b101", 5),
        ("017", 15),
        ("1_000", 1000),
        ("0" * 5000 + "1", 1),
    ],
)
def test_integers_within_the_limit_load_in_any_base(text: str, value: int) -> None:
    assert load_text(f"a: {text}\n").data == {"a": value}


def test_a_quoted_long_number_stays_text() -> None:
    text = "0x" + "f" * 5000
    assert load_text(f"a: '{text}'\n").data == {"a": text}


def test_a_mapping_holding_an_oversize_integer_is_refused() -> None:
    with pytest.raises(CompileError) as caught:
        load_data({"states": [{"name": "A", "metadata": {"n": 16**5000}}]})
    (found,) = caught.value.diagnostics
    assert found.code == "PS003"
    assert f"more than {MAX_INTEGER_DIGITS} digits" in found.message


def test_from_dict_with_an_oversize_integer_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="PS003"):
        StateMachine.from_dict({"states": [{"name": "A", "type": "initial"}], "x": -(2**20000)})


def test_compile_reports_an_oversize_hexadecimal_check_value_as_a_diagnostic(
    write_yaml: Callable[..., Path],
) -> None:
    path = write_yaml(
        f"""
        states:
          - {{name: A, type: initial}}
          - {{name: B, type: terminal}}
        transitions:
          - trigger: go
            source: A
            dest: B
            guards: [{{check: {{field: n, op: lt, value: 0x{"f" * 4000}}}}}]
        """
    )
    result = CliRunner().invoke(cli.main, ["compile", str(path)])
    assert result.exit_code == 1, result.output
    assert "error[PS001]" in result.stderr
    assert "internal error" not in result.stderr
