"""What every `pystator-gen` command shares: options, printing and counting diagnostics,
running compiler code, and writing outputs only when they changed and may be replaced."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from pystator.generator import load
from pystator.generator.diagnostics import CompileError, Diagnostic, printable
from pystator.generator.pipeline import Compiled, compile_path
from pystator.generator.settings import find_pyproject
from pystator.generator.writing import (
    Inputs,
    Kind,
    is_current,
    refusal,
    write_atomic,
    write_failure,
)

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_INTERNAL = 3

R = TypeVar("R")


def display_name(path: str) -> str:
    """A stable name for the file: relative to the working directory when inside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    chosen = relative if not relative.startswith("..") else os.path.basename(absolute)
    return chosen.replace(os.sep, "/")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass
class Tally:
    """The diagnostics a run printed, for its closing `Found ...` line."""

    files: int
    errors: int = 0
    warnings: int = 0

    def count(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            if diagnostic.is_error:
                self.errors += 1
            else:
                self.warnings += 1

    def __bool__(self) -> bool:
        return bool(self.errors or self.warnings)

    def line(self) -> str:
        """`Found 2 errors (1 warning) in 3 files`, counted over every file the run read;
        `No errors or warnings in 3 files` when there was nothing to say."""
        files = plural(self.files, "file")
        if not self.errors and not self.warnings:
            return f"No errors or warnings in {files}."
        errors, warnings = plural(self.errors, "error"), plural(self.warnings, "warning")
        return f"Found {errors} ({warnings}) in {files}."


@dataclass
class Printer:
    """Prints diagnostics in the chosen format and counts them."""

    output_format: str = "text"
    tally: Tally = field(default_factory=lambda: Tally(0))

    def emit(self, diagnostics: Iterable[Diagnostic]) -> None:
        shown = list(diagnostics)
        self.tally.count(shown)
        for diagnostic in shown:
            github = self.output_format == "github"
            click.echo(diagnostic.format_github() if github else diagnostic.format(), err=True)

    def stale(self, paths: Iterable[str], what: str, command: str) -> None:
        """Report outputs that `--check` found out of date; each is an error."""
        for path in paths:
            self.tally.errors += 1
            click.echo(
                f"{printable(path)}: error[PS400]: generated {what} is stale. "
                f"Run `pystator-gen {command}` and commit the result.",
                err=True,
            )


def run(action: Callable[[], R]) -> R:
    """Run compiler code; a defect in the compiler shows its traceback and says so."""
    try:
        return action()
    except CompileError:
        raise
    except Exception:
        click.echo(
            "pystator-gen: error[PS900]: internal error (this is a bug in pystator):", err=True
        )
        traceback.print_exc()
        sys.exit(EXIT_INTERNAL)


def fail(diagnostics: Iterable[Diagnostic]) -> NoReturn:
    """Print the diagnostics of a one-file command and exit with the error status."""
    Printer().emit(diagnostics)
    sys.exit(EXIT_ERRORS)


def compile_one(file: str) -> Compiled:
    """Compile one machine for a command that needs it to; its errors end the run."""
    try:
        return run(partial(compiled, file))
    except CompileError as exc:
        fail(exc.diagnostics)


def each(
    files: Sequence[str],
    printer: Printer,
    failed: list[str],
    build: Callable[[str], R],
) -> Iterator[tuple[str, R]]:
    """`build(file)` for each file, skipping (after printing its diagnostics, and noting it
    in `failed`) every file that does not compile."""
    for file in files:
        try:
            built = run(partial(build, file))
        except CompileError as exc:
            printer.emit(exc.diagnostics)
            failed.append(file)
            continue
        yield file, built


def compiled(file: str, overrides: Mapping[str, int] | None = None) -> Compiled:
    return compile_path(file, display_name(file), overrides=overrides)


# The input limits a command line may raise for trusted large files (`load.Limits`).
LIMIT_HELP = {
    "max_bytes": f"Largest machine file, in bytes [default: {load.MAX_BYTES}].",
    "max_nodes": f"Most YAML nodes [default: {load.MAX_NODES}].",
    "max_depth": f"Deepest YAML nesting [default: {load.MAX_DEPTH}].",
    "max_aliases": f"Most YAML aliases [default: {load.MAX_ALIASES}].",
    "max_state_depth": "Deepest nesting of states through parent "
    f"[default: {load.MAX_STATE_DEPTH}].",
    "max_table_entries": "Transition-table entries allowed whatever the file's size "
    f"[default: {load.MAX_TABLE_ENTRIES}].",
    "table_growth": "Transition-table entries allowed per state, transition and state action "
    f"[default: {load.TABLE_GROWTH}].",
}


def limit_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add `--max-bytes N` and the other limits as options; the command receives the ones
    given as `limits`, a mapping of `Limits` fields to values."""

    @functools.wraps(command)
    def collected(**options: Any) -> None:
        given = {name: options.pop(name) for name in LIMIT_HELP}
        command(
            limits={name: value for name, value in given.items() if value is not None}, **options
        )

    decorated: Callable[..., None] = collected
    for name, text in reversed(LIMIT_HELP.items()):
        flag = "--" + name.replace("_", "-")
        decorated = click.option(flag, name, type=click.IntRange(min=1), metavar="N", help=text)(
            decorated
        )
    return decorated


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="How to print diagnostics (github: GitHub Actions annotations).",
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace an existing file that pystator-gen did not write (never an input file).",
)


def inputs_of(files: Sequence[str]) -> Inputs:
    """The files a run reads: the machines and the pyproject.toml their settings come from."""
    read: list[str | Path] = list(files)
    for file in files:
        pyproject = find_pyproject(file)
        if pyproject is not None:
            read.append(pyproject)
    return Inputs.of(read)


@dataclass
class Writer:
    """Where a run's outputs go: written when they changed and may be replaced, or with
    `check` only compared, the stale ones collected."""

    inputs: Inputs
    printer: Printer
    check: bool = False
    force: bool = False
    stale: list[str] = field(default_factory=list)
    #: What became of the outputs delivered (`outcome`), and which input claimed each.
    done: Counter[str] = field(default_factory=Counter)
    claimed: dict[str, str] = field(default_factory=dict)

    def deliver(self, file: str, target: Path, text: str, kind: Kind, noun: str) -> bool:
        """Put `file`'s output at `target` and count what became of it; False (after saying
        why) if an earlier input of the run claimed `target` or writing it was refused."""
        claimed = claim(self.claimed, target, file, noun)
        if claimed is not None:
            self.printer.emit([claimed])
            return False
        current = is_current(target, text)
        if not self.put(target, text, kind):
            return False
        self.done[outcome(current, self.check)] += 1
        return True

    def summary(self, verb: str, machines: int) -> str:
        return summary(verb, machines, self.done, self.check)

    def put(self, target: Path, text: str, kind: Kind) -> bool:
        """Write (or with `check`, compare) one output; False if it was refused."""
        if self.check:
            if not is_current(target, text):
                self.stale.append(str(target))
            return True
        return self.write(target, text, kind)

    def write(self, target: Path, text: str, kind: Kind) -> bool:
        """Write `text` unless it is current or refused; False after saying why not."""
        refused = refusal(target, kind, self.inputs, force=self.force)
        if refused is not None:
            self.printer.emit([refused])
            return False
        if not is_current(target, text):
            try:
                write_atomic(target, text)
            except OSError as exc:
                self.printer.emit([write_failure(target, exc)])
                return False
            click.echo(f"wrote {printable(str(target))}")
        return True

    def report_stale(self, what: str, command: str) -> None:
        self.printer.stale(self.stale, what, command)


def outcome(current: bool, check: bool) -> str:
    """What became of an output that was (or was not) current: with --check, whether it
    is stale; without, whether it was written."""
    if check:
        return "current" if current else "stale"
    return "unchanged" if current else "written"


def summary(verb: str, machines: int, done: Counter[str], check: bool) -> str:
    """`compiled 3 machines, 2 written, 1 unchanged` (`checked ...` with --check), and how
    many failed."""
    kinds = ("current", "stale") if check else ("written", "unchanged")
    failed = machines - sum(done.values())
    counts = [f"{done[kind]} {kind}" for kind in kinds] + ([f"{failed} failed"] if failed else [])
    return f"{'checked' if check else verb} {plural(machines, 'machine')}, {', '.join(counts)}"


def claim(
    written: dict[str, str], target: Path, file: str, noun: str = "module"
) -> Diagnostic | None:
    """Note that `file` writes `target`; a diagnostic if an earlier input of the run does."""
    key = os.path.realpath(target)
    if key in written:
        return Diagnostic(
            "PS404",
            f"the {noun} of {display_name(file)} would replace the {noun} of "
            f"{written[key]} written by this run.",
            str(target),
            hint="Give the machines different names, or write them one at a time.",
        )
    written[key] = display_name(file)
    return None
