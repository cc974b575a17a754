"""`pystator-gen diagram`, `docs`, `tests` and `export`: what else a compiled machine becomes,
written (or compared with `--check`) like the modules themselves."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import click

from pystator.generator.cli_common import (
    EXIT_ERRORS,
    Printer,
    Tally,
    claim,
    compile_one,
    compiled,
    display_name,
    each,
    force_option,
    format_option,
    inputs_of,
    outcome,
    run,
    summary,
    write,
    write_or_check,
)
from pystator.generator.diagnostics import printable
from pystator.generator.writing import (
    DIAGRAM,
    PAGE,
    SCXML,
    TESTS,
    Kind,
    is_current,
    mark_diagram,
)


@click.command("diagram")
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

    machine = compile_one(file)
    text = to_mermaid(machine.spec) if diagram_format == "mermaid" else to_dot(machine.spec)
    if output:
        text = mark_diagram(text, diagram_format, machine.document.file)
    _write_or_print(file, output, text, DIAGRAM, force)


@click.command("docs")
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

    printer = Printer(output_format, Tally(len(files)))
    failed: list[str] = []
    stale: list[str] = []
    written: dict[str, str] = {}
    inputs = inputs_of(files)
    done: Counter[str] = Counter()
    for file, machine in each(files, printer, failed, compiled):
        result = run(partial(page, machine.spec, machine.document.file))
        target = Path(out_dir) / result.file_name
        claimed = claim(written, target, file, "page")
        if claimed is not None:
            printer.emit([claimed])
            failed.append(file)
            continue
        current = is_current(target, result.text)
        if not write_or_check(
            target,
            result.text,
            PAGE,
            inputs,
            check=check,
            force=force,
            stale=stale,
            printer=printer,
        ):
            failed.append(file)
            continue
        done[outcome(current, check)] += 1
    printer.stale(stale, "file", "docs")
    click.echo(summary("documented", len(files), done, check))
    if failed or stale:
        sys.exit(EXIT_ERRORS)


@click.command("tests")
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

    machine = compile_one(file)

    def build() -> GeneratedTests | OptionError:
        try:
            return render_tests(
                machine.spec,
                source_name=machine.document.file,
                module=module,
                class_name=class_name,
            )
        except OptionError as exc:
            return exc

    result = run(build)
    if isinstance(result, OptionError):
        click.echo(f"pystator-gen: {result}.", err=True)
        sys.exit(EXIT_ERRORS)
    target = Path(output) if output else Path(file).parent / result.file_name
    stale: list[str] = []
    inputs = inputs_of([file])
    current = is_current(target, result.text)
    printer = Printer()
    if not write_or_check(
        target, result.text, TESTS, inputs, check=check, force=force, stale=stale, printer=printer
    ):
        sys.exit(EXIT_ERRORS)
    click.echo(coverage_line(printable(display_name(file)), result))
    for index in result.plan.uncovered:
        transition = machine.spec.transitions[index]
        click.echo(
            f"  not covered: transition {index + 1} "
            f"({transition.trigger}: {', '.join(transition.source)} -> {transition.dest})"
        )
    printer.stale(stale, "file", "tests")
    count = len(result.plan.transitions) + len(result.plan.states) + 1
    click.echo(
        f"{printable(str(target))}: {count} tests ({len(result.plan.transitions)} transitions, "
        f"{len(result.plan.states)} states, random event sequences), {outcome(current, check)}"
    )
    if stale:
        sys.exit(EXIT_ERRORS)


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--scxml", "as_scxml", is_flag=True, help="Export as W3C SCXML 1.0.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file.")
@force_option
def export_command(file: str, as_scxml: bool, output: str | None, force: bool) -> None:
    """Export FILE to another state-machine format (SCXML)."""
    from pystator.generator.scxml import to_scxml

    if not as_scxml:
        raise click.UsageError("choose a format: --scxml.")
    machine = compile_one(file)
    text = run(partial(to_scxml, machine.spec, machine.document.file))
    _write_or_print(file, output, text, SCXML, force)


def _write_or_print(file: str, output: str | None, text: str, kind: Kind, force: bool) -> None:
    """Write `text` to `output` if given (exiting if that is refused), else print it."""
    if output is None:
        click.echo(text, nl=False)
    elif not write(Path(output), text, kind, inputs_of([file]), force, Printer()):
        sys.exit(EXIT_ERRORS)


COMMANDS = (diagram_command, docs_command, tests_command, export_command)
