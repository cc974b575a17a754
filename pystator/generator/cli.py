"""The `pystator-gen` command: compile, check and validate machine files.

The compiler itself is pure (`pipeline.generate`); only this module writes files (through
`writing`), compares them for `--check`, and turns diagnostics into output and exit codes.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import click

from pystator._version import __version__
from pystator.generator.diagnostics import CompileError, Diagnostic, printable
from pystator.generator.pipeline import Generated, compile_path, generate
from pystator.generator.settings import find_pyproject
from pystator.generator.writing import (
    DIAGRAM,
    MODULE,
    PAGE,
    SCXML,
    TESTS,
    Inputs,
    Kind,
    is_current,
    mark_diagram,
    refusal,
    write_atomic,
    write_failure,
)

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_INTERNAL = 3

R = TypeVar("R")


def _display_name(path: str) -> str:
    """A stable name for the file: relative to the working directory when inside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    chosen = relative if not relative.startswith("..") else os.path.basename(absolute)
    return chosen.replace(os.sep, "/")


def _emit(diagnostics: Iterable[Diagnostic], output_format: str) -> None:
    for diagnostic in diagnostics:
        text = diagnostic.format_github() if output_format == "github" else diagnostic.format()
        click.echo(text, err=True)


def _run(action: Callable[[], R]) -> R:
    """Run compiler code; a defect in the compiler shows its traceback and says so."""
    try:
        return action()
    except CompileError:
        raise
    except Exception:
        click.echo("pystator-gen: internal error (this is a bug in pystator):", err=True)
        traceback.print_exc()
        sys.exit(EXIT_INTERNAL)


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


def _inputs(files: Sequence[str]) -> Inputs:
    """The files a run reads: the machines and the pyproject.toml their settings come from."""
    read: list[str | Path] = list(files)
    for file in files:
        pyproject = find_pyproject(file)
        if pyproject is not None:
            read.append(pyproject)
    return Inputs.of(read)


def _write(
    target: Path, text: str, kind: Kind, inputs: Inputs, force: bool, output_format: str
) -> bool:
    """Write `text` to `target` unless it is current or refused; False after saying why not."""
    refused = refusal(target, kind, inputs, force=force)
    if refused is not None:
        _emit([refused], output_format)
        return False
    if not is_current(target, text):
        try:
            write_atomic(target, text)
        except OSError as exc:
            _emit([write_failure(target, exc)], output_format)
            return False
        click.echo(f"wrote {printable(str(target))}")
    return True


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pystator-gen")
def main() -> None:
    """Compile YAML state machines into typed Python modules."""


@main.command("compile")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (one input).")
@click.option(
    "--out-dir", type=click.Path(file_okay=False), help="Directory for the generated modules."
)
@click.option("--class-name", help="Class name prefix, e.g. Order or OrderMachine (one input).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any output is stale.")
@force_option
@format_option
@strict_option
def compile_command(
    files: Sequence[str],
    output: str | None,
    out_dir: str | None,
    class_name: str | None,
    check: bool,
    force: bool,
    output_format: str,
    strict: bool,
) -> None:
    """Compile FILES into Python modules (next to each file unless -o/--out-dir)."""
    if output and (out_dir or len(files) != 1):
        raise click.UsageError("-o/--output takes exactly one input file and no --out-dir.")
    if class_name and len(files) != 1:
        raise click.UsageError("--class-name takes exactly one input file.")
    failed = False
    stale: list[str] = []
    inputs = _inputs(files)
    written: dict[str, str] = {}
    done: Counter[str] = Counter()
    for file in files:
        try:
            generated = _run(
                partial(generate, file, class_name=class_name, display_name=_display_name(file))
            )
        except CompileError as exc:
            _emit(exc.diagnostics, output_format)
            failed = True
            continue
        warnings = generated.compiled.warnings
        _emit(warnings, output_format)
        if strict and warnings:
            failed = True
            continue
        target = _target(file, generated, output, out_dir)
        claimed = _claim(written, target, file)
        if claimed is not None:
            _emit([claimed], output_format)
            failed = True
            continue
        current = is_current(target, generated.text)
        if check:
            if not current:
                stale.append(str(target))
            done[_outcome(current, check)] += 1
            continue
        if not _write(target, generated.text, MODULE, inputs, force, output_format):
            failed = True
            continue
        done[_outcome(current, check)] += 1
    for path in stale:
        click.echo(
            f"{printable(path)}: error[PS400]: generated module is stale. "
            "Run `pystator-gen compile` and commit the result.",
            err=True,
        )
    if len(files) > 1:
        click.echo(_summary("compiled", len(files), done, check))
    if failed or stale:
        sys.exit(EXIT_ERRORS)


