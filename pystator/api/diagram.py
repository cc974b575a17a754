"""Diagram: which states of a machine to mark as an entity's current ones. The diagram
itself is Mermaid text (`to_mermaid`), laid out and drawn by Mermaid in the browser."""

from __future__ import annotations

from contextlib import suppress

from pystator.runtime.parallel import ParallelStateConfig
from pystator.runtime.spec import MachineSpec
from pystator.runtime.stores.base import EntityRecord


def current_leaves(spec: MachineSpec, record: EntityRecord) -> frozenset[str]:
    """The leaf states `record` is in: its state, or inside a parallel state the state of
    each region. Names from before a rename count under their new names; states `spec`
    does not define, and entities of another machine, mark nothing."""
    if record.machine_name and record.machine_name != spec.name:
        return frozenset()
    names = [record.state]
    if record.parallel:
        # A damaged configuration marks nothing more; reading the entity reports it.
        with suppress(ValueError):
            names += ParallelStateConfig.from_string(record.parallel).region_states.values()
    compound = {state.parent for state in spec.states if state.parent is not None}
    defined = {state.name for state in spec.states}
    return frozenset(
        name for name in map(spec.current_name, names) if name in defined and name not in compound
    )
