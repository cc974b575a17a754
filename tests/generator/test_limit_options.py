"""A project raises the input limits for its own trusted large files: `--max-bytes` and the
other flags on the command line, or `limits = { ... }` in `[tool.pystator-gen]`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.diagnostics import CompileError
from pystator.generator.load import MAX_ALIASES, Limits
from pystator.generator.settings import LIMIT_KEYS, parse_settings


def machine(aliases: int) -> str:
    """A correct machine whose states' metadata uses an anchor `aliases` times."""
    used = ", ".join(["*tag"] * aliases)
    return f"""\
meta: {{machine_name: door}}
states:
  - {{name: CLOSED, type: initial, metadata: {{tag: &tag shut, also: [{used}]}}}}
  - {{name: OPEN}}
transitions:
  - {{trigger: open, source: CLOSED, dest: OPEN}}
  - {{trigger: close, source: OPEN, dest: CLOSED}}
"""


def write(directory: Path, aliases: int, settings: str | None = None) -> Path:
    if settings is not None:
        text = '[project]\nname = "x"\n\n[tool.pystator-gen]\n' + settings
        (directory / "pyproject.toml").write_text(text, encoding="utf-8")
    path = directory / "door.yaml"
    path.write_text(machine(aliases), encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(args))
    return result.exit_code, result.stderr


def test_a_file_over_a_default_limit_is_refused(tmp_path: Path) -> None:
    code, err = run("validate", str(write(tmp_path, MAX_ALIASES + 1)))
    assert code == 1 and "error[PS004]: the input uses more than 100 aliases" in err


def test_a_flag_raises_the_limit_for_the_run(tmp_path: Path) -> None:
    path = write(tmp_path, MAX_ALIASES + 1)
    assert run("validate", str(path), "--max-aliases", "200")[0] == 0
    assert run("compile", str(path), "--max-aliases", "200")[0] == 0


def test_a_flag_can_also_lower_a_limit(tmp_path: Path) -> None:
    code, err = run("validate", str(write(tmp_path, 1)), "--max-bytes", "100")
    assert code == 1 and "over the limit of 100 bytes" in err


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_limit_flag_takes_a_positive_integer(tmp_path: Path, value: str) -> None:
    code, err = run("validate", str(write(tmp_path, 1)), "--max-nodes", value)
    assert code == 2 and "--max-nodes" in err


def test_the_project_settings_raise_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, MAX_ALIASES + 1, "limits = { max-aliases = 200 }\n")
    assert run("validate", str(path))[0] == 0


def test_a_flag_wins_over_the_project_settings(tmp_path: Path) -> None:
    path = write(tmp_path, MAX_ALIASES + 1, "limits = { max-aliases = 200 }\n")
    code, err = run("validate", str(path), "--max-aliases", "50")
    assert code == 1 and "more than 50 aliases" in err


def test_every_limit_has_a_settings_key_and_a_flag() -> None:
    flags = {option.name for option in cli.compile_command.params}
    assert set(LIMIT_KEYS.values()) == set(Limits.__dataclass_fields__) <= flags


def test_settings_read_limits_into_their_fields() -> None:
    settings = parse_settings("[tool.pystator-gen]\nlimits = { max-bytes = 5, table-growth = 7 }\n")
    assert settings.limits_over(Limits()) == Limits(max_bytes=5, table_growth=7)


def test_a_misspelt_limit_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(CompileError) as caught:
        parse_settings("[tool.pystator-gen]\nlimits = { max-byte = 5 }\n")
    (found,) = caught.value.diagnostics
    assert found.code == "PS010" and (found.line, found.col) == (2, 12)
    assert "limits has no key 'max-byte'" in found.message
    assert found.hint == "Did you mean 'max-bytes'?"


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "true", '"big"'])
def test_a_limit_must_be_a_positive_integer(value: str) -> None:
    with pytest.raises(CompileError) as caught:
        parse_settings(f"[tool.pystator-gen]\nlimits = {{ max-nodes = {value} }}\n")
    (found,) = caught.value.diagnostics
    assert found.code == "PS010" and "max-nodes must be a positive integer" in found.message


def test_limits_must_be_a_table() -> None:
    with pytest.raises(CompileError) as caught:
        parse_settings("[tool.pystator-gen]\nlimits = 5\n")
    assert "limits must be a table" in caught.value.diagnostics[0].message


def test_bad_settings_and_a_bad_machine_are_reported_in_one_run(tmp_path: Path) -> None:
    path = write(tmp_path, 1, "limits = { max-byte = 5 }\n")
    path.write_text(machine(1).replace("dest: OPEN", "dest: OPNE"), encoding="utf-8")
    code, err = run("validate", str(path))
    assert code == 1 and "error[PS010]" in err and "error[PS204]" in err
