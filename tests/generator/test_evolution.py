"""Machine evolution: `pystator-gen diff`, `renamed_from:` and the fingerprint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator import EntitySession, StateMachine, UndefinedStateError
from pystator.generator.cli import main
from pystator.generator.cli_edit import _git_show
from pystator.generator.evolution import diff_specs
from pystator.generator.pipeline import compile_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
V1, V2 = FIXTURES / "evolve_v1.yaml", FIXTURES / "evolve_v2.yaml"


def test_diff_lists_renamed_removed_and_added_names() -> None:
    found = diff_specs(compile_path(V1).spec, compile_path(V2).spec)
    assert found.renamed_states == {"triage": "in_progress"}
    assert found.removed_states == ("waiting_customer",)
    assert found.stranded == ("waiting_customer",)
    assert found.removed_triggers == ("ask",)
    assert found.added_states == ()


def test_diff_reports_changed_payload_types_and_guards() -> None:
    found = diff_specs(compile_path(V1).spec, compile_path(V2).spec)
    assert found.payload_changes == ("payload of 'reply': field 'attachments' absent -> int",)
    assert found.guard_changes == ()  # `close` changed sources, so it is another transition
    assert found.breaking


def test_a_machine_compared_with_itself_is_unchanged() -> None:
    spec = compile_path(V1).spec
    found = diff_specs(spec, spec)
    assert found.unchanged and not found.breaking
    assert found.lines()[-1] == "no structural change"


def test_the_fingerprint_changes_with_the_structure_only() -> None:
    spec = compile_path(V1).spec
    assert len(spec.fingerprint) == 16
    assert compile_path(V2).spec.fingerprint != spec.fingerprint


def test_diff_command_exits_1_when_entities_would_be_stranded() -> None:
    result = CliRunner().invoke(main, ["diff", str(V1), str(V2)])
    assert result.exit_code == 1
    assert "removed state 'waiting_customer': stored entities in it would be stranded" in (
        result.output
    )
    assert "renamed state 'triage' -> 'in_progress'" in result.output


def test_diff_command_against_a_git_revision(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    machine = tmp_path / "ticket.yaml"
    machine.write_text(V1.read_text())
    git("add", "ticket.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    machine.write_text(V2.read_text())
    result = CliRunner().invoke(main, ["diff", str(machine), "--rev", "HEAD"])
    assert result.exit_code == 1, result.output
    assert "version 1.0 -> 2.0" in result.output


def committed_machine(directory: Path) -> Path:
    """A git repository in `directory` with V1 committed and V2 in the working tree."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=directory, check=True, capture_output=True)

    git("init", "-q")
    machine = directory / "ticket.yaml"
    machine.write_text(V1.read_text())
    git("add", "ticket.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    machine.write_text(V2.read_text())
    return machine


def test_diff_refuses_a_revision_that_git_would_read_as_an_option(tmp_path: Path) -> None:
    machine = committed_machine(tmp_path)
    hostile = f"--output={tmp_path / 'hijacked'}"
    for args in (["--rev", hostile], [f"--rev={hostile}"]):
        result = CliRunner().invoke(main, ["diff", str(machine), *args])
        assert result.exit_code == 2
        assert "starts with '-', which git would read as an option" in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == [".git", "ticket.yaml"]


def test_git_reads_any_revision_as_a_revision_never_as_an_option(tmp_path: Path) -> None:
    # Without --end-of-options, `git show --output=<file>:ticket.yaml` writes that file.
    machine = committed_machine(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        _git_show(f"--output={tmp_path / 'hijacked'}", str(machine))
    assert stopped.value.code == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == [".git", "ticket.yaml"]


def test_diff_command_needs_new_or_rev() -> None:
    result = CliRunner().invoke(main, ["diff", str(V1)])
    assert result.exit_code == 2
    assert "either NEW or --rev" in result.output


def test_a_snapshot_in_a_renamed_state_loads_under_its_new_name() -> None:
    old = StateMachine.from_yaml(V1).create()
    old.send("assign")
    snapshot = old.snapshot()
    assert (snapshot["machine_version"], snapshot["fingerprint"]) == (
        "1.0",
        compile_path(V1).spec.fingerprint,
    )
    session = EntitySession.from_snapshot(StateMachine.from_yaml(V2), snapshot)
    assert session.current_state == "in_progress"


def test_a_snapshot_in_a_removed_state_fails_naming_the_state_and_versions() -> None:
    old = StateMachine.from_yaml(V1).create()
    old.send("assign")
    old.send("ask")
    try:
        EntitySession.from_snapshot(StateMachine.from_yaml(V2), old.snapshot())
    except UndefinedStateError as exc:
        message = str(exc)
    else:  # pragma: no cover - the assertion below explains
        raise AssertionError("a stranded snapshot loaded")
    assert "'waiting_customer'" in message
    assert "version 2.0 (snapshot from version 1.0)" in message


def test_renamed_from_may_not_name_a_current_state(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(V2.read_text().replace("renamed_from: triage", "renamed_from: closed"))
    run = subprocess.run(
        [sys.executable, "-m", "pystator.generator.cli", "validate", str(path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "error[PS224]" in run.stderr
