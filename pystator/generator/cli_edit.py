"""`pystator-gen scaffold` and `diff`: commands about the code and history around a machine,
the user's handlers module and the machine's earlier versions in git."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import click

from pystator.generator.cli_common import EXIT_ERRORS, display_name, fail, run
from pystator.generator.diagnostics import CompileError, printable
from pystator.generator.pipeline import compile_path
from pystator.generator.writing import write_atomic, write_failure


@click.command("scaffold")
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
@click.option(
    "--module",
    help="Import path of the compiled module, e.g. app.machines.order; "
    "stubs then take its <Prefix>Context.",
)
def scaffold_command(
    file: str,
    handlers_path: str,
    class_name: str | None,
    handlers_class: str | None,
    module: str | None,
) -> None:
    """Add a typed stub to --handlers for every guard and action FILE names.

    Existing code is left exactly as it is; methods the machine no longer names are
    reported, not removed. Running it again changes nothing.
    """
    from pystator.generator.scaffold import ScaffoldError, ScaffoldResult, scaffold

    def build() -> ScaffoldResult | ScaffoldError:
        try:
            return scaffold(
                file,
                handlers_path,
                class_name=class_name,
                handlers_class=handlers_class,
                display_name=display_name(file),
                module=module,
            )
        except ScaffoldError as exc:
            return exc

    try:
        result = run(build)
    except CompileError as exc:
        fail(exc.diagnostics)
    if isinstance(result, ScaffoldError):
        click.echo(f"pystator-gen: {printable(str(result))}", err=True)
        sys.exit(EXIT_ERRORS)
    shown = printable(display_name(handlers_path))
    for stale in result.stale:
        click.echo(
            f"{shown}:{stale.line}:{stale.col}: warning: {result.class_name}.{stale.name} "
            f"is not a guard or action of {printable(display_name(file))} any more; kept it.",
            err=True,
        )
    if result.changed:
        try:
            write_atomic(result.path, result.text)
        except OSError as exc:
            fail([write_failure(result.path, exc)])
        verb = "created" if result.created else "updated"
        added = ", ".join(result.added) or "no stubs: the machine names no guards or actions"
        click.echo(f"{verb} {shown}: {result.class_name} + {added}")
    else:
        click.echo(f"{shown}: {result.class_name} has every guard and action")


@click.command("diff")
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
            before = run(partial(compile_document, load_text(text, f"{display_name(old)}@{rev}")))
            after = run(partial(compile_path, old, display_name(old)))
        else:
            assert new is not None
            before = run(partial(compile_path, old, display_name(old)))
            after = run(partial(compile_path, new, display_name(new)))
    except CompileError as exc:
        fail(exc.diagnostics)
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


COMMANDS = (scaffold_command, diff_command)