def _summary(verb: str, machines: int, done: Counter[str], check: bool) -> str:
    """`compiled 3 machines, 2 written, 1 unchanged` (`checked ...` with --check), and how
    many failed."""
    kinds = ("current", "stale") if check else ("written", "unchanged")
    failed = machines - sum(done.values())
    counts = [f"{done[kind]} {kind}" for kind in kinds] + ([f"{failed} failed"] if failed else [])
    noun = "machine" if machines == 1 else "machines"
    return f"{'checked' if check else verb} {machines} {noun}, {', '.join(counts)}"


def _target(file: str, generated: Generated, output: str | None, out_dir: str | None) -> Path:
    if output:
        return Path(output)
    directory = Path(out_dir) if out_dir else Path(file).parent
    return directory / f"{generated.module_name}.py"


def _claim(
    written: dict[str, str], target: Path, file: str, noun: str = "module"
) -> Diagnostic | None:
    """Note that `file` writes `target`; a diagnostic if an earlier input of the run does."""
    key = os.path.realpath(target)
    if key in written:
        return Diagnostic(
            "PS404",
            f"the {noun} of {_display_name(file)} would replace the {noun} of "
            f"{written[key]} written by this run.",
            str(target),
            hint="Give the machines different names, or write them one at a time.",
        )
    written[key] = _display_name(file)
    return None


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@format_option
@strict_option
def validate_command(files: Sequence[str], output_format: str, strict: bool) -> None:
    """Check FILES and print diagnostics; generate nothing."""
    failed = False
    for file in files:
        try:
            compiled = _run(partial(compile_path, file, _display_name(file)))
        except CompileError as exc:
            _emit(exc.diagnostics, output_format)
            failed = True
            continue
        _emit(compiled.warnings, output_format)
        if strict and compiled.warnings:
            failed = True
        elif output_format == "text":
            count = len(compiled.warnings)
            suffix = f" ({count} warning{'s' if count != 1 else ''})" if count else ""
            click.echo(f"{printable(_display_name(file))}: ok{suffix}")
    if failed:
        sys.exit(EXIT_ERRORS)


@main.command("diagram")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "diagram_format",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@force_option
def diagram_command(file: str, diagram_format: str, output: str | None, force: bool) -> None:
    """Print a Mermaid or Graphviz DOT diagram of FILE."""
    from pystator.runtime.visualization import to_dot, to_mermaid

    try:
        compiled = _run(partial(compile_path, file, _display_name(file)))
    except CompileError as exc:
        _emit(exc.diagnostics, "text")
        sys.exit(EXIT_ERRORS)
    text = to_mermaid(compiled.spec) if diagram_format == "mermaid" else to_dot(compiled.spec)
    if output:
        marked = mark_diagram(text, diagram_format, compiled.document.file)
        if not _write(Path(output), marked, DIAGRAM, _inputs([file]), force, "text"):
            sys.exit(EXIT_ERRORS)
    else:
        click.echo(text, nl=False)


