"""Checking: what the semantic checks share, and what lowering reads the same way.

The `Reporter` positions every finding at the YAML node it concerns; the functions below
read facts of a validated config (its name, variables, declared types and regions).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as FilePath

from pystator.generator.diagnostics import Diagnostic, Severity
from pystator.generator.load import Document, Path
from pystator.generator.schema import MachineConfig, StateDef, VariableDef
from pystator.generator.suggest import Budget, Suggester


@dataclass
class Reporter:
    """Collects diagnostics for one document."""

    document: Document
    found: list[Diagnostic] = field(default_factory=list)
    #: The path each finding concerns, in step with `found` (() when it has none).
    paths: list[Path] = field(default_factory=list)
    # One budget for every did-you-mean of the run, and one index per set of names asked
    # about again and again, so that many misspelt names cost linear time.
    budget: Budget = field(default_factory=Budget)
    _suggesters: dict[str, Suggester] = field(default_factory=dict, init=False, repr=False)
    _lines: list[str] | None = field(default=None, init=False, repr=False)

    def did_you_mean(self, name: str, candidates: Iterable[str], kind: str = "") -> str:
        """'Did you mean ...?' among `candidates`, or ''. A `kind` names a set the run asks
        about many times (every state, every event): its index is built on first use."""
        if not kind:
            return Suggester(candidates, self.budget).hint(name)
        suggester = self._suggesters.get(kind)
        if suggester is None:
            suggester = self._suggesters[kind] = Suggester(candidates, self.budget)
        return suggester.hint(name)

    def source_line(self, line: int) -> str:
        """Line `line` (1-based) of the document's file as text, or '' if unreadable."""
        if self._lines is None:
            try:
                text = FilePath(self.document.file).read_text(encoding="utf-8")
                self._lines = text.splitlines()
            except (OSError, UnicodeDecodeError, ValueError):
                self._lines = []
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def error(
        self, code: str, path: Path, message: str, hint: str = "", *, key: bool = False
    ) -> None:
        self._add(code, path, message, hint, Severity.ERROR, key)

    def warning(
        self, code: str, path: Path, message: str, hint: str = "", *, key: bool = False
    ) -> None:
        self._add(code, path, message, hint, Severity.WARNING, key)

    def error_at(self, code: str, line: int, col: int, message: str, hint: str = "") -> None:
        self.found.append(Diagnostic(code, message, self.document.file, line, col, hint=hint))
        self.paths.append(())

    def _add(
        self, code: str, path: Path, message: str, hint: str, severity: Severity, key: bool
    ) -> None:
        position = self.document.key_position(path) if key else self.document.position(path)
        self.found.append(
            Diagnostic(
                code, message, self.document.file, position.line, position.col, severity, hint
            )
        )
        self.paths.append(path)


def machine_name(config: MachineConfig, document: Document) -> str:
    """`meta.machine_name`, else the file's stem, else 'machine'."""
    if config.meta.machine_name:
        return config.meta.machine_name
    stem = FilePath(document.file).stem if not document.file.startswith("<") else ""
    return stem or "machine"


def variables(config: MachineConfig) -> list[tuple[Path, VariableDef]]:
    """State variables from the top level and from `meta`, with their paths."""
    found: list[tuple[Path, VariableDef]] = []
    for base, items in (
        (("meta", "state_variables"), config.meta.state_variables),
        (("state_variables",), config.state_variables),
    ):
        for index, item in enumerate(items or ()):
            definition = VariableDef(key=item) if isinstance(item, str) else item
            found.append(((*base, index), definition))
    return found


def region_of(config: MachineConfig) -> dict[str, tuple[str, str]]:
    """For every state listed in a parallel state's regions: (parallel state, region)."""
    found: dict[str, tuple[str, str]] = {}
    for state in config.states:
        if state.type == "parallel":
            for region in state.regions:
                for name in region.states:
                    found.setdefault(name, (state.name, region.name))
    return found


def expand_regions(config: MachineConfig) -> MachineConfig:
    """Region states listed under `regions:` need no entry of their own; add one for each
    (a child of its parallel state) so that every later stage sees ordinary states."""
    declared = {state.name for state in config.states}
    regions = region_of(config)
    added = [
        StateDef(name=name, parent=parallel)
        for name, (parallel, _) in regions.items()
        if name not in declared
    ]
    states = [
        state.model_copy(update={"parent": regions[state.name][0]})
        if state.name in regions and state.parent is None
        else state
        for state in config.states
    ]
    if not added and states == list(config.states):
        return config
    return config.model_copy(update={"states": [*states, *added]})


def declared_types(config: MachineConfig) -> dict[str, str]:
    """Context names the machine declares (state variables, event payloads) and their types."""
    types: dict[str, str] = {}
    for event in config.events or ():
        for field_name, hint in event.payload.items():
            types[field_name] = hint if isinstance(hint, str) else hint.type
    for _, variable in variables(config):
        types[variable.key] = variable.type or "any"
    return types


def unknown_state(report: Reporter, path: Path, name: str, known: Iterable[str], what: str) -> None:
    report.error(
        "PS204",
        path,
        f"{what} {name!r} is not a state of this machine.",
        report.did_you_mean(name, known, "states") or "Define the state or correct the name.",
    )
