"""Evolution: what changes between two versions of a machine, for `pystator-gen diff`.

Compares two lowered specs and says which changes strand persisted entities (a state
removed without a `renamed_from:` on its successor) and which are safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pystator.runtime.spec import MachineSpec, TransitionSpec


@dataclass(frozen=True, slots=True)
class MachineDiff:
    """The differences between an old and a new version of one machine."""

    old_version: str
    new_version: str
    old_fingerprint: str
    new_fingerprint: str
    added_states: tuple[str, ...] = ()
    removed_states: tuple[str, ...] = ()
    renamed_states: Mapping[str, str] = field(default_factory=dict)
    added_triggers: tuple[str, ...] = ()
    removed_triggers: tuple[str, ...] = ()
    payload_changes: tuple[str, ...] = ()
    guard_changes: tuple[str, ...] = ()

    @property
    def stranded(self) -> tuple[str, ...]:
        """States whose stored entities the new version cannot load."""
        return self.removed_states

    @property
    def breaking(self) -> bool:
        return bool(self.removed_states or self.removed_triggers or self.payload_changes)

    @property
    def unchanged(self) -> bool:
        return self.old_fingerprint == self.new_fingerprint and not (
            self.renamed_states or self.payload_changes or self.guard_changes
        )

    def lines(self) -> list[str]:
        """The report `pystator-gen diff` prints, one finding per line."""
        out = [
            f"version {self.old_version} -> {self.new_version}; fingerprint "
            f"{self.old_fingerprint} -> {self.new_fingerprint}"
        ]
        for old, new in sorted(self.renamed_states.items()):
            out.append(f"renamed state {old!r} -> {new!r} (stored entities migrate on load)")
        out += [f"added state {name!r}" for name in self.added_states]
        out += [
            f"removed state {name!r}: stored entities in it would be stranded; add "
            f"`renamed_from: [{name}]` to the state that replaces it, or migrate them"
            for name in self.removed_states
        ]
        out += [f"added trigger {name!r}" for name in self.added_triggers]
        out += [
            f"removed trigger {name!r}: senders of this event will get an invalid-trigger error"
            for name in self.removed_triggers
        ]
        out += self.payload_changes
        out += self.guard_changes
        if self.unchanged:
            out.append("no structural change")
        elif not self.breaking:
            out.append("compatible: every stored entity still loads")
        return out


def diff_specs(old: MachineSpec, new: MachineSpec) -> MachineDiff:
    """Compare two versions of a machine (the new one's `renamed_from:` links states)."""
    old_states = [state.name for state in old.states]
    new_states = {state.name for state in new.states}
    renamed = {
        previous: state.name
        for state in new.states
        for previous in state.renamed_from
        if previous in old_states
    }
    removed = tuple(name for name in old_states if name not in new_states and name not in renamed)
    added = tuple(
        state.name
        for state in new.states
        if state.name not in old_states and state.name not in renamed.values()
    )
    old_triggers = {t.name: t for t in old.triggers if not t.name.startswith("_")}
    new_triggers = {t.name: t for t in new.triggers if not t.name.startswith("_")}
    payloads = []
    for name in sorted(set(old_triggers) & set(new_triggers)):
        before = {f.name: (f.type, f.required) for f in old_triggers[name].payload}
        after = {f.name: (f.type, f.required) for f in new_triggers[name].payload}
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                payloads.append(
                    f"payload of {name!r}: field {key!r} {_field(before.get(key))} -> "
                    f"{_field(after.get(key))}"
                )
    return MachineDiff(
        old_version=old.version,
        new_version=new.version,
        old_fingerprint=old.fingerprint,
        new_fingerprint=new.fingerprint,
        added_states=added,
        removed_states=removed,
        renamed_states=renamed,
        added_triggers=tuple(sorted(set(new_triggers) - set(old_triggers))),
        removed_triggers=tuple(sorted(set(old_triggers) - set(new_triggers))),
        payload_changes=tuple(payloads),
        guard_changes=tuple(_guard_changes(old, new, renamed)),
    )


def _field(value: tuple[str, bool] | None) -> str:
    if value is None:
        return "absent"
    kind, required = value
    return f"{kind}{'' if required else ' (optional)'}"


def _guard_changes(old: MachineSpec, new: MachineSpec, renamed: Mapping[str, str]) -> list[str]:
    def key(transition: TransitionSpec, names: Mapping[str, str]) -> tuple[str, str, str]:
        sources = ",".join(sorted(names.get(s, s) for s in transition.source))
        return transition.trigger, sources, names.get(transition.dest, transition.dest)

    before = {key(t, renamed): t for t in old.transitions}
    after = {key(t, {}): t for t in new.transitions}
    changes = []
    for edge in sorted(set(before) & set(after)):
        old_guards = [g.label for g in before[edge].guards]
        new_guards = [g.label for g in after[edge].guards]
        if old_guards != new_guards:
            trigger, sources, dest = edge
            changes.append(
                f"guards of {trigger!r} {sources} -> {dest}: {old_guards or 'none'} -> "
                f"{new_guards or 'none'}"
            )
    return changes
