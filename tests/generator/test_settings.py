"""`[tool.pystator-gen]`: a key the compiler does not know is a diagnostic at its position."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pystator.generator import cli
from pystator.generator.diagnostics import CompileError, Diagnostic, Severity
from pystator.generator.settings import KEYS, parse_settings

MACHINE = """\
meta: {machine_name: m}
states:
  - {name: a, type: initial}
  - {name: b, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b}
"""


def _only_diagnostic(text: str) -> Diagnostic:
    with pytest.raises(CompileError) as caught:
        parse_settings(text, "pyproject.toml")
    (diagnostic,) = caught.value.diagnostics
    return diagnostic


def test_a_misspelt_key_is_an_error_at_its_line_and_column() -> None:
    text = '[project]\nname = "x"\n\n[tool.pystator-gen]\n  severty = { PS301 = "error" }\n'
    diagnostic = _only_diagnostic(text)
    assert (diagnostic.code, diagnostic.severity) == ("PS010", Severity.ERROR)
    assert (diagnostic.line, diagnostic.col) == (5, 3)
    assert "has no setting 'severty'" in diagnostic.message
    assert diagnostic.hint == "Did you mean 'severity'?"


def test_a_key_like_no_setting_lists_the_settings() -> None:
    diagnostic = _only_diagnostic("[tool.pystator-gen]\nline-length = 100\n")
    assert (diagnostic.line, diagnostic.col) == (2, 1)
    assert diagnostic.hint == "The settings are: severity, limits."


def test_a_misspelt_sub_table_is_found_at_its_header() -> None:
    text = '[tool.pystator-gen]\n\n[tool.pystator-gen.severiti]\nPS301 = "error"\n'
    diagnostic = _only_diagnostic(text)
    assert (diagnostic.line, diagnostic.col) == (3, 20)
    assert diagnostic.hint == "Did you mean 'severity'?"


def test_a_quoted_key_is_found_after_a_same_named_key_of_another_table() -> None:
    text = '[tool.other]\nseverty = 1\n\n[tool.pystator-gen]\n"severty" = {}\n'
    diagnostic = _only_diagnostic(text)
    assert (diagnostic.line, diagnostic.col) == (5, 1)


def test_every_unknown_key_is_reported_at_once() -> None:
    with pytest.raises(CompileError) as caught:
        parse_settings("[tool.pystator-gen]\nsevrity = {}\nstrict = true\n", "pyproject.toml")
    assert [(d.line, d.message) for d in caught.value.diagnostics] == [
        (2, "[tool.pystator-gen] has no setting 'sevrity'."),
        (3, "[tool.pystator-gen] has no setting 'strict'."),
    ]


def test_known_keys_are_accepted() -> None:
    settings = parse_settings('[tool.pystator-gen]\nseverity = { PS301 = "off" }\n')
    assert dict(settings.severity) == {"PS301": "off"}


@given(st.from_regex(r"[a-z][a-z_-]{0,15}", fullmatch=True).filter(lambda k: k not in KEYS))
def test_any_unknown_key_is_refused(key: str) -> None:
    diagnostic = _only_diagnostic(f"[tool.pystator-gen]\n{key} = 1\n")
    assert diagnostic.code == "PS010" and (diagnostic.line, diagnostic.col) == (2, 1)


def test_validate_reports_the_misspelt_key_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pystator-gen]\nseverity = {}\nsevrity = { PS306 = "off" }\n', encoding="utf-8"
    )
    machine = tmp_path / "m.yaml"
    machine.write_text(MACHINE, encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["validate", str(machine)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "pyproject.toml:3:1: error[PS010]: [tool.pystator-gen] has no setting" in result.stderr
    assert "Did you mean 'severity'?" in result.stderr
