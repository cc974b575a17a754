"""The pystator-gen command: what it writes, prints and exits with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator.generator import cli

Write = Callable[..., Path]

GOOD = """\
meta: {machine_name: door}
states:
  - {name: CLOSED, type: initial}
  - {name: OPEN}
transitions:
  - {trigger: open, source: CLOSED, dest: OPEN}
  - {trigger: close, source: OPEN, dest: CLOSED}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_compile_writes_the_module_next_to_the_file(write_yaml: Write) -> None:
    path = write_yaml(GOOD)
    code, out, _ = run("compile", str(path))
    target = path.parent / "door.py"
    assert code == 0
    assert f"wrote {target}" in out
    assert "class DoorMachine(" in target.read_text()


def test_compile_does_not_rewrite_an_unchanged_module(write_yaml: Write) -> None:
    path = write_yaml(GOOD)
    run("compile", str(path))
    code, out, _ = run("compile", str(path))
    assert code == 0 and out == ""


def test_out_dir_and_output_options(write_yaml: Write, tmp_path: Path) -> None:
    path = write_yaml(GOOD)
    assert run("compile", str(path), "--out-dir", str(tmp_path / "gen"))[0] == 0
    assert (tmp_path / "gen" / "door.py").exists()
    assert run("compile", str(path), "-o", str(tmp_path / "x.py"))[0] == 0
    assert (tmp_path / "x.py").exists()


def test_class_name_overrides_the_prefix(write_yaml: Write, tmp_path: Path) -> None:
    path = write_yaml(GOOD)
    assert (
        run("compile", str(path), "--class-name", "FrontDoorMachine", "-o", str(tmp_path / "m.py"))[
            0
        ]
        == 0
    )
    text = (tmp_path / "m.py").read_text()
    assert "class FrontDoorMachine(" in text and "class FrontDoorState(NameEnum)" in text


def test_check_passes_when_current_and_fails_when_stale(write_yaml: Write) -> None:
    path = write_yaml(GOOD)
    run("compile", str(path))
    assert run("compile", "--check", str(path))[0] == 0
    path.write_text(GOOD.replace("OPEN}", "OPEN, description: changed}"), encoding="utf-8")
    code, _, err = run("compile", "--check", str(path))
    assert code == 1
    assert "door.py: error[PS400]: generated module is stale" in err


def test_check_writes_nothing(write_yaml: Write) -> None:
    path = write_yaml(GOOD)
    assert run("compile", "--check", str(path))[0] == 1
    assert not (path.parent / "door.py").exists()


def test_errors_are_printed_with_positions_and_exit_1(write_yaml: Write) -> None:
    path = write_yaml(GOOD.replace("dest: OPEN}", "dest: OPNE}"))
    code, out, err = run("compile", str(path))
    assert code == 1
    assert ":6:43: error[PS204]: destination 'OPNE' is not a state" in err
    assert "Did you mean 'OPEN'?" in err
    assert "Traceback" not in err + out
    assert not (path.parent / "door.py").exists()


def test_malformed_yaml_is_a_diagnostic_not_a_traceback(write_yaml: Write) -> None:
    path = write_yaml("states: [\n")
    code, out, err = run("validate", str(path))
    assert code == 1
    assert "error[PS001]" in err and "Traceback" not in err + out


def test_validate_reports_ok_and_warnings(write_yaml: Write) -> None:
    path = write_yaml(GOOD + "  - {trigger: open, source: CLOSED, dest: CLOSED}\n")
    code, out, err = run("validate", str(path))
    assert code == 0
    assert "ok (1 warning)" in out
    assert "warning[PS302]" in err


def test_strict_turns_warnings_into_failure(write_yaml: Write) -> None:
    path = write_yaml(GOOD + "  - {trigger: open, source: CLOSED, dest: CLOSED}\n")
    assert run("validate", "--strict", str(path))[0] == 1
    assert run("compile", "--strict", str(path))[0] == 1


