"""The `pystator-gen` command: compile, check, validate and document machine files.

The compiler itself is pure (`pipeline.generate`); only the commands write files (through
`writing`), compare them for `--check`, and turn diagnostics into output and exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import click

from pystator._version import __version__
from pystator.generator import cli_edit, cli_outputs
from pystator.generator.cli_common import (
    EXIT_ERRORS,
    Printer,
    Tally,
    Writer,
    compiled,
    display_name,
    each,
    force_option,
    format_option,
    inputs_of,
    limit_options,
    plural,
    run,
    strict_option,
)
from pystator.generator.diagnostics import printable
from pystator.generator.pipeline import Generated, generate
from pystator.generator.writing import MODULE, PAGE


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
@limit_options
def compile_command(
    files: Sequence[str],
    output: str | None,
    out_dir: str | None,
    class_name: str | None,
    check: bool,
    force: bool,
    output_format: str,
    strict: bool,
    limits: Mapping[str, int],
) -> None:
    """Compile FILES into Python modules (next to each file unless -o/--out-dir)."""
    if output and (out_dir or len(files) != 1):
        raise click.UsageError("-o/--output takes exactly one input file and no --out-dir.")
    if class_name and len(files) != 1:
        raise click.UsageError("--class-name takes exactly one input file.")
    printer = Printer(output_format, Tally(len(files)))
    failed: list[str] = []
    writer = Writer(inputs_of(files), printer, check, force)
    build = partial(_generate, class_name=class_name, overrides=limits)
    for file, generated in each(files, printer, failed, build):
        warnings = generated.compiled.warnings
        printer.emit(warnings)
        if strict and warnings:
            failed.append(file)
            continue
        target = _target(file, generated, output, out_dir)
        if not writer.deliver(file, target, generated.text, MODULE, "module"):
            failed.append(file)
    writer.report_stale("module", "compile")
    if len(files) > 1:
        click.echo(writer.summary("compiled", len(files)))
    if printer.tally:
        click.echo(printer.tally.line(), err=True)
    if failed or writer.stale:
        sys.exit(EXIT_ERRORS)


def _generate(file: str, class_name: str | None, overrides: Mapping[str, int]) -> Generated:
    return generate(
        file, class_name=class_name, display_name=display_name(file), overrides=overrides
    )


def _target(file: str, generated: Generated, output: str | None, out_dir: str | None) -> Path:
    if output:
        return Path(output)
    directory = Path(out_dir) if out_dir else Path(file).parent
    return directory / f"{generated.module_name}.py"


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@format_option
@strict_option
@limit_options
def validate_command(
    files: Sequence[str], output_format: str, strict: bool, limits: Mapping[str, int]
) -> None:
    """Check FILES and print diagnostics; generate nothing."""
    printer = Printer(output_format, Tally(len(files)))
    failed: list[str] = []
    for file, machine in each(files, printer, failed, partial(compiled, overrides=limits)):
        printer.emit(machine.warnings)
        if strict and machine.warnings:
            failed.append(file)
        elif output_format == "text":
            count = len(machine.warnings)
            suffix = f" ({plural(count, 'warning')})" if count else ""
            click.echo(f"{printable(display_name(file))}: ok{suffix}")
    click.echo(printer.tally.line(), err=True)
    if failed:
        sys.exit(EXIT_ERRORS)


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
@limit_options
def docs_command(
    files: Sequence[str],
    out_dir: str,
    check: bool,
    force: bool,
    output_format: str,
    limits: Mapping[str, int],
) -> None:
    """Write a Markdown page per machine: diagram, states, transitions, context, events."""
    from pystator.generator.docs import page

    printer = Printer(output_format, Tally(len(files)))
    failed: list[str] = []
    writer = Writer(inputs_of(files), printer, check, force)
    for file, machine in each(files, printer, failed, partial(compiled, overrides=limits)):
        result = run(partial(page, machine.spec, machine.document.file))
        if not writer.deliver(file, Path(out_dir) / result.file_name, result.text, PAGE, "page"):
            failed.append(file)
    writer.report_stale("file", "docs")
    click.echo(writer.summary("documented", len(files)))
    if failed or writer.stale:
        sys.exit(EXIT_ERRORS)


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the machine file format (for editors)."""
    import json

    from pystator.generator.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


for command in (*cli_outputs.COMMANDS, *cli_edit.COMMANDS):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
