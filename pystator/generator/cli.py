"""The `pystator-gen` command: compile, check and validate machine files.

The compiler itself is pure (`pipeline.generate`); only this module writes files, compares
them for `--check`, and turns diagnostics into output and exit codes.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import click

from pystator import __version__
from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.pipeline import Generated, compile_path, generate

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
@format_option
@strict_option
def compile_command(
    files: Sequence[str],
    output: str | None,
    out_dir: str | None,
    class_name: str | None,
    check: bool,
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
        if check:
            if not _is_current(target, generated.text):
                stale.append(str(target))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if not _is_current(target, generated.text):
            target.write_text(generated.text, encoding="utf-8", newline="\n")
            click.echo(f"wrote {target}")
    for path in stale:
        click.echo(
            f"{path}: error[PS400]: generated module is stale. "
            "Run `pystator-gen compile` and commit the result.",
            err=True,
        )
    if failed or stale:
        sys.exit(EXIT_ERRORS)


def _target(file: str, generated: Generated, output: str | None, out_dir: str | None) -> Path:
    if output:
        return Path(output)
    directory = Path(out_dir) if out_dir else Path(file).parent
    return directory / f"{generated.module_name}.py"


def _is_current(target: Path, text: str) -> bool:
    try:
        return target.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


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
            click.echo(f"{_display_name(file)}: ok{suffix}")
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
def diagram_command(file: str, diagram_format: str, output: str | None) -> None:
    """Print a Mermaid or Graphviz DOT diagram of FILE."""
    from pystator.runtime.visualization import to_dot, to_mermaid

    try:
        compiled = _run(partial(compile_path, file, _display_name(file)))
    except CompileError as exc:
        _emit(exc.diagnostics, "text")
        sys.exit(EXIT_ERRORS)
    text = to_mermaid(compiled.spec) if diagram_format == "mermaid" else to_dot(compiled.spec)
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="\n")
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
