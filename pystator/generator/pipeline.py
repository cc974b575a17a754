"""Pipeline: load -> schema -> check -> lower, the one front end every caller uses.

The CLI, the build hook and `StateMachine.from_yaml` all come through here, so a machine
means the same thing however it is loaded.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from pystator.generator.analysis import analyze
from pystator.generator.check import check, expand_regions
from pystator.generator.diagnostics import CompileError, Diagnostic, has_errors, sort_key
from pystator.generator.load import Document, Limits, default_limits, load_data, load_file
from pystator.generator.lower import lower
from pystator.generator.settings import DEFAULT, Settings, apply, settings_for
from pystator.generator.validate import validate
from pystator.runtime.spec import MachineSpec


@dataclass(frozen=True, slots=True)
class Compiled:
    """A machine that compiled, with the warnings found on the way."""

    document: Document
    spec: MachineSpec
    warnings: tuple[Diagnostic, ...]


def compile_document(
    document: Document, settings: Settings = DEFAULT, *, limits: Limits | None = None
) -> Compiled:
    """Run the front end on a loaded document; raises CompileError with every finding.

    `settings` (a project's `[tool.pystator-gen]`) may raise, lower or silence warnings;
    `limits` (default: the strict ones untrusted input gets) bound what the file may ask.
    """
    validated = validate(document)
    if validated.config is None:
        raise CompileError(sorted(validated.diagnostics, key=sort_key))
    config = expand_regions(validated.config)
    # A config repaired by validation is still checked, so that one run reports every
    # independent error; it is never lowered.
    findings = [
        *validated.diagnostics,
        *check(config, validated.document, limits, validated.damage),
    ]
    if has_errors(findings):
        raise CompileError(sorted(findings, key=sort_key))
    lowered = lower(config, document, limits)
    if has_errors(lowered.warnings):
        raise CompileError(sorted([*findings, *lowered.warnings], key=sort_key))
    found = apply(settings, [*findings, *lowered.warnings, *analyze(lowered.spec, document)])
    if has_errors(found):
        raise CompileError(sorted(found, key=sort_key))
    return Compiled(document, lowered.spec, tuple(sorted(found, key=sort_key)))


def compile_path(
    path: str | os.PathLike[str],
    display_name: str | None = None,
    *,
    limits: Limits | None = None,
    overrides: Mapping[str, int] | None = None,
) -> Compiled:
    """Load and compile one machine file with its project's settings.

    `limits` (default: the strict ones, raised by the project's `[tool.pystator-gen]
    limits`) bound what the file may ask; `overrides` replace single limits on top, as the
    command line's `--max-bytes` and friends do.
    """
    try:
        settings = settings_for(path)
        problems: list[Diagnostic] = []
    except CompileError as exc:
        # The machine is still checked, so that one run reports both.
        settings, problems = DEFAULT, list(exc.diagnostics)
    chosen = limits if limits is not None else settings.limits_over(default_limits())
    if overrides:
        chosen = replace(chosen, **overrides)
    try:
        compiled = compile_document(
            load_file(path, display_name, limits=chosen), settings, limits=chosen
        )
    except CompileError as exc:
        raise CompileError([*problems, *exc.diagnostics]) from None
    if problems:
        raise CompileError([*problems, *compiled.warnings])
    return compiled


def spec_from_file(path: str | os.PathLike[str]) -> MachineSpec:
    return compile_path(path).spec


def spec_from_data(data: Mapping[str, Any]) -> MachineSpec:
    return compile_document(load_data(data)).spec


@dataclass(frozen=True, slots=True)
class Generated:
    """One generated module: where it goes, what it holds, what was found on the way."""

    module_name: str
    text: str
    compiled: Compiled


def generate(
    path: str | os.PathLike[str],
    *,
    class_name: str | None = None,
    display_name: str | None = None,
    limits: Limits | None = None,
    overrides: Mapping[str, int] | None = None,
) -> Generated:
    """Compile a machine file to module text; a pure function of the file and options."""
    from pystator.generator.emit import render
    from pystator.generator.names import module_name

    with _without_cycle_collection():
        compiled = compile_path(path, display_name, limits=limits, overrides=overrides)
        spec = compiled.spec
        prefix = class_prefix(compiled, class_name)
        text = render(
            spec,
            source_name=compiled.document.file,
            source_hash=compiled.document.source_hash,
            class_name=prefix,
        )
    module = module_name(prefix or spec.name) or "machine"
    return Generated(module, text, compiled)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Generating a module makes millions of small objects and no cycles worth collecting;
    left on, the cycle collector rescans the growing heap again and again, which made a
    10,000-state machine take 1.7 times as long."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def class_prefix(compiled: Compiled, class_name: str | None) -> str | None:
    """The prefix of the generated classes that `class_name` asks for (None: from the
    machine's name); raises CompileError if it is not a CamelCase identifier."""
    if class_name is None:
        return None
    prefix = class_name.removesuffix("Machine") or class_name
    if not (prefix.isidentifier() and prefix.isascii() and prefix[0].isupper()):
        raise CompileError(
            [
                Diagnostic(
                    "PS212",
                    f"class name {class_name!r} is not a CamelCase Python identifier.",
                    compiled.document.file,
                    hint="Pass a name like OrderMachine or Order.",
                )
            ]
        )
    return prefix
