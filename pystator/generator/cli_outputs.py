"""`pystator-gen diagram`, `tests` and `export`: what else one compiled machine becomes,
written (or compared with `--check`) like the modules themselves."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import click

from pystator.generator.cli_common import (
    EXIT_ERRORS,
    Printer,
    Writer,
    compile_one,
    display_name,
    force_option,
    inputs_of,
    outcome,
    run,
)
from pystator.generator.diagnostics import printable
from pystator.generator.writing import (
    DIAGRAM,
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
    writer = Writer(inputs_of([file]), Printer(), check, force)
    current = is_current(target, result.text)
    if not writer.put(target, result.text, TESTS):
        sys.exit(EXIT_ERRORS)
    click.echo(coverage_line(printable(display_name(file)), result))
    for index in result.plan.uncovered:
        transition = machine.spec.transitions[index]
        click.echo(
            f"  not covered: transition {index + 1} "
            f"({transition.trigger}: {', '.join(transition.source)} -> {transition.dest})"
        )
    writer.report_stale("file", "tests")
    count = len(result.plan.transitions) + len(result.plan.states) + 1
    click.echo(
        f"{printable(str(target))}: {count} tests ({len(result.plan.transitions)} transitions, "
        f"{len(result.plan.states)} states, random event sequences), {outcome(current, check)}"
    )
    if writer.stale:
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
    elif not Writer(inputs_of([file]), Printer(), force=force).write(Path(output), text, kind):
        sys.exit(EXIT_ERRORS)


COMMANDS = (diagram_command, tests_command, export_command)
