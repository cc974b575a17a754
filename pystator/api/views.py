"""Views: the response models of the values handlers get from the compiler, the catalog,
the engine, the stores and the queue."""

from __future__ import annotations

from dataclasses import asdict

from pystator.api.models import (
    DiagnosticOut,
    HistoryOut,
    MachineOut,
    MachineSummary,
    QueuedEventOut,
    ResultOut,
)
from pystator.db.catalog import StoredMachine
from pystator.generator.diagnostics import Diagnostic
from pystator.runtime.results import TransitionResult
from pystator.runtime.spec import MachineSpec
from pystator.runtime.stores.base import HistoryEntry
from pystator.worker.queue import EventStatus


def diagnostic(found: Diagnostic) -> DiagnosticOut:
    return DiagnosticOut(**{**asdict(found), "severity": str(found.severity)})


def summary(spec: MachineSpec) -> MachineSummary:
    return MachineSummary(
        name=spec.name,
        version=spec.version,
        fingerprint=spec.fingerprint,
        initial_state=spec.initial_state,
        states=[state.name for state in spec.states],
        triggers=[trigger.name for trigger in spec.triggers],
    )


def machine(stored: StoredMachine, spec: MachineSpec) -> MachineOut:
    return MachineOut(**asdict(stored), machine=summary(spec))


def result(found: TransitionResult) -> ResultOut:
    return ResultOut(
        success=found.success,
        source_state=found.source_state,
        target_state=found.target_state,
        trigger=found.trigger,
        actions=list(found.all_actions),
        error=str(found.error) if found.error is not None else None,
        reason=found.metadata.get("reason"),
    )


def history(entry: HistoryEntry) -> HistoryOut:
    fields = asdict(entry)
    del fields["entity_id"]
    return HistoryOut(**fields)


def queued_event(event: EventStatus) -> QueuedEventOut:
    return QueuedEventOut(**asdict(event))