def test_github_format_prints_annotations(write_yaml: Write) -> None:
    path = write_yaml(GOOD.replace("dest: OPEN}", "dest: OPNE}"))
    _, _, err = run("validate", "--format", "github", str(path))
    assert err.startswith("::error file=")
    assert ",line=6,col=43,title=PS204::" in err


def test_output_option_needs_exactly_one_input(write_yaml: Write) -> None:
    path = write_yaml(GOOD)
    code, _, err = run("compile", str(path), str(path), "-o", "x.py")
    assert code == 2 and "exactly one input" in err


def test_internal_error_says_so_and_keeps_the_traceback(
    write_yaml: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("pystator.generator.emit.render", broken)
    code, _, err = run("compile", str(write_yaml(GOOD)))
    assert code == 3
    assert "internal error (this is a bug in pystator)" in err
    assert "RuntimeError: boom" in err


# -- what a command that handles several files says at its end -----------------------------


def _machines(write_yaml: Write, *names: str) -> list[str]:
    return [
        str(write_yaml(GOOD.replace("machine_name: door", f"machine_name: {n}"), f"{n}.yaml"))
        for n in names
    ]


def test_compile_of_several_files_ends_with_what_it_wrote(write_yaml: Write) -> None:
    files = _machines(write_yaml, "door", "gate", "hatch")
    code, out, _ = run("compile", *files)
    assert code == 0 and out.splitlines()[-1] == "compiled 3 machines, 3 written, 0 unchanged"
    Path(files[0]).with_name("gate.py").unlink()
    code, out, _ = run("compile", *files)
    assert out.splitlines() == [
        f"wrote {Path(files[0]).with_name('gate.py')}",
        "compiled 3 machines, 1 written, 2 unchanged",
    ]


def test_compile_of_several_files_counts_the_machines_that_failed(write_yaml: Write) -> None:
    files = _machines(write_yaml, "door", "gate")
    broken = write_yaml(GOOD.replace("dest: OPEN", "dest: OPPEN"), "broken.yaml")
    code, out, err = run("compile", *files, str(broken))
    assert code == 1 and "error[PS204]" in err
    assert out.splitlines()[-1] == "compiled 3 machines, 2 written, 0 unchanged, 1 failed"


def test_compile_check_of_several_files_ends_with_what_is_stale(write_yaml: Write) -> None:
    files = _machines(write_yaml, "door", "gate")
    run("compile", *files)
    with Path(files[1]).with_name("gate.py").open("a", encoding="utf-8") as module:
        module.write("# edited\n")
    code, out, _ = run("compile", "--check", *files)
    assert code == 1 and out == "checked 2 machines, 1 current, 1 stale\n"


def test_docs_ends_with_what_it_wrote_and_checked(write_yaml: Write, tmp_path: Path) -> None:
    files = _machines(write_yaml, "door", "gate")
    pages = str(tmp_path / "pages")
    assert run("docs", *files, "-o", pages)[1].splitlines()[-1] == (
        "documented 2 machines, 2 written, 0 unchanged"
    )
    assert run("docs", *files, "-o", pages)[1] == "documented 2 machines, 0 written, 2 unchanged\n"
    assert run("docs", *files, "-o", pages, "--check")[1] == (
        "checked 2 machines, 2 current, 0 stale\n"
    )


def test_tests_ends_with_the_module_its_tests_and_what_became_of_it(
    write_yaml: Write, tmp_path: Path
) -> None:
    path = write_yaml(GOOD)
    target = tmp_path / "test_door.py"
    summary = f"{target}: 5 tests (2 transitions, 2 states, random event sequences)"
    assert run("tests", str(path), "-o", str(target))[1].splitlines()[-1] == f"{summary}, written"
    assert run("tests", str(path), "-o", str(target))[1].splitlines()[-1] == f"{summary}, unchanged"
    code, out, _ = run("tests", str(path), "-o", str(target), "--check")
    assert code == 0 and out.splitlines()[-1] == f"{summary}, current"