@main.command("scaffold")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--handlers",
    "handlers_path",
    required=True,
    type=click.Path(),
    help="The Python module to create or update, e.g. src/app/handlers.py.",
)
@click.option("--class-name", help="Class name prefix the module was compiled with, if any.")
@click.option("--handlers-class", help="Class to add stubs to [default: <Prefix>Handlers].")
def scaffold_command(
    file: str, handlers_path: str, class_name: str | None, handlers_class: str | None
) -> None:
    """Add a typed stub to --handlers for every guard and action FILE names.

    Existing code is left exactly as it is; methods the machine no longer names are
    reported, not removed. Running it again changes nothing.
    """
    from pystator.generator.scaffold import ScaffoldError, ScaffoldResult, scaffold

    def run() -> ScaffoldResult | ScaffoldError:
        try:
            return scaffold(
                file,
                handlers_path,
                class_name=class_name,
                handlers_class=handlers_class,
                display_name=_display_name(file),
            )
        except ScaffoldError as exc:
            return exc

    try:
        result = _run(run)
    except CompileError as exc:
        _emit(exc.diagnostics, "text")
        sys.exit(EXIT_ERRORS)
    if isinstance(result, ScaffoldError):
        click.echo(f"pystator-gen: {printable(str(result))}", err=True)
        sys.exit(EXIT_ERRORS)
    shown = printable(_display_name(handlers_path))
    for stale in result.stale:
        click.echo(
            f"{shown}:{stale.line}:{stale.col}: warning: {result.class_name}.{stale.name} "
            f"is not a guard or action of {printable(_display_name(file))} any more; kept it.",
            err=True,
        )
    if result.changed:
        try:
            write_atomic(result.path, result.text)
        except OSError as exc:
            _emit([write_failure(result.path, exc)], "text")
            sys.exit(EXIT_ERRORS)
        verb = "created" if result.created else "updated"
        added = ", ".join(result.added) or "no stubs: the machine names no guards or actions"
        click.echo(f"{verb} {shown}: {result.class_name} + {added}")
    else:
        click.echo(f"{shown}: {result.class_name} has every guard and action")


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the machine file format (for editors)."""
    import json

    from pystator.generator.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--rev",
    callback=lambda _context, _parameter, value: _revision(value),
    help="Compare OLD as it is in this git revision with OLD as it is now (no NEW).",
)
def diff_command(old: str, new: str | None, rev: str | None) -> None:
    """Compare two versions of a machine; exit 1 if stored entities would be stranded.

    `pystator-gen diff old.yaml new.yaml`, or `pystator-gen diff machine.yaml --rev HEAD`.
    """
    from pystator.generator.evolution import diff_specs
    from pystator.generator.load import load_text
    from pystator.generator.pipeline import compile_document

    if (new is None) == (rev is None):
        raise click.UsageError("give either NEW or --rev REVISION.")
    try:
        if rev is not None:
            text = _git_show(rev, old)
            before = _run(partial(compile_document, load_text(text, f"{_display_name(old)}@{rev}")))
            after = _run(partial(compile_path, old, _display_name(old)))
        else:
            assert new is not None
            before = _run(partial(compile_path, old, _display_name(old)))
            after = _run(partial(compile_path, new, _display_name(new)))
    except CompileError as exc:
        _emit(exc.diagnostics, "text")
        sys.exit(EXIT_ERRORS)
    found = diff_specs(before.spec, after.spec)
    for line in found.lines():
        click.echo(line)
    if found.stranded:
        sys.exit(EXIT_ERRORS)


def _revision(value: str | None) -> str | None:
    """A revision for git; one starting with `-` would be read by git as an option."""
    if value is not None and value.startswith("-"):
        raise click.BadParameter(
            f"{printable(value)!r} starts with '-', which git would read as an option; "
            "give a revision such as HEAD~1, a branch, a tag or a commit hash."
        )
    return value


def _git_show(rev: str, path: str) -> bytes:
    import subprocess

    absolute = Path(path).resolve()
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=absolute.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        relative = absolute.relative_to(Path(top).resolve()).as_posix()
        return subprocess.run(
            # --end-of-options: whatever the revision holds, git reads it as a revision.
            ["git", "show", "--end-of-options", f"{rev}:{relative}"],
            cwd=top,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or str(exc)
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        click.echo(
            f"pystator-gen: cannot read {printable(path)} at {printable(rev)}: {detail.strip()}",
            err=True,
        )
        sys.exit(EXIT_ERRORS)


def _write_or_check(
    target: Path,
    text: str,
    kind: Kind,
    inputs: Inputs,
    *,
    check: bool,
    force: bool,
    stale: list[str],
    output_format: str = "text",
) -> bool:
    """Write `text` to `target` if it differs and may be replaced (False if refused); with
    `check`, write nothing and only note that it differs."""
    if check:
        if not is_current(target, text):
            stale.append(str(target))
        return True
    return _write(target, text, kind, inputs, force, output_format)


def _outcome(current: bool, check: bool) -> str:
    """What became of an output that was (or was not) current: with --check, whether it
    is stale; without, whether it was written."""
    if check:
        return "current" if current else "stale"
    return "unchanged" if current else "written"


def _report_stale(stale: Iterable[str], command: str) -> None:
    for path in stale:
        click.echo(
            f"{printable(path)}: error[PS400]: generated file is stale. "
            f"Run `pystator-gen {command}` and commit the result.",
            err=True,
        )


@main.command("docs")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for the pages (one <machine>.md per file).",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any page is stale.")
@force_option
@format_option
def docs_command(
    files: Sequence[str], out_dir: str, check: bool, force: bool, output_format: str
) -> None:
    """Write a Markdown page per machine: diagram, states, transitions, context, events."""
    from pystator.generator.docs import page

    failed = False
    stale: list[str] = []
    written: dict[str, str] = {}
    inputs = _inputs(files)
    done: Counter[str] = Counter()
    for file in files:
        try:
            compiled = _run(partial(compile_path, file, _display_name(file)))
        except CompileError as exc:
            _emit(exc.diagnostics, output_format)
            failed = True
            continue
        result = _run(partial(page, compiled.spec, compiled.document.file))
        target = Path(out_dir) / result.file_name
        claimed = _claim(written, target, file, "page")
        if claimed is not None:
            _emit([claimed], output_format)
            failed = True
            continue
        current = is_current(target, result.text)
        if not _write_or_check(
            target,
            result.text,
            PAGE,
            inputs,
            check=check,
            force=force,
            stale=stale,
            output_format=output_format,
        ):
            failed = True
            continue
        done[_outcome(current, check)] += 1
    _report_stale(stale, "docs")
    click.echo(_summary("documented", len(files), done, check))
    if failed or stale:
        sys.exit(EXIT_ERRORS)


@main.command("tests")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="The test module to write [default: test_<module>.py next to FILE].",
)
@click.option("--module", help="Import path of the generated module [default: its name].")
@click.option("--class-name", help="Class name prefix the module was compiled with, if any.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the tests are stale.")
@force_option
def tests_command(
    file: str,
    output: str | None,
    module: str | None,
    class_name: str | None,
    check: bool,
    force: bool,
) -> None:
    """Write a pytest module that reaches every state and fires every transition of FILE's
    generated module, and prints the transition coverage of its paths."""
    from pystator.generator.testgen import (
        GeneratedTests,
        OptionError,
        coverage_line,
        render_tests,
    )

    try:
        compiled = _run(partial(compile_path, file, _display_name(file)))
    except CompileError as exc:
        _emit(exc.diagnostics, "text")
        sys.exit(EXIT_ERRORS)

    def build() -> GeneratedTests | OptionError:
        try:
            return render_tests(
                compiled.spec,
                source_name=compiled.document.file,
                module=module,
                class_name=class_name,
            )
        except OptionError as exc:
            return exc

    result = _run(build)
    if isinstance(result, OptionError):
        click.echo(f"pystator-gen: {result}.", err=True)
        sys.exit(EXIT_ERRORS)
    target = Path(output) if output else Path(file).parent / result.file_name
    stale: list[str] = []
    inputs = _inputs([file])
    current = is_current(target, result.text)
    if not _write_or_check(
        target, result.text, TESTS, inputs, check=check, force=force, stale=stale
    ):
        sys.exit(EXIT_ERRORS)
    click.echo(coverage_line(printable(_display_name(file)), result))
    for index in result.plan.uncovered:
        transition = compiled.spec.transitions[index]
        click.echo(
            f"  not covered: transition {index + 1} "
            f"({transition.trigger}: {', '.join(transition.source)} -> {transition.dest})"
        )
    _report_stale(stale, "tests")
    count = len(result.plan.transitions) + len(result.plan.states) + 1
    click.echo(
        f"{printable(str(target))}: {count} tests ({len(result.plan.transitions)} transitions, "
        f"{len(result.plan.states)} states, random event sequences), {_outcome(current, check)}"
    )
    if stale:
        sys.exit(EXIT_ERRORS)


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--scxml", "as_scxml", is_flag=True, help="Export as W3C SCXML 1.0.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@force_option
def export_command(file: str, as_scxml: bool, output: str | None, force: bool) -> None:
    """Export FILE to another state-machine format (SCXML)."""
    from pystator.generator.scxml import to_scxml

    if not as_scxml:
        raise click.UsageError("choose a format: --scxml.")
    try:
        compiled = _run(partial(compile_path, file, _display_name(file)))
    except CompileError as exc:
        _emit(exc.diagnostics, "text")
        sys.exit(EXIT_ERRORS)
    text = _run(partial(to_scxml, compiled.spec, compiled.document.file))
    if output:
        if not _write(Path(output), text, SCXML, _inputs([file]), force, "text"):
            sys.exit(EXIT_ERRORS)
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
