"""Check: every semantic rule of a machine file, each with a stable diagnostic code.

Runs on the validated `MachineConfig` and reports all findings at once, positioned at the
YAML node they concern; lowering only starts when no error was found. The rules live in
check_states, check_transitions, check_guards and check_names.
"""

from __future__ import annotations

from pystator.generator.check_names import check_declarations, check_python_names
from pystator.generator.check_states import check_hierarchy, check_references, check_states
from pystator.generator.check_transitions import check_transitions
from pystator.generator.checking import (
    Reporter,
    declared_types,
    expand_regions,
    machine_name,
    region_of,
    variables,
)
from pystator.generator.diagnostics import Diagnostic
from pystator.generator.load import Document, Limits, default_limits
from pystator.generator.schema import MachineConfig
from pystator.generator.validate import Damage

# What lowering and the pipeline read from here.
__all__ = [
    "Reporter",
    "check",
    "declared_types",
    "expand_regions",
    "machine_name",
    "region_of",
    "variables",
]


def check(
    config: MachineConfig,
    document: Document,
    limits: Limits | None = None,
    damage: Damage | None = None,
) -> list[Diagnostic]:
    """All semantic findings for a machine, errors and warnings; with the `damage` of a
    config repaired by validation, only those the repair cannot have caused."""
    report = Reporter(document)
    state_names = check_states(config, report)
    chosen = limits if limits is not None else default_limits()
    check_hierarchy(config, report, state_names, chosen.max_state_depth)
    check_transitions(config, report, state_names)
    check_references(config, report, state_names)
    check_python_names(config, report, document)
    check_declarations(config, report)
    if not damage:
        return report.found
    return [
        found
        for found, path in zip(report.found, report.paths, strict=True)
        if not damage.hides(found.code, path)
    ]
